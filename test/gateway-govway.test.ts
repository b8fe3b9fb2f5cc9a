// GovWay Config API requests: the objects of each pattern present and correlated, the apply script
// run against a loopback Config API. Their bodies against GovWay's own Config API OpenAPI (a GPL
// document of the development corpus): test/corpus/gateway-govway.test.ts.
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadConfig } from '../src/config/index.js';
import { generate, LintFailure } from '../src/generate.js';
import { SpecError } from '../src/load/errors.js';
import { govwayPlan, type GovWayPlan } from '../src/emit/gateway/govway.js';
import { checkGovWayPlan, GOVWAY_RULES } from '../src/emit/gateway/govway-rules.js';
import { topology } from '../src/emit/gateway/topology.js';
import { loadClassified as loadAgreement } from '../src/classify/index.js';
import { GATEWAY_YAML, govwaySteps, type Step } from './support/govway-steps.js';
import { ROOT, tempDir } from './support/tmp.js';

const EXAMPLES = join(ROOT, 'examples');
const PUSH = join(EXAMPLES, 'nonblock-push-rest', 'specs');
const PULL = join(EXAMPLES, 'nonblock-pull-rest', 'specs', 'server.yaml');
const BLOCK = join(EXAMPLES, 'block-rest', 'specs', 'server.yaml');
const SOAP_PUSH = join(EXAMPLES, 'nonblock-push-soap', 'specs');
const SOAP_PULL = join(EXAMPLES, 'nonblock-pull-soap', 'specs', 'server.wsdl');
const CERTIFICATE = join(ROOT, 'test', 'fixtures', 'govway', 'client-app.pem');
const ops = (steps: Step[]) => steps.map((s) => `${s.method} ${s.path}`);
const bodies = (steps: Step[], operation: string) => steps.filter((s) => s.operation === operation).map((s) => s.body);
const interazione = (steps: Step[], resource: string) => steps.find((s) => s.path.endsWith(`/risorse/${resource}`))?.body.modi.interazione;

