// The SQLite store's own machinery (src/runtime/store/sqlite.ts), beyond the store interface's
// rows in store-edges: a file it cannot open, its thread ending or failing under it, and the lock
// wait's timers (docs/delivery.md: a locked file is waited for on timers for up to busyMs, then
// the statement fails). Its own file, as store-edges explains: a new file keeps `npm run mutate`
// incremental.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { openStore, SqliteStore } from '../src/runtime/store/index.js';
import { settled, within } from './support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'accordo-sqlite-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const task = (id: string) => ({ id, kind: 'push', operation: 'op', request: { body: { id } }, now: T0, expiresAt: T0 + 86_400_000 });
/** The store's thread: ended or made to fail here as a fatal error in it would (nothing in the store interface does either). */
const threadOf = (store: SqliteStore) => (store as unknown as { thread: Worker }).thread;

describe('SQLite store opening', () => {
  it('refuses a file that is not a database with SQLite own error and code (not the native-module hint), and gives no store', async () => {
    const file = join(dir, 'not-a-database.db');
    writeFileSync(file, 'these are the notes of a person, not an SQLite database\n'.repeat(100));
    await expect(openStore(`sqlite:${file}`)).rejects.toMatchObject({ message: 'file is not a database', code: 'SQLITE_NOTADB' });
  });
});

describe('SQLite store thread', () => {
  it('fails what waits when its thread ends, and refuses statements after, rather than leaving them unanswered', async () => {
    const file = join(dir, 'ended.db');
    const store = await SqliteStore.open(file, { busyMs: 60_000 });
    const other = new Database(file);
    try {
      // A write that waits for the lock another connection holds, while the thread ends.
      other.exec('BEGIN IMMEDIATE');
      const write = store.createTask(task('waiting'));
      const failed = expect(write).rejects.toThrow('the SQLite store is closed');
      await threadOf(store).terminate();
      await within(failed, 10_000, () => 'the write waiting for the lock was not failed when the thread ended');
      await within(expect(store.getTask('waiting')).rejects.toThrow('the SQLite store is closed'), 10_000, () => 'a read after the thread ended was not refused');
      await within(store.close(), 10_000, () => 'close() did not return on a store whose thread had ended');
    } finally {
      other.close();
    }
  });

  it('fails what waits with the error its thread failed with, and is closed after', async () => {
    const file = join(dir, 'failed.db');
    const store = await SqliteStore.open(file, { busyMs: 60_000 });
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const write = store.createTask(task('waiting'));
      const failed = expect(write).rejects.toThrow(/not iterable/);
      // A message the thread cannot handle: it throws, uncaught, as a fault in it would.
      threadOf(store).postMessage({ type: 'batch' });
      await within(failed, 10_000, () => "the write waiting for the lock was not failed with the thread's error");
      await within(expect(store.getTask('waiting')).rejects.toThrow('the SQLite store is closed'), 10_000, () => 'a read after the thread failed was not refused');
      await within(store.close(), 10_000, () => 'close() did not return on a store whose thread had failed');
    } finally {
      other.close();
    }
  });
});

describe('SQLite lock wait (docs/delivery.md), on a fake clock: which timers it sets, not how long anything takes', () => {
  // Captured before the clock is faked: the test's own waits use real time.
  const realSetTimeout = globalThis.setTimeout;
  const until = async (ready: () => boolean, what: () => string) => {
    for (let waited = 0; !ready(); waited += 5) {
      if (waited >= 10_000) throw new Error(`waited 10 s: ${what()}`);
      await new Promise((resolve) => realSetTimeout(resolve, 5));
    }
  };
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tries a locked write again after 1 ms, doubling to 50 ms, fails it once it has waited busyMs (not one retry more), and leaves no timer', async () => {
    const file = join(dir, 'backoff.db');
    // 163 ms = 1 + 2 + 4 + 8 + 16 + 32 + 50 + 50: the eighth retry finds the write waited exactly busyMs.
    const store = await SqliteStore.open(file, { busyMs: 163 });
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
      const write = store.createTask(task('patient'));
      const state = settled(write);
      const delays: number[] = [];
      while (!state.done) {
        await until(
          () => state.done || vi.getTimerCount() > 0,
          () => `the locked write was neither failed nor given a retry timer after the delays ${JSON.stringify(delays)}`,
        );
        if (state.done) break;
        expect(vi.getTimerCount()).toBe(1);
        if (delays.length === 20) throw new Error(`still retrying after the delays ${JSON.stringify(delays)}`);
        // The fake clock runs the store's timer at once; how far it moved is the timer's delay.
        const before = Date.now();
        vi.advanceTimersToNextTimer();
        delays.push(Date.now() - before);
      }
      expect(delays).toEqual([1, 2, 4, 8, 16, 32, 50, 50]);
      await expect(write).rejects.toThrow('the SQLite database is locked by another connection (waited 163 ms)');
      // Nothing waits any more: no timer is left to send an empty queue.
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
      other.close();
      await store.close();
    }
  });
});
