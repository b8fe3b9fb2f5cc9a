import type { GovWayPlan, GovWayRequest, GovWayStep } from './govway.js';

/**
 * What GovWay refuses or mis-routes although the Config API's schema accepts it, as named checks
 * over a plan. Each rule names the GovWay document it comes from (paths in link-it/govway at
 * 1b2d681, copied in shared/fixtures/govway/reference/, see its SOURCE.md). `govwayPlan` output is
 * checked before it is written, so a rule that fails is a bug in the generator, not in the specs.
 */
export interface GovWayRule {
  id: string;
  /** The GovWay document (and the scenario or section) the rule comes from. */
  source: string;
  /** What the rule requires, in one sentence. */
  says: string;
  /** The violations in a plan, one line each. */
  check(plan: GovWayPlan): string[];
}

type Body = Record<string, any>;
const TESTSUITE = 'tools/rs/config/server/testsuite/src/org/openspcoop2/core/config/rs/testsuite';
const DOC = 'resources/doc/src/manuali/console';

/** Every request of a plan, creations and the updates sent instead when the object exists. */
const requests = (plan: GovWayPlan): (GovWayRequest & { step: GovWayStep })[] => plan.steps.flatMap((step) => [{ ...step, step }, ...(step.onConflict ?? []).map((r) => ({ ...r, step }))]);
const where = (r: { step: GovWayStep; operation: string; path: string }) => `${r.step.gateway}/${r.step.name}: ${r.operation} ${r.path}`;

/** The APIs a side's plan creates, by `nome/versione`. */
function apisOf(plan: GovWayPlan, gateway: string): Map<string, Body> {
  const apis = new Map<string, Body>();
  for (const s of plan.steps) if (s.gateway === gateway && s.operation === 'createApi') apis.set(`${s.body.nome}/${s.body.versione}`, s.body);
  return apis;
}

/** The erogazioni and fruizioni of a plan, with the API they implement. */
function implementations(plan: GovWayPlan): { step: GovWayStep; body: Body; api?: Body }[] {
  return plan.steps
    .filter((s) => s.operation === 'createErogazione' || s.operation === 'createFruizione')
    .map((step) => ({ step, body: step.body as Body, api: apisOf(plan, step.gateway).get(`${step.body.api_nome}/${step.body.api_versione}`) }));
}

const OPERATION_BODIES = ['updateApiRisorsa', 'createApiRisorsa', 'updateApiAzione', 'createApiAzione'];

