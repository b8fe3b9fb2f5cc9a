// What the PostgreSQL store's statements are on the server (docs/delivery.md: "statements are
// prepared once per connection and planned for each call's values"), seen through the store's own
// pooled connection (pg_prepared_statements and settings are per session): the plan setting its
// connections get, how many statements it keeps prepared, that only a changed table (not any
// failure) makes it prepare them again, and the run count a task given back unrun is written with.
// Its own file: a new file keeps `npm run mutate` incremental (see store-edges.test.ts).
import pgModule from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/runtime/store/index.js';
import type { TaskPatch } from '../src/runtime/store/types.js';
import { startPostgres } from './support/postgres.js';

const pg = await startPostgres();
afterAll(() => pg?.stop());

/** A task as the push engine writes it. */
const newTask = (id: string, now: number) => ({ id, kind: 'push', operation: 'op', request: { n: id }, replyTo: 'https://consumer.example/cb', now, expiresAt: now + 60_000 });

/** Claims the one pending push task for `owner`, as a worker does. */
const claimOne = (store: PostgresStore, now: number, owner = 'me') => store.claimTasks({ kind: 'push', operations: ['op'], states: ['pending'], owner, now, leaseMs: 60_000, limit: 1 });

/** Runs `use` on a store opened on a new database (its URL given too), and closes the store after. */
async function withStore(database: string, options: { poolSize?: number }, use: (store: PostgresStore, url: string) => Promise<void>): Promise<void> {
  const url = await pg!.createDatabase(database);
  const store = await PostgresStore.open(url, options);
  try {
    await use(store, url);
  } finally {
    await store.close();
  }
}

/** A statement run through the store (its pool; with poolSize 1, its one connection). */
const query = async (store: PostgresStore, sql: string) => (await (store as unknown as { run(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }> }).run(sql, [])).rows;

/** The names of the statements the store's connection has prepared. */
const prepared = async (store: PostgresStore) => (await query(store, `SELECT name FROM pg_prepared_statements WHERE name LIKE 'accordo%' ORDER BY name`)).map((r) => String(r.name));

