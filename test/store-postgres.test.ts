import { createConnection, createServer, type Server, type Socket } from 'node:net';
import pgModule from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/runtime/clock.js';
import { PostgresStore } from '../src/runtime/store/index.js';
import { startPostgres } from './support/postgres.js';
import { startProvider, type TestProvider } from './support/provider.js';
import { push, startTarget, until } from './support/push.js';
import { within } from './support/wait.js';

const pg = await startPostgres();
afterAll(() => pg?.stop());

describe.skipIf(!pg)('PostgreSQL: several provider instances share the work', () => {
  it('two instances on one database process 500 push requests: every handler once, every callback delivered', { timeout: 60_000 }, async () => {
    const url = await pg!.createDatabase('shared');
    const delivered = new Map<string, number>();
    const target = await startTarget((hit) => {
      const id = String(hit.headers['x-correlation-id']);
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
      return { status: 200, body: { outcome: 'received' } };
    });
    const instances: TestProvider[] = [];
    try {
      for (const owner of ['a', 'b']) instances.push(await startProvider({ store: url, clock: systemClock, delivery: { owner, leaseMs: 30_000, pollMs: 200 } }));
      const ids: string[] = [];
      const started = Date.now();
      // Sent 25 at a time, alternating between the instances; each instance's worker also takes
      // the other's requests from the shared table.
      for (let batch = 0; batch < 20; batch++) {
        ids.push(...(await Promise.all(Array.from({ length: 25 }, (_, i) => push(instances[(batch * 25 + i) % 2].url, `${target.url}/cb`, batch * 25 + i)))));
      }
      await until(() => delivered.size === 500, 45_000, '500 callbacks');
      const elapsed = Date.now() - started;
      await until(() => instances[0].outcomes.size + instances[1].outcomes.size === 500, 10_000, 'all outcomes recorded');

      expect(new Set(ids).size).toBe(500);
      for (const id of ids) {
        const runs = (instances[0].runs.get(id) ?? 0) + (instances[1].runs.get(id) ?? 0);
        expect(runs, id).toBe(1);
        expect(delivered.get(id), id).toBe(1);
      }
      // Both instances took part.
      expect(instances[0].runs.size).toBeGreaterThan(0);
      expect(instances[1].runs.size).toBeGreaterThan(0);
      const check = await PostgresStore.open(url);
      try {
        expect((await check.listTasks({ limit: 1000 })).filter((t) => t.state !== 'delivered')).toEqual([]);
      } finally {
        await check.close();
      }
      console.info(`PostgreSQL: 500 push requests accepted, handled and called back in ${elapsed} ms (instance a ran ${instances[0].runs.size} handlers, b ${instances[1].runs.size})`);
    } finally {
      for (const p of instances) await p.close();
      await target.close();
    }
  });
});

/** A task as the push engine writes it. */
const newTask = (id: string, now = Date.now()) => ({ id, kind: 'push', operation: 'op', request: { n: id }, replyTo: 'https://consumer.example/cb', now, expiresAt: now + 60_000 });

