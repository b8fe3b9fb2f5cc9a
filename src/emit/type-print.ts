/**
 * Prints type declarations already laid out as prettier lays them out (printWidth 120, single
 * quotes), so types.ts, megabytes on large specs, skips prettier's parsing and reprinting. Each
 * function builds the document prettier's own printer builds for that kind of type (its
 * printUnionType, printIntersectionType, printObject, printAssignment...), and prettier's
 * document printer lays it out (doc.ts). Spec text reaches the output only through names.ts:
 * keys by propertyKey, descriptions by docComment, string literals by stringLiteral.
 */
import { docComment, propertyKey, stringLiteral } from '../model/names.js';
import { align, group, hardline, ifBreak, indent, indentIfBreak, join, line, printDoc, softline, type Doc } from './doc.js';
import { printNumber } from './literal.js';
import type { TsMember, TsType } from './ts-types.js';

const WIDTH = 120;

/**
 * Where a type stands, for what depends on it: parentheses, and how a union breaks.
 * `annotation`: after `key: `; `alias`: after `type X =`; `member`: inside a union or intersection;
 * `element`: of an array (`T[]`); `tuple`: an element of a tuple of several; `argument`: a type argument,
 * or the element of a one-element tuple.
 */
type Place = 'annotation' | 'alias' | 'member' | 'element' | 'tuple' | 'argument';

/** `export type Name = Type;` */
export function printTypeAlias(name: string, type: TsType): string {
  return printDoc([aliasDoc(`export type ${name}`, type), ';'], WIDTH);
}

/**
 * A non-hugging union goes to the next line whole when it does not fit after `=` (prettier's
 * "break-after-operator" layout). Anything else stays after `=` as long as its first line fits
 * there ("fluid").
 */
function aliasDoc(left: string, type: TsType): Doc {
  if (type.kind === 'union' && !hugs(type)) return group([left, ' =', group(indent([line, typeDoc(type, 'alias')]))]);
  const id = Symbol('assignment');
  return group([left, ' =', group(indent(line), { id }), indentIfBreak(typeDoc(type, 'alias'), id)]);
}

function typeDoc(type: TsType, place: Place): Doc {
  const doc = bareDoc(type, place);
  return needsParens(type, place) ? ['(', doc, ')'] : doc;
}

/** Unions and intersections inside arrays, unions and intersections are parenthesized. */
function needsParens(type: TsType, place: Place): boolean {
  return (type.kind === 'union' || type.kind === 'intersection') && (place === 'member' || place === 'element');
}

function bareDoc(type: TsType, place: Place): Doc {
  switch (type.kind) {
    case 'keyword':
      return type.name;
    case 'literal':
      return typeof type.value === 'string' ? stringLiteral(type.value) : typeof type.value === 'number' ? printNumber(type.value) : String(type.value);
    case 'ref':
      return type.args ? [type.name, typeArguments(type.args)] : type.name;
    case 'indexed':
      return [typeDoc(type.object, 'element'), '[', stringLiteral(type.key), ']'];
    case 'array':
      return [typeDoc(type.element, 'element'), '[]'];
    case 'tuple':
      return tupleDoc(type.elements, type.rest);
    case 'object':
      return objectDoc(type.members, type.expanded);
    case 'union':
      return unionDoc(type.members, place);
    case 'intersection':
      return intersectionDoc(type.members);
  }
}

function typeArguments(args: TsType[]): Doc {
  return group([
    '<',
    indent([
      softline,
      join(
        [',', line],
        args.map((a) => typeDoc(a, 'argument')),
      ),
    ]),
    softline,
    '>',
  ]);
}

/**
 * `A | B` on one line when it fits; else one member per line, each after `| `. After a key or
 * `=`, a union that fits on the next line goes there whole.
 */
function unionDoc(members: TsType[], place: Place): Doc {
  const printed = members.map((m) => typeDoc(m, 'member'));
  // `Type | null` and `{ ... } | null` never break apart: the object breaks inside instead.
  if (hugs({ kind: 'union', members })) return join(' | ', printed);
  const lines = group(printed.map((m, i) => [i === 0 ? ifBreak('| ') : [line, '| '], align(2, m)]));
  // In parentheses: `(` and `)` on lines of their own when it breaks.
  if (needsParens({ kind: 'union', members }, place)) return group([indent([softline, lines]), softline]);
  // A tuple element gets parentheses only when it breaks.
  if (place === 'tuple') return group([indent([ifBreak(['(', softline]), lines]), softline, ifBreak(')')]);
  // After `=`, aliasDoc already put it on the next line when it does not fit.
  if (place === 'alias' || place === 'argument') return lines;
  return group(indent([softline, lines]));
}

/** Prettier's shouldHug for unions: one object or named type, the other members `null`. */
function hugs(type: Extract<TsType, { kind: 'union' }>): boolean {
  const main = type.members.find((m) => m.kind === 'object' || m.kind === 'ref');
  return !!main && type.members.every((m) => m === main || (m.kind === 'keyword' && m.name === 'null'));
}

/**
 * `A & B`: between two named types the line may break after `&`; next to an object the object
 * follows ` & ` and breaks inside (indented when it comes after the second member).
 */
function intersectionDoc(members: TsType[]): Doc {
  let indented = false;
  return group(
    members.map((m, i) => {
      const doc = typeDoc(m, 'member');
      if (i === 0) return doc;
      const isObject = m.kind === 'object';
      const previousIsObject = members[i - 1].kind === 'object';
      if (isObject && previousIsObject) return [' & ', indented ? indent(doc) : doc];
      if (!isObject && !previousIsObject) return indent([' &', line, doc]);
      if (i > 1) indented = true;
      return [' & ', i > 1 ? indent(doc) : doc];
    }),
  );
}

function tupleDoc(elements: TsType[], rest: TsType | undefined): Doc {
  const count = elements.length + (rest ? 1 : 0);
  if (count === 0) return '[]';
  const place: Place = count > 1 ? 'tuple' : 'argument';
  const items = elements.map((e) => group(typeDoc(e, place)));
  if (rest) items.push(group(['...', typeDoc(rest, place)]));
  // A trailing comma when broken, except after a rest element.
  return group(['[', indent([softline, join([',', line], items)]), rest ? '' : ifBreak(','), softline, ']']);
}

/** `{ a: A; b: B }`, or one member per line (always when `expanded`), each ending with `;`. */
function objectDoc(members: TsMember[], expanded: boolean): Doc {
  const printed = members.map((m) => group(memberDoc(m)));
  return group(['{', indent([line, join([';', line], printed)]), ifBreak(';'), line, '}'], { shouldBreak: expanded });
}

function memberDoc(member: TsMember): Doc {
  const key = member.name === undefined ? '[key: string]' : propertyKey(member.name);
  const doc = member.doc ? [join(hardline, docComment(member.doc).split('\n')), hardline] : [];
  return [...doc, key, member.optional ? '?' : '', ': ', typeDoc(member.type, 'annotation')];
}
