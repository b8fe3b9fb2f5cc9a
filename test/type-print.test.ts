// types.ts is printed by our own printer, not by prettier: it must come out as prettier formats it,
// for the layouts of every kind of type and for the types of real specs.
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { emit } from '../src/emit/index.js';
import { PRETTIER_OPTIONS } from '../src/emit/render.js';
import { arrayOf, EMPTY_RECORD, flatUnion, indexed, indexSignature, intersection, keyword, literalType, objectType, property, ref, union, UNDEFINED, type TsType } from '../src/emit/ts-types.js';
import { printTypeAlias } from '../src/emit/type-print.js';
import { loadClassified as loadAgreement } from '../src/classify/index.js';
import { docComment } from '../src/model/names.js';
import { FIXTURES, ROOT } from './support/tmp.js';

/** The type written plainly, every object on one line or `{` newline as asked: prettier's input. */
function plain(t: TsType): string {
  const inner = (m: TsType) => (m.kind === 'union' || m.kind === 'intersection' ? `(${plain(m)})` : plain(m));
  switch (t.kind) {
    case 'keyword':
      return t.name;
    case 'literal':
      return JSON.stringify(t.value);
    case 'ref':
      return t.args ? `${t.name}<${t.args.map(plain).join(', ')}>` : t.name;
    case 'indexed':
      return `${inner(t.object)}[${JSON.stringify(t.key)}]`;
    case 'union':
      return t.members.map(inner).join(' | ');
    case 'intersection':
      return t.members.map(inner).join(' & ');
    case 'array':
      return `${inner(t.element)}[]`;
    case 'tuple':
      return `[${[...t.elements.map(plain), ...(t.rest ? [`...${plain(t.rest)}`] : [])].join(', ')}]`;
    case 'object': {
      const members = t.members.map((m) => {
        const key = m.name === undefined ? '[key: string]' : /^[A-Za-z_$][\w$]*$/.test(m.name) ? m.name : JSON.stringify(m.name);
        const doc = m.doc ? `${docComment(m.doc)}\n` : '';
        return `${doc}${key}${m.optional ? '?' : ''}: ${plain(m.type)};`;
      });
      return t.expanded ? `{\n${members.join('\n')}\n}` : `{ ${members.join(' ')} }`;
    }
  }
}

const words = (n: number, prefix = 'value') => Array.from({ length: n }, (_, i) => literalType(`${prefix}_${i}_${'x'.repeat(i % 7)}`));
const long = (name: string) => ref(`${name}${'Long'.repeat(12)}`);
const obj = (...members: [string, TsType][]) => objectType(members.map(([n, t]) => property(n, t)));
const inline = (...members: [string, TsType][]) =>
  objectType(
    members.map(([n, t]) => property(n, t)),
    false,
  );

const cases: Record<string, TsType> = {
  'a keyword': keyword('string'),
  'a short union': union([keyword('string'), keyword('number'), keyword('null')]),
  'a long enum': union(words(30)),
  'an enum that fits on the next line': union(words(6)),
  'a named type or null, too long to fit': union([long('Name'), long('Other'), keyword('null')]),
  'a named type and null (hugged)': union([long('Name'), keyword('null')]),
  'an object or null (hugged)': union([obj(['a', keyword('string')]), keyword('null')]),
  'an object or undefined': union([obj(['a', keyword('string')]), UNDEFINED]),
  'objects with nested objects, arrays and unions': obj(
    ['a', obj(['b', obj(['c', arrayOf(union(words(12)))])])],
    ['short', arrayOf(union([keyword('string'), keyword('number')]))],
    ['list', arrayOf(obj(['x', keyword('string')]))],
    ['maybe', arrayOf(union([obj(['x', keyword('string')]), keyword('null')]))],
    ['mixed', arrayOf(union([keyword('string'), obj(['x', keyword('string')])]))],
    ['nested', arrayOf(arrayOf(union(words(3))))],
    ['longEnumInArray', arrayOf(union(words(20)))],
    ['aPropertyNameLongEnoughToPushItsUnionToTheNextLineWhenItWouldNotFitOnTheSameLine_______', union(words(3))],
  ),
  'docs, optional and quoted keys, index signatures': objectType([
    property('plain', keyword('string'), true, 'One line.'),
    property("it's", literalType("it's"), false, 'First line.\nSecond line, indented\n\n  after a blank one.'),
    property('a-b', literalType('say "hi"'), true),
    property('both', literalType(`it's "quoted"`)),
    property('日本 語', literalType('日本語'.repeat(20))),
    property('wide', union(words(8, '日本語'))),
    property('n', union([literalType(1), literalType(-1.5), literalType(1e21), literalType(true)])),
    property('deep', objectType([property('inner', keyword('number'), true, 'Inner doc.'), indexSignature(keyword('unknown'))])),
    indexSignature(union(words(3))),
  ]),
  'nested unions and intersections keep their parentheses': union([long('A'), union([long('B'), long('C')]), intersection([ref('D'), ref('E')])]),
  'intersections of named types that break': intersection([long('A'), long('B'), long('C')]),
  'an intersection with objects in every position': obj(
    ['p', intersection([ref('A'), ref('B'), obj(['x', keyword('string')])])],
    ['q', intersection([obj(['x', keyword('string')]), ref('A'), ref('B')])],
    ['r', intersection([ref('A'), obj(['x', keyword('string')]), obj(['y', keyword('string')])])],
    ['s', intersection([ref('A'), union([obj(['x', keyword('string')]), keyword('null')])])],
    ['t', intersection([ref('A'), union(words(10))])],
    ['u', intersection([union(words(10)), ref('A')])],
    ['v', arrayOf(intersection([ref('A'), obj(['x', keyword('string')])]))],
  ),
  'an object after a named type': intersection([ref('Base'), obj(['extra', keyword('string')])]),
  'an array of a long union': arrayOf(union(words(12))),
  tuples: obj(
    ['pair', { kind: 'tuple', elements: [keyword('string'), keyword('number')] }],
    ['rest', { kind: 'tuple', elements: [keyword('string')], rest: arrayOf(union([ref('A'), ref('B')])) }],
    ['one', { kind: 'tuple', elements: [union(words(10))] }],
    ['long', { kind: 'tuple', elements: [union([long('A'), long('B')]), keyword('string')] }],
    ['longer', { kind: 'tuple', elements: [long('A'), long('B'), long('C')] }],
    ['empty', { kind: 'tuple', elements: [] }],
  ),
  'responses on one line each when they fit': union([
    inline(['status', literalType(200)], ['body', ref('Pet')]),
    inline(['status', literalType(404)], ['body', ref('Problem')], ['headers', obj(['x-rate-limit', keyword('number')])]),
    inline(['status', keyword('number')], ['body', long('Error')], ['headers', long('Headers')]),
  ]),
  'one response': inline(['status', literalType(200)], ['body', ref('Pet')]),
  'a request with an optional body': obj(['path', EMPTY_RECORD], ['body', flatUnion([union([ref('A'), ref('B')]), UNDEFINED])]),
  'the body of an output type': indexed(ref('GetThingOutput'), 'body'),
};

