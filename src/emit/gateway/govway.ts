import { readFile } from 'node:fs/promises';
import { SpecError } from '../../load/errors.js';
import { inboundUrl, resourceName, type GatewayApi, type Route, type Topology } from './topology.js';

/**
 * GovWay Config API (`profilo=ModI`) requests that set up an agreement on both gateways, in the
 * order they must be applied (research §A.3): the APIs with their interface documents, each
 * operation's ModI interaction, the erogazioni and fruizioni, the client applications.
 */
export type GatewaySide = 'provider' | 'consumer';

export interface GovWayStep {
  /** Which organisation's gateway the request goes to. */
  gateway: GatewaySide;
  /** The Config API's operationId, e.g. `createApi`. */
  operation: string;
  method: 'POST' | 'PUT';
  /** Path under the Config API base URL. */
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  /** Short label for the file name. */
  label: string;
}

export interface GovWayPlan {
  steps: GovWayStep[];
  /** What the Config API cannot express: to be done in the console, printed in the README. */
  console: string[];
}

export async function govwayPlan(t: Topology, sides: GatewaySide[]): Promise<GovWayPlan> {
  const { config, request, callback } = t;
  const provider = config.provider.organisation;
  const consumer = config.consumer.organisation;
  const apis = [request, ...(callback ? [callback] : [])];
  const documents = new Map<GatewayApi, string>();
  for (const api of apis) documents.set(api, await interfaceDocument(api, config.file));

  const consoleNotes: string[] = [];
  for (const api of apis) {
    for (const r of api.routes) {
      if (r.role.pattern === 'non-bloccante' && r.role.funzione === 'richiesta-stato') {
        consoleNotes.push(
          `API ${api.name} v${api.version}, resource ${resourceName(r.method, r.path)} (${r.id}): set *Funzione* to "Richiesta Stato" in the ModI section of the resource. The Config API only writes "Risposta", which the requests here set.`,
        );
      }
    }
  }

  const steps: GovWayStep[] = [];
  for (const side of sides) {
    const soggetto = side === 'provider' ? provider : consumer;
    const query = { profilo: 'ModI', soggetto };
    const step = (operation: string, method: GovWayStep['method'], path: string, label: string, body: Record<string, unknown>) =>
      steps.push({ gateway: side, operation, method, path, query, body, label });

    for (const api of apis) {
      step('createApi', 'POST', '/api', `api-${api.name}`, {
        nome: api.name,
        versione: api.version,
        referente: provider,
        ...(api.iface?.description ? { descrizione: api.iface.description.slice(0, 4000) } : {}),
        tipo_interfaccia: api.protocol === 'soap' ? { protocollo: 'soap', formato: 'Wsdl1.1' } : { protocollo: 'rest', formato: 'OpenApi3.0' },
        interfaccia: documents.get(api)!,
        modi: { sicurezza_canale: { pattern: config.govway.channelSecurity }, sicurezza_messaggio: { pattern: config.govway.messageSecurity } },
      });
    }
    for (const api of apis) {
      for (const r of api.routes) {
        if (api.protocol === 'soap') {
          const path = `/api/${api.name}/${api.version}/servizi/${encodeURIComponent(r.service!)}/azioni/${encodeURIComponent(r.id)}`;
          step('updateApiAzione', 'PUT', path, `azione-${r.service}.${r.id}`, actionBody(r));
        } else {
          const name = resourceName(r.method, r.path);
          step('updateApiRisorsa', 'PUT', `/api/${api.name}/${api.version}/risorse/${encodeURIComponent(name)}`, `risorsa-${name}`, resourceBody(r, name));
        }
      }
    }

    // One erogazione/fruizione per API, or per port-type of a SOAP API (GovWay's api_soap_servizio).
    const impls = (api: GatewayApi) =>
      (api.protocol === 'soap' ? [...new Set(api.routes.map((r) => r.service!))] : [undefined]).map((service) => ({
        label: service ? `${api.name}.${service}` : api.name,
        body: { api_nome: api.name, api_versione: api.version, api_referente: provider, ...(service ? { api_soap_servizio: service } : {}) },
      }));
    const erogazione = (api: GatewayApi, endpoint: string) => {
      for (const i of impls(api)) step('createErogazione', 'POST', '/erogazioni', `erogazione-${i.label}`, { ...i.body, connettore: { endpoint } });
    };
    const fruizione = (api: GatewayApi, erogatore: string, endpoint: string) => {
      for (const i of impls(api)) step('createFruizione', 'POST', '/fruizioni', `fruizione-${i.label}`, { ...i.body, erogatore, connettore: { endpoint } });
    };
    if (side === 'provider') {
      erogazione(request, config.provider.backend);
      if (callback) fruizione(callback, consumer, inboundUrl(config.consumer.gatewayUrl, consumer, callback));
      if (config.provider.application) step('createApplicativo', 'POST', '/applicativi', `applicativo-${config.provider.application}`, application(config.provider.application));
    } else {
      fruizione(request, provider, inboundUrl(config.provider.gatewayUrl, provider, request));
      if (callback) {
        if (!config.consumer.callbackBackend) throw new SpecError('gateway.consumer.callbackBackend is needed: the agreement has push operations, whose callbacks GovWay delivers there', config.file, '/gateway/consumer');
        erogazione(callback, config.consumer.callbackBackend);
      }
      step('createApplicativo', 'POST', '/applicativi', `applicativo-${config.consumer.application}`, application(config.consumer.application));
    }
  }
  return { steps, console: consoleNotes };
}

