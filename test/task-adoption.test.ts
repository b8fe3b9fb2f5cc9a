// A request accepted by an instance whose worker has room is written already leased to that
// worker and handed to it in memory: no claim, no wake-up round trip (issue 19). These tests
// count the store's claims around the real push engine on loopback.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/runtime/clock.js';
import { MemoryStore } from '../src/runtime/store/memory.js';
import type { ClaimQuery, TaskRecord } from '../src/runtime/store/types.js';
import { startProvider } from './support/provider.js';
import { push, startTarget, until } from './support/push.js';

/** A memory store that counts its claims, and what each came back with. */
class CountingStore extends MemoryStore {
  readonly claims: { query: ClaimQuery; got: number }[] = [];
  async claimTasks(q: ClaimQuery): Promise<TaskRecord[]> {
    const got = await super.claimTasks(q);
    this.claims.push({ query: q, got: got.length });
    return got;
  }
}

describe('an accepted request goes to the worker of the instance that accepted it', () => {
  it('is written leased to that worker, its run counted, and processed and called back without a claim', async () => {
    const store = new CountingStore();
    const target = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    // A poll far away: any claim in the test would come from a wake, not from the timer.
    const provider = await startProvider({ store, clock: systemClock, delivery: { pollMs: 600_000 } });
    try {
      await until(() => store.claims.length > 0, 10_000, "the worker's first claims");
      const before = store.claims.length;
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push(await push(provider.url, `${target.url}/cb`, i));
      await until(() => provider.outcomes.size === 30, 10_000, '30 callbacks');
      expect(store.claims.slice(before)).toEqual([]);
      for (const id of ids) {
        expect(provider.runs.get(id), id).toBe(1);
        const task = await store.getTask(id);
        expect(task, id).toMatchObject({ state: 'delivered', runs: 1, attempts: 1 });
        expect(task?.leaseOwner, id).toBeUndefined();
      }
      expect(target.hits).toHaveLength(30);
    } finally {
      await provider.close();
      await target.close();
    }
  });

  it('is written unleased once the handler queue is full, and claimed when a slot frees; each handler runs once', async () => {
    const store = new CountingStore();
    const target = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // One handler slot and room for 8 tasks with it, the running one counted: the 9th request on finds none.
    const provider = await startProvider({ store, clock: systemClock, delivery: { pollMs: 600_000, handlerConcurrency: 1 } }, async (req) => {
      await gate;
      return { n: (req.body as { n: number }).n, doubled: 0 };
    });
    try {
      const ids = await Promise.all(Array.from({ length: 14 }, (_, i) => push(provider.url, `${target.url}/cb`, i)));
      const written = await Promise.all(ids.map((id) => store.getTask(id)));
      const leased = written.filter((t) => t?.leaseOwner !== undefined);
      // Eight leased at acceptance (one running, seven queued), the rest left for a claim.
      expect(leased).toHaveLength(8);
      expect(written.filter((t) => t !== undefined && t.leaseOwner === undefined && t.runs === 0)).toHaveLength(6);
      open();
      await until(() => provider.outcomes.size === 14, 10_000, '14 callbacks');
      for (const id of ids) expect(provider.runs.get(id), id).toBe(1);
      expect(store.claims.some((c) => c.query.states.includes('pending') && c.got > 0)).toBe(true);
    } finally {
      open();
      await provider.close();
      await target.close();
    }
  });

  it('an instance that only accepts writes the request unleased, and another instance claims it', async () => {
    const store = new CountingStore();
    const target = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    const accepting = await startProvider({ store, clock: systemClock, delivery: { enabled: false } });
    const working = await startProvider({ store, clock: systemClock, delivery: { pollMs: 50 } });
    try {
      // The accepting instance has no worker (delivery.enabled false): the other claims the request.
      const id = await push(accepting.url, `${target.url}/cb`, 7);
      await until(() => working.outcomes.has(id), 10_000, 'the callback from the other instance');
      expect(working.runs.get(id)).toBe(1);
      expect(accepting.runs.get(id)).toBeUndefined();
      expect(store.claims.some((c) => c.query.states.includes('pending') && c.got === 1)).toBe(true);
    } finally {
      await accepting.close();
      await working.close();
      await target.close();
    }
  });
});
