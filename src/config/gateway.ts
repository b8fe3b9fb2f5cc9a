import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SpecError } from '../load/errors.js';

/**
 * The `gateway:` section of accordo.config.yaml: the deployment facts the specs cannot give
 * (organisations, backends, public gateway URLs, limits), from which `accordo generate` writes
 * the configuration of the gateways between consumer and provider.
 */
export const GATEWAY_TARGETS = ['govway', 'nginx'] as const;
export type GatewayTarget = (typeof GATEWAY_TARGETS)[number];

export interface GatewayProvider {
  /** The provider's organisation (GovWay *soggetto erogatore*). */
  organisation: string;
  /** Where the provider's backend serves the API, e.g. `http://10.0.0.5:8080/rest/nome-api/v1`. */
  backend: string;
  /** Public base URL of the provider's gateway (with `/govway` for GovWay). */
  gatewayUrl: string;
  /** The provider backend as a client of the callback API (GovWay *applicativo*), for push agreements. */
  application?: string;
  /** nginx `listen` of the provider's gateway (default: the port of `gatewayUrl`). */
  listen?: string;
}

export interface GatewayConsumer {
  /** The consumer's organisation (GovWay *soggetto fruitore*). */
  organisation: string;
  /** The consumer's client application (GovWay *applicativo*). */
  application: string;
  /** Where the consumer's backend serves its callback endpoints (push agreements). */
  callbackBackend?: string;
  /** Public base URL of the consumer's gateway (with `/govway` for GovWay). */
  gatewayUrl: string;
  listen?: string;
}

export interface RateLimit {
  requests: number;
  per: 'second' | 'minute';
  burst: number;
}

export interface GatewayConfig {
  /** The config file, so later stages can name it in errors. */
  file: string;
  targets: GatewayTarget[];
  provider: GatewayProvider;
  consumer: GatewayConsumer;
  /** Header carrying the gateway's transaction id on requests and responses. */
  transactionHeader: string;
  rateLimit: RateLimit;
  /** Largest request body, nginx size syntax (`1m`, `512k`). */
  bodyLimit: string;
  /** Upstream timeouts, nginx time syntax (`5s`, `500ms`). */
  timeouts: { connect: string; read: string };
  /** GovWay settings: the ModI security of the APIs, the access control of erogazioni and fruizioni, key material by reference. */
  govway: GovWayConfig;
}

/** How an erogazione authenticates who calls it (GovWay `autenticazione.tipo`, with `opzionale`). */
export const EROGAZIONE_AUTHENTICATION = ['https-optional', 'https', 'disabilitato'] as const;
/** How a fruizione authenticates the local application that calls it; the applicativo gets matching credentials. */
export const FRUIZIONE_AUTHENTICATION = ['disabilitato', 'http-basic', 'https'] as const;
export const MESSAGE_SECURITY = ['disabilitato', 'auth01', 'auth02', 'integrity01-auth01', 'integrity01-auth02', 'integrity02-auth01', 'integrity02-auth02'] as const;

/** A keystore or truststore on the gateway's file system, named by path: its passwords are read from the environment when applying. */
export interface StoreReference {
  path: string;
  type: string;
  /** Keystores: the alias of the signing key. */
  alias?: string;
}

/** What one side's GovWay holds for this agreement, beyond what the gateway section says for both. */
export interface GovWaySideConfig {
  /** The ModI keystore that signs (absent: the gateway's default ModI keystore). */
  keystore?: StoreReference;
  /** The ModI truststore that verifies the peer's signatures (absent: the gateway's default). */
  truststore?: StoreReference;
  /** With `fruizioneAuthentication: https`: the client certificate (PEM or DER file) of this side's application. */
  applicationCertificate?: string;
  /** That certificate in DER, base64, as the config loader read it (emit reads no file). */
  applicationCertificateDer?: string;
}

export interface GovWayConfig {
  channelSecurity: 'auth01' | 'auth02';
  messageSecurity: (typeof MESSAGE_SECURITY)[number];
  erogazioneAuthentication: (typeof EROGAZIONE_AUTHENTICATION)[number];
  fruizioneAuthentication: (typeof FRUIZIONE_AUTHENTICATION)[number];
  provider: GovWaySideConfig;
  consumer: GovWaySideConfig;
}

type Fail = (message: string, pointer: string) => SpecError;

/**
 * The `gateway:` section, once the config schema (src/config/schema.ts) has checked its shape and
 * filled in its defaults: what a schema cannot say is checked here, every problem a SpecError at the
 * offending key. `targets` may be empty: `--gateway` on the command line can supply them.
 */
export function parseGatewayConfig(raw: unknown, fail: Fail, file: string, at = '/gateway'): GatewayConfig {
  const g = raw as Omit<GatewayConfig, 'file'>;
  // The schema's pattern keeps quotes and braces out; the URL parser has the last word on the rest.
  const url = (value: string, pointer: string) => {
    try {
      new URL(value);
    } catch {
      throw fail(`"${pointer.split('/').pop()}" is not a valid URL: ${JSON.stringify(value)}`, pointer);
    }
    return value.replace(/\/+$/, '');
  };
  const provider: GatewayProvider = { ...g.provider, backend: url(g.provider.backend, `${at}/provider/backend`), gatewayUrl: url(g.provider.gatewayUrl, `${at}/provider/gatewayUrl`) };
  const consumer: GatewayConsumer = {
    ...g.consumer,
    gatewayUrl: url(g.consumer.gatewayUrl, `${at}/consumer/gatewayUrl`),
    ...(g.consumer.callbackBackend !== undefined ? { callbackBackend: url(g.consumer.callbackBackend, `${at}/consumer/callbackBackend`) } : {}),
  };
  if (consumer.organisation === provider.organisation) throw fail('consumer and provider must be different organisations', `${at}/consumer/organisation`);
  const govway = g.govway;
  if (govway.fruizioneAuthentication === 'https') {
    for (const side of ['provider', 'consumer'] as const) {
      // The consumer's application always calls a fruizione; the provider's only with an application named (push callbacks).
      if ((side === 'consumer' || provider.application) && !govway[side].applicationCertificate) {
        throw fail(`"fruizioneAuthentication: https" needs govway.${side}.applicationCertificate: the client certificate GovWay recognises the ${side}'s application by`, `${at}/govway`);
      }
    }
  }
  // The certificate is read here, so that emitting reads no file.
  for (const side of ['provider', 'consumer'] as const) {
    const certificate = govway[side]?.applicationCertificate;
    if (certificate === undefined) continue;
    const path = resolve(dirname(file), certificate);
    try {
      govway[side].applicationCertificateDer = new X509Certificate(readFileSync(path)).raw.toString('base64');
    } catch (e) {
      throw fail(`govway.${side}.applicationCertificate ${path} is not a readable PEM or DER certificate (${(e as Error).message})`, `${at}/govway/${side}/applicationCertificate`);
    }
  }
  return { ...g, targets: [...new Set(g.targets)], file, provider, consumer };
}