function application(nome: string) {
  return { nome, modi: { dominio: 'interno' } };
}

/** A route's ModI interaction, with the correlated operation as REST or SOAP name it. */
function interaction(r: Route): Record<string, unknown> {
  const role = r.role;
  const interazione: Record<string, unknown> = { pattern: role.pattern };
  if (role.pattern === 'non-bloccante') {
    interazione.tipo = role.tipo;
    // The Config API has no "Richiesta Stato": it is written as "risposta" and fixed in the console.
    interazione.funzione = role.funzione === 'richiesta' ? 'richiesta' : 'risposta';
    const c = role.correlated;
    if (c && c.api.protocol === 'soap') {
      interazione.azione_correlata = { api_nome: c.api.name, api_versione: c.api.version, servizio: c.service, azione: c.id };
    } else if (c) {
      interazione.risorsa_correlata = { api_nome: c.api.name, api_versione: c.api.version, risorsa_http_method: c.method, risorsa_path: c.path };
    }
  }
  return interazione;
}

/** The body of `PUT /api/{nome}/{versione}/risorse/{nome_risorsa}`: the resource's ModI interaction. */
function resourceBody(r: Route, name: string): Record<string, unknown> {
  return { http_method: r.method, path: r.path, nome: name, modi: { interazione: interaction(r), sicurezza_messaggio: { stato: 'api' } } };
}

/** The body of `PUT /api/{nome}/{versione}/servizi/{nome_servizio}/azioni/{nome_azione}`. */
function actionBody(r: Route): Record<string, unknown> {
  return { nome: r.id, profilo_ridefinito: false, modi: { interazione: interaction(r), sicurezza_messaggio: { stato: 'api' } } };
}

/** The API's interface document, base64 (`format: byte`), as GovWay imports it. */
async function interfaceDocument(api: GatewayApi, configFile: string): Promise<string> {
  const source = api.iface?.source;
  if (!source) {
    throw new SpecError(
      `gateway govway: the callback API ${api.name} needs its own OpenAPI document (GovWay registers it as an API): give the callback spec with --callback or "callback:"`,
      configFile,
      '/gateway/targets',
    );
  }
  if (source.format === 'openapi' && !source.version.startsWith('3.0')) {
    throw new SpecError(`gateway govway: GovWay imports OpenAPI 3.0 and WSDL 1.1 documents, and this is OpenAPI ${source.version}`, source.file);
  }
  return (await readFile(source.file)).toString('base64');
}
