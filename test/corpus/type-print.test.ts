// types.ts of real-world specs of the development corpus: printed by our own printer, it must come
// out as prettier formats it (test/type-print.test.ts does the project's own specs and the layouts).
import { join } from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { emit } from '../../src/emit/index.js';
import { PRETTIER_OPTIONS } from '../../src/emit/render.js';
import { loadClassified as loadAgreement } from '../../src/classify/index.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';
import { ROOT } from '../support/tmp.js';

const SPECS = ['asana.yaml', 'adyen-checkout-v71.json', 'adyen-balanceplatform-transfer-notification-v4.json'];

describe.skipIf(corpusMissing())('types.ts of real specs', () => {
  for (const spec of SPECS) {
    it(`is what prettier prints: real/openapi/${spec}`, async () => {
      const agreement = await loadAgreement({ spec: join(CORPUS, 'real', 'openapi', spec) });
      const files = await emit(agreement, { side: 'both', outDir: join(ROOT, '.tmp') });
      const types = files.find((f) => f.path === 'generated/types.ts')!.contents;
      expect(types).toBe(await prettier.format(types, PRETTIER_OPTIONS));
    });
  }
});
