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

/** GovWay's SimpleName: organisation names end up in URLs, so they stay this plain. */
const SIMPLE_NAME = /^[0-9A-Za-z][-A-Za-z0-9]*$/;
const NC_NAME = /^[_A-Za-z][-._A-Za-z0-9]*$/;
const HEADER = /^[A-Za-z0-9][-A-Za-z0-9]*$/;
const SIZE = /^[1-9][0-9]*[kKmM]?$/;
const TIME = /^[1-9][0-9]*(ms|s|m)?$/;
const LISTEN = /^(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}:)?[0-9]{1,5}$/;
const PATH = /^[^\s"'`$;{}\\]+$/;
const KEYSTORE_TYPES = ['jks', 'pkcs12'];
const TRUSTSTORE_TYPES = ['jks', 'jwk'];

/**
 * Checks the `gateway:` section; every problem is a SpecError at the offending key.
 * `targets` may be empty here: `--gateway` on the command line can supply them.
 */
export function parseGatewayConfig(raw: unknown, fail: Fail, file: string): GatewayConfig {
  const at = '/gateway';
  const map = (value: unknown, pointer: string, keys: string[]) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw fail(`"${pointer.slice(1).replace(/\//g, '.')}" must be a mapping`, pointer);
    for (const key of Object.keys(value)) if (!keys.includes(key)) throw fail(`unknown setting "${key}" (known: ${keys.join(', ')})`, `${pointer}/${key}`);
    return value as Record<string, unknown>;
  };
  const g = map(raw, at, ['targets', 'provider', 'consumer', 'transactionHeader', 'rateLimit', 'bodyLimit', 'timeouts', 'govway']);

  const text = (obj: Record<string, unknown>, key: string, pointer: string, pattern: RegExp, what: string, optional = false): string | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (optional) return undefined;
      throw fail(`missing "${key}" (${what})`, pointer);
    }
    if (typeof v !== 'string' || !pattern.test(v)) throw fail(`"${key}" must be ${what}, not ${JSON.stringify(v)}`, `${pointer}/${key}`);
    return v;
  };
  const url = (obj: Record<string, unknown>, key: string, pointer: string, optional = false): string | undefined => {
    const v = text(obj, key, pointer, /^https?:\/\/[^\s"'`$;{}\\#?]+$/, 'an http(s) URL without query, fragment, quotes, "$", ";" or braces', optional);
    if (v === undefined) return undefined;
    try {
      new URL(v);
    } catch {
      throw fail(`"${key}" is not a valid URL: ${JSON.stringify(v)}`, `${pointer}/${key}`);
    }
    return v.replace(/\/+$/, '');
  };

  const targets: GatewayTarget[] = [];
  if (g.targets !== undefined) {
    if (!Array.isArray(g.targets)) throw fail(`"targets" must be a list of ${GATEWAY_TARGETS.join(', ')}`, `${at}/targets`);
    g.targets.forEach((t, i) => {
      if (!(GATEWAY_TARGETS as readonly unknown[]).includes(t)) throw fail(`unknown gateway target ${JSON.stringify(t)} (known: ${GATEWAY_TARGETS.join(', ')})`, `${at}/targets/${i}`);
      if (!targets.includes(t as GatewayTarget)) targets.push(t as GatewayTarget);
    });
  }

  const pp = `${at}/provider`;
  if (g.provider === undefined) throw fail('missing "provider" (organisation, backend, gatewayUrl)', at);
  const p = map(g.provider, pp, ['organisation', 'backend', 'gatewayUrl', 'application', 'listen']);
  const provider: GatewayProvider = {
    organisation: text(p, 'organisation', pp, SIMPLE_NAME, 'a GovWay SimpleName (letters, digits, "-")')!,
    backend: url(p, 'backend', pp)!,
    gatewayUrl: url(p, 'gatewayUrl', pp)!,
    application: text(p, 'application', pp, NC_NAME, 'a GovWay NCName (letters, digits, "_", "-", ".")', true),
    listen: text(p, 'listen', pp, LISTEN, 'a port or IPv4:port', true),
  };

  const cp = `${at}/consumer`;
  if (g.consumer === undefined) throw fail('missing "consumer" (organisation, application, gatewayUrl)', at);
  const c = map(g.consumer, cp, ['organisation', 'application', 'callbackBackend', 'gatewayUrl', 'listen']);
  const consumer: GatewayConsumer = {
    organisation: text(c, 'organisation', cp, SIMPLE_NAME, 'a GovWay SimpleName (letters, digits, "-")')!,
    application: text(c, 'application', cp, NC_NAME, 'a GovWay NCName (letters, digits, "_", "-", ".")')!,
    callbackBackend: url(c, 'callbackBackend', cp, true),
    gatewayUrl: url(c, 'gatewayUrl', cp)!,
    listen: text(c, 'listen', cp, LISTEN, 'a port or IPv4:port', true),
  };
  if (consumer.organisation === provider.organisation) throw fail('consumer and provider must be different organisations', `${cp}/organisation`);

  const rateLimit: RateLimit = { requests: 50, per: 'second', burst: 100 };
  if (g.rateLimit !== undefined) {
    const rp = `${at}/rateLimit`;
    const r = map(g.rateLimit, rp, ['requests', 'per', 'burst']);
    const count = (key: 'requests' | 'burst', min: number) => {
      if (r[key] === undefined) return;
      if (!Number.isInteger(r[key]) || (r[key] as number) < min) throw fail(`"${key}" must be an integer ≥ ${min}`, `${rp}/${key}`);
      rateLimit[key] = r[key] as number;
    };
    count('requests', 1);
    count('burst', 0);
    if (r.per !== undefined) {
      if (r.per !== 'second' && r.per !== 'minute') throw fail('"per" must be second or minute', `${rp}/per`);
      rateLimit.per = r.per;
    }
  }

  const timeouts = { connect: '5s', read: '60s' };
  if (g.timeouts !== undefined) {
    const tp = `${at}/timeouts`;
    const t = map(g.timeouts, tp, ['connect', 'read']);
    timeouts.connect = text(t, 'connect', tp, TIME, 'a duration such as 5s or 500ms', true) ?? timeouts.connect;
    timeouts.read = text(t, 'read', tp, TIME, 'a duration such as 60s or 500ms', true) ?? timeouts.read;
  }

  const govway: GovWayConfig = {
    channelSecurity: 'auth01',
    messageSecurity: 'disabilitato',
    erogazioneAuthentication: 'https-optional',
    fruizioneAuthentication: 'disabilitato',
    provider: {},
    consumer: {},
  };
  if (g.govway !== undefined) {
    const gp = `${at}/govway`;
    const gw = map(g.govway, gp, ['channelSecurity', 'messageSecurity', 'erogazioneAuthentication', 'fruizioneAuthentication', 'provider', 'consumer']);
    const oneOf = <T extends string>(key: string, values: readonly T[]): T | undefined => {
      if (gw[key] === undefined) return undefined;
      if (!values.includes(gw[key] as T)) throw fail(`"${key}" must be one of ${values.join(', ')}`, `${gp}/${key}`);
      return gw[key] as T;
    };
    govway.channelSecurity = oneOf('channelSecurity', ['auth01', 'auth02'] as const) ?? govway.channelSecurity;
    govway.messageSecurity = oneOf('messageSecurity', MESSAGE_SECURITY) ?? govway.messageSecurity;
    govway.erogazioneAuthentication = oneOf('erogazioneAuthentication', EROGAZIONE_AUTHENTICATION) ?? govway.erogazioneAuthentication;
    govway.fruizioneAuthentication = oneOf('fruizioneAuthentication', FRUIZIONE_AUTHENTICATION) ?? govway.fruizioneAuthentication;
    const store = (obj: Record<string, unknown>, key: string, pointer: string, types: string[], withAlias: boolean): StoreReference | undefined => {
      if (obj[key] === undefined) return undefined;
      const sp = `${pointer}/${key}`;
      const s = map(obj[key], sp, withAlias ? ['path', 'type', 'alias'] : ['path', 'type']);
      const type = s.type ?? 'jks';
      if (!types.includes(type as string)) throw fail(`"type" must be one of ${types.join(', ')}`, `${sp}/type`);
      return {
        path: text(s, 'path', sp, PATH, 'a file path on the gateway (no spaces, quotes, "$", ";" or braces)')!,
        type: type as string,
        ...(withAlias ? { alias: text(s, 'alias', sp, NC_NAME, 'a key alias (letters, digits, "_", "-", ".")') } : {}),
      };
    };
    for (const side of ['provider', 'consumer'] as const) {
      if (gw[side] === undefined) continue;
      const sp = `${gp}/${side}`;
      const s = map(gw[side], sp, ['keystore', 'truststore', 'applicationCertificate']);
      govway[side] = {
        keystore: store(s, 'keystore', sp, KEYSTORE_TYPES, true),
        truststore: store(s, 'truststore', sp, TRUSTSTORE_TYPES, false),
        applicationCertificate: text(s, 'applicationCertificate', sp, PATH, 'the path of a PEM or DER certificate file, relative to the config file', true),
      };
      const certificate = govway[side].applicationCertificate;
      if (certificate !== undefined) {
        const path = resolve(dirname(file), certificate);
        try {
          govway[side].applicationCertificateDer = new X509Certificate(readFileSync(path)).raw.toString('base64');
        } catch (e) {
          throw fail(`govway.${side}.applicationCertificate ${path} is not a readable PEM or DER certificate (${(e as Error).message})`, `${sp}/applicationCertificate`);
        }
      }
    }
  }
  if (govway.fruizioneAuthentication === 'https') {
    for (const side of ['provider', 'consumer'] as const) {
      // The consumer's application always calls a fruizione; the provider's only with an application named (push callbacks).
      if ((side === 'consumer' || provider.application) && !govway[side].applicationCertificate) {
        throw fail(`"fruizioneAuthentication: https" needs govway.${side}.applicationCertificate: the client certificate GovWay recognises the ${side}'s application by`, `${at}/govway`);
      }
    }
  }

  return {
    file,
    targets,
    provider,
    consumer,
    transactionHeader: text(g, 'transactionHeader', at, HEADER, 'an HTTP header name', true) ?? 'GovWay-Transaction-ID',
    rateLimit,
    bodyLimit: text(g, 'bodyLimit', at, SIZE, 'a size such as 1m or 512k', true) ?? '1m',
    timeouts,
    govway,
  };
}
