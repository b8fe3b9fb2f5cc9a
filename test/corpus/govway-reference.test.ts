// The generated GovWay Config API requests against GovWay's own: each body compared field by field
// with the body GovWay's Config API test suite sends for the same object and pattern, and the
// invocation URLs against the layout of GovWay's documentation. Reads GovWay's files from
// ../../../shared/fixtures/govway/reference (copied from link-it/govway, see its SOURCE.md), so it
// runs with `npm run test:corpus`, not `npm test`.
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { generate } from '../../src/generate.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';
import { ROOT, tempDir } from '../support/tmp.js';

const REFERENCE = join(CORPUS, 'govway', 'reference');
const TESTSUITE = join(REFERENCE, 'tools/rs/config/server/testsuite/src/org/openspcoop2/core/config/rs/testsuite');
const URL_DOC = join(REFERENCE, 'resources/doc/src/manuali/console/configurazione/generale/urlInvocazione/urlInterna.rst');

// Skipped (printed) without the corpus, failed under CI; within the corpus, its reference files must be there.
const skip = corpusMissing();
if (!skip && !existsSync(TESTSUITE)) {
  throw new Error(
    `GovWay's reference files are missing: ${REFERENCE} (fixtures/govway/reference copied from link-it/govway as its SOURCE.md says). This corpus test compares the generated requests with them and cannot run without them.`,
  );
}

type Json = Record<string, any>;
interface Request {
  operation: string;
  method: string;
  path: string;
  body: Json;
}
interface Step extends Request {
  gateway: string;
  query: Record<string, string>;
  onConflict?: Request[];
}

const reference = async (path: string): Promise<Json> => JSON.parse(await readFile(join(TESTSUITE, path), 'utf8'));

/** The leaf paths of a body (`modi.interazione.pattern`), with the value there; arrays are leaves. */
function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
    for (const [k, v] of Object.entries(value)) for (const [p, x] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(p, x);
  } else out.set(prefix, value);
  return out;
}
const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/**
 * Every field GovWay's body sends is in ours, with a value of the same kind. `optional` names the
 * fields GovWay's test sets that are a choice, not a need, with the reason ours leaves them out.
 */
function expectLike(ours: Json, theirs: Json, what: string, optional: Record<string, string> = {}) {
  const mine = leaves(ours);
  for (const [path, value] of leaves(theirs)) {
    if (optional[path]) continue;
    // `{}` is an empty section GovWay fills with defaults: ours may hold fields in it.
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      expect(
        [...mine.keys()].some((p) => p === path || p.startsWith(`${path}.`)),
        `${what}: ${path}`,
      ).toBe(true);
      continue;
    }
    expect(mine.has(path), `${what}: GovWay sends ${path}`).toBe(true);
    expect(kind(mine.get(path)), `${what}: ${path}`).toBe(kind(value));
  }
}

const GATEWAY = (govway: string) => `gateway:
  targets: [govway]
  provider: { organisation: ENTE, backend: http://10.0.0.5:8080/rest/v1, gatewayUrl: https://gw.ente.example/govway, application: EnteBackend }
  consumer: { organisation: Comune-Demo, application: ClientApp, callbackBackend: http://10.1.0.7:8081/cb, gatewayUrl: https://gw.comune.example/govway }
  govway: ${govway}
`;
const CERTIFICATE = join(ROOT, 'test', 'fixtures', 'govway', 'client-app.pem');
const SPECS = join(ROOT, 'examples');
const AGREEMENTS: Record<string, [string, string?]> = {
  'push-rest': [join(SPECS, 'nonblock-push-rest/specs/server.yaml'), join(SPECS, 'nonblock-push-rest/specs/client.yaml')],
  'pull-rest': [join(SPECS, 'nonblock-pull-rest/specs/server.yaml')],
  'block-rest': [join(SPECS, 'block-rest/specs/server.yaml')],
  'push-soap': [join(SPECS, 'nonblock-push-soap/specs/server.wsdl'), join(SPECS, 'nonblock-push-soap/specs/callback.wsdl')],
  'pull-soap': [join(SPECS, 'nonblock-pull-soap/specs/server.wsdl')],
  'block-soap': [join(SPECS, 'block-soap/specs/server.wsdl')],
};
const SETTINGS = {
  open: '{}',
  secured: `{ messageSecurity: integrity01-auth01, fruizioneAuthentication: https, provider: { applicationCertificate: ${CERTIFICATE} }, consumer: { applicationCertificate: ${CERTIFICATE} } }`,
};

