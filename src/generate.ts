import { resolve } from 'node:path';
import { emit, type Side } from './emit/index.js';
import { lintAgreement, hasErrors, type Finding } from './lint/index.js';
import { loadAgreement } from './load/index.js';
import type { Pattern } from './model/agreement.js';
import { writeOutput, type WriteResult } from './write/index.js';

export interface GenerateOptions {
  spec: string;
  callback?: string;
  out: string;
  side: Side;
  patterns?: Record<string, Pattern>;
  /** Compare with what is on disk instead of writing. */
  check?: boolean;
  /** Emit even when the guideline rules find errors (default: refuse). */
  ignoreLint?: boolean;
}

/** The guideline rules found errors in the specs: nothing was generated. */
export class LintFailure extends Error {
  constructor(readonly findings: Finding[]) {
    super(`the specs break ${findings.filter((f) => f.severity === 'error').length} guideline rule(s)`);
    this.name = 'LintFailure';
  }
}

/** The whole pipeline: load the specs, build the model, check the guideline rules, emit the files, write them (or check them). */
export async function generate(options: GenerateOptions): Promise<WriteResult & { findings: Finding[] }> {
  const agreement = await loadAgreement({ spec: options.spec, callback: options.callback, patterns: options.patterns });
  const findings = lintAgreement(agreement);
  if (hasErrors(findings) && !options.ignoreLint) throw new LintFailure(findings);
  const outDir = resolve(options.out);
  const files = await emit(agreement, { side: options.side, outDir });
  return { ...(await writeOutput(files, outDir, { check: options.check })), findings };
}
