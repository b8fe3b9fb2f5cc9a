import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The project's own fixtures: the AgID examples (modi/), the seed pair (seed/) and the tests' own specs. */
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** A fresh directory under .tmp/ (inside the project, so generated code resolves its imports), removed after the file's tests. */
export async function tempDir(prefix: string): Promise<string> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(ROOT, '.tmp'), { recursive: true });
  const dir = await mkdtemp(join(ROOT, '.tmp', `${prefix}-`));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
