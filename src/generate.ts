import { resolve } from 'node:path';
import { emit, type Side } from './emit/index.js';
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
}

/** The whole pipeline: load the specs, build the model, emit the files, write them (or check them). */
export async function generate(options: GenerateOptions): Promise<WriteResult> {
  const agreement = await loadAgreement({ spec: options.spec, callback: options.callback, patterns: options.patterns });
  const outDir = resolve(options.out);
  const files = await emit(agreement, { side: options.side, outDir });
  return writeOutput(files, outDir, { check: options.check });
}
