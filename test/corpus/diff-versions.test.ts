// The change report on every version pair of the development corpus (../shared/fixtures/versions,
// each pair's row of SOURCE.md says what changed): the text report is golden (test/corpus/golden/,
// rewritten by `npm run test:corpus -- -u` after a deliberate change), and what SOURCE.md names is
// checked on the report itself, with its classification per side.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified } from '../../src/classify/index.js';
import { diffAgreements, formatReport, snapshotOf, type Change, type ChangeReport } from '../../src/diff/index.js';
import { SpecError } from '../../src/load/errors.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';

const VERSIONS = join(CORPUS, 'versions');
const GOLDEN = join(import.meta.dirname, 'golden');

/** Each pair's root file on the old and the new side (SOURCE.md: the first path of the row). */
const ROOTS: Record<string, [string, string]> = {
  'modi-rest-callback-server': ['doc/media/rest-callback-server.yaml', 'doc/media/rest-callback-server.yaml'],
  'modi-soap-callback-client': ['doc/media/soap-callback-client.wsdl', 'doc/media/soap-callback-client.wsdl'],
  'camara-qod-r3.1-r3.2': ['code/API_definitions/quality-on-demand.yaml', 'code/API_definitions/quality-on-demand.yaml'],
  'camara-roaming-subscriptions': ['code/API_definitions/device-roaming-status-subscriptions.yaml', 'code/API_definitions/device-roaming-status-subscriptions.yaml'],
  'pagopa-nodeForPsp-ops-removed': ['wsdl/nodeForPsp.wsdl', 'wsdl/nodeForPsp.wsdl'],
  'anpr-5000-mutazione': ['wsdl/wsdl5000/5000serviziMutazione.wsdl', 'wsdl/wsdl5000/5000serviziMutazione.wsdl'],
  'pagopa-gpd': ['openapi/gpd.json', 'openapi/gpd.json'],
  'pdnd-signalhub-pull': ['docs/openAPI/pull-signals_1.0.0.yaml', 'docs/openAPI/pull-signals.yaml'],
};

/** The report, or the error that stops it, as the golden text: files named inside the pair's folder. */
async function report(pair: string): Promise<{ text: string; report?: ChangeReport }> {
  const dir = join(VERSIONS, pair);
  const [oldRoot, newRoot] = ROOTS[pair];
  const snap = async (side: 'old' | 'new', root: string) => snapshotOf(await loadClassified({ spec: join(dir, side, root) }), dir);
  try {
    const r = diffAgreements(await snap('old', oldRoot), await snap('new', newRoot));
    return { text: formatReport(r, 'text'), report: r };
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return {
      text: `error: ${e
        .describe()
        .split(dir + '/')
        .join('')}\n`,
    };
  }
}

const find = (r: ChangeReport | undefined, code: string, test: (c: Change) => boolean = () => true) => r?.changes.filter((c) => c.code === code && test(c)) ?? [];
const sides = (c: Change | undefined) => (c ? `provider ${c.provider}, consumer ${c.consumer}` : 'missing');

