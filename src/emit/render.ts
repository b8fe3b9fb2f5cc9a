import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import * as prettier from 'prettier';
import { docComment } from '../model/names.js';
import { alwaysBreaks, printLiteral } from './literal.js';
import type { TsType } from './ts-types.js';
import { printTypeAlias } from './type-print.js';

/** templates/ at the package root, from src/emit or dist/emit alike. */
const TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

const hbs = Handlebars.create();
// Nothing is HTML-escaped: every value a template prints is an identifier made by names.ts,
// a JSON literal (`json`), comment text (`doc`) or a type declaration (`typeAlias`, whose spec
// text goes through names.ts too), so spec text cannot become code.
hbs.registerHelper('json', (value: unknown) => {
  if (!deferred || !alwaysBreaks(value)) return literal(value);
  deferred.push(value);
  return `${PLACEHOLDER}${deferred.length - 1}__`;
});
hbs.registerHelper('doc', (lines: unknown) => {
  const list = Array.isArray(lines) ? (lines as string[]) : [];
  return list.length ? docComment(list.join('\n')) : '';
});
hbs.registerHelper('typeAlias', (name: string, type: TsType) => printTypeAlias(name, type));

const cache = new Map<string, HandlebarsTemplateDelegate>();
/** Large literals of the template being rendered, when they are left out of prettier's work. */
let deferred: unknown[] | undefined;
const PLACEHOLDER = '__accordoLiteral';

/** Renders a template; with `literals`, large JSON literals become placeholders and are collected there. */
export function render(template: string, view: object, literals?: unknown[]): string {
  let compiled = cache.get(template);
  if (!compiled) {
    compiled = hbs.compile(readFileSync(join(TEMPLATES, template), 'utf8'), { noEscape: true, strict: true });
    cache.set(template, compiled);
  }
  deferred = literals;
  try {
    return compiled(view);
  } finally {
    deferred = undefined;
  }
}

/**
 * Renders and formats a template. Large JSON literals (schemas, operation descriptors) are left out
 * of prettier's work and printed by printLiteral, which lays them out as prettier does: on large
 * specs prettier spent most of its time on them. `prefix` goes before the rendered text.
 */
export async function renderFormatted(template: string, view: object, prefix = ''): Promise<string> {
  const literals: unknown[] = [];
  const source = prefix + pruneImports(render(template, view, literals));
  // Spec text that happens to contain the placeholder: prettier does it all.
  if (source.split(PLACEHOLDER).length - 1 !== literals.length) return format(prefix + pruneImports(render(template, view)));
  const formatted = await format(source);
  let printed = 0;
  const out = formatted.replace(new RegExp(`^( *)(.*?)${PLACEHOLDER}(\\d+)__(.*)$`, 'gm'), (_, indent: string, before: string, index: string, after: string) => {
    printed++;
    const column = indent.length + before.length;
    return indent + before + printLiteral(literals[Number(index)], column, indent.length, after.length) + after;
  });
  // Two placeholders on one line (no template does that today): prettier does it all.
  return printed === literals.length ? out : format(prefix + pruneImports(render(template, view)));
}

const NAMED_IMPORT = /^import\s+(type\s+)?\{([^}]*)\}\s*from\s*(['"][^'"]+['"]);?[ \t]*\n?/gm;

/**
 * Drops the named imports a rendered file does not use, and an import left with none: generated
 * files compile under `noUnusedLocals`, while templates import what any agreement may need.
 * A name counts as used when it occurs as a word anywhere else in the file.
 */
export function pruneImports(source: string): string {
  const rest = source.replace(NAMED_IMPORT, '');
  const used = (name: string) => occursAsWord(rest, name);
  return source.replace(NAMED_IMPORT, (statement: string, typeOnly: string | undefined, list: string, from: string) => {
    const names = list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const kept = names.filter((spec) =>
      used(
        spec
          .split(/\s+as\s+/)
          .pop()!
          .replace(/^type\s+/, ''),
      ),
    );
    if (kept.length === names.length) return statement;
    if (kept.length === 0) return '';
    return `import ${typeOnly ?? ''}{ ${kept.join(', ')} } from ${from};\n`;
  });
}

const isWordChar = (code: number) => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;

/**
 * Whether `name` occurs in `text` with no word character (`[\w$]`) on either side. A substring
 * search, not a regular expression with lookarounds: generated files run to megabytes, and each
 * imported name is looked for in the whole file.
 */
function occursAsWord(text: string, name: string): boolean {
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    if ((at === 0 || !isWordChar(text.charCodeAt(at - 1))) && !isWordChar(text.charCodeAt(at + name.length))) return true;
  }
  return false;
}

// babel-ts rather than typescript: the same output on everything Accordo prints, and on large specs
// (Stripe: 6.6 MB of TypeScript) about 20% less CPU in the format stage, the slowest one.
export const PRETTIER_OPTIONS: prettier.Options = { parser: 'babel-ts', printWidth: 120, singleQuote: true };

export function format(source: string): Promise<string> {
  return prettier.format(source, PRETTIER_OPTIONS);
}

/**
 * A JavaScript literal of a JSON value. Like JSON, except that a `__proto__` key is printed as a
 * computed key: in an object literal the plain form would set the prototype instead of a property.
 */
export function literal(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${k === '__proto__' ? '["__proto__"]' : JSON.stringify(k)}: ${literal(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}