/** Every agreement under both settings: the steps of both sides, and the README. */
const generated: { name: string; secured: boolean; steps: Step[]; readme: string }[] = [];
beforeAll(async () => {
  for (const [name, [spec, callback]] of Object.entries(AGREEMENTS)) {
    for (const [setting, govway] of Object.entries(SETTINGS)) {
      const out = await tempDir(`govway-corpus-${name}-${setting}`);
      await writeFile(join(out, 'accordo.config.yaml'), GATEWAY(govway));
      const { gateway } = await loadConfig(join(out, 'accordo.config.yaml'));
      await generate({ spec, callback, out, side: 'both', gateway });
      const steps: Step[] = [];
      for (const side of ['provider', 'consumer']) {
        const dir = join(out, 'gateway', 'govway', side);
        for (const f of (await readdir(dir)).sort()) steps.push(JSON.parse(await readFile(join(dir, f), 'utf8')));
      }
      generated.push({ name: `${name} (${setting})`, secured: setting === 'secured', steps, readme: await readFile(join(out, 'gateway', 'govway', 'README.md'), 'utf8') });
    }
  }
}, 120_000);

const all = (operation: string) => generated.flatMap((g) => g.steps.filter((s) => s.operation === operation).map((s) => ({ g, s })));

describe.skipIf(skip)("the generated GovWay requests, field by field against GovWay's own Config API tests", () => {
  it('APIs: as api_modi_rest.json / api_modi_soap.json', async () => {
    const rest = await reference('api/api_modi_rest.json');
    const soap = await reference('api/api_modi_soap.json');
    const apis = all('createApi');
    expect(apis.length).toBeGreaterThan(0);
    for (const { g, s } of apis) {
      const theirs = s.body.tipo_interfaccia.protocollo === 'soap' ? soap : rest;
      // GovWay's test imports Swagger 2.0 (REST); the specs here are OpenAPI 3.0, which the same enum holds.
      expectLike(s.body, theirs, `${g.name} ${s.gateway} ${s.body.nome}`, { descrizione: 'the spec has no description to carry' });
      if (s.body.tipo_interfaccia.protocollo === 'rest') expect(['Swagger2.0', 'OpenApi3.0']).toContain(s.body.tipo_interfaccia.formato);
      else expect(s.body.tipo_interfaccia.formato).toBe(soap.tipo_interfaccia.formato);
    }
  });

  it("resources and actions: as the body of their pattern, correlation references shaped as GovWay's", async () => {
    const byPattern = async (protocol: 'rest' | 'soap', i: Json) => {
      const stem = protocol === 'rest' ? 'api/api_modi_rest_risorsa_' : 'api/api_modi_soap_azione_';
      const name = i.pattern === 'non-bloccante' ? `non_bloccante_${i.tipo}_${i.funzione}` : i.pattern;
      return reference(`${stem}${name}.json`);
    };
    const operations = [...all('updateApiRisorsa'), ...all('updateApiAzione')];
    const seen = new Set<string>();
    for (const { g, s } of operations) {
      const protocol = s.operation === 'updateApiRisorsa' ? 'rest' : 'soap';
      const i = s.body.modi.interazione;
      const theirs = await byPattern(protocol, i);
      seen.add(`${protocol} ${i.pattern} ${i.tipo ?? ''} ${i.funzione ?? ''}`);
      expectLike(s.body, theirs, `${g.name} ${s.gateway} ${s.path}`, { descrizione: 'the operation has no description to carry' });
      expect(s.body.modi.interazione, `${g.name} ${s.path}`).toEqual(expect.objectContaining({ pattern: theirs.modi.interazione.pattern }));
      expect(Object.keys(s.body.modi.interazione).sort(), `${g.name} ${s.path}`).toEqual(Object.keys(theirs.modi.interazione).sort());
      const correlation = theirs.modi.interazione.risorsa_correlata ?? theirs.modi.interazione.azione_correlata;
      if (correlation) expect(Object.keys(i.risorsa_correlata ?? i.azione_correlata).sort()).toEqual(Object.keys(correlation).sort());
    }
    // Every pattern of the examples was compared: blocking, push and pull, request and response, REST and SOAP.
    expect([...seen].sort()).toEqual([
      'rest bloccante  ',
      'rest non-bloccante pull richiesta',
      'rest non-bloccante pull risposta',
      'rest non-bloccante push richiesta',
      'rest non-bloccante push risposta',
      'soap bloccante  ',
      'soap non-bloccante pull richiesta',
      'soap non-bloccante pull risposta',
      'soap non-bloccante push richiesta',
      'soap non-bloccante push risposta',
    ]);
  });

  it('erogazioni and fruizioni: as erogazione_modi_* / fruizione_modi_*, the modi section only where the API has message security', async () => {
    const naming = {
      fruizione_nome: 'GovWay names a fruizione after its API (REST) or port type (SOAP) when fruizione_nome is absent',
      erogazione_nome: 'as fruizione_nome',
    };
    for (const operation of ['createErogazione', 'createFruizione']) {
      const file = operation === 'createErogazione' ? 'erogazioni/erogazione_modi_' : 'fruizioni/fruizione_modi_';
      const items = all(operation);
      expect(items.length).toBeGreaterThan(0);
      for (const { g, s } of items) {
        const api = g.steps.find((a) => a.gateway === s.gateway && a.operation === 'createApi' && a.body.nome === s.body.api_nome)!;
        const protocol = api.body.tipo_interfaccia.protocollo;
        const theirs = await reference(`${file}${protocol}.json`);
        // GovWay's own 400: a modi section on an API without message security (create_modi.feature @CreatePetstore400_modi).
        const { modi, ...plain } = theirs;
        // GovWay's bodies authenticate with https; `disabilitato` has no `opzionale` (APIImplAutenticazioneDisabilitata: no other property).
        const disabled: Record<string, string> = s.body.autenticazione.tipo === 'disabilitato' ? { 'autenticazione.opzionale': 'not a property of autenticazione "disabilitato"' } : {};
        expectLike(s.body, g.secured ? theirs : plain, `${g.name} ${s.gateway} ${s.path} ${s.body.api_nome}`, { ...naming, ...disabled });
        expect(!!s.body.modi, `${g.name} ${s.body.api_nome}`).toBe(g.secured);
        if (g.secured) expect(s.body.modi.protocollo).toBe(modi.protocollo);
        // Invoked and updated by the name GovWay gives it: the API for REST, the port type for SOAP (the feature's petstore_key).
        const name = protocol === 'soap' ? s.body.api_soap_servizio : s.body.api_nome;
        const key = operation === 'createErogazione' ? `/erogazioni/${name}/${s.body.api_versione}/` : `/fruizioni/${s.body.erogatore}/${name}/${s.body.api_versione}/`;
        expect(
          s.onConflict!.every((u) => u.path.startsWith(key)),
          `${g.name} ${key}`,
        ).toBe(true);
      }
    }
    const feature = await readFile(join(TESTSUITE, 'erogazioni/create_modi.feature'), 'utf8');
    expect(feature).toContain("petstore_key = erogazione_petstore.api_soap_servizio + '/' + erogazione_petstore.api_versione");
    expect(feature).toMatch(/\|erogazione_modi_rest\.json\|api_modi_rest_no_sicurezza\.json\|Impossibile abilitare la sicurezza messaggio/);
  });

  it('applicativi: as the accepted applicativo_interno.json, never as the refused one', async () => {
    const accepted = await reference('applicativi/applicativo_interno.json');
    const refused = await reference('applicativi/applicativo_interno_undefined_security.json');
    const feature = await readFile(join(TESTSUITE, 'applicativi/create_modi.feature'), 'utf8');
    expect(feature).toMatch(/\| applicativo_interno_undefined_security\.json \| Configurazione \\'ModI\\' non valida: definire almeno una configurazione tra sicurezza messaggio e token \|/);
    const items = all('createApplicativo');
    expect(items.length).toBeGreaterThan(0);
    for (const { g, s } of items) {
      expectLike(s.body, accepted, `${g.name} ${s.gateway} ${s.body.nome}`);
      expect(s.body.credenziali.certificato.tipo_certificato).toBe(accepted.credenziali.certificato.tipo_certificato);
      // What sets the refused body apart: a modi block with neither sicurezza_messaggio nor token.
      expect(refused.modi).toEqual({ dominio: 'interno' });
      expect(s.body.modi === undefined || !!(s.body.modi.sicurezza_messaggio ?? s.body.modi.token)).toBe(true);
    }
    // No applicativo where nothing authenticates it.
    expect(
      generated
        .filter((g) => !g.secured)
        .flatMap((g) => g.steps)
        .some((s) => s.operation === 'createApplicativo'),
    ).toBe(false);
  });

  it("invocation URLs: the layout of urlInterna.rst, /rest/ or /soap/ by the API's protocol", async () => {
    const doc = await readFile(URL_DOC, 'utf8');
    expect(doc).toContain('<prefix-erogazione>/\\ **<profilo>[/in]/**/\\ <soggettoDominioInterno>/<nomeErogazione>/v<versioneErogazione>');
    expect(doc).toContain('<prefix-fruizione>/\\ **<profilo>/out**/\\ <soggettoDominioInterno>/<soggettoErogatore>/<nomeFruizione>/v<versioneFruizione>');
    expect(doc).toContain("*soap*: per API di tipo SOAP su profilo 'ModI'");
    expect(doc).toContain("*rest*: per API di tipo REST su profilo 'ModI'");
    const erogazione = /^- erogazione of (\S+) v(\d+)(?: \(port type (\S+)\))?: https:\/\/gw\.(ente|comune)\.example\/govway\/(rest|soap)\/in\/([^/]+)\/([^/]+)\/v(\d+) -> /;
    const fruizione =
      /^- fruizione of (\S+) v(\d+)(?: \(port type (\S+)\))?: https:\/\/gw\.(ente|comune)\.example\/govway\/(rest|soap)\/out\/([^/]+)\/([^/]+)\/([^/]+)\/v(\d+) -> https:\/\/gw\.(?:ente|comune)\.example\/govway\/(rest|soap)\/in\/([^/]+)\/([^/]+)\/v(\d+)$/;
    let checked = 0;
    for (const g of generated) {
      const soap = g.name.includes('soap');
      for (const line of g.readme.split('\n')) {
        const e = erogazione.exec(line);
        if (e) {
          const [, api, version, port, , profilo, soggetto, name, v] = e;
          expect(profilo, line).toBe(soap ? 'soap' : 'rest');
          expect(soggetto, line).toBe(e[4] === 'ente' ? 'ENTE' : 'Comune-Demo');
          expect(name, line).toBe(port ?? api);
          expect(v, line).toBe(version);
          checked++;
        }
        const f = fruizione.exec(line);
        if (f) {
          const [, api, version, port, , profilo, fruitore, erogatore, name, v, peerProfilo, peerSoggetto, peerName, peerV] = f;
          expect([profilo, peerProfilo], line).toEqual(soap ? ['soap', 'soap'] : ['rest', 'rest']);
          expect(fruitore, line).not.toBe(erogatore);
          expect([name, peerName, v, peerV, peerSoggetto], line).toEqual([port ?? api, port ?? api, version, version, erogatore]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(generated.length * 2);
  });
});
