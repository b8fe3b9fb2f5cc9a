/**
 * Prints a JSON value as a JavaScript literal laid out exactly as prettier lays it out (printWidth
 * 120, single quotes, trailing commas, babel-ts): the schemas and operation descriptors of large
 * specs are megabytes of such literals, and running prettier over them was most of the time
 * `accordo generate` took. emit leaves placeholders for large literals in the code it formats and
 * puts these in after; output is byte-identical to formatting everything with prettier.
 */

import { stringLiteral } from '../model/names.js';

const WIDTH = 120;
const INDENT = 2;

/** Prettier's number normalisation (its `printNumber`) of a JSON number. */
export function printNumber(n: number): string {
  return String(n)
    .toLowerCase()
    .replace(/^([+-]?[\d.]+e)(?:\+|(-))?0*(?=\d)/, '$1$2')
    .replace(/^([+-]?[\d.]+)e[+-]?0+$/, '$1')
    .replace(/^([+-])?\./, '$10.')
    .replace(/(\.\d+?)0+(?=e|$)/, '$1')
    .replace(/\.(?=e|$)/, '');
}

const ES5_IDENTIFIER = /^[$_\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nl}][$_\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}\u200c\u200d]*$/u;

/** A property key as prettier prints it with quoteProps "as-needed" (numeric-looking keys stay quoted in TypeScript). */
function printKey(key: string): string {
  if (key === '__proto__') return `[${stringLiteral(key)}]`;
  return ES5_IDENTIFIER.test(key) && JSON.stringify(key).slice(1, -1) === key ? key : stringLiteral(key);
}

/** Display width as prettier counts it: East Asian wide characters take two columns. */
export function width(text: string): number {
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0x300 && c <= 0x36f)) continue;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1f64f) ||
      (c >= 0x1f900 && c <= 0x1f9ff) ||
      (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: unknown): v is { [key: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v);
const entriesOf = (o: { [key: string]: Json }) => Object.entries(o).filter(([, v]) => v !== undefined);

/** Prettier always breaks an array of two or more objects (or arrays) that each have more than one entry. */
function forcesBreak(items: Json[]): boolean {
  if (items.length < 2) return false;
  if (items.every((i) => isObject(i) && entriesOf(i).length > 1)) return true;
  return items.every((i) => Array.isArray(i) && i.length > 1);
}

/** Whether a value holds a forced break anywhere: prettier then breaks every group around it. */
function hasForcedBreak(value: Json, memo: WeakMap<object, boolean>): boolean {
  if (!value || typeof value !== 'object') return false;
  const known = memo.get(value);
  if (known !== undefined) return known;
  const children = Array.isArray(value) ? value : entriesOf(value).map(([, v]) => v);
  const result = (Array.isArray(value) && forcesBreak(value)) || children.some((c) => hasForcedBreak(c, memo));
  memo.set(value, result);
  return result;
}

/** The one-line form (every group flat). */
function flat(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number') return printNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(flat).join(', ')}]`;
  const entries = entriesOf(value);
  return entries.length ? `{ ${entries.map(([k, v]) => `${printKey(k)}: ${flat(v)}`).join(', ')} }` : '{}';
}

/**
 * The one-line form when it is at most `room` columns wide, else undefined: stops as soon as it is
 * wider, so that asking at every level of a large literal whether it fits costs the line, not the subtree.
 */
function flatWithin(value: Json, room: number): string | undefined {
  const walk = (v: Json): string | undefined => {
    if (!v || typeof v !== 'object') {
      const text = flat(v);
      room -= width(text);
      return room < 0 ? undefined : text;
    }
    const parts: string[] = [];
    if (Array.isArray(v)) {
      room -= 2 + 2 * Math.max(0, v.length - 1);
      for (const item of v) {
        if (room < 0) return undefined;
        const text = walk(item);
        if (text === undefined) return undefined;
        parts.push(text);
      }
      return room < 0 ? undefined : `[${parts.join(', ')}]`;
    }
    const entries = entriesOf(v);
    if (entries.length === 0) {
      room -= 2;
      return room < 0 ? undefined : '{}';
    }
    room -= 4 + 2 * (entries.length - 1);
    for (const [k, item] of entries) {
      const key = printKey(k);
      room -= width(key) + 2;
      if (room < 0) return undefined;
      const text = walk(item);
      if (text === undefined) return undefined;
      parts.push(`${key}: ${text}`);
    }
    return room < 0 ? undefined : `{ ${parts.join(', ')} }`;
  };
  return walk(value);
}

const isConcise = (items: Json[]) => items.length > 1 && items.every((i) => typeof i === 'number');

/**
 * Prints `value` starting at column `column` of a line indented by `indent`, followed on that
 * line by `trailing` columns of text (e.g. the `,` after a property).
 */
export function printLiteral(value: unknown, column: number, indent: number, trailing: number): string {
  const memo = new WeakMap<object, boolean>();
  const print = (v: Json, col: number, ind: number, trail: number): string => {
    if (!v || typeof v !== 'object') return flat(v);
    const entries = Array.isArray(v) ? undefined : entriesOf(v);
    if ((entries ?? (v as Json[])).length === 0) return entries ? '{}' : '[]';
    if (!hasForcedBreak(v, memo)) {
      const one = flatWithin(v, WIDTH - col - trail);
      if (one !== undefined) return one;
    }
    const inner = ind + INDENT;
    const pad = ' '.repeat(inner);
    if (!entries) {
      const items = v as Json[];
      if (isConcise(items)) {
        // Numbers fill the lines, as many as fit.
        let out = '';
        let pos = inner;
        for (const item of items) {
          const text = `${printNumber(item as number)},`;
          if (out && pos + 1 + width(text) <= WIDTH) {
            out += ` ${text}`;
            pos += 1 + width(text);
          } else {
            out += `${out ? '\n' : ''}${pad}${text}`;
            pos = inner + width(text);
          }
        }
        return `[\n${out}\n${' '.repeat(ind)}]`;
      }
      return `[\n${items.map((item) => `${pad}${print(item, inner, inner, 1)},`).join('\n')}\n${' '.repeat(ind)}]`;
    }
    const lines = entries.map(([k, item]) => {
      const key = printKey(k);
      const head = `${pad}${key}:`;
      const col2 = inner + width(key) + 2;
      if (item && typeof item === 'object') return `${head} ${print(item, col2, inner, 1)},`;
      const text = flat(item);
      // A short key (under 5 columns), a number or a boolean never moves its value to the next line;
      // a string or null that does not fit does.
      const never = width(key) < INDENT + 3 || typeof item === 'number' || typeof item === 'boolean';
      if (never || col2 + width(text) + 1 <= WIDTH) return `${head} ${text},`;
      return `${head}\n${pad}${' '.repeat(INDENT)}${text},`;
    });
    return `{\n${lines.join('\n')}\n${' '.repeat(ind)}}`;
  };
  return print(value as Json, column, indent, trailing);
}

/** Whether prettier would break this literal wherever it stands (its one-line form is wider than a line). */
export function alwaysBreaks(value: unknown): boolean {
  return !!value && typeof value === 'object' && flatWithin(value as Json, WIDTH) === undefined;
}
