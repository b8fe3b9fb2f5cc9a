// A task written leased (NewTask.lease: the accepting instance's worker takes it from memory,
// issue 19) on memory, SQLite and (when installed) PostgreSQL: it is the lease holder's as a
// claimed one is, its run counted; nobody else claims it until the lease lapses. Its own file:
// a new file keeps `npm run mutate` incremental (see store-edges.test.ts).
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/runtime/store/index.js';
import { storeKinds } from './support/store-kinds.js';

const { kinds, stop } = await storeKinds('leased');
afterAll(stop);

const T0 = 1_700_000_000_000;
const task = (id: string, lease?: { owner: string; until: number }) => ({
  id,
  kind: 'push',
  operation: 'op',
  request: { body: { id } },
  replyTo: 'https://consumer.example/cb',
  now: T0,
  expiresAt: T0 + 86_400_000,
  ...(lease ? { lease } : {}),
});
const claim = (store: Store, owner: string, now: number) => store.claimTasks({ kind: 'push', operations: ['op'], states: ['pending'], owner, now, leaseMs: 1000, limit: 10 });

describe.each(kinds)('%s store', (_kind, enabled, open) => {
  let store: Store;
  beforeEach(async () => {
    if (!enabled) return;
    store = await open();
    return () => store.close();
  });

  it.skipIf(!enabled)('writes a leased task as a claim leaves it: its owner, until when, one run', async () => {
    expect(await store.createTask(task('mine', { owner: 'a', until: T0 + 5000 }))).toBe(true);
    expect(await store.createTask(task('free'))).toBe(true);
    const mine = await store.getTask('mine');
    expect(mine).toMatchObject({ state: 'pending', leaseOwner: 'a', leaseUntil: T0 + 5000, runs: 1, attempts: 0, dueAt: T0 });
    const free = await store.getTask('free');
    expect(free).toMatchObject({ state: 'pending', runs: 0 });
    expect(free?.leaseOwner).toBeUndefined();
    expect(free?.leaseUntil).toBeUndefined();
    // The owner writes its outcome under the lease; nobody else may.
    expect(await store.updateTask('mine', 'b', { state: 'dead', release: true }, T0 + 1)).toBe(false);
    expect(await store.updateTask('mine', 'a', { leaseUntil: T0 + 6000 }, T0 + 1)).toBe(true);
  });

  it.skipIf(!enabled)('is claimed by nobody while its lease lasts, and by another once it lapsed, as a second run', async () => {
    await store.createTask(task('mine', { owner: 'a', until: T0 + 5000 }));
    await store.createTask(task('free'));
    expect((await claim(store, 'b', T0 + 4999)).map((t) => t.id)).toEqual(['free']);
    const [taken, ...rest] = await claim(store, 'b', T0 + 5000);
    expect(rest).toEqual([]);
    expect(taken).toMatchObject({ id: 'mine', leaseOwner: 'b', runs: 2 });
  });
});