export const GOVWAY_RULES: GovWayRule[] = [
  {
    id: 'operation-correlation-flags',
    source: `${TESTSUITE}/api/create_modi_risorsa_ok.feature and create_modi_azione_ok.feature: every resource and action body sends id_collaborazione and riferimento_id_richiesta (GovWay unboxes the latter, which has no default: null is a 500)`,
    says: 'a resource or action body sets both id_collaborazione and riferimento_id_richiesta to a boolean',
    check: (plan) =>
      requests(plan)
        .filter((r) => OPERATION_BODIES.includes(r.operation))
        .filter((r) => typeof r.body.id_collaborazione !== 'boolean' || typeof r.body.riferimento_id_richiesta !== 'boolean')
        .map((r) => `${where(r)}: id_collaborazione and riferimento_id_richiesta must both be booleans`),
  },
  {
    id: 'correlated-operation-first',
    source: `${DOC}/profiloModIPA/interazione/pushREST.rst, pullREST.rst ("Definire anche la correlazione verso la risorsa relativa alla richiesta"); ${TESTSUITE}/api/create_modi_risorsa_ok.feature creates the request resource before the one correlated to it`,
    says: 'an operation correlated to a request (risorsa_correlata / azione_correlata) comes after that request is set up as "richiesta" on the same gateway',
    check: (plan) => {
      const out: string[] = [];
      const seen = new Set<string>();
      for (const s of plan.steps) {
        if (!OPERATION_BODIES.includes(s.operation)) continue;
        const i = (s.body as Body).modi?.interazione ?? {};
        const c = i.risorsa_correlata ?? i.azione_correlata;
        if (c) {
          const key = i.risorsa_correlata
            ? `${s.gateway} ${c.api_nome}/${c.api_versione} ${c.risorsa_http_method} ${c.risorsa_path}`
            : `${s.gateway} ${c.api_nome}/${c.api_versione} ${c.servizio} ${c.azione}`;
          if (!seen.has(key)) out.push(`${s.gateway}/${s.name}: correlated to ${key.slice(s.gateway.length + 1)}, which is not set up as a request before it`);
        }
        if (i.funzione === 'richiesta') {
          const api = s.path.split('/');
          const b = s.body as Body;
          seen.add(b.http_method ? `${s.gateway} ${api[2]}/${api[3]} ${b.http_method} ${b.path}` : `${s.gateway} ${api[2]}/${api[3]} ${decodeURIComponent(api[5])} ${b.nome}`);
        }
      }
      return out;
    },
  },
  {
    id: 'applicativo-modi-needs-security',
    source: `${TESTSUITE}/applicativi/create_modi.feature @Create400_applicativi_interni: applicativo_interno_undefined_security.json ("modi": {"dominio": "interno"} alone) is refused with "Configurazione 'ModI' non valida: definire almeno una configurazione tra sicurezza messaggio e token"; the accepted applicativo_interno.json has no modi block`,
    says: 'an applicativo carries a modi block only with a sicurezza_messaggio or token configuration in it',
    check: (plan) =>
      requests(plan)
        .filter((r) => r.operation === 'createApplicativo' || r.operation === 'updateApplicativo')
        .filter((r) => r.body.modi && !(r.body as Body).modi.sicurezza_messaggio && !(r.body as Body).modi.token)
        .map((r) => `${where(r)}: a modi block without sicurezza_messaggio or token`),
  },
  {
    id: 'fruizione-credentials-match',
    source: `${TESTSUITE}/applicativi/applicativo_interno.json (credenziali of the kind the port authenticates) and ${TESTSUITE}/erogazioni/create_modi.feature signal-hub scenario (an applicativo granted on a fruizione with authorisation "puntuale")`,
    says: 'a fruizione that authenticates callers is granted to an applicativo of the same gateway whose credentials are of that kind; one that does not authorises no one in particular',
    check: (plan) => {
      const out: string[] = [];
      for (const { step, body } of implementations(plan).filter((i) => i.step.operation === 'createFruizione')) {
        const tipo = body.autenticazione?.tipo;
        const grants = plan.steps.filter(
          (s) =>
            s.gateway === step.gateway &&
            s.operation === 'addFruizioneControlloAccessiAutorizzazioneApplicativi' &&
            s.path.startsWith(`/fruizioni/${body.erogatore}/${body.api_soap_servizio ?? body.api_nome}/${body.api_versione}/`),
        );
        if (!tipo) out.push(`${step.gateway}/${step.name}: no autenticazione (GovWay then requires a TLS client certificate)`);
        if (tipo === 'disabilitato') {
          if (body.autorizzazione?.tipo !== 'disabilitato') out.push(`${step.gateway}/${step.name}: authorises applications it does not authenticate`);
          continue;
        }
        if (!grants.length) out.push(`${step.gateway}/${step.name}: authenticates ${tipo} callers but grants no applicativo`);
        for (const g of grants) {
          const app = plan.steps.find((s) => s.gateway === step.gateway && s.operation === 'createApplicativo' && s.body.nome === (g.body as Body).applicativo);
          if (!app) out.push(`${step.gateway}/${g.name}: grants ${(g.body as Body).applicativo}, which this gateway's plan does not create`);
          else if ((app.body as Body).credenziali?.modalita_accesso !== tipo)
            out.push(`${step.gateway}/${app.name}: credentials ${(app.body as Body).credenziali?.modalita_accesso} but the fruizione authenticates ${tipo}`);
        }
      }
      return out;
    },
  },
  {
    id: 'api-referente-is-the-gateway-soggetto',
    source: `${TESTSUITE}/erogazioni/create_modi.feature and fruizioni/create_modi.feature set every API's referente to soggettoDefault, the soggetto the later calls name`,
    says: "under ModI an API's referente, and the api_referente of its erogazioni and fruizioni, is the soggetto the requests are made for",
    check: (plan) =>
      plan.steps.flatMap((s) => {
        const b = s.body as Body;
        if (s.operation === 'createApi' && b.referente !== s.query.soggetto) return [`${s.gateway}/${s.name}: referente ${b.referente}, soggetto ${s.query.soggetto}`];
        if ((s.operation === 'createErogazione' || s.operation === 'createFruizione') && b.api_referente !== s.query.soggetto)
          return [`${s.gateway}/${s.name}: api_referente ${b.api_referente}, soggetto ${s.query.soggetto}`];
        return [];
      }),
  },
  {
    id: 'fruizione-erogatore-is-the-peer',
    source: `${TESTSUITE}/fruizioni/create_modi.feature: the erogatore of a fruizione is another soggetto (soggetto_erogatore.json), registered before the fruizione`,
    says: "a fruizione's erogatore is not the soggetto the fruizione is made for",
    check: (plan) =>
      plan.steps
        .filter((s) => s.operation === 'createFruizione' && (s.body as Body).erogatore === s.query.soggetto)
        .map((s) => `${s.gateway}/${s.name}: erogatore ${(s.body as Body).erogatore} is the fruitore itself`),
  },
  {
    id: 'message-security-needs-api-security',
    source: `${TESTSUITE}/erogazioni/create_modi.feature and fruizioni/create_modi.feature @CreatePetstore400_modi: a modi section on an API whose sicurezza_messaggio is "disabilitato" is refused with "Impossibile abilitare la sicurezza messaggio, deve essere abilitata nella API implementata"`,
    says: 'an erogazione or fruizione has a modi section exactly when its API has message security (and the erogazioni/fruizioni of a secured API need it: its richiesta and risposta)',
    check: (plan) =>
      implementations(plan).flatMap(({ step, body, api }) => {
        const secured = api?.modi?.sicurezza_messaggio?.pattern !== 'disabilitato';
        if (!api) return [`${step.gateway}/${step.name}: implements ${body.api_nome} v${body.api_versione}, which this gateway's plan does not create`];
        if (!secured && body.modi) return [`${step.gateway}/${step.name}: a modi section, but ${api.nome} has no message security`];
        if (secured && !(body.modi?.richiesta && body.modi?.risposta))
          return [`${step.gateway}/${step.name}: ${api.nome} has message security ${api.modi.sicurezza_messaggio.pattern}, the modi section with richiesta and risposta is missing`];
        return [];
      }),
  },
  {
    id: 'modi-protocol-of-the-api',
    source: `${TESTSUITE}/erogazioni/erogazione_modi_rest.json, erogazione_modi_soap.json, fruizioni/fruizione_modi_rest.json, fruizione_modi_soap.json: modi.protocollo is the API's protocol`,
    says: "an erogazione's or fruizione's modi.protocollo is its API's tipo_interfaccia.protocollo",
    check: (plan) =>
      implementations(plan)
        .filter(({ body, api }) => body.modi && api && body.modi.protocollo !== api.tipo_interfaccia.protocollo)
        .map(({ step, body, api }) => `${step.gateway}/${step.name}: modi.protocollo ${body.modi.protocollo} on a ${api!.tipo_interfaccia.protocollo} API`),
  },
  {
    id: 'x5u-needs-url',
    source: `${TESTSUITE}/erogazioni/create_modi.feature @CreatePetstore400_modi: "Specificare URL X5U con riferimento x509 [x5u]" and "Impossibile settare URL X5U con riferimento x509 [x5c]"`,
    says: 'a REST erogazione signs its responses with an x5u URL exactly when its riferimento_x509 includes x5u',
    check: (plan) =>
      implementations(plan).flatMap(({ step, body }) => {
        const refs: string[] = body.modi?.richiesta?.sicurezza_messaggio?.riferimento_x509 ?? [];
        const url = body.modi?.risposta?.sicurezza_messaggio?.url;
        return refs.includes('x5u') !== (url !== undefined) ? [`${step.gateway}/${step.name}: riferimento_x509 ${JSON.stringify(refs)} with${url ? '' : 'out'} an x5u url`] : [];
      }),
  },
  {
    id: 'soap-implementation-named-by-port-type',
    source: `${DOC}/configurazione/generale/urlInvocazione/urlInterna.rst (<nomeErogazione>) and ${TESTSUITE}/erogazioni/create_modi.feature @CreatePetstore204_modi_SOAP (the key of a SOAP erogazione without erogazione_nome is api_soap_servizio/versione)`,
    says: 'a SOAP erogazione or fruizione names its port type (api_soap_servizio), and the requests that update it address it by that name unless erogazione_nome/fruizione_nome is set',
    check: (plan) =>
      implementations(plan).flatMap(({ step, body, api }) => {
        if (api?.tipo_interfaccia.protocollo !== 'soap') return [];
        if (!body.api_soap_servizio) return [`${step.gateway}/${step.name}: a SOAP implementation without api_soap_servizio`];
        const name = body.erogazione_nome ?? body.fruizione_nome ?? body.api_soap_servizio;
        return (step.onConflict ?? [])
          .filter((r) => r.path.split('/')[step.operation === 'createErogazione' ? 2 : 3] !== name)
          .map((r) => `${step.gateway}/${step.name}: ${r.path} does not address it as ${name}`);
      }),
  },
  {
    id: 'richiesta-stato-not-in-the-config-api',
    source: `govway_rs-api_config.yaml ModIPatternInterazioneFunzioneEnum (richiesta, risposta) and ${DOC}/profiloModIPA/interazione/pullREST.rst ("Richiesta Stato" is set in the console)`,
    says: 'funzione is "richiesta" or "risposta" (a PULL status operation is written as "risposta"; the README of each side says to set "Richiesta Stato" in the console)',
    check: (plan) =>
      plan.steps.flatMap((s) => {
        const i = (s.body as Body).modi?.interazione;
        if (!OPERATION_BODIES.includes(s.operation) || !i?.funzione) return [];
        if (i.funzione !== 'richiesta' && i.funzione !== 'risposta') return [`${s.gateway}/${s.name}: funzione ${i.funzione}`];
        return [];
      }),
  },
];

/** Throws when a plan breaks a rule: the generator made a request GovWay would refuse. */
export function checkGovWayPlan(plan: GovWayPlan): void {
  const broken = GOVWAY_RULES.flatMap((rule) => rule.check(plan).map((v) => `${rule.id}: ${v}`));
  if (broken.length) throw new Error(`internal error: the GovWay requests break GovWay's rules:\n${broken.join('\n')}`);
}
