// The store interface's edges (store/types.ts), on memory, SQLite and (when installed) PostgreSQL:
// boundaries (expiry, lease end, updatedBefore), defaults (the list limit), what is kept (a task's
// target, copies), and the store settings openStore reads. Its own file, not store-semantics': Stryker's
// vitest runner reports no test locations, so a changed test file re-tests every mutant its tests
// cover; a new file keeps `npm run mutate` incremental.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore, openStore, SqliteStore, type Store } from '../src/runtime/store/index.js';
import { storeKinds } from './support/store-kinds.js';
import { settled } from './support/wait.js';

const { kinds, dir, stop } = await storeKinds('edges');
afterAll(stop);

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const task = (id: string, extra: Partial<{ operation: string; now: number; expiresAt: number; kind: string }> = {}) => ({
  id,
  kind: extra.kind ?? 'push',
  operation: extra.operation ?? 'op',
  request: { body: { id } },
  replyTo: 'https://consumer.example/cb',
  now: extra.now ?? T0,
  expiresAt: extra.expiresAt ?? T0 + 5 * DAY,
});
const claim = (store: Store, owner: string, now = T0, extra: Partial<Parameters<Store['claimTasks']>[0]> = {}) =>
  store.claimTasks({ kind: 'push', operations: ['op'], states: ['pending', 'ready'], owner, now, leaseMs: 1000, limit: 10, ...extra });

