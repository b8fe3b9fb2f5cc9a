import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import * as prettier from 'prettier';
import { docComment } from '../model/names.js';

/** templates/ at the package root, from src/emit or dist/emit alike. */
const TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

const hbs = Handlebars.create();
// Nothing is HTML-escaped: every value a template prints is an identifier made by names.ts,
// a JSON literal (`json`) or comment text (`doc`), so spec text cannot become code.
hbs.registerHelper('json', (value: unknown) => literal(value));
hbs.registerHelper('doc', (lines: unknown) => {
  const list = Array.isArray(lines) ? (lines as string[]) : [];
  return list.length ? docComment(list.join('\n')) : '';
});

const cache = new Map<string, HandlebarsTemplateDelegate>();

export function render(template: string, view: object): string {
  let compiled = cache.get(template);
  if (!compiled) {
    compiled = hbs.compile(readFileSync(join(TEMPLATES, template), 'utf8'), { noEscape: true, strict: true });
    cache.set(template, compiled);
  }
  return compiled(view);
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
