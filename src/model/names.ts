/**
 * Identifier making: every name that reaches generated code passes through here, so a spec's
 * names (spaces, quotes, `*\/`, backticks, `${}`, reserved words, unicode) can never inject code.
 * Only ASCII letters, digits, `_` and `$` survive; the rest become word breaks.
 */

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'as implements interface let package private protected public static yield any boolean constructor declare get ' +
    'module require number set string symbol type from of never object unknown undefined bigint async await ' +
    'infer is keyof readonly unique satisfies accessor Array Object String Number Boolean Symbol Promise Record ' +
    'Date Error Map Set Partial Required Pick Omit'
  ).split(' '),
);

/** Splits any text into ASCII words; non-ASCII letters are transliterated where NFKD allows. */
export function words(text: string): string[] {
  const ascii = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return ascii
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

function guard(name: string, fallback: string): string {
  let id = name || fallback;
  if (/^[0-9]/.test(id)) id = '_' + id;
  if (RESERVED.has(id)) id = id + '_';
  return id;
}

export function pascalCase(text: string, fallback = 'Unnamed'): string {
  return guard(
    words(text)
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join(''),
    fallback,
  );
}

export function camelCase(text: string, fallback = 'unnamed'): string {
  const p = words(text)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
  return guard(p ? p[0].toLowerCase() + p.slice(1) : '', fallback);
}

/** Hands out names unique within one scope, suffixing `2`, `3`... on collision. */
export class NameScope {
  private readonly taken = new Set<string>();
  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.taken.add(r.toLowerCase());
  }
  claim(name: string): string {
    let candidate = name;
    for (let i = 2; this.taken.has(candidate.toLowerCase()); i++) candidate = `${name}${i}`;
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}

/**
 * A property key as TypeScript accepts it: bare when it is a plain ASCII identifier, quoted
 * otherwise. (Prettier also leaves bare the keys that are non-ASCII identifiers; they stay quoted
 * here, as TypeScript's scanner may know an older Unicode than the one saying they are identifiers.)
 */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : stringLiteral(name);
}

/**
 * A string literal of any text, quoted as prettier quotes it with singleQuote (its `makeString`):
 * in single quotes unless the text holds more of them than double quotes. Escapes are JSON's, so
 * the text cannot end the literal.
 */
export function stringLiteral(value: string): string {
  const raw = JSON.stringify(value).slice(1, -1);
  // Most texts hold no quote and no escape: then the literal is the text in single quotes.
  if (!/["'\\]/.test(raw)) return `'${raw}'`;
  const doubles = raw.split('"').length - 1;
  const singles = raw.split("'").length - 1;
  const quote = singles > doubles ? '"' : "'";
  const other = quote === '"' ? "'" : '"';
  const body = raw.replace(/\\(.)|(["'])/gsu, (_, escaped: string | undefined, q: string | undefined) => {
    if (escaped === other) return escaped;
    if (q === quote) return `\\${q}`;
    if (q) return q;
    return /^[^\n\r"'0-7\\bfnrt-vx\u2028\u2029]$/.test(escaped!) ? escaped! : `\\${escaped}`;
  });
  return quote + body + quote;
}

/** Text safe inside a `/** ... *\/` comment: no comment terminator, no control characters. */
export function commentText(text: string): string {
  return text
    .replace(/\*\//g, '*\u200b/')
    .replace(/[\u0000-\u0008\u000b-\u001f\u2028\u2029]/g, ' ')
    .trim();
}

/** A JSDoc block of comment-safe lines. */
export function docComment(text: string): string {
  const lines = commentText(text)
    .split('\n')
    .map((l) => l.trimEnd());
  return lines.length === 1 ? `/** ${lines[0]} */` : `/**\n${lines.map((l) => ` * ${l}`.trimEnd()).join('\n')}\n */`;
}
