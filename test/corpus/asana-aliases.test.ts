// Asana's spec (the development corpus, outside this repository): the alias chain
// JobResponse -> JobBase -> JobCompact keeps its three names in the generated types.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generate.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';
import { tempDir } from '../support/tmp.js';
import { typecheck } from '../support/typecheck.js';

const ASANA = join(CORPUS, 'real', 'openapi', 'asana.yaml');

describe.skipIf(corpusMissing())('asana.yaml', () => {
  it('exports every name of the JobResponse -> JobBase -> JobCompact chain, and type-checks', async () => {
    const out = await tempDir('asana');
    await generate({ spec: ASANA, out, side: 'both', ignoreLint: true });
    const types = await readFile(join(out, 'generated', 'types.ts'), 'utf8');
    expect(types).toContain('export type JobResponse = JobBase;');
    expect(types).toContain('export type JobBase = JobCompact;');
    expect(types).toMatch(/^export type JobCompact = AsanaResource & \{$/m);
    expect(typecheck([out])).toEqual([]);
  });
});
