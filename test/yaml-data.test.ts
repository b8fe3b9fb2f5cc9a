import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { quickYamlData } from '../src/load/yaml-data.js';
import { SourceText } from '../src/load/source-map.js';

/** What the loader read before the fast path: `yaml`'s document as plain data. */
const slow = (text: string) => parseDocument(text, { uniqueKeys: false, prettyErrors: false }).toJS({ maxAliasCount: 1000 });

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? specFiles(path) : /\.(ya?ml|json)$/.test(name) ? [path] : [];
  });
}

describe('the fast YAML read', () => {
  it('gives the same data as yaml on every spec fixture that yaml reads without errors', () => {
    const files = specFiles(join(import.meta.dirname, 'fixtures'));
    expect(files.length).toBeGreaterThan(50);
    let fast = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (parseDocument(text).errors.length) continue;
      const quick = quickYamlData(text);
      if (!quick) continue;
      fast++;
      // Node's comparison: vitest's strict equality compares `constructor` properties, and a schema may name a property so.
      expect(isDeepStrictEqual(quick.value, slow(text)), file).toBe(true);
    }
    expect(fast).toBeGreaterThan(50);
  });

  it('reads plain scalars as the YAML 1.2 core schema does, as yaml does', () => {
    const text = [
      'a: 0b101',
      'b: -0x1F',
      'c: 0x1F',
      'd: 0o17',
      'e: 010',
      'f: 1_000',
      'g: .5',
      'h: 1.',
      'i: -.Inf',
      'j: .NaN',
      'k: 1e3',
      'l: 2020-08-27',
      'm: Yes',
      'n: ~',
      'o:',
      'p: TRUE',
      'q: !!str 12',
      'r: 1',
      'r: 2',
      '200: x',
    ].join('\n');
    const quick = quickYamlData(text);
    expect(quick).toBeDefined();
    expect(quick!.value).toStrictEqual(slow(text));
  });

  it('leaves to yaml what js-yaml would read differently or cannot read: anchors, null and complex keys, directives, unknown tags, errors', () => {
    for (const text of [
      'a: &x 1\nb: *x',
      'null: 1',
      '~: 1',
      'a: {~: 1}',
      'a: {b: 1, null: 2}',
      '- null : 1',
      ': x',
      '? [a, b]\n: c',
      '%YAML 1.1\n---\na: yes',
      'x: !custom 1',
      'a: 1\n---\nb: 2',
      'a: b: c',
    ]) {
      expect(quickYamlData(text), text).toBeUndefined();
    }
  });

  it('SourceText parses for positions only when one is asked for, and still points at line and column', () => {
    const text = new SourceText('/spec.yaml', 'openapi: 3.0.3\ninfo:\n  title: t\n  version: "1"\npaths: {}\n');
    expect(text.errors).toEqual([]);
    expect(text.value).toStrictEqual({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths: {} });
    expect((text as unknown as { parsed?: unknown }).parsed).toBeUndefined();
    expect(text.position('/info/version')).toEqual({ line: 4, column: 3 });
    const broken = new SourceText('/broken.yaml', 'a: [1, 2\nb: 3\n');
    expect(broken.errors[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
  });
});
