export type Severity = 'error' | 'warning';

/** One deviation from the ModI guideline, where it is and how to fix it. */
export interface Finding {
  /** e.g. `push-rest/reply-to-header`; the catalogue is `RULES` in ./rules.ts. */
  rule: string;
  severity: Severity;
  /** The spec file, absolute. */
  file: string;
  /** 1-based; the nearest position the spec text has for `pointer`. */
  line: number;
  column: number;
  /** JSON pointer in the file (OpenAPI), or the loader's location pointer (WSDL). */
  pointer: string;
  message: string;
  /** What to change, in one line. */
  fix: string;
  /** Other places the finding is about (the other spec of a pair), each with what it is. */
  related?: RelatedLocation[];
}

export interface RelatedLocation {
  file: string;
  line: number;
  column: number;
  /** What is there, e.g. "the provider's declaration of the callback". */
  note: string;
}

/** By file, then position, then rule: the order findings are shown in. */
export const byPosition = (a: Finding, b: Finding): number => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule);

export const hasErrors = (findings: readonly Finding[]): boolean => findings.some((f) => f.severity === 'error');

/**
 * Text (`file:line:col: severity [rule] message`, the fix indented below, then a count) or JSON
 * (the findings array, for CI). With `cwd`, text output shows file names relative to it.
 */
export function formatFindings(findings: readonly Finding[], format: 'text' | 'json', options: { cwd?: string } = {}): string {
  if (format === 'json') return JSON.stringify(findings, null, 2) + '\n';
  const name = (file: string) => (options.cwd && file.startsWith(options.cwd.replace(/\/+$/, '') + '/') ? file.slice(options.cwd.replace(/\/+$/, '').length + 1) : file);
  const lines = findings.map(
    (f) =>
      `${name(f.file)}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.message}\n    fix: ${f.fix}` +
      (f.related ?? []).map((r) => `\n    see: ${name(r.file)}:${r.line}:${r.column}: ${r.note}`).join(''),
  );
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(findings.length === 0 ? 'no findings' : `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`);
  return lines.join('\n') + '\n';
}
