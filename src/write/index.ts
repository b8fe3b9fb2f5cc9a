import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
  /** With check: the owned files that differ from what the specs give, are missing, or are left over. */
  stale: string[];
}

/**
 * Writes generated files under `outDir`. Owned files are rewritten only when their content
 * changes; scaffolds only when absent; files in `generated/` that carry Accordo's mark but are no
 * longer produced are deleted. With `check`, nothing is written and the differences are reported.
 */
export async function writeOutput(files: GeneratedFile[], outDir: string, options: { check?: boolean } = {}): Promise<WriteResult> {
  const result: WriteResult = { written: [], unchanged: [], created: [], kept: [], removed: [], stale: [] };
  for (const file of files) {
    const target = join(outDir, file.path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (!file.owned) {
      if (current !== undefined) result.kept.push(file.path);
      else {
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

async function put(path: string, contents: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, contents);
}

/** Files under generated/ whose first line carries Accordo's mark: only those are ever deleted. */
async function ownedFiles(outDir: string): Promise<string[]> {
  const dir = join(outDir, GENERATED_DIR);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath ?? dir, e.name);
    const head = (await readFile(path, 'utf8')).slice(0, 200);
    if (head.split('\n')[0].includes(GENERATED_MARK)) out.push(path.slice(outDir.length + 1).split('\\').join('/'));
  }
  return out.sort();
}
