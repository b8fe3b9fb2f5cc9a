import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, SqliteStore, type Store } from '../src/runtime/store/index.js';
import { storeKinds } from './support/store-kinds.js';

const { kinds, dir, stop } = await storeKinds('store');
afterAll(stop);

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const task = (id: string, extra: Partial<{ operation: string; now: number; expiresAt: number; kind: string }> = {}) => ({
  id,
  kind: extra.kind ?? 'push',
  operation: extra.operation ?? 'op',
  request: { path: {}, query: {}, headers: {}, body: { id, text: 'è', n: 1.5, nested: [null, true] } },
  replyTo: 'https://consumer.example/cb',
  now: extra.now ?? T0,
  expiresAt: extra.expiresAt ?? T0 + 5 * DAY,
});
const claim = (store: Store, owner: string, now = T0, extra: Partial<Parameters<Store['claimTasks']>[0]> = {}) =>
  store.claimTasks({ kind: 'push', operations: ['op'], states: ['pending', 'ready'], owner, now, leaseMs: 1000, limit: 10, ...extra });

describe.each(kinds)('%s store', (_name, enabled, open) => {
  let store: Store;
  beforeEach(async () => {
    if (!enabled) return;
    store = await open();
    return () => store.close();
  });

  it.skipIf(!enabled)('reads optional fields back exactly: present once set, kept by a patch that leaves them out, absent (not null) when cleared', async () => {
    await store.createTask(task('o'));
    const [claimed] = await claim(store, 'w1');
    expect(claimed).toMatchObject({ leaseOwner: 'w1', leaseUntil: T0 + 1000 });
    expect(await store.getTask('o')).toMatchObject({ leaseOwner: 'w1', leaseUntil: T0 + 1000 });
    // A renewal moves the lease only.
    expect(await store.updateTask('o', 'w1', { leaseUntil: T0 + 5000 }, T0 + 10)).toBe(true);
    expect(await store.getTask('o')).toMatchObject({ leaseOwner: 'w1', leaseUntil: T0 + 5000, updatedAt: T0 + 10 });
    await store.updateTask('o', 'w1', { attempts: 1, lastStatus: 503, lastResponse: { busy: true }, lastError: 'HTTP 503', dueAt: T0 + 20 }, T0 + 11);
    await store.updateTask('o', 'w1', { state: 'ready', release: true }, T0 + 12);
    const released = (await store.getTask('o'))!;
    expect(released).toMatchObject({ state: 'ready', attempts: 1, lastStatus: 503, lastResponse: { busy: true }, lastError: 'HTTP 503', dueAt: T0 + 20 });
    expect('leaseOwner' in released).toBe(false);
    expect('leaseUntil' in released).toBe(false);
    expect('result' in released).toBe(false);

    await store.addCorrelation('c', 'op', T0);
    const waiting = (await store.getCorrelation('c'))!;
    expect(waiting).toEqual({ id: 'c', operation: 'op', state: 'waiting', createdAt: T0, updatedAt: T0 });
    expect(await store.claimCorrelation('c', 'h1', T0 + 1, 1000)).toBe(true);
    expect(await store.getCorrelation('c')).toEqual({ id: 'c', operation: 'op', state: 'handling', leaseOwner: 'h1', leaseUntil: T0 + 1001, createdAt: T0, updatedAt: T0 + 1 });
    expect(await store.completeCorrelation('c', 'h1', { c: 'OK' }, { outcome: 'ACK' }, T0 + 2)).toBe(true);
    const done = (await store.getCorrelation('c'))!;
    expect(done).toMatchObject({ id: 'c', state: 'done', result: { c: 'OK' }, ack: { outcome: 'ACK' } });
    expect('leaseOwner' in done).toBe(false);
    expect('leaseUntil' in done).toBe(false);
  });

  it.skipIf(!enabled)('claims due tasks earliest first', async () => {
    for (const [id, due] of [
      ['late', T0 + 30],
      ['early', T0 + 10],
      ['middle', T0 + 20],
    ] as const) {
      await store.createTask({ ...task(id), now: due });
    }
    const claimed = await claim(store, 'w', T0 + 100);
    expect(claimed.map((t) => t.id)).toEqual(['early', 'middle', 'late']);
  });

  it.skipIf(!enabled)('creates a task once and gives it back as written', async () => {
    expect(await store.createTask(task('a'))).toBe(true);
    expect(await store.createTask(task('a'))).toBe(false);
    const t = await store.getTask('a');
    expect(t).toMatchObject({ id: 'a', kind: 'push', operation: 'op', state: 'pending', runs: 0, attempts: 0, dueAt: T0, createdAt: T0, expiresAt: T0 + 5 * DAY });
    expect(t!.request).toEqual(task('a').request);
    expect(t!.replyTo).toBe('https://consumer.example/cb');
    expect(t!.leaseOwner).toBeUndefined();
    expect(t!.meta).toBeUndefined();
    expect(await store.getTask('nope')).toBeUndefined();
    await store.createTask({ ...task('m'), kind: 'pull', meta: { statusUrl: '/s/m' } });
    expect((await store.getTask('m'))!.meta).toEqual({ statusUrl: '/s/m' });
    const [only] = await store.claimTasks({ kind: 'pull', id: 'm', operations: ['op'], states: ['pending'], owner: 'p', now: T0, leaseMs: 10, limit: 5 });
    expect(only.id).toBe('m');
  });

  it.skipIf(!enabled)('leases due tasks to one owner at a time and counts handler runs', async () => {
    await store.createTask(task('a'));
    await store.createTask(task('b', { now: T0 + 10 }));
    await store.createTask(task('other-op', { operation: 'other' }));
    await store.createTask(task('other-kind', { kind: 'pull' }));
    expect(await claim(store, 'w1', T0 - 1)).toEqual([]);
    const first = await claim(store, 'w1', T0 + 10);
    expect(first.map((t) => t.id)).toEqual(['a', 'b']);
    expect(first[0]).toMatchObject({ leaseOwner: 'w1', leaseUntil: T0 + 1010, runs: 1 });
    expect(await claim(store, 'w2', T0 + 500)).toEqual([]);
    // The lease lapses: another worker takes the task, and the handler run is counted again.
    const again = await claim(store, 'w2', T0 + 1010, { limit: 1 });
    expect(again.map((t) => [t.id, t.runs, t.leaseOwner])).toEqual([['a', 2, 'w2']]);
    expect(await store.updateTask('a', 'w1', { state: 'ready', result: 1 }, T0 + 1011)).toBe(false);
  });

  it.skipIf(!enabled)('lets only the lease holder change a task, and counts no run for ready tasks', async () => {
    await store.createTask(task('a'));
    await claim(store, 'w1');
    expect(await store.updateTask('a', 'w2', { state: 'dead' }, T0 + 1)).toBe(false);
    expect(await store.updateTask('a', 'w1', { state: 'ready', result: { ok: 'yes' }, dueAt: T0 + 1, lastError: 'x', release: true }, T0 + 1)).toBe(true);
    let t = await store.getTask('a');
    expect(t).toMatchObject({ state: 'ready', result: { ok: 'yes' }, dueAt: T0 + 1, lastError: 'x', updatedAt: T0 + 1 });
    expect(t!.leaseOwner).toBeUndefined();
    const [ready] = await claim(store, 'w1', T0 + 1);
    expect(ready.runs).toBe(1);
    await store.updateTask('a', 'w1', { attempts: 1, lastStatus: 503, lastResponse: 'busy', lastError: null, dueAt: T0 + 99, release: true }, T0 + 2);
    t = await store.getTask('a');
    expect(t).toMatchObject({ attempts: 1, lastStatus: 503, lastResponse: 'busy', dueAt: T0 + 99 });
    expect(t!.lastError).toBeUndefined();
  });

  it.skipIf(!enabled)('expires unfinished tasks at their expiry time, not before, and not while leased', async () => {
    await store.createTask(task('a', { expiresAt: T0 + 100 }));
    await store.createTask(task('b', { expiresAt: T0 + 100 }));
    await store.createTask(task('c', { expiresAt: T0 + 200 }));
    expect(await claim(store, 'w1', T0, { limit: 1 })).toHaveLength(1);
    expect(await store.expireTasks(T0 + 99)).toEqual([]);
    expect((await store.expireTasks(T0 + 100)).map((t) => t.id)).toEqual(['b']);
    expect((await claim(store, 'w2', T0 + 100)).map((t) => t.id)).toEqual(['c']);
    expect((await store.expireTasks(T0 + 1000)).map((t) => t.id)).toEqual(['a']);
    expect((await store.expireTasks(T0 + 1100)).map((t) => t.id)).toEqual(['c']);
    expect((await store.getTask('a'))!.state).toBe('expired');
  });

  it.skipIf(!enabled)('expires the tasks of one kind when asked, and finds tasks by their reference (the message box)', async () => {
    await store.createTask(task('push-1', { expiresAt: T0 + 100 }));
    await store.createTask({ ...task('box-1', { kind: 'box', expiresAt: T0 + 100 }), reference: 'corr-1' });
    await store.createTask({ ...task('box-2', { kind: 'box', expiresAt: T0 + 500 }), reference: 'corr-2' });
    expect((await store.listTasks({ kind: 'box', reference: 'corr-2' })).map((t) => [t.id, t.reference])).toEqual([['box-2', 'corr-2']]);
    expect(await store.listTasks({ reference: 'nope' })).toEqual([]);
    expect((await store.getTask('push-1'))!.reference).toBeUndefined();
    expect((await store.expireTasks(T0 + 100, 'box')).map((t) => t.id)).toEqual(['box-1']);
    expect((await store.getTask('push-1'))!.state).toBe('pending');
    expect((await store.expireTasks(T0 + 100)).map((t) => t.id)).toEqual(['push-1']);
  });

  it.skipIf(!enabled)('lists newest first, filters, and retries dead or expired tasks', async () => {
    for (let i = 0; i < 5; i++) await store.createTask(task(`t${i}`, { now: T0 + i }));
    await claim(store, 'w', T0 + 10);
    await store.updateTask('t1', 'w', { state: 'dead', result: 'r', lastStatus: 404, release: true }, T0 + 11);
    await store.updateTask('t2', 'w', { state: 'dead', lastError: 'processing failed', release: true }, T0 + 11);
    await store.updateTask('t3', 'w', { state: 'delivered', release: true }, T0 + 11);
    expect((await store.listTasks()).map((t) => t.id)).toEqual(['t4', 't3', 't2', 't1', 't0']);
    expect((await store.listTasks({ states: ['dead'] })).map((t) => t.id)).toEqual(['t2', 't1']);
    expect((await store.listTasks({ limit: 2, kind: 'push', operation: 'op' })).map((t) => t.id)).toEqual(['t4', 't3']);
    expect(await store.listTasks({ operation: 'other' })).toEqual([]);

    expect(await store.retryTask('t3', T0 + 20, DAY)).toBeUndefined();
    expect(await store.retryTask('t1', T0 + 20, DAY)).toMatchObject({ state: 'ready', attempts: 0, dueAt: T0 + 20, expiresAt: T0 + 20 + DAY });
    expect(await store.retryTask('t2', T0 + 20, DAY)).toMatchObject({ state: 'pending' });
    expect((await claim(store, 'w2', T0 + 20)).map((t) => t.id).sort()).toEqual(['t1', 't2']);
  });

  it.skipIf(!enabled)('purges finished tasks only, never leased ones', async () => {
    for (let i = 0; i < 4; i++) await store.createTask(task(`t${i}`));
    await claim(store, 'w', T0);
    await store.updateTask('t0', 'w', { state: 'delivered', release: true }, T0 + 1);
    await store.updateTask('t1', 'w', { state: 'dead', release: true }, T0 + 5);
    await store.updateTask('t2', 'w', { state: 'dead' }, T0 + 5); // still leased
    expect(await store.purgeTasks({ updatedBefore: T0 + 2 }, T0 + 6)).toBe(1);
    expect(await store.purgeTasks({ id: 't2' }, T0 + 6)).toBe(0);
    expect(await store.purgeTasks({ states: ['dead'] }, T0 + 6)).toBe(1);
    expect(await store.purgeTasks({}, T0 + 2000)).toBe(1);
    expect((await store.listTasks()).map((t) => t.id)).toEqual(['t3']);
  });

  it.skipIf(!enabled)('purges by kind alone, and with a limit the newest finished ones first, leased ones not counted', async () => {
    for (let i = 0; i < 5; i++) await store.createTask(task(`p${i}`, { now: T0 + i }));
    await store.createTask(task('pull', { kind: 'pull', now: T0 + 9 }));
    await claim(store, 'w', T0 + 10);
    for (const id of ['p0', 'p1', 'p2', 'p3']) await store.updateTask(id, 'w', { state: 'dead', release: true }, T0 + 11);
    await store.updateTask('p4', 'w', { state: 'dead' }, T0 + 11); // the newest, still leased
    await store.claimTasks({ kind: 'pull', operations: ['op'], states: ['pending'], owner: 'w', now: T0 + 10, leaseMs: 1000, limit: 1 });
    await store.updateTask('pull', 'w', { state: 'dead', release: true }, T0 + 11);
    expect(await store.purgeTasks({ kind: 'push', limit: 2 }, T0 + 12)).toBe(2);
    expect((await store.listTasks()).map((t) => t.id)).toEqual(['pull', 'p4', 'p1', 'p0']);
    expect(await store.purgeTasks({ kind: 'pull' }, T0 + 12)).toBe(1);
    expect((await store.listTasks()).map((t) => t.id)).toEqual(['p4', 'p1', 'p0']);
  });

  it.skipIf(!enabled)('reads a task written without a reply address or metadata back without those keys', async () => {
    const { id, kind, operation, request, now, expiresAt } = task('bare', { kind: 'pull' });
    await store.createTask({ id, kind, operation, request, now, expiresAt });
    const bare = (await store.getTask('bare'))!;
    expect(bare).toMatchObject({ id: 'bare', kind: 'pull', state: 'pending' });
    expect('replyTo' in bare).toBe(false);
    expect('target' in bare).toBe(false);
    expect('meta' in bare).toBe(false);
  });

  it.skipIf(!enabled)('never leases one task to two claimers at once', async () => {
    for (let i = 0; i < 60; i++) await store.createTask(task(`c${i}`));
    const batches = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(store, `w${i}`, T0, { limit: 7 })));
    const ids = batches.flat().map((t) => t.id);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
  });

  it.skipIf(!enabled)('keeps correlation records: one handler at a time, ACK kept once done', async () => {
    await store.addCorrelation('c1', 'op', T0);
    await store.addCorrelation('c1', 'other', T0 + 1);
    expect(await store.getCorrelation('c1')).toMatchObject({ id: 'c1', operation: 'op', state: 'waiting', createdAt: T0 });
    expect(await store.claimCorrelation('nope', 'a', T0, 100)).toBe(false);
    expect(await store.claimCorrelation('c1', 'a', T0, 100)).toBe(true);
    expect(await store.claimCorrelation('c1', 'b', T0 + 99, 100)).toBe(false);
    expect(await store.completeCorrelation('c1', 'b', {}, {}, T0 + 99)).toBe(false);
    // The first handler's process died: after its lease another may handle the callback.
    expect(await store.claimCorrelation('c1', 'b', T0 + 100, 100)).toBe(true);
    await store.releaseCorrelation('c1', 'a', T0 + 101);
    expect((await store.getCorrelation('c1'))!.state).toBe('handling');
    await store.releaseCorrelation('c1', 'b', T0 + 101);
    expect((await store.getCorrelation('c1'))!.state).toBe('waiting');
    expect(await store.claimCorrelation('c1', 'c', T0 + 102, 100)).toBe(true);
    expect(await store.completeCorrelation('c1', 'c', { result: 1 }, { ack: 'ok' }, T0 + 103)).toBe(true);
    expect(await store.getCorrelation('c1')).toMatchObject({ state: 'done', result: { result: 1 }, ack: { ack: 'ok' } });
    expect(await store.claimCorrelation('c1', 'd', T0 + 10_000, 100)).toBe(false);

    await store.addCorrelation('c2', 'op', T0);
    await store.claimCorrelation('c2', 'x', T0, 100);
    await store.completeCorrelation('c2', 'x', undefined, undefined, T0 + 1);
    const c2 = await store.getCorrelation('c2');
    expect(c2!.state).toBe('done');
    expect(c2!.ack).toBeUndefined();
    expect(await store.purgeCorrelations(T0 + 103)).toBe(1);
    expect(await store.getCorrelation('c2')).toBeUndefined();
  });
});

