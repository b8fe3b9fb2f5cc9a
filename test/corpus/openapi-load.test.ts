// Loading real-world OpenAPI specs of the development corpus (../shared/fixtures/real/openapi).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified } from '../../src/classify/index.js';
/** The agreement model as the classify stage leaves it (patterns decided). */
const loadAgreement = async (sources: Parameters<typeof loadClassified>[0]) => (await loadClassified(sources)).agreement;
import { CORPUS, corpusMissing } from '../support/corpus.js';

describe.skipIf(corpusMissing())('the OpenAPI loader on real specs', () => {
  it('reads OpenAPI 3.1 in JSON, and callbacks addressed by query and body expressions', async () => {
    const adyen = await loadAgreement({ spec: join(CORPUS, 'real', 'openapi', 'adyen-checkout-v71.json') });
    expect(adyen.provider.source.version).toMatch(/^3\.1/);
    expect(adyen.provider.operations.length).toBeGreaterThan(20);
    expect(adyen.schemas.size).toBeGreaterThan(100);

    const oai = await loadAgreement({ spec: join(CORPUS, 'real', 'openapi', 'oai-callback-example.yaml') });
    const cb = oai.provider.operations.flatMap((o) => o.callbacks)[0];
    expect(cb.expression.parts).toEqual([
      { kind: 'query', name: 'callbackUrl' },
      { kind: 'literal', text: '/data' },
    ]);

    const vonage = await loadAgreement({ spec: join(CORPUS, 'real', 'openapi', 'vonage-messages-olympus.yaml') });
    const body = vonage.provider.operations.flatMap((o) => o.callbacks)[0];
    expect(body.expression.parts).toEqual([{ kind: 'body', pointer: '/callback' }]);
  });
});
