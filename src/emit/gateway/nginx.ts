import type { GatewaySide } from './govway.js';
import { inboundUrl, outboundUrl, type Route, type Topology } from './topology.js';

/**
 * The view of one side's nginx configuration (templates/gateway/nginx.conf.hbs): a server with
 * one location per path of each API it exposes, laid out as GovWay does (`/rest/in/...` for its
 * erogazioni, `/rest/out/...` for its fruizioni), so either gateway can stand in for the other.
 *
 * Everything printed into the config is either a validated config value (URLs without quotes,
 * `$`, `;` or braces; plain names) or spec text escaped by `regex()`, so a spec cannot inject
 * directives.
 */
export interface NginxView {
  side: GatewaySide;
  organisation: string;
  listen: string;
  serverName: string;
  zone: string;
  rate: string;
  burst: number;
  retryAfter: number;
  bodyLimit: string;
  connectTimeout: string;
  readTimeout: string;
  transactionHeader: string;
  channels: ChannelView[];
}

export interface ChannelView {
  /** e.g. `erogazione of RESTCallbackServer v1 -> provider backend`. */
  title: string;
  /** Map variable for the rewritten Content-Location. */
  contentLocationVar: string;
  /** Regexes (with one capture: the rest of the path) of Content-Location values to rewrite, and the replacement base. */
  contentLocation: { regex: string; replacement: string }[];
  redirects: { from: string; to: string }[];
  locations: LocationView[];
}

export interface LocationView {
  comment: string;
  regex: string;
  methods: string;
  rewriteFrom: string;
  rewriteTo: string;
  proxyPass: string;
  /** Push: the X-ReplyTo value for the methods that carry one. */
  replyTo?: { header: string; method: string; value: string; variable: string };
}

