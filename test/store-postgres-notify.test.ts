import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/runtime/clock.js';
import { PostgresStore } from '../src/runtime/store/index.js';
import { startPostgres } from './support/postgres.js';
import { startProvider, type TestProvider } from './support/provider.js';
import { push, startTarget, until } from './support/push.js';

const pg = await startPostgres();
afterAll(() => pg?.stop());

/** A poll this long never comes during a test: only an announcement can start the work. */
const NEVER_MS = 3_600_000;

describe.skipIf(!pg)('PostgreSQL: a new task wakes the workers of every instance (LISTEN/NOTIFY)', () => {
  it('a task added through one store is announced to a listener on another', { timeout: 30_000 }, async () => {
    const url = await pg!.createDatabase('notify_store');
    const [adder, watcher] = [await PostgresStore.open(url), await PostgresStore.open(url)];
    const heard: string[] = [];
    const unwatch = await watcher.watchTasks((kind) => heard.push(kind));
    try {
      const now = Date.now();
      expect(await adder.createTask({ id: 't1', kind: 'push', operation: 'op', request: {}, now, expiresAt: now + 60_000 })).toBe(true);
      await until(() => heard.length === 1, 10_000, 'the notification of the new task');
      expect(heard).toEqual(['push']);
      // A duplicate id adds nothing and announces nothing.
      expect(await adder.createTask({ id: 't1', kind: 'push', operation: 'op', request: {}, now, expiresAt: now + 60_000 })).toBe(false);
      expect(await adder.createTask({ id: 't2', kind: 'pull', operation: 'op', request: {}, now, expiresAt: now + 60_000 })).toBe(true);
      await until(() => heard.length === 2, 10_000, 'the notification of the second task');
      expect(heard).toEqual(['push', 'pull']);
    } finally {
      await unwatch();
      await adder.close();
      await watcher.close();
    }
  });

  it('a request accepted by an instance that only accepts is processed and called back by another whose poll never comes', { timeout: 60_000 }, async () => {
    const url = await pg!.createDatabase('notify_instances');
    const target = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    const instances: TestProvider[] = [];
    try {
      instances.push(await startProvider({ store: url, clock: systemClock, delivery: { enabled: false } }));
      instances.push(await startProvider({ store: url, clock: systemClock, delivery: { owner: 'worker', pollMs: NEVER_MS, leaseMs: 30_000 } }));
      const [acceptor, worker] = instances;
      for (let n = 0; n < 3; n++) {
        const id = await push(acceptor.url, `${target.url}/cb`, n);
        // The second and third arrive while the worker sleeps for its (hour-long) poll: only the notification wakes it.
        expect(await worker.outcome(id, 20_000)).toMatchObject({ state: 'delivered' });
      }
      expect(worker.runs.size).toBe(3);
      expect(target.hits).toHaveLength(3);
    } finally {
      for (const p of instances) await p.close();
      await target.close();
    }
  });
});
