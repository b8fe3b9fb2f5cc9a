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
  /** GovWay ModI security defaults of the APIs. */
  govway: { channelSecurity: 'auth01' | 'auth02'; messageSecurity: string };
}

type Fail = (message: string, pointer: string) => SpecError;

/** GovWay's SimpleName: organisation names end up in URLs, so they stay this plain. */
const SIMPLE_NAME = /^[0-9A-Za-z][-A-Za-z0-9]*$/;
const NC_NAME = /^[_A-Za-z][-._A-Za-z0-9]*$/;
const HEADER = /^[A-Za-z0-9][-A-Za-z0-9]*$/;
const SIZE = /^[1-9][0-9]*[kKmM]?$/;
const TIME = /^[1-9][0-9]*(ms|s|m)?$/;
const LISTEN = /^(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}:)?[0-9]{1,5}$/;
const MESSAGE_SECURITY = ['disabilitato', 'auth01', 'auth02', 'integrity01-auth01', 'integrity01-auth02', 'integrity02-auth01', 'integrity02-auth02'];

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

  const govway: GatewayConfig['govway'] = { channelSecurity: 'auth01', messageSecurity: 'disabilitato' };
  if (g.govway !== undefined) {
    const gp = `${at}/govway`;
    const gw = map(g.govway, gp, ['channelSecurity', 'messageSecurity']);
    if (gw.channelSecurity !== undefined) {
      if (gw.channelSecurity !== 'auth01' && gw.channelSecurity !== 'auth02') throw fail('"channelSecurity" must be auth01 or auth02', `${gp}/channelSecurity`);
      govway.channelSecurity = gw.channelSecurity;
    }
    if (gw.messageSecurity !== undefined) {
      if (!MESSAGE_SECURITY.includes(gw.messageSecurity as string)) throw fail(`"messageSecurity" must be one of ${MESSAGE_SECURITY.join(', ')}`, `${gp}/messageSecurity`);
      govway.messageSecurity = gw.messageSecurity as string;
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
