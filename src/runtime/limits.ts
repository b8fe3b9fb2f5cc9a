/**
 * Bounds on what a server reads from one request, beyond the body size (`server.bodyLimit`): each
 * keeps a hostile body from costing more than its size. The defaults live here, once; providers
 * and callback endpoints take `limits` to change them (docs/security.md lists them).
 */
export interface InputLimits {
  /**
   * Deepest nesting of a body: JSON objects and arrays, XML elements (default 256). Deeper JSON is
   * a 400 problem, deeper XML a Sender fault. Real messages nest a few levels; the bound also keeps
   * every value a handler receives or the store writes far from the stack's depth.
   */
  depth: number;
  /** Most attributes on one XML element, namespace declarations included (default 256). */
  xmlAttributes: number;
  /**
   * Most XML namespace declarations in scope at once (default 64): every name is looked up through
   * them, so their number bounds the cost of each element (254 in scope made 100k elements cost
   * 160 ms more to read; real envelopes, WS-Security included, have a few dozen at most).
   */
  xmlNamespaces: number;
}

export const DEFAULT_LIMITS: Readonly<InputLimits> = Object.freeze({ depth: 256, xmlAttributes: 256, xmlNamespaces: 64 });

/** The limits in force: the defaults with the given settings over them (checked: a wrong setting fails at start-up). */
export function inputLimits(settings: Partial<InputLimits> = {}): InputLimits {
  const limits = { ...DEFAULT_LIMITS, ...settings };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`limits.${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return limits;
}

/**
 * Whether JSON text nests objects and arrays deeper than `limit`: one pass over the text, before
 * it is parsed, so a deep body costs no more than reading it. Strings are skipped with `indexOf`
 * (text-heavy bodies cost next to nothing; a 770 KB body of small objects costs about what
 * JSON.parse does).
 */
export function jsonNestsDeeper(text: string, limit: number): boolean {
  // A text shorter than the limit cannot open more brackets than it has characters.
  if (text.length <= limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // The string ends at the first quote not escaped by an odd run of backslashes.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end < 0) return false; // unterminated: the parser refuses it
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
