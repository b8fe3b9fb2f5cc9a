// train-travel-api.yaml (the development corpus, outside this repository) has
// `x-topics: [{content: {$ref: ./docs/getting-started.md}}]`, a file it does not ship: extensions are
// opaque, so it generates with the guideline rules on (its own findings are warnings) and type-checks.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generate.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';
import { tempDir } from '../support/tmp.js';
import { typecheck } from '../support/typecheck.js';

const TRAIN_TRAVEL = join(CORPUS, 'real', 'openapi', 'train-travel-api.yaml');

describe.skipIf(corpusMissing())('train-travel-api.yaml', () => {
  it('generates past the $ref under x-topics without --no-lint, and type-checks', async () => {
    const out = await tempDir('train-travel');
    const result = await generate({ spec: TRAIN_TRAVEL, out, side: 'both' });
    expect(result.written).toContain('generated/types.ts');
    expect(typecheck([out])).toEqual([]);
  });
});