describe('GovWay Config API requests', () => {
  it('REST push pair: valid bodies, in phase order, the four objects over two gateways, the correlation, the access control', async () => {
    const { steps, files } = await govwaySteps('push', join(PUSH, 'server.yaml'), join(PUSH, 'client.yaml'));
    expect(steps.provider.every((s) => s.query.soggetto === 'ENTE')).toBe(true);
    expect(steps.consumer.every((s) => s.query.soggetto === 'Comune-Demo')).toBe(true);

    // Named by what they configure, the leading digit is the phase: APIs, requests, correlated operations, erogazioni, fruizioni.
    expect(files.provider).toEqual([
      '1-api-RESTCallbackClient.json',
      '1-api-RESTCallbackServer.json',
      '2-risorsa-RESTCallbackServer-POST_resources.id_resource.M.json',
      '3-risorsa-RESTCallbackClient-POST_MResponse.json',
      '5-erogazione-RESTCallbackServer.json',
      '6-fruizione-RESTCallbackClient.json',
    ]);
    expect(ops(steps.consumer)).toEqual([
      'POST /api',
      'POST /api',
      'PUT /api/RESTCallbackServer/1/risorse/POST_resources.id_resource.M',
      'PUT /api/RESTCallbackClient/1/risorse/POST_MResponse',
      'POST /erogazioni',
      'POST /fruizioni',
    ]);

    // Under ModI the API is filed under the gateway's own soggetto, the one ?soggetto= names.
    const api = steps.provider[1];
    expect(api.body).toMatchObject({ nome: 'RESTCallbackServer', versione: 1, referente: 'ENTE', tipo_interfaccia: { protocollo: 'rest', formato: 'OpenApi3.0' } });
    expect(steps.consumer[1].body.referente).toBe('Comune-Demo');
    expect(Buffer.from(api.body.interfaccia, 'base64').toString('utf8')).toBe(await readFile(join(PUSH, 'server.yaml'), 'utf8'));

    const request = steps.provider.find((s) => s.path.endsWith('/risorse/POST_resources.id_resource.M'))!;
    // Both correlation flags, always (GovWay unboxes riferimento_id_richiesta), and the imported description.
    expect(request.body).toMatchObject({ id_collaborazione: false, riferimento_id_richiesta: false, descrizione: 'M' });
    expect(interazione(steps.provider, 'POST_resources.id_resource.M')).toEqual({ pattern: 'non-bloccante', tipo: 'push', funzione: 'richiesta' });
    expect(interazione(steps.consumer, 'POST_MResponse')).toEqual({
      pattern: 'non-bloccante',
      tipo: 'push',
      funzione: 'risposta',
      risorsa_correlata: { api_nome: 'RESTCallbackServer', api_versione: 1, risorsa_http_method: 'POST', risorsa_path: '/resources/{id_resource}/M' },
    });

    // The default access control: optional TLS on erogazioni, none on fruizioni, no one authorised in particular; so no applicativi.
    const open = { autenticazione: { tipo: 'https', opzionale: true }, autorizzazione: { tipo: 'disabilitato' } };
    const none = { autenticazione: { tipo: 'disabilitato' }, autorizzazione: { tipo: 'disabilitato' } };
    expect(bodies(steps.provider, 'createErogazione')).toEqual([
      { api_nome: 'RESTCallbackServer', api_versione: 1, api_referente: 'ENTE', connettore: { endpoint: 'http://10.0.0.5:8080/rest/nome-api/v1' }, ...open },
    ]);
    expect(bodies(steps.provider, 'createFruizione')).toEqual([
      {
        api_nome: 'RESTCallbackClient',
        api_versione: 1,
        api_referente: 'ENTE',
        erogatore: 'Comune-Demo',
        connettore: { endpoint: 'https://gw.comune.example/govway/rest/in/Comune-Demo/RESTCallbackClient/v1' },
        ...none,
      },
    ]);
    expect(bodies(steps.consumer, 'createFruizione')).toEqual([
      {
        api_nome: 'RESTCallbackServer',
        api_versione: 1,
        api_referente: 'Comune-Demo',
        erogatore: 'ENTE',
        connettore: { endpoint: 'https://gw.ente.example/govway/rest/in/ENTE/RESTCallbackServer/v1' },
        ...none,
      },
    ]);
    expect(bodies(steps.consumer, 'createErogazione')).toEqual([
      { api_nome: 'RESTCallbackClient', api_versione: 1, api_referente: 'Comune-Demo', connettore: { endpoint: 'http://10.1.0.7:8081/rest/v1/client' }, ...open },
    ]);
    expect(bodies([...steps.provider, ...steps.consumer], 'createApplicativo')).toEqual([]);

    // A rerun updates what exists: the connector, the access control, by the erogazione's and fruizione's own names.
    expect(steps.consumer.find((s) => s.operation === 'createFruizione')!.onConflict!.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /fruizioni/ENTE/RESTCallbackServer/1/connettore',
      'PUT /fruizioni/ENTE/RESTCallbackServer/1/configurazioni/controllo-accessi/autenticazione',
      'PUT /fruizioni/ENTE/RESTCallbackServer/1/configurazioni/controllo-accessi/autorizzazione',
    ]);
  });

  it('fruizioneAuthentication http-basic: an applicativo with the password from the environment, granted the fruizione', async () => {
    const { steps, readme } = await govwaySteps('basic', join(PUSH, 'server.yaml'), join(PUSH, 'client.yaml'), '  govway: { fruizioneAuthentication: http-basic }\n');
    expect(bodies(steps.consumer, 'createApplicativo')).toEqual([
      { nome: 'ClientApp', credenziali: { modalita_accesso: 'http-basic', username: 'ClientApp', password: '$env:GOVWAY_APPLICATION_PASSWORD' } },
    ]);
    expect(bodies(steps.provider, 'createApplicativo')).toEqual([
      { nome: 'EnteBackend', credenziali: { modalita_accesso: 'http-basic', username: 'EnteBackend', password: '$env:GOVWAY_APPLICATION_PASSWORD' } },
    ]);
    expect(bodies(steps.consumer, 'createFruizione')[0]).toMatchObject({
      autenticazione: { tipo: 'http-basic', opzionale: false },
      autorizzazione: { tipo: 'abilitato', richiedente: true, ruoli: false },
    });
    const grant = steps.consumer.at(-1)!;
    expect(grant).toMatchObject({
      method: 'POST',
      path: '/fruizioni/ENTE/RESTCallbackServer/1/configurazioni/controllo-accessi/autorizzazione/applicativi',
      body: { applicativo: 'ClientApp' },
      onConflict: [],
    });
    // The applicativo comes before the fruizione that is granted to it.
    expect(steps.consumer.findIndex((s) => s.operation === 'createApplicativo')).toBeLessThan(steps.consumer.findIndex((s) => s.operation === 'createFruizione'));
    expect(readme).toMatch(/### Secrets\napply\.mjs reads them from the environment: `GOVWAY_APPLICATION_PASSWORD`/);
  });

  it("fruizioneAuthentication https: the applicativo is recognised by the certificate of the config, as GovWay's accepted applicativo_interno.json", async () => {
    const section = `  govway:\n    fruizioneAuthentication: https\n    consumer: { applicationCertificate: ${CERTIFICATE} }\n    provider: { applicationCertificate: ${CERTIFICATE} }\n`;
    const { steps } = await govwaySteps('https', join(PUSH, 'server.yaml'), join(PUSH, 'client.yaml'), section);
    const der = new X509Certificate(await readFile(CERTIFICATE)).raw.toString('base64');
    expect(bodies(steps.consumer, 'createApplicativo')).toEqual([
      { nome: 'ClientApp', credenziali: { modalita_accesso: 'https', certificato: { tipo: 'certificato', archivio: der, tipo_certificato: 'CER' } } },
    ]);
    expect(bodies(steps.consumer, 'createFruizione')[0].autenticazione).toEqual({ tipo: 'https', opzionale: false });
  });

  it('a secured API: each erogazione and fruizione has its modi section; a keystore by path, its passwords never in the files', async () => {
    const section =
      '  govway:\n    messageSecurity: integrity01-auth01\n    provider:\n      keystore: { path: /etc/govway/keys/ente.p12, type: pkcs12, alias: ente }\n      truststore: { path: /etc/govway/keys/trust.jks }\n';
    const { out, steps, readme } = await govwaySteps('secure', join(PUSH, 'server.yaml'), join(PUSH, 'client.yaml'), section);
    expect(bodies(steps.provider, 'createApi')[0].modi).toEqual({ sicurezza_canale: { pattern: 'auth01' }, sicurezza_messaggio: { pattern: 'integrity01-auth01' } });
    const keystore = {
      modalita: 'ridefinito',
      dati_keystore: {
        tipologia: 'filesystem',
        keystore_tipo: 'pkcs12',
        keystore_path: '/etc/govway/keys/ente.p12',
        keystore_password: '$env:GOVWAY_KEYSTORE_PASSWORD',
        key_alias: 'ente',
        key_password: '$env:GOVWAY_KEY_PASSWORD',
      },
    };
    const truststore = { modalita: 'ridefinito', truststore_tipo: 'jks', truststore_path: '/etc/govway/keys/trust.jks', truststore_password: '$env:GOVWAY_TRUSTSTORE_PASSWORD' };
    expect(bodies(steps.provider, 'createErogazione')[0].modi).toEqual({
      protocollo: 'rest',
      richiesta: { sicurezza_messaggio: { riferimento_x509: ['x5c'], truststore } },
      risposta: { sicurezza_messaggio: { keystore } },
    });
    expect(bodies(steps.provider, 'createFruizione')[0].modi).toEqual({
      protocollo: 'rest',
      richiesta: { sicurezza_messaggio: { riferimento_x509: ['x5c'], keystore } },
      risposta: { sicurezza_messaggio: { truststore } },
    });
    // The consumer names no keystore: the gateway's default ModI keystore and truststore, as GovWay's own fruizione_modi_rest.json.
    expect(bodies(steps.consumer, 'createFruizione')[0].modi).toEqual({
      protocollo: 'rest',
      richiesta: { sicurezza_messaggio: { riferimento_x509: ['x5c'] } },
      risposta: { sicurezza_messaggio: { truststore: { modalita: 'default' } } },
    });
    expect(steps.provider.find((s) => s.operation === 'createErogazione')!.onConflict!.at(-1)).toMatchObject({ operation: 'updateErogazioneModI', path: '/erogazioni/RESTCallbackServer/1/modi' });
    for (const side of ['provider', 'consumer']) {
      for (const f of await readdir(join(out, 'gateway', 'govway', side)))
        expect(await readFile(join(out, 'gateway', 'govway', side, f), 'utf8')).not.toMatch(/"(keystore_password|key_password|truststore_password|password)": "(?!\$env:)/);
    }
    expect(readme).toMatch(/`GOVWAY_KEYSTORE_PASSWORD`, `GOVWAY_KEY_PASSWORD`, `GOVWAY_TRUSTSTORE_PASSWORD`/);
    expect(readme).toMatch(/Message security \(integrity01-auth01\): the keystore \/etc\/govway\/keys\/ente\.p12 \(key ente\) signs/);
  });

  it('BLOCK_REST: a blocking resource, an erogazione and a fruizione, no callback API', async () => {
    const { steps } = await govwaySteps('block', BLOCK);
    expect(ops(steps.provider)).toEqual(['POST /api', 'PUT /api/RESTblocking/1/risorse/POST_resources.id_resource.M', 'POST /erogazioni']);
    expect(ops(steps.consumer)).toEqual(['POST /api', 'PUT /api/RESTblocking/1/risorse/POST_resources.id_resource.M', 'POST /fruizioni']);
    expect(interazione(steps.provider, 'POST_resources.id_resource.M')).toEqual({ pattern: 'bloccante' });
  });

  it('NONBLOCK_PULL_REST: request, status and result correlated; the README tells each side to set "Richiesta Stato"', async () => {
    const { steps, readme } = await govwaySteps('pull', PULL);
    const correlated = { api_nome: 'RESTbusywaiting', api_versione: 1, risorsa_http_method: 'POST', risorsa_path: '/resources/{id_resource}/M' };
    expect(interazione(steps.provider, 'POST_resources.id_resource.M')).toEqual({ pattern: 'non-bloccante', tipo: 'pull', funzione: 'richiesta' });
    // The Config API has no "Richiesta Stato": written as risposta, then set in the console.
    expect(interazione(steps.provider, 'GET_resources.id_resource.M.id_task')).toEqual({ pattern: 'non-bloccante', tipo: 'pull', funzione: 'risposta', risorsa_correlata: correlated });
    expect(interazione(steps.provider, 'GET_resources.id_resource.M.id_task.result')).toEqual({ pattern: 'non-bloccante', tipo: 'pull', funzione: 'risposta', risorsa_correlata: correlated });
    const note =
      /resource GET_resources\.id_resource\.M\.id_task \(PullResponseStatusById\), ModI section: set \*Funzione\* to "Richiesta Stato"[^\n]*\*\*both\*\* gateways, GovWay refuses the request's 202/g;
    const [provider, consumer] = readme.split('## consumer side');
    expect(provider.match(note)).toHaveLength(1);
    expect(consumer.match(note)).toHaveLength(1);
    expect(readme).not.toMatch(/GET_resources\.id_resource\.M\.id_task\.result \(PullResponseById\), ModI section/);
  });

  it('file names stay when operations are added or removed: each is named by what it configures', async () => {
    const before = await govwaySteps('stable-a', PULL);
    const dir = await tempDir('govway-stable-spec');
    const spec = (await readFile(PULL, 'utf8')).replace(/^paths:\n/m, 'paths:\n  /ping:\n    get:\n      operationId: Ping\n      responses:\n        "200":\n          description: ok\n');
    await writeFile(join(dir, 'server.yaml'), spec);
    const after = await govwaySteps('stable-b', join(dir, 'server.yaml'));
    for (const side of ['provider', 'consumer'] as const) {
      expect(after.files[side].filter((f) => !before.files[side].includes(f))).toEqual(['2-risorsa-RESTbusywaiting-GET_ping.json']);
      expect(before.files[side].every((f) => after.files[side].includes(f))).toBe(true);
    }
  });

  it("apply.mjs: a dry run prints the plan; a run sends it in order; a rerun updates what exists; a refusal stops it with GovWay's message", async () => {
    const { out, steps } = await govwaySteps('apply', join(PUSH, 'server.yaml'), join(PUSH, 'client.yaml'), '  govway: { fruizioneAuthentication: http-basic }\n');
    const script = join(out, 'gateway', 'govway', 'apply.mjs');
    const dry = await run(script, ['consumer', '--dry-run'], {});
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith(' ') && !l.startsWith('secrets')).map((l) => l.split('  ')[0])).toEqual(
      steps.consumer.map((s) => `${s.method} ${s.path}?profilo=ModI&soggetto=Comune-Demo`),
    );
    expect(lines).toContain('    if it exists: PUT /applicativi/ClientApp?profilo=ModI&soggetto=Comune-Demo  (updateApplicativo)');
    expect(lines.at(-1)).toBe('secrets read from the environment: GOVWAY_APPLICATION_PASSWORD');

    const seen: { method: string; path: string; auth?: string; errors: string[]; body: any }[] = [];
    // What apply.mjs may send: each step and its updates, with the secret it fills in from the environment.
    const planned = new Set(
      [...steps.provider, ...steps.consumer]
        .flatMap((s) => [s, ...(s.onConflict ?? [])])
        .map((r) => `${r.method} ${r.path} ${JSON.stringify(r.body).replaceAll('$env:GOVWAY_APPLICATION_PASSWORD', 'app-pass')}`),
    );
    const created = new Set<string>();
    let refuse: string | undefined;
    const server: Server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x');
        const path = url.pathname.replace(/^\/govway\/api-config\/v1/, '');
        const body = JSON.parse(text);
        // Schema validity of each body is the corpus test's; here a request must be one the plan holds.
        const errors = url.searchParams.get('profilo') !== 'ModI' ? ['profilo is not ModI'] : planned.has(`${req.method} ${path} ${text}`) ? [] : [`not in the plan: ${req.method} ${path}`];
        seen.push({ method: req.method!, path, auth: req.headers.authorization, errors, body });
        const key = `${req.method} ${path} ${text}`;
        const status = refuse && path === refuse ? 400 : errors.length ? 400 : req.method === 'POST' && created.has(key) ? 409 : req.method === 'POST' ? 201 : 204;
        created.add(key);
        const detail = refuse && path === refuse ? "Configurazione 'ModI' non valida" : errors.join('; ') || 'exists';
        res
          .writeHead(status, { 'content-type': 'application/problem+json' })
          .end(status >= 400 ? JSON.stringify({ type: 'https://govway.org/handling-errors/400/BadRequest.html', title: 'BadRequest', status, detail }) : undefined);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const env = { GOVWAY_CONFIG_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}/govway/api-config/v1`, GOVWAY_CONFIG_USER: 'admin', GOVWAY_CONFIG_PASSWORD: 'secret' };
      const noSecret = await run(script, ['provider'], env);
      expect(noSecret).toMatchObject({ code: 2, stderr: expect.stringMatching(/set GOVWAY_APPLICATION_PASSWORD/) });
      expect(seen).toEqual([]);

      const withSecret = { ...env, GOVWAY_APPLICATION_PASSWORD: 'app-pass' };
      const first = await run(script, ['provider'], withSecret);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(ops(steps.provider));
      expect(seen.every((s) => s.errors.length === 0 && s.auth === `Basic ${Buffer.from('admin:secret').toString('base64')}`)).toBe(true);
      expect(seen.find((s) => s.path === '/applicativi')!.body.credenziali.password).toBe('app-pass');

      seen.length = 0;
      const again = await run(script, ['provider'], withSecret);
      expect(again.code).toBe(0);
      // Every creation answered 409, followed by its updates, each valid; the grant needs none.
      const expected = steps.provider.flatMap((s) => [`${s.method} ${s.path}`, ...(s.method === 'POST' ? (s.onConflict ?? []).map((u) => `${u.method} ${u.path}`) : [])]);
      expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(expected);
      expect(seen.every((s) => s.errors.length === 0)).toBe(true);
      expect(again.stdout).toMatch(/exists, updated: 204 PUT \/api\/RESTCallbackServer\/1\/interfaccia/);
      expect(again.stdout).toMatch(/exists: POST \/fruizioni\/Comune-Demo\/RESTCallbackClient\/1\/configurazioni\/controllo-accessi\/autorizzazione\/applicativi/);

      seen.length = 0;
      refuse = '/applicativi';
      const refused = await run(script, ['consumer'], withSecret);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^400 POST \/applicativi {2}\(createApplicativo, 4-applicativo-ClientApp\.json\): Configurazione 'ModI' non valida\n$/);
      expect(seen.at(-1)!.path).toBe('/applicativi');
      expect(seen.some((s) => s.path === '/fruizioni')).toBe(false);
    } finally {
      server.close();
    }
  });
});

describe('GovWay Config API requests for SOAP', () => {
  it('SOAP push pair: APIs as WSDL, actions with their correlation, erogazioni and fruizioni named by port type under /soap/', async () => {
    const { steps, readme } = await govwaySteps('soap', join(SOAP_PUSH, 'server.wsdl'), join(SOAP_PUSH, 'callback.wsdl'));
    expect(ops(steps.provider)).toEqual([
      'POST /api',
      'POST /api',
      'PUT /api/SOAPCallbackServerService/1/servizi/SOAPCallback/azioni/MRequest',
      'PUT /api/SOAPCallbackClientInterfaceService/1/servizi/SOAPCallbackClient/azioni/MRequestResponse',
      'POST /erogazioni',
      'POST /fruizioni',
    ]);
    const api = steps.provider.find((s) => s.body.nome === 'SOAPCallbackServerService')!;
    expect(api.body.tipo_interfaccia).toEqual({ protocollo: 'soap', formato: 'Wsdl1.1' });
    expect(Buffer.from(api.body.interfaccia, 'base64').toString('utf8')).toBe(await readFile(join(SOAP_PUSH, 'server.wsdl'), 'utf8'));
    expect(steps.provider[3].body).toMatchObject({ id_collaborazione: false, riferimento_id_richiesta: false, profilo_ridefinito: false });
    expect(steps.provider[3].body.modi.interazione).toEqual({
      pattern: 'non-bloccante',
      tipo: 'push',
      funzione: 'risposta',
      azione_correlata: { api_nome: 'SOAPCallbackServerService', api_versione: 1, servizio: 'SOAPCallback', azione: 'MRequest' },
    });
    const erogazione = steps.provider[4];
    expect(erogazione.body).toMatchObject({ api_nome: 'SOAPCallbackServerService', api_soap_servizio: 'SOAPCallback' });
    // Without erogazione_nome a SOAP erogazione is named after its port type: that is how it is updated and invoked.
    expect(erogazione.onConflict![0].path).toBe('/erogazioni/SOAPCallback/1/connettore');
    expect(steps.provider[5].body).toMatchObject({
      api_nome: 'SOAPCallbackClientInterfaceService',
      api_soap_servizio: 'SOAPCallbackClient',
      erogatore: 'Comune-Demo',
      connettore: { endpoint: 'https://gw.comune.example/govway/soap/in/Comune-Demo/SOAPCallbackClient/v1' },
    });
    expect(steps.provider[5].onConflict![0].path).toBe('/fruizioni/Comune-Demo/SOAPCallbackClient/1/connettore');
    expect(bodies(steps.consumer, 'createFruizione')[0].connettore).toEqual({ endpoint: 'https://gw.ente.example/govway/soap/in/ENTE/SOAPCallback/v1' });
    expect(readme).toContain(
      'fruizione of SOAPCallbackServerService v1 (port type SOAPCallback): https://gw.comune.example/govway/soap/out/Comune-Demo/ENTE/SOAPCallback/v1 -> https://gw.ente.example/govway/soap/in/ENTE/SOAPCallback/v1',
    );
  });

  it('SOAP pull: the README names the port type and the action whose role is "Richiesta Stato"', async () => {
    const { steps, readme } = await govwaySteps('soap-pull', SOAP_PULL);
    expect(readme.match(/API SOAPPullService v1, port type SOAPPull, action MProcessingStatus, ModI section: set \*Funzione\* to "Richiesta Stato"/g)).toHaveLength(2);
  });
});

describe("GovWay's rules, as named checks", () => {
  it('every generated plan passes them all', async () => {
    for (const [spec, callback] of [[join(PUSH, 'server.yaml'), join(PUSH, 'client.yaml')], [PULL], [join(SOAP_PUSH, 'server.wsdl'), join(SOAP_PUSH, 'callback.wsdl')], [SOAP_PULL]] as const) {
      const agreement = await loadAgreement({ spec, callback });
      const dir = await tempDir('govway-rules');
      await writeFile(join(dir, 'accordo.config.yaml'), GATEWAY_YAML + '  govway: { messageSecurity: integrity01-auth01, fruizioneAuthentication: http-basic }\n');
      const { gateway } = await loadConfig(join(dir, 'accordo.config.yaml'));
      const plan = await govwayPlan(topology(agreement, gateway!), ['provider', 'consumer']);
      expect(GOVWAY_RULES.flatMap((r) => r.check(plan).map((v) => `${r.id}: ${v}`))).toEqual([]);
    }
  });

  it('each rule names its GovWay document and catches what GovWay refuses', async () => {
    const agreement = await loadAgreement({ spec: join(PUSH, 'server.yaml'), callback: join(PUSH, 'client.yaml') });
    const dir = await tempDir('govway-rules-broken');
    await writeFile(join(dir, 'accordo.config.yaml'), GATEWAY_YAML + '  govway: { fruizioneAuthentication: http-basic }\n');
    const { gateway } = await loadConfig(join(dir, 'accordo.config.yaml'));
    const fresh = async () => govwayPlan(topology(agreement, gateway!), ['provider', 'consumer']);
    const find = (plan: GovWayPlan, op: string, gateway = 'provider') => plan.steps.find((s) => s.operation === op && s.gateway === gateway)! as any;
    const breakers: Record<string, (plan: GovWayPlan) => void> = {
      'operation-correlation-flags': (p) => delete find(p, 'updateApiRisorsa').body.riferimento_id_richiesta,
      'correlated-operation-first': (p) => p.steps.reverse(),
      'applicativo-modi-needs-security': (p) => (find(p, 'createApplicativo').body.modi = { dominio: 'interno' }),
      'fruizione-credentials-match': (p) => (find(p, 'createApplicativo').body.credenziali = { modalita_accesso: 'https' }),
      'api-referente-is-the-gateway-soggetto': (p) => (find(p, 'createApi', 'consumer').body.referente = 'ENTE'),
      'fruizione-erogatore-is-the-peer': (p) => (find(p, 'createFruizione').body.erogatore = 'ENTE'),
      'message-security-needs-api-security': (p) => (find(p, 'createErogazione').body.modi = { protocollo: 'rest', richiesta: {}, risposta: {} }),
      'modi-protocol-of-the-api': (p) => (find(p, 'createErogazione').body.modi = { protocollo: 'soap' }),
      'x5u-needs-url': (p) => (find(p, 'createErogazione').body.modi = { protocollo: 'rest', richiesta: { sicurezza_messaggio: { riferimento_x509: ['x5u'] } } }),
      'soap-implementation-named-by-port-type': (p) => {
        const api = find(p, 'createApi');
        api.body.tipo_interfaccia = { protocollo: 'soap', formato: 'Wsdl1.1' };
        const erogazione = p.steps.find((s) => s.operation === 'createErogazione' && s.body.api_nome === api.body.nome) as any;
        erogazione.body.api_soap_servizio = 'PortType';
      },
      'richiesta-stato-not-in-the-config-api': (p) => (find(p, 'updateApiRisorsa').body.modi.interazione.funzione = 'richiesta-stato'),
    };
    expect(Object.keys(breakers).sort()).toEqual(GOVWAY_RULES.map((r) => r.id).sort());
    for (const rule of GOVWAY_RULES) {
      expect(rule.source, rule.id).toMatch(/\.(feature|json|rst|yaml)\b/);
      const plan = await fresh();
      expect(rule.check(plan), rule.id).toEqual([]);
      breakers[rule.id](plan);
      expect(rule.check(plan).length, rule.id).toBeGreaterThan(0);
      expect(() => checkGovWayPlan(plan)).toThrow(new RegExp(`^internal error: the GovWay requests break GovWay's rules:\\n(.*\\n)*${rule.id}: `));
    }
  });
});

