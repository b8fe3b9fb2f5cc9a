import { apiMessageSecurity, routeMessageSecurity } from './govway-security.js';
import type { GovWaySideConfig, StoreReference } from '../../config/gateway.js';
import { inboundUrl, outboundUrl, resourceName, type GatewayApi, type Route, type Topology } from './topology.js';

/**
 * GovWay Config API (`profilo=ModI`) requests that set up an agreement on both gateways, in the
 * order they must be applied (research §A.3): the APIs with their interface documents, each
 * operation's ModI interaction (requests before the operations correlated to them), the client
 * applications, the erogazioni and fruizioni with their access control, the applications' grants.
 * Bodies carry every field GovWay's own Config API tests send (test/corpus/govway-reference.test.ts);
 * govway-rules.ts checks what GovWay's documentation says it refuses.
 */
export type GatewaySide = 'provider' | 'consumer';

/** One Config API request. */
export interface GovWayRequest {
  /** The Config API's operationId, e.g. `createApi`. */
  operation: string;
  method: 'POST' | 'PUT';
  /** Path under the Config API base URL. */
  path: string;
  body: Record<string, unknown>;
}

export interface GovWayStep extends GovWayRequest {
  /** Which organisation's gateway the request goes to. */
  gateway: GatewaySide;
  query: Record<string, string>;
  /**
   * The file name without `.json`: the phase (the order of application), then what the request
   * configures, so that adding or removing an operation does not rename the other files.
   */
  name: string;
  /** A creation refused with 409 (the object exists): the requests that bring it up to date instead. */
  onConflict?: GovWayRequest[];
}

/** What one side's administrator reads in the README. */
export interface GovWaySideNotes {
  /** The invocation URLs of this side's gateway. */
  urls: string[];
  /** What the Config API cannot do or the files do not hold: to do by hand, before or after applying. */
  todo: string[];
  /** Environment variables apply.mjs reads for this side's secrets. */
  secrets: string[];
}

export interface GovWayPlan {
  steps: GovWayStep[];
  sides: Partial<Record<GatewaySide, GovWaySideNotes>>;
}

/** A secret is never written: the body holds `$env:NAME`, which apply.mjs replaces with the variable's value. */
export const SECRET_PREFIX = '$env:';
const secret = (name: string) => `${SECRET_PREFIX}${name}`;
export const SECRETS = {
  application: 'GOVWAY_APPLICATION_PASSWORD',
  keystore: 'GOVWAY_KEYSTORE_PASSWORD',
  key: 'GOVWAY_KEY_PASSWORD',
  truststore: 'GOVWAY_TRUSTSTORE_PASSWORD',
} as const;

/** The phases, in the order apply.mjs sends them (it sorts the file names). */
const PHASE = { api: 1, operation: 2, correlated: 3, applicativo: 4, erogazione: 5, fruizione: 6, grant: 7 } as const;