/** What each pair's SOURCE.md row names, as the report must say it. */
const EXPECTED: Record<string, (r: ChangeReport | undefined, text: string) => void> = {
  'modi-rest-callback-server': (r) => {
    // Only the 5XX response goes; the callback and the schemas stay.
    expect(r!.changes.map((c) => `${c.code} ${c.where} | ${sides(c)}`)).toEqual(['response-status-removed response 5XX | provider non-breaking, consumer non-breaking']);
  },
  'modi-soap-callback-client': (_r, text) => {
    // The old WSDL's targetNamespace has embedded spaces, so its tns: prefix names nothing: it does not load.
    expect(text).toMatch(/^error: old\/doc\/media\/soap-callback-client\.wsdl.*is not defined/);
  },
  'camara-qod-r3.1-r3.2': (r) => {
    // sink gains a pattern: the consumer sends it in CreateSession, the provider returns it in SessionInfo.
    expect(sides(find(r, 'pattern-changed', (c) => c.subject === 'schema CreateSession' && c.where === '.sink')[0])).toBe('provider non-breaking, consumer breaking');
    expect(sides(find(r, 'pattern-changed', (c) => c.subject === 'schema SessionInfo' && c.where === '.sink')[0])).toBe('provider breaking, consumer non-breaking');
    expect(sides(find(r, 'enum-value-added', (c) => c.message.includes('INVALID_SINK'))[0])).toBe('provider non-breaking, consumer breaking');
    expect(find(r, 'version-changed')[0].message).toBe('info.version 1.1.0-rc.2 → 1.1.0');
    expect(r!.warnings).toEqual([expect.stringMatching(/major version is not bumped/)]);
  },
  'camara-roaming-subscriptions': (r) => {
    expect(find(r, 'operation-id-changed').map(sides)).toEqual(Array(3).fill('provider breaking, consumer breaking'));
    expect(sides(find(r, 'property-removed', (c) => c.where === '.sinkCredential')[0])).toBe('provider non-breaking, consumer breaking');
    expect(sides(find(r, 'property-became-optional', (c) => c.subject === 'schema CreateSubscriptionDetail' && c.where === '.device')[0])).toBe('provider breaking, consumer breaking');
    expect(find(r, 'schema-renamed').map((c) => c.message)).toContain("schema SubscriptionDetail is now CreateSubscriptionDetail (the generated type's name changes)");
    expect(find(r, 'response-status-added', (c) => /callback notifications/.test(c.subject)).map((c) => c.where)).toEqual(['response 410', 'response 429']);
    // 0.6.1 → 0.7.0-rc.1 bumps the minor version of a 0.x: no warning.
    expect(r!.warnings).toEqual([]);
  },
  'pagopa-nodeForPsp-ops-removed': (r) => {
    expect(r!.changes.map((c) => `${c.code} ${c.subject} | ${sides(c)}`)).toEqual(
      ['nodoInviaFlussoRendicontazione', 'nodoChiediTemplateInformativaPSP', 'nodoChiediInformativaPA'].map((op) => `operation-removed ${op} | provider non-breaking, consumer breaking`),
    );
  },
  'anpr-5000-mutazione': (r) => {
    expect(find(r, 'operation-removed').map((c) => c.subject)).toEqual(['annullamento_revoca_ci', 'mutazione_di_rettifica_dati_AE']);
    expect(find(r, 'operation-added').map((c) => `${c.subject} | ${sides(c)}`)).toEqual(['rettifica_dati | provider breaking, consumer non-breaking']);
    expect(find(r, 'endpoint-changed').length).toBeGreaterThan(0);
    expect(find(r, 'endpoint-changed').every((c) => c.provider === 'info' && c.consumer === 'info')).toBe(true);
    // An optional element added to a request: an XSD sequence refuses what it does not declare, so an old provider refuses it.
    expect(sides(find(r, 'property-added', (c) => c.where === '.altraLingua')[0])).toBe('provider breaking, consumer non-breaking');
  },
  'pagopa-gpd': (r) => {
    expect(find(r, 'operation-removed').map((c) => `${c.subject} | ${sides(c)}`)).toEqual(['healthCheck (GET /info) | provider non-breaking, consumer breaking']);
    expect(find(r, 'operation-added').map((c) => c.subject)).toEqual(['updateTransferIbanMassive (PATCH /organizations/{organizationfiscalcode}/debtpositions/transfers)']);
    expect(find(r, 'response-status-added', (c) => c.where === 'response 403')).toHaveLength(3);
    expect(find(r, 'property-became-required', (c) => c.where === '.value').map((c) => c.subject)).toEqual(['schema PaymentOptionMetadataModel', 'schema TransferMetadataModel']);
    expect(find(r, 'constraint-tightened', (c) => c.where === '.iban').map((c) => c.message)).toEqual(['maxLength (none) → 35', 'minLength (none) → 1']);
    expect(r!.warnings).toEqual([]); // 0.11.59 → 1.0.0
  },
  'pdnd-signalhub-pull': (r) => {
    expect(find(r, 'response-status-added').map((c) => `${c.where} | ${sides(c)}`)).toEqual(['response 429 | provider non-breaking, consumer non-breaking']);
    expect(find(r, 'response-header-added')).toHaveLength(16);
    expect(r!.changes.every((c) => c.provider !== 'breaking' && c.consumer !== 'breaking')).toBe(true);
    expect(find(r, 'base-path-changed')[0].message).toMatch(/"\/v1\/pull" → "\/1\.0\/pull"/);
  },
};

describe.skipIf(corpusMissing())('the change report on the version pairs of the corpus', () => {
  it('knows every pair of versions/', () => {
    expect(
      readdirSync(VERSIONS, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort(),
    ).toEqual(Object.keys(ROOTS).sort());
  });

  for (const pair of Object.keys(ROOTS)) {
    it(pair, async () => {
      const { text, report: r } = await report(pair);
      await expect(text).toMatchFileSnapshot(join(GOLDEN, `diff-${pair}.txt`));
      EXPECTED[pair](r, text);
    });
  }
});
