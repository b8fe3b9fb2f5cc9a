import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/runtime/clock.js';
import { PostgresStore } from '../src/runtime/store/index.js';
import { startPostgres } from './support/postgres.js';
import { startProvider, type TestProvider } from './support/provider.js';
import { push, startTarget, until } from './support/push.js';

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