export function nginxView(t: Topology, side: GatewaySide): NginxView {
  const { config, request, callback } = t;
  if (request.protocol === 'soap' || callback?.protocol === 'soap') {
    // SOAP's X-ReplyTo and X-Correlation-ID are SOAP headers: rewriting them needs the body, which plain nginx does not touch.
    throw new Error('a SOAP agreement reached the nginx target: gatewayFindings checks it before emitting');
  }
  const provider = config.provider.organisation;
  const consumer = config.consumer.organisation;
  const own = side === 'provider' ? config.provider : config.consumer;
  const gateway = new URL(own.gatewayUrl);
  const channels: ChannelView[] = [];
  let counter = 0;
  const channel = (title: string, publicBase: string, upstream: string, routes: Route[], replyTo: (r: Route) => string | undefined) => {
    const index = channels.length + 1;
    const prefix = new URL(publicBase).pathname;
    const up = new URL(upstream);
    const upPath = up.pathname.replace(/\/+$/, '');
    const byPath = new Map<string, Route[]>();
    for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
    channels.push({
      title,
      contentLocationVar: `$accordo_${side}_content_location_${index}`,
      contentLocation: [
        { regex: `^${regex(up.origin + upPath)}(/.*)?$`, replacement: publicBase },
        { regex: `^${regex(upPath)}(/.*)?$`, replacement: publicBase },
      ],
      redirects: [
        { from: `${up.origin}${upPath}/`, to: `${publicBase}/` },
        { from: `${upPath}/`, to: `${publicBase}/` },
      ],
      locations: [...byPath].map(([path, group]) => {
        const push = group.find((r) => r.callback);
        const location: LocationView = {
          comment: group.map((r) => `${r.method} ${oneLine(r.path)} (${oneLine(r.id)})`).join(', '),
          regex: `^${regex(prefix)}${pathRegex(path)}$`,
          methods: [...new Set(group.map((r) => r.method))].join('|'),
          rewriteFrom: `^${regex(prefix)}(/.*)$`,
          rewriteTo: `${upPath}$1`,
          proxyPass: up.origin,
          replyTo: undefined,
        };
        const value = push && replyTo(push);
        if (push && value) {
          const header = push.replyToHeader ?? 'X-ReplyTo';
          if (!/^[A-Za-z0-9_-]+$/.test(header)) {
            throw new Error(`the callback header ${JSON.stringify(header)} reached the nginx target: gatewayFindings checks it before emitting`);
          }
          location.replyTo = { header, method: push.method, value, variable: `$accordo_reply_to_${++counter}` };
        }
        return location;
      }),
    });
  };

  const callbackPath = (r: Route) => r.callback?.path ?? '';
  if (side === 'provider') {
    const fruizioneCallback = callback && outboundUrl(config.provider.gatewayUrl, provider, consumer, callback);
    channel(
      `erogazione of ${request.name} v${request.version} (organisation ${provider}) -> the provider's backend`,
      inboundUrl(config.provider.gatewayUrl, provider, request),
      config.provider.backend,
      request.routes,
      // As GovWay does: the backend sends the callback to this gateway's fruizione of the callback API.
      (r) => (fruizioneCallback ? fruizioneCallback + callbackPath(r) : undefined),
    );
    if (callback) {
      channel(
        `fruizione of ${callback.name} v${callback.version} (${provider} -> ${consumer}) -> the consumer's gateway`,
        fruizioneCallback!,
        inboundUrl(config.consumer.gatewayUrl, consumer, callback),
        callback.routes,
        () => undefined,
      );
    }
  } else {
    const erogazioneCallback = callback && inboundUrl(config.consumer.gatewayUrl, consumer, callback);
    channel(
      `fruizione of ${request.name} v${request.version} (${consumer} -> ${provider}) -> the provider's gateway`,
      outboundUrl(config.consumer.gatewayUrl, consumer, provider, request),
      inboundUrl(config.provider.gatewayUrl, provider, request),
      request.routes,
      // The client's X-ReplyTo is replaced by this gateway's callback ingress (GovWay's replyTo.header.updateOrCreate).
      (r) => (erogazioneCallback ? erogazioneCallback + callbackPath(r) : undefined),
    );
    if (callback) {
      if (!config.consumer.callbackBackend) {
        throw new Error('gateway.consumer.callbackBackend is missing: gatewayFindings checks it before emitting');
      }
      channel(
        `erogazione of ${callback.name} v${callback.version} (organisation ${consumer}) -> the consumer's callback endpoints`,
        erogazioneCallback!,
        config.consumer.callbackBackend,
        callback.routes,
        () => undefined,
      );
    }
  }

  const defaultPort = gateway.protocol === 'https:' ? '443' : '80';
  return {
    side,
    organisation: own.organisation,
    listen: own.listen ?? (gateway.port || defaultPort),
    serverName: gateway.hostname,
    zone: `accordo_${side}_${request.name}_v${request.version}`,
    rate: `${config.rateLimit.requests}r/${config.rateLimit.per === 'second' ? 's' : 'm'}`,
    burst: config.rateLimit.burst,
    retryAfter: config.rateLimit.per === 'second' ? 1 : 60,
    bodyLimit: config.bodyLimit,
    connectTimeout: config.timeouts.connect,
    readTimeout: config.timeouts.read,
    transactionHeader: config.transactionHeader,
    channels,
  };
}

/** A path template as a regex: `{param}` matches one segment, literal text is escaped byte by byte. */
function pathRegex(template: string): string {
  return template
    .split(/(\{[^}]*\})/)
    .map((part) => (/^\{[^}]*\}$/.test(part) ? '[^/]+' : regex(part)))
    .join('');
}

/**
 * Literal text as a PCRE that nginx accepts inside double quotes: letters, digits, `/`, `_`
 * and `-` as they are, everything else as `\xHH` per UTF-8 byte (nginx matches bytes of the
 * decoded URI), so no character of a spec can end the string or the directive.
 */
function regex(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9/_-]/.test(ch) ? ch : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Spec text in a `#` comment: one line. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
}
