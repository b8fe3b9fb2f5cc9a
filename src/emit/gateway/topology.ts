import type { GatewayConfig } from '../../config/gateway.js';
import type { ClassifiedAgreement, Receiver, SecurityProfile } from '../../classify/index.js';
import type { Interface, Operation } from '../../model/agreement.js';
import { pascalCase } from '../../model/names.js';

/**
 * What every gateway target needs from an agreement, decided once: the APIs (the provider's
 * and, for push, the consumer's callback API), each operation's ModI role and correlation, and
 * the URLs of the four GovWay-style objects (research §A.2): on the consumer's gateway a
 * fruizione of the request API and an erogazione of the callback API; on the provider's
 * gateway an erogazione of the request API and a fruizione of the callback API.
 */
export interface GatewayApi {
  /** GovWay API name (NCName, from the spec's title) and major version. */
  name: string;
  version: number;
  kind: 'request' | 'callback';
  /** REST resources or SOAP actions: GovWay configures them through different endpoints. */
  protocol: 'rest' | 'soap';
  /** The interface the spec describes; absent for a callback API made of the provider spec's `callbacks`. */
  iface?: Interface;
  routes: Route[];
}

export type Role = { pattern: 'crud' | 'bloccante' } | { pattern: 'non-bloccante'; tipo: 'push' | 'pull'; funzione: 'richiesta' | 'richiesta-stato' | 'risposta'; correlated?: Route };

export interface Route {
  api: GatewayApi;
  /** Operation id, method (upper case) and path template relative to the API's base. */
  id: string;
  method: string;
  path: string;
  role: Role;
  /** Push requests: the callback route the result is sent to, and the header carrying its URL. */
  callback?: Route;
  replyToHeader?: string;
  /** SOAP: the port-type (GovWay *servizio*) of the action; `id` is the action's name. */
  service?: string;
  /** Where the spec says this operation is, for errors. */
  op?: Operation;
  /** The security its messages must carry, as the classify stage decided it. */
  security?: SecurityProfile;
}

export interface Topology {
  request: GatewayApi;
  callback?: GatewayApi;
  config: GatewayConfig;
}

/** Builds the topology from the classified agreement: its interactions and the consumer's receivers. */
export function topology(classified: ClassifiedAgreement, config: GatewayConfig): Topology {
  const { agreement } = classified;
  const request: GatewayApi = { ...apiName(agreement.provider), kind: 'request', protocol: protocolOf(agreement.provider), iface: agreement.provider, routes: [] };
  let callback: GatewayApi | undefined;
  const receiverRoutes = new Map<Receiver, Route>();
  if (classified.receivers.length) {
    const callbackSpec = classified.specRole === 'callback' ? agreement.provider : agreement.callback;
    const named = callbackSpec ? apiName(callbackSpec) : { name: `${request.name}Callback`, version: request.version };
    if (named.name === request.name && callbackSpec !== agreement.provider) named.name = `${named.name}Callback`;
    const api: GatewayApi = { ...named, kind: 'callback', protocol: callbackSpec ? protocolOf(callbackSpec) : 'rest', iface: callbackSpec, routes: [] };
    for (const r of classified.receivers) {
      const route: Route = {
        api,
        id: r.op.id,
        method: r.op.method.toUpperCase(),
        path: r.path,
        role: { pattern: 'crud' },
        service: callbackSpec ? soapService(api, r.op) : undefined,
        op: r.op,
        ...(r.security ? { security: r.security } : {}),
      };
      api.routes.push(route);
      receiverRoutes.set(r, route);
    }
    callback = api;
  }

  const routeOf = new Map<Operation, Route>();
  const served = classified.specRole === 'provider' ? agreement.provider.operations : [];
  for (const op of served) {
    const route: Route = { api: request, id: op.id, method: op.method.toUpperCase(), path: op.path, role: { pattern: 'crud' }, service: soapService(request, op), op };
    routeOf.set(op, route);
    request.routes.push(route);
  }
  for (const op of served) {
    const route = routeOf.get(op)!;
    const interaction = classified.interactionOf(op);
    const security =
      interaction?.kind === 'pull' ? (op === interaction.request ? interaction.security : op === interaction.status ? interaction.statusSecurity : interaction.resultSecurity) : interaction?.security;
    if (security) route.security = security;
    if (interaction?.kind === 'push') {
      route.role = { pattern: 'non-bloccante', tipo: 'push', funzione: 'richiesta' };
      route.replyToHeader = interaction.replyTo.in === 'header' ? interaction.replyTo.name : undefined;
      // Without a receiver (a classify finding says why) the request is routed without its correlation.
      const target = interaction.receiver && receiverRoutes.get(interaction.receiver);
      if (target) {
        route.callback = target;
        target.role = { pattern: 'non-bloccante', tipo: 'push', funzione: 'risposta', correlated: route };
      }
    } else if (interaction?.kind === 'pull') {
      const funzione = op === interaction.request ? 'richiesta' : op === interaction.status ? 'richiesta-stato' : 'risposta';
      route.role = { pattern: 'non-bloccante', tipo: 'pull', funzione, ...(funzione === 'richiesta' ? {} : { correlated: routeOf.get(interaction.request) }) };
    } else {
      // GovWay's defaults: SOAP actions are blocking; a REST resource is "bloccante" only as a POST (research §A.2).
      route.role = { pattern: op.method === 'post' || request.protocol === 'soap' ? 'bloccante' : 'crud' };
    }
  }
  return { request, callback, config };
}

const protocolOf = (iface: Interface): GatewayApi['protocol'] => (iface.source.format === 'wsdl' ? 'soap' : 'rest');

/** The port-type (GovWay "servizio") of a SOAP operation, as the WSDL binds it. */
function soapService(api: GatewayApi, op: Operation): string | undefined {
  if (api.protocol !== 'soap') return undefined;
  return op.soap?.portType.name ?? api.iface?.title;
}

function apiName(iface: Interface): { name: string; version: number } {
  const major = Number.parseInt(iface.version, 10);
  return { name: pascalCase(iface.title, 'Api'), version: Number.isInteger(major) && major >= 1 ? major : 1 };
}

/** GovWay's name of an imported REST resource: `POST /resources/{id}/M` → `POST_resources.id.M`. */
export function resourceName(method: string, path: string): string {
  const parts = path.replace(/[{}]/g, '').split('/').filter(Boolean);
  return `${method.toUpperCase()}_${parts.join('.')}`;
}

/**
 * Invocation URL of an erogazione, as GovWay lays it out under ModI (urlInterna.rst):
 * `<gateway>/<rest|soap>/in/<erogatore>/<name>/v<N>`, where a SOAP erogazione is named after its
 * port type (`service`) and a REST one after its API.
 */
export function inboundUrl(gatewayUrl: string, erogatore: string, api: GatewayApi, service?: string): string {
  return `${gatewayUrl}/${api.protocol}/in/${erogatore}/${service ?? api.name}/v${api.version}`;
}

/** Invocation URL of a fruizione: `<gateway>/<rest|soap>/out/<fruitore>/<erogatore>/<name>/v<N>`, named as an erogazione is. */
export function outboundUrl(gatewayUrl: string, fruitore: string, erogatore: string, api: GatewayApi, service?: string): string {
  return `${gatewayUrl}/${api.protocol}/out/${fruitore}/${erogatore}/${service ?? api.name}/v${api.version}`;
}
