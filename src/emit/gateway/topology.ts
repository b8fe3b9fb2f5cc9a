import type { GatewayConfig } from '../../config/gateway.js';
import { SpecError } from '../../load/errors.js';
import type { Agreement, Interface, Operation } from '../../model/agreement.js';
import { pascalCase } from '../../model/names.js';
import { buildView } from '../view.js';

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

export type Role =
  | { pattern: 'crud' | 'bloccante' }
  | { pattern: 'non-bloccante'; tipo: 'push' | 'pull'; funzione: 'richiesta' | 'richiesta-stato' | 'risposta'; correlated?: Route };

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
}

export interface Topology {
  request: GatewayApi;
  callback?: GatewayApi;
  config: GatewayConfig;
}

/** Builds the topology, or fails with a SpecError naming the operation it cannot place. */
export function topology(agreement: Agreement, config: GatewayConfig): Topology {
  const view = buildView(agreement);
  const request: GatewayApi = { ...apiName(agreement.provider), kind: 'request', protocol: protocolOf(agreement.provider), iface: agreement.provider, routes: [] };
  let callback: GatewayApi | undefined;
  if (view.receivers.length) {
    const named = agreement.callback ? apiName(agreement.callback) : { name: `${request.name}Callback`, version: request.version };
    if (named.name === request.name) named.name = `${named.name}Callback`;
    const api: GatewayApi = { ...named, kind: 'callback', protocol: agreement.callback ? protocolOf(agreement.callback) : 'rest', iface: agreement.callback, routes: [] };
    for (const r of view.receivers) {
      const op = agreement.callback?.operations.find((o) => o.id === r.id);
      api.routes.push({ api, id: r.id, method: r.descriptor.method, path: r.path, role: { pattern: 'crud' }, service: op && soapService(api, op) });
    }
    callback = api;
  }

  agreement.provider.operations.forEach((op) => {
    const route: Route = { api: request, id: op.id, method: op.method.toUpperCase(), path: op.path, role: { pattern: 'crud' }, service: soapService(request, op), op };
    const pattern = op.pattern.pattern;
    if (pattern === 'NONBLOCK_PUSH_REST' || pattern === 'NONBLOCK_PUSH_SOAP') {
      const opView = view.provider.find((v) => v.id === op.id);
      const receiver = opView?.receiver;
      // The view binds REST receivers by result type; otherwise a single callback operation is the one.
      const target = receiver ? callback?.routes.find((r) => r.path === receiver.path && r.id === receiver.id) : callback?.routes.length === 1 ? callback.routes[0] : undefined;
      if (!target) {
        throw new SpecError(`gateway: cannot tell which callback operation receives the results of ${op.id}; give the callback spec (--callback) with one operation per result type`, op.location.file, op.location.pointer, op.location.line, op.location.column);
      }
      route.role = { pattern: 'non-bloccante', tipo: 'push', funzione: 'richiesta' };
      route.callback = target;
      route.replyToHeader = (opView?.descriptor as { replyToHeader?: string } | undefined)?.replyToHeader;
      target.role = { pattern: 'non-bloccante', tipo: 'push', funzione: 'risposta', correlated: route };
    } else if (pattern === 'NONBLOCK_PULL_REST' || pattern === 'NONBLOCK_PULL_SOAP') {
      const role = pullRole(op);
      route.role = { pattern: 'non-bloccante', tipo: 'pull', funzione: role === 'request' ? 'richiesta' : role === 'status' ? 'richiesta-stato' : 'risposta' };
    } else {
      // GovWay's defaults: SOAP actions are blocking; a REST resource is "bloccante" only as a POST (research §A.2).
      route.role = { pattern: op.method === 'post' || request.protocol === 'soap' ? 'bloccante' : 'crud' };
    }
    request.routes.push(route);
  });
  correlatePull(request.routes);
  return { request, callback, config };
}

/**
 * PULL: a status check or result read belongs to the request the pattern module correlated it
 * with; without one (SOAP, where all three actions share one endpoint), to the request whose path
 * shares the longest prefix with it.
 */
function correlatePull(routes: Route[]) {
  const requests = routes.filter((r) => r.role.pattern === 'non-bloccante' && r.role.tipo === 'pull' && r.role.funzione === 'richiesta');
  if (!requests.length) return;
  const closest = (path: string) => requests.reduce((best, r) => (commonPrefix(r.path, path) > commonPrefix(best.path, path) ? r : best));
  for (const r of routes) {
    if (r.role.pattern !== 'non-bloccante' || r.role.tipo !== 'pull' || r.role.funzione === 'richiesta') continue;
    const declared = requests.find((q) => q.id === r.op?.pattern.correlatedWith);
    r.role = { ...r.role, correlated: declared ?? closest(r.path) };
  }
}

/**
 * The step of a pull operation: the model's role; for SOAP, where the loader gives none, the
 * operation that returns the X-Correlation-ID header without taking it is the request.
 */
function pullRole(op: Operation): 'request' | 'status' | 'result' {
  const role = op.pattern.role;
  if (role === 'request' || role === 'status' || role === 'result') return role;
  const header = (m?: { headers: { element: { name: string } }[] }) => !!m?.headers.some((h) => h.element.name.toLowerCase() === 'x-correlation-id');
  if (op.soap) return header(op.soap.output) && !header(op.soap.input) ? 'request' : 'result';
  return op.method === 'get' ? 'status' : 'request';
}

const protocolOf = (iface: Interface): GatewayApi['protocol'] => (iface.source.format === 'wsdl' ? 'soap' : 'rest');

/** The port-type (GovWay "servizio") of a SOAP operation, as the WSDL binds it. */
function soapService(api: GatewayApi, op: Operation): string | undefined {
  if (api.protocol !== 'soap') return undefined;
  return op.soap?.portType.name ?? api.iface?.title;
}

const commonPrefix = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
};

function apiName(iface: Interface): { name: string; version: number } {
  const major = Number.parseInt(iface.version, 10);
  return { name: pascalCase(iface.title, 'Api'), version: Number.isInteger(major) && major >= 1 ? major : 1 };
}

/** GovWay's name of an imported REST resource: `POST /resources/{id}/M` → `POST_resources.id.M`. */
export function resourceName(method: string, path: string): string {
  const parts = path.replace(/[{}]/g, '').split('/').filter(Boolean);
  return `${method.toUpperCase()}_${parts.join('.')}`;
}

/** Invocation URL of an erogazione: `<gateway>/rest/in/<erogatore>/<API>/v<N>`. */
export function inboundUrl(gatewayUrl: string, erogatore: string, api: GatewayApi): string {
  return `${gatewayUrl}/rest/in/${erogatore}/${api.name}/v${api.version}`;
}

/** Invocation URL of a fruizione: `<gateway>/rest/out/<fruitore>/<erogatore>/<API>/v<N>`. */
export function outboundUrl(gatewayUrl: string, fruitore: string, erogatore: string, api: GatewayApi): string {
  return `${gatewayUrl}/rest/out/${fruitore}/${erogatore}/${api.name}/v${api.version}`;
}
