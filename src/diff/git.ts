/**
 * The specs as they were at a git revision, for `accordo diff --base <ref>`: the repository's tree at
 * that revision is extracted (`git archive | tar -x`) into a temporary directory, so that every
 * relative `$ref`, `xsd:import` and `schemaLocation` resolves as it did then. Nothing in the working
 * tree or the index is touched.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class GitError extends Error {}

export interface TreeAtRef {
  /** Where a file of the working tree is in the extracted tree (it may not exist there). */
  at(file: string): string;
  /** The working tree's path of an extracted file: how the report names it. */
  original(extracted: string): string;
  remove(): Promise<void>;
}

/** Extracts the tree of `ref` of the repository that holds `file`. */
export async function treeAtRef(ref: string, file: string): Promise<TreeAtRef> {
  // A ref is never an option: `--output=...` must not reach git archive.
  if (!ref || ref.startsWith('-')) throw new GitError(`--base: not a git revision: ${JSON.stringify(ref)}`);
  const cwd = dirname(realpathSync(resolve(file)));
  let top: string;
  try {
    top = (await run('git', ['rev-parse', '--show-toplevel'], { cwd })).stdout.trim();
    await run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{tree}`], { cwd });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '').trim();
    throw new GitError(stderr ? `git: ${stderr.split('\n')[0]}` : `--base ${ref}: no such revision in the repository of ${file}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'accordo-base-'));
  try {
    await extract(top, ref, dir);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const map = (path: string) => {
    const real = existsSync(path) ? realpathSync(path) : join(realpathSync(dirname(path)), path.split(/[\\/]/).pop()!);
    return join(dir, relative(top, real));
  };
  return {
    at: (f) => map(resolve(f)),
    original: (f) => join(top, relative(dir, f)),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

function extract(top: string, ref: string, into: string): Promise<void> {
  return new Promise((done, fail) => {
    const archive = spawn('git', ['archive', '--format=tar', ref], { cwd: top, stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn('tar', ['-x', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
    const errors: string[] = [];
    archive.stderr.on('data', (d) => errors.push(String(d)));
    tar.stderr.on('data', (d) => errors.push(String(d)));
    archive.stdout.pipe(tar.stdin);
    let pending = 2;
    const exited = (what: string) => (code: number | null) => {
      if (code !== 0) errors.push(`${what} exited with ${code}`);
      if (--pending === 0) errors.length ? fail(new GitError(`cannot read the tree of ${ref}: ${errors.join(' ').trim()}`)) : done();
    };
    archive.on('error', (e) => errors.push(e.message));
    tar.on('error', (e) => errors.push(e.message));
    archive.on('close', exited('git archive'));
    tar.on('close', exited('tar'));
  });
}