describe.skipIf(!pg)('PostgreSQL store: its statements on the server', () => {
  it('its connections plan each statement for its values (plan_cache_mode force_custom_plan), not with a generic plan', async () => {
    await withStore('plan_mode', { poolSize: 2 }, async (store) => {
      // Both connections of the pool, asked at once.
      const modes = await Promise.all([query(store, 'SHOW plan_cache_mode'), query(store, 'SHOW plan_cache_mode')]);
      expect(modes.map((rows) => rows[0].plan_cache_mode)).toEqual(['force_custom_plan', 'force_custom_plan']);
    });
  });

  it('keeps at most 200 statements prepared per connection; the others still run, unnamed', async () => {
    await withStore('max_prepared', { poolSize: 1 }, async (store) => {
      const now = Date.now();
      expect(await store.createTask(newTask('m', now))).toBe(true);
      expect(await claimOne(store, now)).toHaveLength(1);
      // 210 updates, each setting another set of columns: 210 statement texts, one per turn.
      const fields: [keyof TaskPatch, unknown][] = [
        ['state', 'pending'],
        ['result', { r: 1 }],
        ['attempts', 1],
        ['runs', 1],
        ['dueAt', now],
        ['lastStatus', 503],
        ['lastResponse', { busy: true }],
        ['lastError', 'busy'],
        ['leaseUntil', now + 60_000],
      ];
      for (let shape = 1; shape <= 210; shape++) {
        const patch = Object.fromEntries(fields.filter((_, i) => shape & (1 << i))) as TaskPatch;
        expect(await store.updateTask('m', 'me', patch, now + shape), `shape ${shape}`).toBe(true);
      }
      expect(await store.getTask('m')).toMatchObject({ state: 'pending', attempts: 1, runs: 1, lastStatus: 503, leaseOwner: 'me', updatedAt: now + 210 });
      expect(await prepared(store)).toHaveLength(200);
    });
  });

  it('a statement that fails for its values is not retried under newly prepared statements: only a changed table (0A000) makes the store prepare them again', async () => {
    await withStore('failed_stmt', { poolSize: 1 }, async (store) => {
      const now = Date.now();
      expect(await store.createTask(newTask('f', now))).toBe(true);
      expect(await claimOne(store, now)).toHaveLength(1);
      expect(await store.getTask('f')).toMatchObject({ runs: 1 });
      const before = await prepared(store);
      // Not an integer: PostgreSQL refuses the statement (22P02), a failure of this write only.
      await expect(store.updateTask('f', 'me', { attempts: 1.5 }, now)).rejects.toThrow(/integer/);
      expect(await store.getTask('f')).toMatchObject({ attempts: 0, runs: 1 });
      expect(await store.createTask(newTask('g', now))).toBe(true);
      const after = await prepared(store);
      // Still named as the first generation: nothing was prepared again under new names, as after a change of the table.
      expect(before.every((name) => name.startsWith('accordo_0_'))).toBe(true);
      expect(after.every((name) => name.startsWith('accordo_0_'))).toBe(true);
    });
  });

  it('writes the tasks of one event-loop turn with one statement, and no more: the next turn is written by one of its own', async () => {
    await withStore('one_per_turn', { poolSize: 1 }, async (store, url) => {
      const admin = new pgModule.Client({ connectionString: pg!.url });
      await admin.connect();
      try {
        // The statements (transactions) ended in its database, committed and failed: the store's
        // one connection's statistics are flushed when it next goes idle after
        // pg_stat_force_next_flush() (PostgreSQL 15). An autovacuum worker may add a commit of its own.
        const statements = async () => {
          await query(store, 'SELECT pg_stat_force_next_flush()');
          const { rows } = await admin.query<{ committed: string; failed: string }>('SELECT xact_commit AS committed, xact_rollback AS failed FROM pg_stat_database WHERE datname = $1', [
            new URL(url).pathname.slice(1),
          ]);
          return { committed: Number(rows[0].committed), failed: Number(rows[0].failed) };
        };
        const now = Date.now();
        expect(await store.createTask(newTask('warm', now))).toBe(true);
        const before = await statements();
        const turn = await Promise.all(Array.from({ length: 20 }, (_, i) => store.createTask(newTask(`t${i}`, now))));
        expect(turn).toEqual(Array(20).fill(true));
        const after = await statements();
        // One INSERT for the twenty, and the flush request: not a statement per task (nor an empty
        // one per task after the first), and none failed.
        expect(after.committed - before.committed).toBeGreaterThanOrEqual(2);
        expect(after.committed - before.committed).toBeLessThan(10);
        expect(after.failed).toBe(before.failed);
        // The next turn is written too (the turn's flag was cleared).
        expect(await store.createTask(newTask('next', now))).toBe(true);
        expect(await store.listTasks({ limit: 100 })).toHaveLength(22);
      } finally {
        await admin.end();
      }
    });
  });

  it('a task given back unrun is written with its run count set back (an integer column)', async () => {
    await withStore('runs_back', {}, async (store) => {
      const now = Date.now();
      expect(await store.createTask(newTask('r', now))).toBe(true);
      const [claimed] = await claimOne(store, now);
      expect(claimed).toMatchObject({ id: 'r', runs: 1 });
      // What the worker writes for a claimed task it did not start (TaskWorker.giveBack).
      expect(await store.updateTask('r', 'me', { release: true, runs: claimed.runs - 1 }, now + 1)).toBe(true);
      const back = await store.getTask('r');
      expect(back).toMatchObject({ state: 'pending', runs: 0, updatedAt: now + 1 });
      expect(back?.leaseOwner).toBeUndefined();
      // Claimed again: its first run again.
      expect(await claimOne(store, now + 2, 'other')).toMatchObject([{ id: 'r', runs: 1 }]);
    });
  });
});
