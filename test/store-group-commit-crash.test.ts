// The SQLite store commits the statements of many requests together, in a thread of its own,
// while the event loop goes on reading requests (src/runtime/store/sqlite.ts). A 202 must still
// mean "on disk": a provider process killed with SIGKILL in the middle of that, under load, loses
// none of the requests it answered 202, and once restarted delivers every one of their callbacks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/runtime/store/index.js';
import { killHard, startProvider } from './support/child.js';
import { startTarget, until } from './support/push.js';

const dir = mkdtempSync(join(tmpdir(), 'accordo-group-commit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = fileURLToPath(new URL('./support/crash-provider.ts', import.meta.url));

describe('group commit and SIGKILL', () => {
  it('every request answered 202 before the provider was killed under load is in the store and has its callback delivered after a restart', { timeout: 120_000 }, async () => {
    const file = join(dir, 'provider.db');
    const target = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    const first = await startProvider(script, [file, join(dir, 'handlers.log')]);
    const accepted: string[] = [];
    let failed = 0;
    let killed = false;
    // 32 clients, each sending its next request as soon as the last is answered, until the provider is gone.
    const client = async (c: number) => {
      for (let i = 0; !killed; i++) {
        try {
          const res = await fetch(`${first.url}/requests`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-replyto': `${target.url}/cb` },
            body: JSON.stringify({ n: c * 100_000 + i }),
          });
          await res.arrayBuffer();
          if (res.status !== 202) throw new Error(`answered ${res.status}`);
          accepted.push(res.headers.get('x-correlation-id')!);
          // Killed the moment the 600th 202 is read, not at a later poll: the batches being committed then hold the last ones answered.
          if (accepted.length === 600) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        } catch {
          failed++;
          return;
        }
      }
    };
    const clients = Array.from({ length: 32 }, (_, c) => client(c));
    try {
      // Killed while requests keep coming: batches are being committed, others queued behind them.
      await Promise.all(clients);
      if (first.child.exitCode === null && first.child.signalCode === null) await new Promise((resolve) => first.child.once('exit', resolve));
      expect(first.child.signalCode).toBe('SIGKILL');
      const answered = [...accepted];
      expect(new Set(answered).size).toBe(answered.length);

      // Durable before the 202: each one answered is in the file, whatever the killed process had time to do after.
      const view = await SqliteStore.open(file);
      try {
        const missing: string[] = [];
        for (const id of answered) if (!(await view.getTask(id))) missing.push(id);
        expect(missing, 'requests answered 202 but not in the store').toEqual([]);

        const second = await startProvider(script, [file, join(dir, 'handlers.log')]);
        try {
          const delivered = () => new Set(target.hits.map((h) => String(h.headers['x-correlation-id'])));
          await until(() => answered.every((id) => delivered().has(id)), 60_000, 'a callback for every request answered 202');
          const got = delivered();
          expect(answered.filter((id) => !got.has(id))).toEqual([]);
          await until(async () => (await view.listTasks({ states: ['pending', 'ready'], limit: 1 })).length === 0, 30_000, 'nothing left to do');
          console.info(`group commit crash test: ${answered.length} answered 202 before the kill, ${failed} requests cut off by it; all ${answered.length} delivered after the restart`);
        } finally {
          await killHard(second.child);
        }
      } finally {
        await view.close();
      }
    } finally {
      killed = true;
      await target.close();
    }
  });
});