describe.each(kinds)('%s store', (kind, enabled, open) => {
  let store: Store;
  beforeEach(async () => {
    if (!enabled) return;
    store = await open();
    return () => store.close();
  });

  it.skipIf(!enabled)('keeps the target a task was written with, and a claim leaves out the targets it names (never a task without one)', async () => {
    await store.createTask({ ...task('to-a'), target: 'a.example:443' });
    await store.createTask({ ...task('to-b', { now: T0 + 1 }), target: 'b.example:443' });
    const { replyTo: _omit, ...bare } = task('none', { now: T0 + 2 });
    await store.createTask(bare);
    expect((await store.getTask('to-a'))!.target).toBe('a.example:443');
    expect((await claim(store, 'w', T0 + 5, { skipTargets: ['a.example:443'] })).map((t) => [t.id, t.target])).toEqual([
      ['to-b', 'b.example:443'],
      ['none', undefined],
    ]);
    expect((await claim(store, 'w2', T0 + 5, { skipTargets: [] })).map((t) => t.id)).toEqual(['to-a']);
  });

  it.skipIf(!enabled)('keeps the run count a lease holder writes (how many times process ran, read by the worker after a restart)', async () => {
    await store.createTask(task('counted'));
    expect((await claim(store, 'w')).map((t) => t.id)).toEqual(['counted']);
    expect(await store.updateTask('counted', 'w', { runs: 2 }, T0 + 1)).toBe(true);
    expect((await store.getTask('counted'))!.runs).toBe(2);
  });

  it.skipIf(!enabled)('claims only the task asked for by id, and no task at or past its expiry even before it is marked expired', async () => {
    await store.createTask(task('x1', { kind: 'pull' }));
    await store.createTask(task('x2', { kind: 'pull', expiresAt: T0 + 100 }));
    const byId = { kind: 'pull', operations: ['op'], states: ['pending' as const], owner: 'p', leaseMs: 10, limit: 5 };
    expect(await store.claimTasks({ ...byId, id: 'x2', now: T0 + 100 })).toEqual([]);
    expect((await store.claimTasks({ ...byId, id: 'x2', now: T0 + 99 })).map((t) => t.id)).toEqual(['x2']);
    expect((await store.getTask('x1'))!.leaseOwner).toBeUndefined();
  });

  it.skipIf(!enabled)('expires a ready task (result stored, callback not delivered) as well as a pending one, and retries an expired task', async () => {
    await store.createTask(task('r', { expiresAt: T0 + 100 }));
    await claim(store, 'w');
    await store.updateTask('r', 'w', { state: 'ready', result: { ok: 1 }, release: true }, T0 + 1);
    expect((await store.expireTasks(T0 + 100)).map((t) => [t.id, t.state])).toEqual([['r', 'expired']]);
    expect(await store.retryTask('r', T0 + 200, DAY)).toMatchObject({ id: 'r', state: 'ready', result: { ok: 1 }, dueAt: T0 + 200, expiresAt: T0 + 200 + DAY });
    expect(await store.retryTask('r', T0 + 201, DAY)).toBeUndefined();
  });

  it.skipIf(!enabled)('lists 100 tasks when no limit is given, newest first, ties in createdAt by id descending', async () => {
    // One turn: the SQLite store commits them together.
    await Promise.all(Array.from({ length: 101 }, (_, i) => store.createTask(task(`n${String(i).padStart(3, '0')}`, { now: T0 + i }))));
    const listed = await store.listTasks();
    expect(listed).toHaveLength(100);
    expect([listed[0].id, listed[99].id]).toEqual(['n100', 'n001']);
    expect(await store.listTasks({ limit: 101 })).toHaveLength(101);
    for (const id of ['tie-b', 'tie-c', 'tie-a']) await store.createTask(task(id, { now: T0 + 1000 }));
    expect((await store.listTasks({ limit: 3 })).map((t) => t.id)).toEqual(['tie-c', 'tie-b', 'tie-a']);
  });

  it.skipIf(!enabled)('purges a finished task once its lease ran out (at leaseUntil), and only tasks changed strictly before updatedBefore', async () => {
    await store.createTask(task('f1'));
    await store.createTask(task('f2'));
    await claim(store, 'w', T0);
    await store.updateTask('f1', 'w', { state: 'delivered' }, T0 + 10); // still leased until T0 + 1000
    await store.updateTask('f2', 'w', { state: 'dead', release: true }, T0 + 20);
    expect(await store.purgeTasks({ id: 'f1' }, T0 + 999)).toBe(0);
    expect(await store.purgeTasks({ id: 'f1' }, T0 + 1000)).toBe(1);
    expect(await store.listTasks({ updatedBefore: T0 + 20 })).toEqual([]);
    expect(await store.purgeTasks({ updatedBefore: T0 + 20 }, T0 + 1000)).toBe(0);
    expect(await store.purgeTasks({ updatedBefore: T0 + 21 }, T0 + 1000)).toBe(1);
  });

  it.skipIf(!enabled)('keeps a correlation record that is being handled when older records are purged', async () => {
    await store.addCorrelation('busy', 'op', T0);
    await store.addCorrelation('idle', 'op', T0);
    await store.claimCorrelation('busy', 'h', T0, 100);
    expect(await store.purgeCorrelations(T0 + 10_000)).toBe(1);
    expect((await store.getCorrelation('busy'))!.state).toBe('handling');
    expect(await store.getCorrelation('idle')).toBeUndefined();
  });

  it.skipIf(!enabled)('keeps its own copy of what it is given and gives copies, as JSON would (a Date as its text, undefined keys dropped)', async () => {
    const request = { body: { when: new Date(T0), gone: undefined, list: [1] } };
    await store.createTask({ ...task('c'), request });
    request.body.list.push(2);
    const read = (await store.getTask('c'))!;
    expect(read.request).toEqual({ body: { when: new Date(T0).toISOString(), list: [1] } });
    expect('gone' in (read.request as { body: object }).body).toBe(false);
    (read.request as { body: { list: number[] } }).body.list.push(3);
    expect((await store.getTask('c'))!.request).toEqual({ body: { when: new Date(T0).toISOString(), list: [1] } });
  });

  it.skipIf(!enabled)('describes itself for logs: memory, sqlite:<absolute file>, or its postgres:// URL', async () => {
    expect(store.description).toMatch({ memory: /^memory$/, sqlite: /^sqlite:\/.+\.db$/, postgres: /^postgres:\/\/.+/ }[kind]!);
  });
});

