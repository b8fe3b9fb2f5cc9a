// The task runtime the push and pull engines share (engines/tasks.ts): a store the caller opened
// stays open when the server closes, the caller's outbound fetch carries the callbacks, and an
// accepted push request is stored with its callback target (the key of the per-target limits).
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, openStore } from '../src/runtime/store/index.js';
import { startProvider } from './support/provider.js';
import { push, startTarget } from './support/push.js';

const dir = mkdtempSync(join(tmpdir(), 'accordo-tasks-'));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the task runtime', () => {
  it('stores an accepted push request with its callback target, and leaves open a store the caller passed', async () => {
    const store = await openStore(`sqlite:${join(dir, 'caller.db')}`);
    cleanup.push(() => store.close());
    const t = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(t.close);
    const p = await startProvider({ store });
    const id = await push(p.url, `${t.url}/cb`, 3);
    expect(await p.outcome(id)).toMatchObject({ state: 'delivered' });
    expect(await store.getTask(id)).toMatchObject({ id, kind: 'push', state: 'delivered', target: new URL(t.url).host });
    await p.close();
    // The caller's store: still open after the server closed.
    expect(await store.getTask(id)).toMatchObject({ id, state: 'delivered' });
  });

  it("sends the callbacks through the caller's outbound fetch when it brings one", async () => {
    const t = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(t.close);
    const fetched: string[] = [];
    const p = await startProvider({
      outbound: {
        fetch: (input, init) => {
          fetched.push(String(input));
          return fetch(input, init);
        },
      },
    });
    cleanup.push(p.close);
    const id = await push(p.url, `${t.url}/cb`, 4);
    expect(await p.outcome(id)).toMatchObject({ state: 'delivered' });
    expect(fetched).toEqual([`${t.url}/cb`]);
    expect(t.hits).toHaveLength(1);
  });

  it('names each instance in its leases by host, process and a random part, unless told its name', async () => {
    const t = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(t.close);
    const store = new MemoryStore();
    const owners: string[] = [];
    const holder = async (_req: unknown, ctx: { correlationId: string }) => {
      owners.push((await store.getTask(ctx.correlationId))!.leaseOwner!);
      return { n: 1, doubled: 2 };
    };
    for (const n of [1, 2]) {
      // One after the other: a second worker on the store must not take the first one's task.
      const p = await startProvider({ store }, holder);
      expect(await p.outcome(await push(p.url, `${t.url}/cb`, n))).toMatchObject({ state: 'delivered' });
      await p.close();
    }
    const named = new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${process.pid}:[0-9a-f]{8}$`);
    expect(owners).toHaveLength(2);
    for (const owner of owners) expect(owner).toMatch(named);
    expect(owners[0]).not.toBe(owners[1]);
  });
});