describe('the gateway section of accordo.config.yaml', () => {
  const bad: [string, string, RegExp][] = [
    ['an unknown target', GATEWAY_YAML.replace('[govway]', '[govway, envoy]'), /:2:\d+: "targets" must be one of govway, nginx, not "envoy".*#\/gateway\/targets\/1/],
    ['a missing provider', 'gateway:\n  targets: [nginx]\n  consumer: {organisation: A, application: B, gatewayUrl: http://a}\n', /:1:\d+: missing "provider"/],
    [
      'an organisation that is not a SimpleName',
      GATEWAY_YAML.replace('organisation: ENTE', 'organisation: "ENTE X"'),
      /:4:\d+: "organisation" must be a GovWay SimpleName.*#\/gateway\/provider\/organisation/,
    ],
    ['a URL with a "$"', GATEWAY_YAML.replace('http://10.0.0.5:8080', 'http://10.0.0.5:8080/$host'), /:5:\d+: "backend" must be an http\(s\) URL/],
    ['an unknown key', GATEWAY_YAML + '  rateLimt: 5\n', /:13:3: unknown setting "rateLimt"/],
    ['a bad body limit', GATEWAY_YAML + '  bodyLimit: lots\n', /"bodyLimit" must be a size/],
    [
      'an unknown access control',
      GATEWAY_YAML + '  govway: { erogazioneAuthentication: oauth }\n',
      /"erogazioneAuthentication" must be one of https-optional, https, disabilitato.*#\/gateway\/govway\/erogazioneAuthentication/,
    ],
    ['https fruizioni without the certificate', GATEWAY_YAML + '  govway: { fruizioneAuthentication: https }\n', /needs govway\.provider\.applicationCertificate/],
    [
      'a keystore type GovWay does not take',
      GATEWAY_YAML + '  govway:\n    consumer: { keystore: { path: /k.p12, type: pem, alias: a } }\n',
      /"type" must be one of jks, pkcs12.*#\/gateway\/govway\/consumer\/keystore\/type/,
    ],
  ];
  it.each(bad)('rejects %s, naming the file and line', async (_name, yaml, message) => {
    const dir = await tempDir('gwconf');
    const file = join(dir, 'accordo.config.yaml');
    await writeFile(file, yaml);
    const error = await loadConfig(file).catch((e) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect(error.describe(dir)).toMatch(message);
  });

  it('a push agreement without consumer.callbackBackend: a blocking finding naming the config file, before anything is written, --no-lint or not', async () => {
    const dir = await tempDir('gwcb');
    await writeFile(join(dir, 'accordo.config.yaml'), GATEWAY_YAML.replace('    callbackBackend: http://10.1.0.7:8081/rest/v1/client\n', ''));
    const { gateway } = await loadConfig(join(dir, 'accordo.config.yaml'));
    for (const ignoreLint of [false, true]) {
      const error = await generate({ spec: join(PUSH, 'server.yaml'), callback: join(PUSH, 'client.yaml'), out: dir, side: 'both', gateway, ignoreLint }).catch((e) => e);
      expect(error).toBeInstanceOf(LintFailure);
      const finding = (error as LintFailure).findings.find((f) => f.rule === 'gateway/callback-backend');
      expect(finding).toMatchObject({ severity: 'error', file: join(dir, 'accordo.config.yaml'), pointer: '/gateway/consumer' });
      expect(finding!.message).toMatch(/gateway\.consumer\.callbackBackend is needed/);
    }
    expect(await readdir(dir)).toEqual(['accordo.config.yaml']);
    // Generating the provider side only needs no consumer backend.
    await generate({ spec: join(PUSH, 'server.yaml'), callback: join(PUSH, 'client.yaml'), out: dir, side: 'provider', gateway });
  });

  it('gateway files are owned: a target switched off is removed (marked files only), and --check reports it first', async () => {
    const dir = await tempDir('gwstale');
    const config = join(dir, 'accordo.config.yaml');
    await writeFile(config, `spec: ${join(PUSH, 'server.yaml')}\ncallback: ${join(PUSH, 'client.yaml')}\nout: .\n${GATEWAY_YAML.replace('[govway]', '[govway, nginx]')}`);
    const { gateway } = await loadConfig(config);
    const args = { spec: join(PUSH, 'server.yaml'), callback: join(PUSH, 'client.yaml'), out: dir, side: 'both' as const };
    await generate({ ...args, gateway });
    await writeFile(join(dir, 'gateway', 'govway', 'mine.json'), '{\n  "note": "a file of the user"\n}\n');
    const onlyNginx = { ...gateway!, targets: ['nginx' as const] };
    const check = await generate({ ...args, gateway: onlyNginx, check: true });
    expect(check.stale).toContain('gateway/govway/provider/1-api-RESTCallbackServer.json');
    expect(check.stale).toContain('gateway/govway/apply.mjs');
    const result = await generate({ ...args, gateway: onlyNginx });
    expect(result.removed).toHaveLength(14);
    expect(result.removed.every((f) => f.startsWith('gateway/govway/'))).toBe(true);
    expect(await readdir(join(dir, 'gateway', 'govway'), { recursive: true })).toEqual(['consumer', 'mine.json', 'provider']);
    expect(await readdir(join(dir, 'gateway', 'nginx'))).toEqual(['consumer.conf', 'provider.conf']);
  });

  it('--gateway picks the targets; an unknown one is a usage error; without the section it says what is missing', async () => {
    const dir = await tempDir('gwcli');
    await writeFile(join(dir, 'accordo.config.yaml'), `spec: ${join(PUSH, 'server.yaml')}\ncallback: ${join(PUSH, 'client.yaml')}\nout: .\n${GATEWAY_YAML}`);
    const quiet = async (args: string[]) => {
      const [log, error] = [console.log, console.error];
      const err: string[] = [];
      console.log = () => {};
      console.error = (...a: unknown[]) => void err.push(a.join(' '));
      try {
        return { code: await main(args), err: err.join('\n') };
      } finally {
        [console.log, console.error] = [log, error];
      }
    };
    expect((await quiet(['generate', '--config', join(dir, 'accordo.config.yaml'), '--gateway', 'nginx'])).code).toBe(0);
    expect(await readdir(join(dir, 'gateway'))).toEqual(['nginx']);
    const unknown = await quiet(['generate', '--config', join(dir, 'accordo.config.yaml'), '--gateway', 'nginx,kong']);
    expect(unknown).toMatchObject({ code: 2, err: expect.stringMatching(/unknown gateway target "kong"/) });
    const none = await quiet(['generate', join(PUSH, 'server.yaml'), '--out', dir, '--config', join(ROOT, 'test', 'fixtures', 'no-such.yaml'), '--gateway', 'nginx']);
    expect(none.code).toBe(1);
    const noSection = await tempDir('gwcli2');
    await writeFile(join(noSection, 'accordo.config.yaml'), `spec: ${join(PUSH, 'server.yaml')}\nout: .\n`);
    const missing = await quiet(['generate', '--config', join(noSection, 'accordo.config.yaml'), '--gateway', 'nginx']);
    expect(missing).toMatchObject({ code: 2, err: expect.stringMatching(/--gateway needs the "gateway:" section/) });
  });
});

function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
