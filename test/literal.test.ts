import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { printLiteral } from '../src/emit/literal.js';
import { literal, PRETTIER_OPTIONS } from '../src/emit/render.js';
import { generate } from '../src/generate.js';
import { FIXTURES, tempDir } from './support/tmp.js';

// printLiteral stands in for prettier on large literals: it must lay them out byte for byte as
// prettier does, whatever the keys, strings and nesting.
const long = 'x'.repeat(90);
const cases: Record<string, unknown> = {
  'keys that need quotes, keep them, or are numeric': { a: 1, 'a-b': 2, '200': 3, é: 4, $ref: 5, _x: 6, '': 7, default: 8, __proto__x: 9, ['__proto__']: { z: 1 }, long },
  'strings with quotes, escapes and wide characters': {
    single: "it's",
    both: `it's "quoted"`,
    more: `'a' 'b' "c"`,
    escapes: 'line\nbreak\ttab\\slash\u2028\u0001',
    wide: '日本語のテキスト'.repeat(8),
    emoji: '😀 ok',
    description: `a description long enough to move to its own line after the colon: ${long}`,
    key: `a short key keeps its long value on the same line: ${long}`,
  },
  'numbers, booleans, null': { n: [0, -1, 1.5, 1e21, 5e-7, 123456789], t: true, f: false, z: null, nullWithALongEnoughKeyToBreak: null },
  'arrays that prettier always breaks': {
    objects: [
      { a: 1, b: 2 },
      { a: 3, b: 4 },
    ],
    arrays: [
      [1, 2],
      [3, 4],
    ],
    single: [{ a: 1 }, { a: 2 }],
    mixed: [{ a: 1, b: 2 }, 3],
  },
  'number arrays that fill lines': { values: Array.from({ length: 80 }, (_, i) => i * 37) },
  'deep nesting near the line width': {
    level1: { level2: { level3: { level4: { level5: { enum: ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'] } } } } },
    items: [{ name: 'id_resource', required: true, schema: { type: 'integer', format: 'int32' } }],
    empty: { o: {}, a: [] },
  },
};

describe('printLiteral', () => {
  for (const [name, value] of Object.entries(cases)) {
    it(`lays out ${name} as prettier does`, async () => {
      const expected = await prettier.format(`export const value = ${literal(value)};\n`, PRETTIER_OPTIONS);
      const head = 'export const value = ';
      expect(`${head}${printLiteral(value, head.length, 0, 1)};\n`).toBe(expected);
    });
  }
});

describe('generation with literals printed after prettier', () => {
  it('keeps spec text that looks like a placeholder, and gives what prettier alone gives', async () => {
    const dir = await tempDir('literal');
    const spec = (await readFile(join(FIXTURES, 'seed', 'nonblock-push-rest', 'server.yaml'), 'utf8')).replace(/description: M\n/, 'description: "mentions __accordoLiteral0__ on purpose"\n');
    await writeFile(join(dir, 'server.yaml'), spec);
    await generate({ spec: join(dir, 'server.yaml'), out: join(dir, 'out'), side: 'both' });
    for (const file of ['types.ts', 'schemas.ts', 'provider.ts', 'consumer.ts']) {
      const text = await readFile(join(dir, 'out', 'generated', file), 'utf8');
      expect(text).toBe(await prettier.format(text, PRETTIER_OPTIONS));
    }
    expect(await readFile(join(dir, 'out', 'generated', 'provider.ts'), 'utf8')).toContain('mentions __accordoLiteral0__ on purpose');
  });
});
