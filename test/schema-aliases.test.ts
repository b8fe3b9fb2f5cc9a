// A chain of component aliases (Asana's JobResponse -> JobBase -> JobCompact) keeps every name of the
// spec: each is a type of its own, an alias as `type JobBase = JobCompact`. Golden: the fixture's types.ts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/generate.js';
import { loadAgreement } from '../src/load/index.js';
import { Validators } from '../src/runtime/validation.js';
import { ROOT, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';

const DIR = join(ROOT, 'test', 'fixtures', 'aliases');
const SPEC = join(DIR, 'api.yaml');
const GOLDEN = join(DIR, 'types.ts.golden');

describe('component aliases', () => {
  it('emits every name of an alias chain an operation reaches, and only those (golden types.ts)', async () => {
    const out = await tempDir('aliases');
    await generate({ spec: SPEC, out, side: 'both' });
    // The first two lines name the spec relative to the output directory, which differs per run.
    const types = (await readFile(join(out, 'generated', 'types.ts'), 'utf8')).split('\n').slice(2).join('\n');
    if (process.env.UPDATE_GOLDEN) await writeFile(GOLDEN, types);
    expect(types).toBe(await readFile(GOLDEN, 'utf8'));
    expect(typecheck([out])).toEqual([]);
  });

  it('keeps each alias a schema that refers to the next name, and validates through the chain', async () => {
    const a = await loadAgreement({ spec: SPEC });
    expect(a.schemas.get('JobResponse')?.schema).toEqual({ $ref: '#/$defs/JobBase' });
    expect(a.schemas.get('JobBase')?.schema).toEqual({ $ref: '#/$defs/JobCompact' });
    expect(a.schemas.get('JobCompact')?.description).toBe('A job that runs in the background.');
    expect(a.schemas.has('Unused')).toBe(false);
    const validators = new Validators(Object.fromEntries([...a.schemas].map(([k, s]) => [k, s.schema])));
    const job = validators.compile({ $ref: '#/$defs/JobResponse' });
    expect(job({ gid: '1', status: 'succeeded' })).toBe(true);
    expect(job({ status: 'succeeded' })).toBe(false);
  });

  it('refuses a circular alias chain with its place', async () => {
    const out = await tempDir('aliases-circular');
    const spec = join(out, 'circular.yaml');
    const text = await readFile(SPEC, 'utf8');
    await writeFile(spec, text.replace('JobCompact:\n      description', "JobCompact:\n      $ref: '#/components/schemas/JobResponse'\n      description"));
    await expect(loadAgreement({ spec })).rejects.toThrow(/circular \$ref/);
  });
});
