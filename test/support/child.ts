import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll } from 'vitest';

/** Provider processes of a test file, killed (SIGKILL) after its tests if still running. */
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * Starts a provider process (a TypeScript file run with tsx) and resolves once it printed its
 * first line, `{"url": …}`, when listening.
 */
export async function startProvider(script: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`provider process exited (${code}) before listening`)));
  });
  return { child, url: (JSON.parse(first) as { url: string }).url };
}

/** Kills a process with SIGKILL, as a crash would, and waits for it to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}