describe.skipIf(!pg)('PostgreSQL store: its statements and connections, seen from the server', () => {
  /** A connection to the server's postgres database, to watch the store's own connections in pg_stat_activity. */
  async function admin(): Promise<pgModule.Client> {
    const client = new pgModule.Client({ connectionString: pg!.url });
    await client.connect();
    return client;
  }
  const dbName = (url: string) => new URL(url).pathname.slice(1);
  /** The store's backends on database `db` (not the admin's, which is on postgres). */
  const backends = async (a: pgModule.Client, db: string, like = '%') =>
    (await a.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE $2 AND pid <> pg_backend_pid()`, [db, like])).rows.map((r) => r.pid);

  it('writes the tasks accepted in one event-loop turn with one statement, on one connection; of an id twice in the turn the first is written', async () => {
    const url = await pg!.createDatabase('turn');
    const a = await admin();
    const store = await PostgresStore.open(url);
    try {
      // open() used one connection and gave it back to the pool.
      expect(await backends(a, dbName(url))).toHaveLength(1);
      const turn = Array.from({ length: 20 }, (_, i) => ({ ...newTask(`t${i}`), target: `https://target.example/${i}`, reference: `ref-${i}` }));
      const created = await Promise.all([...turn.map((t) => store.createTask(t)), store.createTask({ ...newTask('t3'), request: { again: true } })]);
      expect(created).toEqual([...turn.map(() => true), false]);
      expect(await store.getTask('t3')).toMatchObject({ request: { n: 't3' }, replyTo: 'https://consumer.example/cb', target: 'https://target.example/3', reference: 'ref-3', state: 'pending' });
      expect((await store.listTasks({ limit: 100 })).map((t) => t.id).sort()).toEqual(turn.map((t) => t.id).sort());
      // One statement per turn: a statement per task (or per createTask call) would have needed
      // the pool's other connections, which stay open (idle) for 10 s.
      expect(await backends(a, dbName(url))).toHaveLength(1);
      // The next turn is written too (the turn's flag was cleared).
      expect(await store.createTask(newTask('next'))).toBe(true);
    } finally {
      await store.close();
      await a.end();
    }
  });

  it('writes the updates of one turn with one statement per set of columns, each under its own lease check; a task updated twice in the turn gets both', async () => {
    const url = await pg!.createDatabase('updates');
    const a = await admin();
    const store = await PostgresStore.open(url);
    try {
      const now = Date.now();
      for (let i = 0; i < 12; i++) expect(await store.createTask(newTask(`u${i}`, now))).toBe(true);
      const claimed = await store.claimTasks({ kind: 'push', operations: ['op'], states: ['pending'], owner: 'me', now, leaseMs: 60_000, limit: 12 });
      expect(claimed).toHaveLength(12);
      const updated = await Promise.all([
        // Two shapes of patch, ten tasks: one statement each.
        ...[0, 1, 2, 3, 4].map((i) => store.updateTask(`u${i}`, 'me', { state: 'ready', result: { r: i }, dueAt: now, leaseUntil: now + 1000 }, now + 1)),
        ...[5, 6, 7, 8, 9].map((i) => store.updateTask(`u${i}`, 'me', { state: 'delivered', attempts: 1, lastStatus: 200, lastResponse: { ack: i }, lastError: null, release: true }, now + 2)),
        // Not the lease holder: that row alone is left as it was.
        store.updateTask('u10', 'someone else', { state: 'dead', lastError: 'no', release: true }, now + 3),
        // No such task.
        store.updateTask('missing', 'me', { state: 'dead', lastError: 'no', release: true }, now + 3),
        // The same task twice in the turn, with different columns: both are written.
        store.updateTask('u11', 'me', { attempts: 3 }, now + 4),
        store.updateTask('u11', 'me', { lastError: 'slow', dueAt: now + 500 }, now + 5),
      ]);
      expect(updated).toEqual([...Array(10).fill(true), false, false, true, true]);
      // Fourteen updates in five sets of columns: five statements at once, so at most five of the
      // pool's connections (a statement per update would have opened all ten).
      expect((await backends(a, dbName(url))).length).toBeLessThanOrEqual(5);
      expect(await store.getTask('u3')).toMatchObject({ state: 'ready', result: { r: 3 }, leaseOwner: 'me', leaseUntil: now + 1000, updatedAt: now + 1 });
      const delivered = await store.getTask('u7');
      expect(delivered).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200, lastResponse: { ack: 7 }, updatedAt: now + 2 });
      expect(delivered?.leaseOwner).toBeUndefined();
      expect(delivered?.lastError).toBeUndefined();
      expect(await store.getTask('u10')).toMatchObject({ state: 'pending', leaseOwner: 'me' });
      expect(await store.getTask('u11')).toMatchObject({ state: 'pending', attempts: 3, lastError: 'slow', dueAt: now + 500, leaseOwner: 'me' });
      // A failing statement fails every update it carried, and the next turn is written again.
      const bad = Promise.all([store.updateTask('u0', 'me', { attempts: 1.5 }, now), store.updateTask('u1', 'me', { attempts: 2.5 }, now)]);
      await expect(bad).rejects.toThrow(/integer/);
      expect(await store.updateTask('u0', 'me', { attempts: 2 }, now)).toBe(true);
    } finally {
      await store.close();
      await a.end();
    }
  });

  it('prepares its statements once per connection, and prepares them again when another instance changed the table under them', async () => {
    const url = await pg!.createDatabase('prepared');
    const store = await PostgresStore.open(url, { poolSize: 1 });
    const a = new pgModule.Client({ connectionString: url });
    await a.connect();
    try {
      expect(await store.createTask(newTask('p1'))).toBe(true);
      expect(await store.getTask('p1')).toMatchObject({ id: 'p1' });
      // The pool's one connection: what it has prepared is its own (pg_prepared_statements is per session), so ask through the store.
      const prepared = await (store as unknown as { run(sql: string, p: unknown[]): Promise<{ rows: { name: string }[] }> }).run('SELECT name FROM pg_prepared_statements ORDER BY name', []);
      expect(prepared.rows.map((r) => r.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^accordo_/)]));
      expect(prepared.rows.length).toBeGreaterThanOrEqual(2);
      // A newer instance adds a column: `SELECT *` prepared before it may not change its result type.
      await a.query('ALTER TABLE accordo_tasks ADD COLUMN added_later TEXT');
      expect(await store.getTask('p1')).toMatchObject({ id: 'p1', state: 'pending' });
      expect(await store.claimTasks({ kind: 'push', operations: ['op'], states: ['pending'], owner: 'me', now: Date.now(), leaseMs: 1000, limit: 5 })).toHaveLength(1);
    } finally {
      await store.close();
      await a.end();
    }
  });

  it('announces a task written unleased, not one written leased to the instance that accepted it', async () => {
    const url = await pg!.createDatabase('leased_insert');
    const store = await PostgresStore.open(url);
    try {
      const heard: string[] = [];
      const unwatch = await store.watchTasks((kind) => heard.push(kind));
      const now = Date.now();
      expect(await store.createTask({ ...newTask('mine', now), kind: 'leased', lease: { owner: 'me', until: now + 60_000 } })).toBe(true);
      expect(await store.createTask({ ...newTask('anyone', now), kind: 'free' })).toBe(true);
      await until(() => heard.length >= 1, 10_000, 'the notification of the unleased task');
      // Notifications come in commit order: the leased task's, had there been one, would have come first.
      expect(heard).toEqual(['free']);
      expect(await store.getTask('mine')).toMatchObject({ state: 'pending', leaseOwner: 'me', leaseUntil: now + 60_000, runs: 1 });
      // Nobody else claims it while the lease lasts.
      expect(await store.claimTasks({ kind: 'leased', operations: ['op'], states: ['pending'], owner: 'other', now, leaseMs: 1000, limit: 5 })).toEqual([]);
      await unwatch();
    } finally {
      await store.close();
    }
  });

  it('close ends every connection of the pool, and a write after close is refused, not left waiting', async () => {
    const url = await pg!.createDatabase('closing');
    const a = await admin();
    const store = await PostgresStore.open(url);
    try {
      await Promise.all([store.getTask('x'), store.getTask('y'), store.getTask('z')]);
      expect((await backends(a, dbName(url))).length).toBeGreaterThan(0);
      await store.close();
      await until(async () => (await backends(a, dbName(url))).length === 0, 10_000, "the closed store's connections to end");
      await expect(within(store.createTask(newTask('late')), 10_000, () => 'the write after close to settle')).rejects.toThrow(/pool after calling end/);
    } finally {
      await a.end();
    }
  });

  it('ends the LISTEN connection when the watch is ended, and hears only new tasks, with their kind', async () => {
    const url = await pg!.createDatabase('watch');
    const a = await admin();
    const store = await PostgresStore.open(url);
    try {
      const heard: string[] = [];
      const unwatch = await store.watchTasks((kind) => heard.push(kind));
      expect(await backends(a, dbName(url), 'LISTEN %')).toHaveLength(1);
      expect(await store.createTask({ ...newTask('w1'), kind: 'box' })).toBe(true);
      await until(() => heard.length === 1, 10_000, 'the notification of w1');
      expect(heard).toEqual(['box']);
      await unwatch();
      await until(async () => (await backends(a, dbName(url), 'LISTEN %')).length === 0, 10_000, 'the LISTEN connection to end');
    } finally {
      await store.close();
      await a.end();
    }
  });

  it('opens at most poolSize connections', async () => {
    const url = await pg!.createDatabase('pool_size');
    const a = await admin();
    const store = await PostgresStore.open(url, { poolSize: 2 });
    try {
      await Promise.all(Array.from({ length: 6 }, () => store.listTasks()));
      expect(await backends(a, dbName(url))).toHaveLength(2);
    } finally {
      await store.close();
      await a.end();
    }
  });

  it('sets its tables up once when several instances open one new database at the same moment', async () => {
    // Without the schema lock, two CREATE TABLE IF NOT EXISTS of one table in concurrent
    // transactions: the second fails (duplicate key in pg_type) once the first commits.
    for (let round = 0; round < 3; round++) {
      const url = await pg!.createDatabase(`together${round}`);
      const opened = await Promise.allSettled(Array.from({ length: 6 }, () => PostgresStore.open(url)));
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
      expect(opened.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    }
  });

  it('refuses a LISTEN that fails, closing its connection, rather than claim to listen', async () => {
    const url = await pg!.createDatabase('listen_fails');
    const a = await admin();
    const { port } = new URL(url);
    // A loopback relay to the server that lets its first connection (open()'s, kept by the pool)
    // through and cuts any later one at its first statement: the LISTEN's.
    const relayed: Socket[] = [];
    let n = 0;
    const relay: Server = createServer((client) => {
      const first = n++ === 0;
      const server = createConnection({ host: '127.0.0.1', port: Number(port) });
      relayed.push(client, server);
      let chunks = 0;
      client.on('data', (d) => {
        if (!first && ++chunks === 2) {
          client.destroy();
          server.destroy();
        } else server.write(d);
      });
      server.on('data', (d) => client.write(d));
      for (const [s, peer] of [
        [client, server],
        [server, client],
      ] as const) {
        s.on('error', () => peer.destroy());
        s.on('close', () => peer.destroy());
      }
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = url.replace(`:${port}/`, `:${(relay.address() as { port: number }).port}/`);
    const store = await PostgresStore.open(relayUrl);
    try {
      await expect(
        within(
          store.watchTasks(() => {}),
          10_000,
          () => 'watchTasks to settle',
        ),
      ).rejects.toThrow(/terminated|ECONNRESET/);
      expect(await backends(a, dbName(url), 'LISTEN %')).toEqual([]);
      // The store itself goes on working on its pooled connection.
      expect(await store.createTask(newTask('still'))).toBe(true);
    } finally {
      await store.close();
      for (const s of relayed) s.destroy();
      await new Promise((r) => relay.close(r));
      await a.end();
    }
  });

  it('describes itself by its URL with the password hidden', async () => {
    const url = await pg!.createDatabase('described');
    const withPassword = url.replace('postgres://postgres@', 'postgres://postgres:s3cret@');
    // The test server trusts loopback: the password is not checked, only kept out of the description.
    const [plain, secret] = [await PostgresStore.open(url), await PostgresStore.open(withPassword)];
    try {
      expect(plain.description).toBe(url);
      expect(secret.description).toBe(url.replace('postgres://postgres@', 'postgres://postgres:***@'));
      expect(secret.description).not.toContain('s3cret');
    } finally {
      await plain.close();
      await secret.close();
    }
    // A URL that pg reads and the URL class does not (no host before the path, the host in the
    // query, as for a Unix socket): described by its kind alone, its password unread.
    const { port } = new URL(url);
    const hostless = await PostgresStore.open(`postgres://postgres:s3cret@/${dbName(url)}?host=127.0.0.1&port=${port}`);
    try {
      expect(await hostless.createTask(newTask('h'))).toBe(true);
      expect(hostless.description).toBe('postgres');
    } finally {
      await hostless.close();
    }
  });

  it('refuses to open on a database whose tables it cannot set up, and leaves no part of its schema behind', async () => {
    const url = await pg!.createDatabase('foreign');
    const a = await admin();
    const other = new pgModule.Client({ connectionString: url });
    await other.connect();
    try {
      // Someone else's table of that name: the store's last statement, its index on (until), cannot
      // be made; the tables made before it in the same transaction are rolled back with it.
      await other.query('CREATE TABLE accordo_sends (id TEXT PRIMARY KEY)');
      await expect(within(PostgresStore.open(url), 20_000, () => 'open to fail')).rejects.toThrow(/column "until" does not exist/);
      const tables = await other.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
      expect(tables.rows.map((r) => r.t)).toEqual(['accordo_sends']);
      // And its connection is closed, not left in the pool.
      await until(async () => (await backends(a, dbName(url))).length === 1, 10_000, 'only our own connection to the database');
    } finally {
      await other.end();
      await a.end();
    }
  });

  it('drops a pooled connection the server broke and opens a new one for the next query, without an uncaught error', async () => {
    const url = await pg!.createDatabase('broken');
    const a = await admin();
    const store = await PostgresStore.open(url);
    const uncaught: unknown[] = [];
    const record = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', record);
    try {
      await store.getTask('x');
      const [idle] = await backends(a, dbName(url));
      expect(idle).toBeDefined();
      await a.query('SELECT pg_terminate_backend($1)', [idle]);
      await until(async () => !(await backends(a, dbName(url))).includes(idle), 10_000, 'the broken backend to go');
      // The server sent its FATAL before the backend went: let the pool read it.
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      await until(
        async () =>
          await store.getTask('x').then(
            () => true,
            () => false,
          ),
        10_000,
        'a query to succeed on a new connection',
      );
      expect(await store.createTask(newTask('after'))).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
      await store.close();
      await a.end();
    }
  });
});