describe('SQLite file', () => {
  it('keeps what it accepted across a reopen, in WAL mode, shared by two connections', async () => {
    const file = join(dir, 'reopen.db');
    const a = await SqliteStore.open(file);
    await a.createTask(task('kept'));
    await a.close();
    const b = await openStore(`sqlite:${file}`);
    const c = await openStore(`sqlite:${file}`);
    try {
      expect((await b.getTask('kept'))!.request).toEqual(task('kept').request);
      const { default: Database } = await import('better-sqlite3');
      const raw = new Database(file, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
      for (let i = 0; i < 20; i++) await b.createTask(task(`m${i}`));
      const [x, y] = await Promise.all([claim(b, 'b', T0, { limit: 15 }), claim(c, 'c', T0, { limit: 15 })]);
      const ids = [...x, ...y].map((t) => t.id);
      expect(ids).toHaveLength(21);
      expect(new Set(ids).size).toBe(21);
    } finally {
      await b.close();
      await c.close();
    }
  });

  it('commits the statements of one turn together, and one bad statement fails alone', async () => {
    const store = await SqliteStore.open(join(dir, 'group.db'));
    try {
      const bad = { ...task('bad'), replyTo: {} as unknown as string };
      const results = await Promise.allSettled([store.createTask(task('g1')), store.createTask(bad), store.createTask(task('g2'))]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await store.listTasks()).map((t) => t.id)).toEqual(['g2', 'g1']);
    } finally {
      await store.close();
    }
  });

  it('refuses a setting it does not understand', async () => {
    await expect(openStore('mysql://x')).rejects.toThrow(/unknown store "mysql:\/\/x"/);
    await expect(openStore('sqlite:')).rejects.toThrow(/names no file/);
  });
});
