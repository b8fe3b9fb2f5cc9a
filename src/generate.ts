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
  /** Told how long each stage took, in ms, in pipeline order (for `npm run bench`). */
  onStage?: (stage: Stage, ms: number) => void;
}

/** `load`: read, resolve, validate the specs and build the model; `view`, `format` (templates and prettier): emit; `write`: the disk. */
export type Stage = 'load' | 'view' | 'format' | 'write';

/** The whole pipeline: load the specs, build the model, emit the files, write them (or check them). */
export async function generate(options: GenerateOptions): Promise<WriteResult> {
  let t = performance.now();
  const lap = (stage: Stage) => {
    const now = performance.now();
    options.onStage?.(stage, now - t);
    t = now;
  };
  const agreement = await loadAgreement({ spec: options.spec, callback: options.callback, patterns: options.patterns });
  lap('load');
  const outDir = resolve(options.out);
  const files = await emit(agreement, { side: options.side, outDir, onStage: options.onStage });
  t = performance.now();
  const result = await writeOutput(files, outDir, { check: options.check });
  lap('write');
  return result;
}
