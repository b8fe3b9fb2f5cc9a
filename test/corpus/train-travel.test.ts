// train-travel-api.yaml (the development corpus, outside this repository) has
// `x-topics: [{content: {$ref: ./docs/getting-started.md}}]`, a file it does not ship: extensions are
// opaque, so it generates with the guideline rules on (its own findings are warnings) and type-checks.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generate.js';
import { tempDir } from '../support/tmp.js';
import { typecheck } from '../support/typecheck.js';

const SHARED = fileURLToPath(new URL('../../../shared', import.meta.url));
const TRAIN_TRAVEL = join(SHARED, 'fixtures', 'real', 'openapi', 'train-travel-api.yaml');

describe('train-travel-api.yaml', () => {
  it('generates past the $ref under x-topics without --no-lint, and type-checks', async () => {
    if (!existsSync(TRAIN_TRAVEL)) throw new Error(`the corpus is missing: ${TRAIN_TRAVEL} (the shared fixtures live at ../../../shared from test/corpus/)`);
    const out = await tempDir('train-travel');
    const result = await generate({ spec: TRAIN_TRAVEL, out, side: 'both' });
    expect(result.written).toContain('generated/types.ts');
    expect(typecheck([out])).toEqual([]);
  });
});