describe('printTypeAlias', () => {
  it('keeps quoted the keys that are non-ASCII identifiers, which prettier leaves bare', () => {
    // TypeScript's scanner may know an older Unicode than the one saying they are identifiers.
    expect(printTypeAlias('T', objectType([property('日本', keyword('string'))]))).toBe(`export type T = {\n  '日本': string;\n};`);
  });

  for (const [name, type] of Object.entries(cases)) {
    for (const alias of ['T', `ANameLongEnoughToChangeTheLayoutOfWhatFollowsTheEqualsSign${'X'.repeat(40)}`]) {
      it(`lays out ${name} as prettier does (${alias.length > 1 ? 'long' : 'short'} name)`, async () => {
        const expected = await prettier.format(`export type ${alias} = ${plain(type)};\n`, PRETTIER_OPTIONS);
        expect(`${printTypeAlias(alias, type)}\n`).toBe(expected);
      });
    }
  }
});

const specs: { spec: string; callback?: string }[] = [
  ...['block-rest', 'nonblock-pull-rest', 'nonblock-push-rest'].map((e) => ({ spec: join(ROOT, 'examples', e, 'specs', 'server.yaml') })),
  ...['block-soap', 'nonblock-pull-soap'].map((e) => ({ spec: join(ROOT, 'examples', e, 'specs', 'server.wsdl') })),
  { spec: join(FIXTURES, 'seed', 'nonblock-push-rest', 'server.yaml'), callback: join(FIXTURES, 'seed', 'nonblock-push-rest', 'client.yaml') },
  { spec: join(FIXTURES, 'seed', 'nonblock-push-soap', 'server.wsdl'), callback: join(FIXTURES, 'seed', 'nonblock-push-soap', 'callback.wsdl') },
];

// The third-party specs' types.ts: test/corpus/type-print.test.ts.
describe('types.ts of real specs', () => {
  for (const { spec, callback } of specs) {
    it(`is what prettier prints: ${relative(join(ROOT, '..'), spec)}`, async () => {
      const agreement = await loadAgreement({ spec, callback });
      const files = await emit(agreement, { side: 'both', outDir: join(ROOT, '.tmp') });
      const types = files.find((f) => f.path === 'generated/types.ts')!.contents;
      expect(types).toBe(await prettier.format(types, PRETTIER_OPTIONS));
    }, 60_000);
  }

  it('committed examples: types.ts is what prettier prints', async () => {
    for (const example of ['block-rest', 'block-soap', 'nonblock-pull-rest', 'nonblock-pull-soap', 'nonblock-push-rest', 'nonblock-push-soap']) {
      const types = await readFile(join(ROOT, 'examples', example, 'generated', 'types.ts'), 'utf8');
      expect(types).toBe(await prettier.format(types, PRETTIER_OPTIONS));
    }
  });
});