export async function govwayPlan(t: Topology, sides: GatewaySide[]): Promise<GovWayPlan> {
  const { config, request, callback } = t;
  const gw = config.govway;
  const provider = config.provider.organisation;
  const consumer = config.consumer.organisation;
  const apis = [request, ...(callback ? [callback] : [])];
  const documents = new Map<GatewayApi, string>();
  for (const api of apis) documents.set(api, interfaceDocument(api));
  // The config's pattern when it names one, else what the agreement declares, per API and per operation.
  const apiSecurity = new Map(apis.map((api) => [api, apiMessageSecurity(api, gw.messageSecurity)] as const));
  const messageSecurity = [...apiSecurity.values()].some((s) => s.pattern !== 'disabilitato') || apis.some((api) => api.routes.some((r) => r.security));

  const steps: GovWayStep[] = [];
  const notes: GovWayPlan['sides'] = {};
  for (const side of sides) {
    const soggetto = side === 'provider' ? provider : consumer;
    const peer = side === 'provider' ? consumer : provider;
    const sideConfig = gw[side];
    const query = { profilo: 'ModI', soggetto };
    const step = (phase: number, label: string, request: GovWayRequest, onConflict?: GovWayRequest[]) =>
      steps.push({ gateway: side, query, name: `${phase}-${label.replace(/[^A-Za-z0-9._-]+/g, '_')}`, ...request, ...(onConflict ? { onConflict } : {}) });
    const sideNotes: GovWaySideNotes = { urls: [], todo: [], secrets: [] };
    notes[side] = sideNotes;
    const needSecret = (name: string) => sideNotes.secrets.includes(name) || sideNotes.secrets.push(name);

    for (const api of apis) {
      const base = `/api/${api.name}/${api.version}`;
      const descrizione = api.iface?.description?.slice(0, 4000);
      const modi = { sicurezza_canale: { pattern: gw.channelSecurity }, sicurezza_messaggio: apiSecurity.get(api)! };
      step(
        PHASE.api,
        `api-${api.name}`,
        {
          operation: 'createApi',
          method: 'POST',
          path: '/api',
          body: {
            nome: api.name,
            versione: api.version,
            // Under ModI an API is filed under the gateway's own (default ModI) soggetto, the one every later call names with ?soggetto=.
            referente: soggetto,
            ...(descrizione ? { descrizione } : {}),
            tipo_interfaccia: api.protocol === 'soap' ? { protocollo: 'soap', formato: 'Wsdl1.1' } : { protocollo: 'rest', formato: 'OpenApi3.0' },
            interfaccia: documents.get(api)!,
            modi,
          },
        },
        [
          { operation: 'updateApiInterfaccia', method: 'PUT', path: `${base}/interfaccia`, body: { interfaccia: documents.get(api)! } },
          ...(descrizione ? [{ operation: 'updateApiDescrizione', method: 'PUT' as const, path: `${base}/descrizione`, body: { descrizione } }] : []),
          { operation: 'updateApiModI', method: 'PUT', path: `${base}/modi`, body: modi },
        ],
      );
    }
    for (const api of apis) {
      for (const r of api.routes) {
        const phase = r.role.pattern === 'non-bloccante' && r.role.correlated ? PHASE.correlated : PHASE.operation;
        if (api.protocol === 'soap') {
          const path = `/api/${api.name}/${api.version}/servizi/${encodeURIComponent(r.service!)}/azioni/${encodeURIComponent(r.id)}`;
          step(phase, `azione-${api.name}-${r.service}.${r.id}`, {
            operation: 'updateApiAzione',
            method: 'PUT',
            path,
            body: actionBody(r, routeMessageSecurity(r, apiSecurity.get(api)!, gw.messageSecurity)),
          });
        } else {
          const name = resourceName(r.method, r.path);
          const path = `/api/${api.name}/${api.version}/risorse/${encodeURIComponent(name)}`;
          step(phase, `risorsa-${api.name}-${name}`, {
            operation: 'updateApiRisorsa',
            method: 'PUT',
            path,
            body: resourceBody(r, name, routeMessageSecurity(r, apiSecurity.get(api)!, gw.messageSecurity)),
          });
        }
      }
    }

    // The application that calls this side's fruizione: the consumer's client, or the provider's backend sending callbacks.
    const fruizioni = side === 'provider' ? (callback ? [callback] : []) : [request];
    const application = side === 'provider' ? config.provider.application : config.consumer.application;
    const applicativo = fruizioni.length && gw.fruizioneAuthentication !== 'disabilitato' ? application : undefined;
    if (fruizioni.length && gw.fruizioneAuthentication !== 'disabilitato' && !applicativo) {
      throw new Error('gateway.provider.application is missing: gatewayFindings checks it before emitting');
    }
    if (applicativo) {
      const body = { nome: applicativo, credenziali: credentials(gw.fruizioneAuthentication, applicativo, sideConfig) };
      if (gw.fruizioneAuthentication === 'http-basic') needSecret(SECRETS.application);
      step(PHASE.applicativo, `applicativo-${applicativo}`, { operation: 'createApplicativo', method: 'POST', path: '/applicativi', body }, [
        { operation: 'updateApplicativo', method: 'PUT', path: `/applicativi/${applicativo}`, body },
      ]);
    }

    const modiSection = (api: GatewayApi, kind: 'erogazione' | 'fruizione') => {
      if (!messageSecurity) return undefined;
      const keystore = keystoreSetting(sideConfig.keystore);
      const truststore = truststoreSetting(sideConfig.truststore);
      if (sideConfig.keystore) (needSecret(SECRETS.keystore), needSecret(SECRETS.key));
      if (sideConfig.truststore) needSecret(SECRETS.truststore);
      // REST: where the signer's certificate travels (x5c, in the token), on the side that verifies it and on the one that signs.
      const x509 = api.protocol === 'rest' ? { riferimento_x509: ['x5c'] } : {};
      return kind === 'erogazione'
        ? { protocollo: api.protocol, richiesta: { sicurezza_messaggio: { ...x509, truststore } }, risposta: { sicurezza_messaggio: { keystore } } }
        : {
            protocollo: api.protocol,
            // GovWay applies its default keystore when the fruizione names none (fruizioni/create_modi.feature expects it back).
            richiesta: { sicurezza_messaggio: { ...x509, ...(sideConfig.keystore ? { keystore } : {}) } },
            risposta: { sicurezza_messaggio: { truststore } },
          };
    };

    // One erogazione/fruizione per API, or per port type of a SOAP API (`api_soap_servizio`), which then also names it.
    const impls = (api: GatewayApi) =>
      (api.protocol === 'soap' ? [...new Set(api.routes.map((r) => r.service!))] : [undefined]).map((service) => ({
        service,
        name: service ?? api.name,
        body: { api_nome: api.name, api_versione: api.version, api_referente: soggetto, ...(service ? { api_soap_servizio: service } : {}) },
      }));
    const erogazione = (api: GatewayApi, endpoint: string) => {
      for (const i of impls(api)) {
        const base = `/erogazioni/${i.name}/${api.version}`;
        const autenticazione = erogazioneAuthentication(gw.erogazioneAuthentication);
        const modi = modiSection(api, 'erogazione');
        step(
          PHASE.erogazione,
          `erogazione-${i.name}`,
          {
            operation: 'createErogazione',
            method: 'POST',
            path: '/erogazioni',
            body: { ...i.body, connettore: { endpoint }, autenticazione, autorizzazione: { tipo: 'disabilitato' }, ...(modi ? { modi } : {}) },
          },
          [
            { operation: 'updateErogazioneConnettore', method: 'PUT', path: `${base}/connettore`, body: { connettore: { tipo: 'http', endpoint } } },
            { operation: 'updateErogazioneControlloAccessiAutenticazione', method: 'PUT', path: `${base}/configurazioni/controllo-accessi/autenticazione`, body: { autenticazione } },
            {
              operation: 'updateErogazioneControlloAccessiAutorizzazione',
              method: 'PUT',
              path: `${base}/configurazioni/controllo-accessi/autorizzazione`,
              body: { autorizzazione: { tipo: 'disabilitato' } },
            },
            ...(modi ? [{ operation: 'updateErogazioneModI', method: 'PUT' as const, path: `${base}/modi`, body: { modi } }] : []),
          ],
        );
        sideNotes.urls.push(
          `erogazione of ${api.name} v${api.version}${i.service ? ` (port type ${i.service})` : ''}: ${inboundUrl(side === 'provider' ? config.provider.gatewayUrl : config.consumer.gatewayUrl, soggetto, api, i.service)} -> ${endpoint}`,
        );
      }
    };
    const fruizione = (api: GatewayApi, endpointOf: (service?: string) => string) => {
      for (const i of impls(api)) {
        const base = `/fruizioni/${peer}/${i.name}/${api.version}`;
        const endpoint = endpointOf(i.service);
        const autenticazione = fruizioneAuthentication(gw.fruizioneAuthentication);
        const granted = applicativo !== undefined;
        const modi = modiSection(api, 'fruizione');
        step(
          PHASE.fruizione,
          `fruizione-${i.name}`,
          {
            operation: 'createFruizione',
            method: 'POST',
            path: '/fruizioni',
            body: {
              ...i.body,
              erogatore: peer,
              connettore: { endpoint },
              autenticazione,
              autorizzazione: granted ? { tipo: 'abilitato', richiedente: true, ruoli: false } : { tipo: 'disabilitato' },
              ...(modi ? { modi } : {}),
            },
          },
          [
            { operation: 'updateFruizioneConnettore', method: 'PUT', path: `${base}/connettore`, body: { connettore: { tipo: 'http', endpoint } } },
            { operation: 'updateFruizioneControlloAccessiAutenticazione', method: 'PUT', path: `${base}/configurazioni/controllo-accessi/autenticazione`, body: { autenticazione } },
            {
              operation: 'updateFruizioneControlloAccessiAutorizzazione',
              method: 'PUT',
              path: `${base}/configurazioni/controllo-accessi/autorizzazione`,
              body: { autorizzazione: granted ? { tipo: 'abilitato', richiedente: true, ruoli: false, scope: false, token: false } : { tipo: 'disabilitato' } },
            },
            ...(modi ? [{ operation: 'updateFruizioneModI', method: 'PUT' as const, path: `${base}/modi`, body: { modi } }] : []),
          ],
        );
        if (granted) {
          // Already granted on a rerun: the 409 needs no update.
          step(
            PHASE.grant,
            `autorizzazione-${i.name}-${applicativo}`,
            {
              operation: 'addFruizioneControlloAccessiAutorizzazioneApplicativi',
              method: 'POST',
              path: `${base}/configurazioni/controllo-accessi/autorizzazione/applicativi`,
              body: { applicativo },
            },
            [],
          );
        }
        const own = side === 'provider' ? config.provider.gatewayUrl : config.consumer.gatewayUrl;
        sideNotes.urls.push(`fruizione of ${api.name} v${api.version}${i.service ? ` (port type ${i.service})` : ''}: ${outboundUrl(own, soggetto, peer, api, i.service)} -> ${endpoint}`);
      }
    };

    if (side === 'provider') {
      erogazione(request, config.provider.backend);
      if (callback) fruizione(callback, (service) => inboundUrl(config.consumer.gatewayUrl, consumer, callback, service));
    } else {
      fruizione(request, (service) => inboundUrl(config.provider.gatewayUrl, provider, request, service));
      if (callback) {
        if (!config.consumer.callbackBackend) throw new Error('gateway.consumer.callbackBackend is missing: gatewayFindings checks it before emitting');
        erogazione(callback, config.consumer.callbackBackend);
      }
    }

    sideNotes.secrets.sort();
    sideNotes.todo.push(...leftToDo(t, side, soggetto, peer, applicativo, sideNotes.secrets.length > 0));
  }
  // The order apply.mjs sends them in: by side, then by file name (phase first).
  const order = (s: GovWayStep) => sides.indexOf(s.gateway);
  steps.sort((a, b) => order(a) - order(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { steps, sides: notes };
}

/** What the administrator of one side still does by hand, in the order of doing it. */
function leftToDo(t: Topology, side: GatewaySide, soggetto: string, peer: string, applicativo: string | undefined, secrets: boolean): string[] {
  const { config, request, callback } = t;
  const gw = config.govway;
  const own = side === 'provider' ? config.provider : config.consumer;
  const todo: string[] = [
    `Before applying: **${soggetto}** must be this GovWay's default ModI soggetto (Configurazione > Soggetti, "Soggetto di default" of the ModI profile), as apply.mjs files the APIs under it; with another default soggetto, register ${soggetto} as an internal soggetto first, and the requests still work as they name it with \`?soggetto=${soggetto}\`.`,
    `Before applying: register **${peer}** as an external soggetto with the ModI profile${gw.channelSecurity === 'auth02' || gw.erogazioneAuthentication === 'https' ? `, with the client certificate its gateway presents (${gw.erogazioneAuthentication === 'https' ? 'the erogazioni require it' : 'ID_AUTH_CHANNEL_02'})` : ''}: the ${side === 'provider' ? 'fruizione of the callback API names it as erogatore' : 'fruizione names it as erogatore'}.`,
    `Applying: \`GOVWAY_CONFIG_URL\` is this gateway's Config API, \`https://<host>/govway/${soggetto}/api-config/v1\` (or \`.../govway/api-config/v1\`), and \`${own.gatewayUrl}\` (the \`gatewayUrl\` of the config) must be this GovWay's public base URL, with its \`/govway\` context: the invocation URLs below are built on it.`,
  ];
  if (secrets) todo.push('Applying: set the environment variables listed under "Secrets" (apply.mjs puts them into the requests; the files never hold them).');
  if (gw.messageSecurity === 'disabilitato' && [request, ...(callback ? [callback] : [])].some((api) => api.routes.some((r) => r.security))) {
    todo.push(
      `PDND vouchers: the agreement declares them, so the APIs' message security is the declared ModI profile (generazione_token pdnd). Enable PDND on this GovWay (the token policy that ${side === 'provider' ? 'validates the vouchers of the erogazioni' : 'obtains vouchers for the fruizioni with the client key deposited on PDND'}), and start the generated ${side} with \`security: false\`: the gateway makes the checks.`,
    );
  }
  if (gw.messageSecurity !== 'disabilitato') {
    const k = gw[side];
    todo.push(
      `Message security (${gw.messageSecurity}): ${k.keystore ? `the keystore ${k.keystore.path} (key ${k.keystore.alias})` : "the gateway's default ModI keystore (govway_local.properties / modipa_local.properties)"} signs, and ${k.truststore ? `the truststore ${k.truststore.path}` : 'the default ModI truststore'} must hold the CA of ${peer}'s signing certificate: install them on this gateway before the first call.`,
    );
  }
  const pullStatus = [request, ...(callback ? [callback] : [])].flatMap((api) =>
    api.routes.filter((r) => r.role.pattern === 'non-bloccante' && r.role.funzione === 'richiesta-stato').map((r) => ({ api, r })),
  );
  for (const { api, r } of pullStatus) {
    const where =
      api.protocol === 'soap' ? `API ${api.name} v${api.version}, port type ${r.service}, action ${r.id}` : `API ${api.name} v${api.version}, resource ${resourceName(r.method, r.path)} (${r.id})`;
    todo.push(
      `After applying, in the console: ${where}, ModI section: set *Funzione* to "Richiesta Stato" (the Config API only writes "Risposta", which apply.mjs set). Until it is set on **both** gateways, ${api.protocol === 'soap' ? 'GovWay handles the status action as a "Risposta"' : 'GovWay refuses the request\'s 202 ("Resource path della risorsa correlata non trovato") and the status check\'s 303'}.`,
    );
  }
  if (callback && side === 'consumer') {
    todo.push(
      `After applying, in the console (Configurazione > Generale > URL di Invocazione): the erogazioni base URL must be the public \`${config.consumer.gatewayUrl}\`: GovWay builds the X-ReplyTo it sends to ${peer} from it (erogazione of ${callback.name}), and ${peer}'s gateway delivers the callbacks there.`,
    );
  }
  if (gw.erogazioneAuthentication === 'https-optional') {
    todo.push(
      'Access control: the erogazioni accept callers with or without a TLS client certificate and authorise anyone (`erogazioneAuthentication: https-optional`); to admit only the peer, set `erogazioneAuthentication: https` and restrict the authorisation to its soggetto in the console.',
    );
  }
  if (!applicativo && (side === 'consumer' || callback)) {
    todo.push(
      `Access control: the fruizione authenticates no application (\`fruizioneAuthentication: disabilitato\`), so no applicativo is created: anything that reaches this gateway may call through it. Choose \`http-basic\` or \`https\` to create the applicativo and grant it the fruizione.`,
    );
  }
  return todo;
}

const erogazioneAuthentication = (choice: string) =>
  choice === 'https-optional' ? { tipo: 'https', opzionale: true } : choice === 'https' ? { tipo: 'https', opzionale: false } : { tipo: 'disabilitato' };
const fruizioneAuthentication = (choice: string) => (choice === 'disabilitato' ? { tipo: 'disabilitato' } : { tipo: choice, opzionale: false });

/** The applicativo's credentials, of the kind its fruizione authenticates: a password from the environment, or the certificate itself. */
function credentials(kind: string, username: string, sideConfig: GovWaySideConfig): Record<string, unknown> {
  if (kind === 'http-basic') return { modalita_accesso: 'http-basic', username, password: secret(SECRETS.application) };
  return { modalita_accesso: 'https', certificato: { tipo: 'certificato', archivio: sideConfig.applicationCertificateDer, tipo_certificato: 'CER' } };
}

const keystoreSetting = (k?: StoreReference) =>
  k
    ? {
        modalita: 'ridefinito',
        dati_keystore: { tipologia: 'filesystem', keystore_tipo: k.type, keystore_path: k.path, keystore_password: secret(SECRETS.keystore), key_alias: k.alias, key_password: secret(SECRETS.key) },
      }
    : { modalita: 'default' };
const truststoreSetting = (t?: StoreReference) =>
  t ? { modalita: 'ridefinito', truststore_tipo: t.type, truststore_path: t.path, truststore_password: secret(SECRETS.truststore) } : { modalita: 'default' };

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

/**
 * The correlation flags GovWay stores per operation. GovWay reads `riferimento_id_richiesta` as a
 * boolean without a default (null → 500), so both are always sent; false, as the generated code
 * carries X-Correlation-ID itself rather than GovWay-Conversation-ID or GovWay-Relates-To.
 */
const CORRELATION_FLAGS = { id_collaborazione: false, riferimento_id_richiesta: false } as const;

/** The body of `PUT /api/{nome}/{versione}/risorse/{nome_risorsa}`: the resource as imported, with its ModI interaction. */
function resourceBody(r: Route, name: string, security: Record<string, unknown>): Record<string, unknown> {
  // Sent again, or the PUT blanks the description GovWay imported (ApiRisorsa.descrizione: at most 255 characters).
  const descrizione = (r.op?.description ?? r.op?.summary)?.trim().slice(0, 255);
  return { http_method: r.method, path: r.path, nome: name, ...(descrizione ? { descrizione } : {}), ...CORRELATION_FLAGS, modi: { interazione: interaction(r), sicurezza_messaggio: security } };
}

/** The body of `PUT /api/{nome}/{versione}/servizi/{nome_servizio}/azioni/{nome_azione}`. */
function actionBody(r: Route, security: Record<string, unknown>): Record<string, unknown> {
  return { nome: r.id, profilo_ridefinito: false, ...CORRELATION_FLAGS, modi: { interazione: interaction(r), sicurezza_messaggio: security } };
}

/** The API's interface document, base64 (`format: byte`), as GovWay imports it. */
function interfaceDocument(api: GatewayApi): string {
  const source = api.iface?.source;
  // gatewayFindings has checked that the API has its document, in a format GovWay imports.
  if (!source) throw new Error(`the callback API ${api.name} has no document: gatewayFindings checks it before emitting`);
  const text = api.iface?.documents?.main;
  if (text === undefined) throw new Error(`no document of ${source.file} was carried from load`);
  // The loader decoded the text; it goes out as UTF-8, so an XML declaration must say so.
  return Buffer.from(text.replace(/^(<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2/, '$1$2UTF-8$2'), 'utf8').toString('base64');
}
