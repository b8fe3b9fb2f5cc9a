// Two provider instances on one store, on the system clock: a handler that runs longer than the
// lease keeps its task, because the worker renews the lease while it runs (docs/delivery.md).
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/runtime/clock.js';
import { MemoryStore } from '../src/runtime/store/index.js';
import { startProvider } from './support/provider.js';
import { push, startTarget, until } from './support/push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('lease renewal', () => {
  it('a handler running three leases long is not run again by the other instance, and its callback is sent once', async () => {
    const store = new MemoryStore();
    cleanup.push(() => store.close());
    const target = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(target.close);
    const leaseMs = 1500;
    let runs = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const slow = async (req: { body: unknown }) => {
      runs++;
      await finished;
      const n = (req.body as { n: number }).n;
      return { n, doubled: n * 2 };
    };
    const options = { store, clock: systemClock, delivery: { leaseMs, pollMs: 50 } };
    const a = await startProvider({ ...options, delivery: { ...options.delivery, owner: 'instance-a' } }, slow);
    cleanup.push(a.close);
    const b = await startProvider({ ...options, delivery: { ...options.delivery, owner: 'instance-b' } }, slow);
    cleanup.push(b.close);

    const id = await push(a.url, `${target.url}/cb`, 21);
    await until(() => runs === 1, 10_000, 'the handler to start');
    const claimed = (await store.getTask(id))!;
    // Wait three leases (real time: the lease is on the system clock), the other instance polling all along.
    const end = claimed.leaseUntil! + 2 * leaseMs;
    await until(async () => Date.now() > end, 20_000, 'three leases to pass');
    const held = (await store.getTask(id))!;
    expect(held.state).toBe('pending');
    expect(held.leaseOwner).toBe(claimed.leaseOwner);
    expect(held.leaseUntil!).toBeGreaterThan(claimed.leaseUntil! + leaseMs);
    expect(runs).toBe(1);

    finish();
    // Either instance may deliver the callback once the result is stored.
    await until(() => a.outcomes.has(id) || b.outcomes.has(id), 20_000, 'the callback to be delivered');
    expect(a.outcomes.get(id) ?? b.outcomes.get(id)).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(runs).toBe(1);
    expect(target.hits).toHaveLength(1);
    expect(target.hits[0].body).toEqual({ n: 21, doubled: 42 });
  });
});