describe('SQLite file', () => {
  it('adds the columns a database written by an older version lacks (target, reference), keeping its tasks', async () => {
    const file = join(dir, 'old.db');
    const { default: Database } = await import('better-sqlite3');
    const old = new Database(file);
    old.exec(`CREATE TABLE accordo_tasks (id TEXT PRIMARY KEY, kind TEXT NOT NULL, operation TEXT NOT NULL, state TEXT NOT NULL, request TEXT, result TEXT,
      reply_to TEXT, meta TEXT, runs INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL, lease_owner TEXT,
      lease_until INTEGER, last_status INTEGER, last_response TEXT, last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
    old
      .prepare(`INSERT INTO accordo_tasks (id, kind, operation, state, request, due_at, created_at, updated_at, expires_at) VALUES ('older', 'push', 'op', 'pending', '{"a":1}', ?, ?, ?, ?)`)
      .run(T0, T0, T0, T0 + DAY);
    old.close();
    const store = await openStore(`sqlite:${file}`);
    try {
      expect(await store.getTask('older')).toMatchObject({ id: 'older', state: 'pending', request: { a: 1 } });
      await store.createTask({ ...task('newer'), target: 'consumer.example:443', reference: 'corr-9' });
      expect(await store.getTask('newer')).toMatchObject({ target: 'consumer.example:443', reference: 'corr-9' });
      expect((await store.listTasks({ reference: 'corr-9' })).map((t) => t.id)).toEqual(['newer']);
    } finally {
      await store.close();
    }
  });

  it('opens a private in-memory database for sqlite::memory:, no file', async () => {
    const a = await openStore('sqlite::memory:');
    const b = await openStore('sqlite::memory:');
    try {
      expect(a.description).toBe('sqlite::memory:');
      await a.createTask(task('only-in-a'));
      expect(await a.getTask('only-in-a')).toBeDefined();
      expect(await b.getTask('only-in-a')).toBeUndefined();
      expect(existsSync(':memory:')).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('SQLite file locked by another connection (docs/delivery.md: waited for on timers up to busyMs, then the statement fails)', () => {
  const turns = (n: number) => new Promise<void>((resolve) => setTimeout(resolve, n));

  it('reads while another connection holds the write lock, waits for it without holding up the event loop, and writes once it is released', async () => {
    const file = join(dir, 'locked.db');
    const store = await SqliteStore.open(file, { busyMs: 60_000 });
    await store.createTask(task('before'));
    const { default: Database } = await import('better-sqlite3');
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      // A read needs no lock under WAL: answered while the other connection holds it.
      expect((await store.getTask('before'))!.id).toBe('before');
      const write = store.createTask(task('during'));
      const state = settled(write);
      // Timers run while the write waits.
      await turns(30);
      expect(state.done).toBe(false);
      other.exec('COMMIT');
      expect(await write).toBe(true);
      expect((await store.getTask('during'))!.id).toBe('during');
    } finally {
      other.close();
      await store.close();
    }
  });

  it('fails a statement that waited busyMs, names the wait, and writes again once the lock is gone', async () => {
    const file = join(dir, 'busy.db');
    const store = await SqliteStore.open(file, { busyMs: 50 });
    const { default: Database } = await import('better-sqlite3');
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expect(store.createTask(task('refused'))).rejects.toThrow('the SQLite database is locked by another connection (waited 50 ms)');
      other.exec('ROLLBACK');
      expect(await store.createTask(task('later'))).toBe(true);
      expect(await store.getTask('refused')).toBeUndefined();
    } finally {
      other.close();
      await store.close();
    }
  });

  it('fails what still waits for the lock when the store closes, and refuses statements after', async () => {
    const file = join(dir, 'closing.db');
    const store = await SqliteStore.open(file, { busyMs: 60_000 });
    const { default: Database } = await import('better-sqlite3');
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const write = store.createTask(task('waiting'));
      await turns(10);
      // Its outcome is awaited before close: the write fails while close runs.
      const failed = expect(write).rejects.toThrow('the SQLite store is closed');
      await store.close();
      await failed;
      await expect(store.getTask('waiting')).rejects.toThrow('the SQLite store is closed');
      await store.close();
    } finally {
      other.close();
    }
  });
});

describe('store setting', () => {
  it('names the same SQLite file as sqlite:/abs/x.db, sqlite:///abs/x.db and a relative sqlite:x.db, described by its absolute path', async () => {
    const file = join(dir, 'same.db');
    const a = await openStore(`sqlite:${file}`);
    const b = await openStore(`sqlite://${file}`);
    const c = await openStore(`sqlite:${relative(process.cwd(), file)}`);
    try {
      expect(b.description).toBe(`sqlite:${file}`);
      expect(c.description).toBe(`sqlite:${file}`);
      await a.createTask(task('shared'));
      expect((await b.getTask('shared'))!.id).toBe('shared');
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
  });

  it('takes memory: or memory, around spaces, for the memory store', async () => {
    for (const setting of ['memory:', 'memory', '  memory:\n']) {
      const store = await openStore(setting);
      expect(store).toBeInstanceOf(MemoryStore);
      await store.close();
    }
  });

  it('opens PostgreSQL for a postgres:// or postgresql:// URL, in any case (here: refused, nothing listens on port 1)', async () => {
    for (const url of ['postgres://app@127.0.0.1:1/accordo', 'PostgreSQL://app@127.0.0.1:1/accordo']) {
      await expect(openStore(url)).rejects.toThrow(/ECONNREFUSED/);
    }
  });

  it('refuses a setting it does not understand, and a scheme only at the start', async () => {
    await expect(openStore('x-postgres://127.0.0.1:1/db')).rejects.toThrow(/unknown store/);
    await expect(openStore('nosqlite:x.db')).rejects.toThrow(/unknown store/);
  });
});
