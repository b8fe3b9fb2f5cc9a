import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GATEWAY_DIR, JSON_MARK_KEY } from '../emit/gateway/index.js';
import { GENERATED_DIR, GENERATED_MARK, type GeneratedFile } from '../emit/index.js';

export interface WriteResult {
  /** Owned files written because they were missing or different. */
  written: string[];
  /** Owned files already up to date. */
  unchanged: string[];
  /** Handler scaffolds created because they did not exist. */
  created: string[];
  /** Handler scaffolds left as they are (they belong to the user). */
  kept: string[];
  /** Generated files no longer produced by the specs, removed (or, with check, reported). */
  removed: string[];
  /** With check: the owned files that differ from what the specs give, are missing, or are left over; handler files that lack handlers. */
  stale: string[];
  /** Handler files that got stubs for the handlers they lacked (with check: that lack them). */
  stubbed: StubReport[];
  /** Handler files whose handler object could not be edited safely: the stubs to add by hand, and where. */
  unplaced: (StubReport & { reason: string; stubs: string })[];
  /** Handlers whose operation is gone from the specs: kept in the user's file, reported. */
  orphans: { path: string; handlers: string[] }[];
}

export interface StubReport {
  path: string;
  handlers: string[];
  /** The line of the stubs (1-based) in the file. */
  line: number;
}

/**
 * Writes generated files under `outDir`. Owned files are rewritten only when their content
 * changes; scaffolds are created when absent, and get stubs for the handlers they lack (every other byte stays); files in `generated/` or `gateway/` that carry Accordo's mark but are no
 * longer produced are deleted. With `check`, nothing is written and the differences are reported.
 */
export async function writeOutput(files: GeneratedFile[], outDir: string, options: { check?: boolean } = {}): Promise<WriteResult> {
  const result: WriteResult = { written: [], unchanged: [], created: [], kept: [], removed: [], stale: [], stubbed: [], unplaced: [], orphans: [] };
  for (const file of files) {
    const target = join(outDir, file.path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (!file.owned) {
      if (current !== undefined) {
        result.kept.push(file.path);
        await mergeInto(file, current, target, result, options.check);
      } else {
        result.created.push(file.path);
        if (!options.check) await put(target, file.contents);
      }
    } else if (current === file.contents) result.unchanged.push(file.path);
    else {
      result.written.push(file.path);
      if (options.check) result.stale.push(file.path);
      else await put(target, file.contents);
    }
  }
  const produced = new Set(files.map((f) => f.path));
  for (const leftover of await ownedFiles(outDir)) {
    if (produced.has(leftover)) continue;
    result.removed.push(leftover);
    if (options.check) result.stale.push(leftover);
    else await rm(join(outDir, leftover));
  }
  return result;
}

/** Stubs for the handlers a user's handler file lacks (write/stubs.ts); ts-morph is loaded only when such a file exists. */
async function mergeInto(file: GeneratedFile, current: string, target: string, result: WriteResult, check?: boolean): Promise<void> {
  const { mergeStubs } = await import('./stubs.js');
  const merge = mergeStubs(current, file.contents);
  if (merge.orphans.length) result.orphans.push({ path: file.path, handlers: merge.orphans });
  if (!merge.added.length) return;
  if (check) result.stale.push(file.path);
  if (merge.unplaced) result.unplaced.push({ path: file.path, handlers: merge.added, line: merge.line, ...merge.unplaced });
  else {
    result.stubbed.push({ path: file.path, handlers: merge.added, line: merge.line });
    if (!check) await writeFile(target, merge.text!);
  }
}

async function put(path: string, contents: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, contents);
}

/**
 * Files under generated/ and gateway/ that carry Accordo's mark, on their first line or, in JSON
 * (which has no comments), as the value of the first key `"_generated"`: only those are ever deleted.
 */
async function ownedFiles(outDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [join(outDir, GENERATED_DIR), join(outDir, GATEWAY_DIR)]) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath ?? dir, e.name);
      const lines = (await readFile(path, 'utf8')).slice(0, 400).split('\n');
      const marked = lines[0].includes(GENERATED_MARK) || (e.name.endsWith('.json') && lines[0] === '{' && lines[1]?.startsWith(`  "${JSON_MARK_KEY}": "${GENERATED_MARK}`));
      if (marked)
        out.push(
          path
            .slice(outDir.length + 1)
            .split('\\')
            .join('/'),
        );
    }
  }
  return out.sort();
}
