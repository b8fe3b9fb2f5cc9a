// The task runtime the push and pull engines share (engines/tasks.ts): a store the caller opened
// stays open when the server closes and one opened from a setting is closed with it, callbacks are
// dialled through the reply-address guard (or the caller's outbound fetch), an accepted push
// request is stored with its callback target (the key of the per-target limits), an instance with
// `delivery.enabled: false` only accepts, and an admin retry wakes the worker at once.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { buildConnector } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/runtime/clock.js';
import type { DeliveryOutcome } from '../src/runtime/delivery.js';
import { startTaskRuntime } from '../src/runtime/engines/tasks.js';
import { registerProvider } from '../src/runtime/provider.js';
import type { PullDescriptor } from '../src/runtime/pull.js';
import type { Connector } from '../src/runtime/reply-to.js';
import { MemoryStore, openStore } from '../src/runtime/store/index.js';
import { BINDINGS } from './support/bindings.js';
import { startProvider } from './support/provider.js';
import { defs, fastClock, push, startTarget, submitOp, until } from './support/push.js';

const dir = mkdtempSync(join(tmpdir(), 'accordo-tasks-'));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A connector that records what it dials, then dials it (loopback only in these tests). */
function dialling() {
  const dialled: string[] = [];
  const dial = buildConnector({});
  const connect: Connector = (options, callback) => {
    dialled.push(`${options.hostname}:${options.port}`);
    dial(options, callback);
  };
  return { dialled, connect };
}

/** A clock whose sleeps end only when the worker is woken (or stopped): the worker works only when something wakes it. */
const wokenOnly = (): Clock => ({
  now: () => Date.now(),
  sleep: (_ms, signal) => new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true }))),
});

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

  it.each(BINDINGS)('$name: dials callbacks through the reply-address guard, to the address it checked', async (binding) => {
    const t = await startTarget(() => binding.ack);
    cleanup.push(t.close);
    const { dialled, connect } = dialling();
    const p = await binding.start({ replyTo: { allowLoopback: true }, delivery: { connect } });
    cleanup.push(p.close);
    const id = await p.accept(`${t.url}/cb`);
    expect(await p.outcome(id)).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(dialled).toEqual([new URL(t.url).host]);
  });

  it('dials through the guard a provider that has pull operations besides its push ones', async () => {
    const t = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(t.close);
    const { dialled, connect } = dialling();
    const get = (path: string, status: string) => ({
      id: path,
      handler: path,
      method: 'GET' as const,
      path,
      pattern: 'NONBLOCK_PULL_REST',
      parameters: { path: [{ name: 'id_task', required: true, schema: { type: 'string' } }], query: [], header: [] },
      responses: [{ status, mediaTypes: ['application/json'], headers: [] }],
    });
    const pullOp: PullDescriptor = {
      id: 'start',
      handler: 'start',
      method: 'POST',
      path: '/tasks',
      pattern: 'NONBLOCK_PULL_REST',
      parameters: { path: [], query: [], header: [] },
      body: { required: true, mediaTypes: ['application/json'], schema: { $ref: '#/$defs/Request' } },
      responses: [{ status: '202', mediaTypes: ['application/json'], headers: [] }],
      pull: { status: get('/tasks/{id_task}', '200'), result: get('/tasks/{id_task}/result', '200'), taskParam: 'id_task' },
    };
    const outcomes = new Map<string, DeliveryOutcome>();
    const app = Fastify();
    cleanup.push(() => app.close());
    await registerProvider(
      app,
      { defs, operations: [pullOp, submitOp] },
      {
        start: { acknowledge: () => ({ outcome: 'accepted' }), process: () => ({ n: 1, doubled: 2 }), status: (task: { state: string }) => ({ state: task.state }) },
        submit: { acknowledge: () => ({ outcome: 'accepted' }), process: (req: { body: { n: number } }) => ({ n: req.body.n, doubled: 2 * req.body.n }) },
      },
      { store: 'memory:', clock: fastClock(), replyTo: { allowLoopback: true }, delivery: { connect }, onDelivery: (_op, id, o) => outcomes.set(id, o) },
    );
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const id = await push(url, `${t.url}/cb`, 5);
    await until(() => outcomes.has(id), 10_000, `the outcome of ${id}`);
    expect(outcomes.get(id)).toMatchObject({ state: 'delivered' });
    expect(t.hits.map((h) => h.body)).toEqual([{ n: 5, doubled: 10 }]);
    expect(dialled).toEqual([new URL(t.url).host]);
  });

  it.each(BINDINGS)('$name: closes with the server a store it opened from its setting', async (binding) => {
    const file = join(dir, `${binding.name.replace(/\W/g, '')}-owned.db`);
    const t = await startTarget(() => binding.ack);
    cleanup.push(t.close);
    const p = await binding.start({ store: `sqlite:${file}`, replyTo: { allowLoopback: true } });
    expect(await p.outcome(await p.accept(`${t.url}/cb`))).toMatchObject({ state: 'delivered' });
    // Open, the store writes ahead to its -wal file; closed (the last connection), SQLite folds it into the file and removes it.
    expect(existsSync(`${file}-wal`)).toBe(true);
    await p.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = await openStore(`sqlite:${file}`);
    cleanup.push(() => again.close());
    expect(await again.listTasks()).toMatchObject([{ kind: 'push', state: 'delivered' }]);
  });

  it.each(BINDINGS)('$name: with delivery.enabled false only accepts; another instance on the store runs and delivers the work', async (binding) => {
    const store = new MemoryStore();
    const t = await startTarget(() => binding.ack);
    cleanup.push(t.close);
    const accepting = await binding.start({ store, replyTo: { allowLoopback: true }, delivery: { enabled: false } });
    cleanup.push(accepting.close);
    const id = await accepting.accept(`${t.url}/cb`);
    expect(await store.getTask(id)).toMatchObject({ state: 'pending', runs: 0 });
    expect(await store.getTask(id)).not.toHaveProperty('leaseOwner');
    const working = await binding.start({ store, replyTo: { allowLoopback: true } });
    cleanup.push(working.close);
    expect(await working.outcome(id)).toMatchObject({ state: 'delivered', attempts: 1 });
    expect([accepting.processed(), working.processed()]).toEqual([0, 1]);
    expect(t.hits).toHaveLength(1);
  });

  it('starts no worker with delivery.enabled false, and one otherwise', async () => {
    for (const [delivery, worker] of [
      [{ enabled: false }, false],
      [{ enabled: true }, true],
      [{}, true],
    ] as const) {
      const app = Fastify();
      const runtime = await startTaskRuntime(app, new Map(), { store: new MemoryStore(), delivery });
      expect(runtime.worker !== undefined, JSON.stringify(delivery)).toBe(worker);
      await app.close();
    }
  });

  it('wakes the worker at once when an admin retries a dead letter (no poll needed)', async () => {
    const t = await startTarget((_hit, n) => (n === 1 ? { status: 400, body: { title: 'wrong contract' } } : { status: 200, body: { outcome: 'received' } }));
    cleanup.push(t.close);
    const token = 'an-admin-token-for-tests';
    const outcomes: DeliveryOutcome[] = [];
    // The worker's sleeps never end by themselves: only a wake-up makes it look at the store again.
    const p = await startProvider({ clock: wokenOnly(), admin: { token }, onDelivery: (_op, _id, o) => outcomes.push(o) });
    cleanup.push(p.close);
    const id = await push(p.url, `${t.url}/cb`, 3);
    expect(await p.outcome(id)).toMatchObject({ state: 'dead', status: 400, attempts: 1 });
    const retried = await fetch(`${p.url}/_accordo/deliveries/${id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(retried.status).toBe(200);
    await until(() => outcomes.length === 2, 10_000, `the retried delivery of ${id}`);
    expect(outcomes[1]).toMatchObject({ state: 'delivered', status: 200, attempts: 1 });
    expect(t.hits.map((h) => h.body)).toEqual([
      { n: 3, doubled: 6 },
      { n: 3, doubled: 6 },
    ]);
  });

  it("names the worker's log lines: component task-worker, and the CorrelationID", async () => {
    const t = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(t.close);
    const p = await startProvider();
    cleanup.push(p.close);
    const id = await push(p.url, `${t.url}/cb`, 2);
    expect(await p.outcome(id)).toMatchObject({ state: 'delivered' });
    expect(p.logs.filter((l) => l.msg === 'callback delivered')).toMatchObject([{ component: 'task-worker', correlationId: id, operation: 'submit', attempts: 1 }]);
  });

  it('lets a target that acknowledges its callbacks have more than perTargetConcurrency in flight (maxPerTargetConcurrency 16 by default)', async () => {
    // The first callback is acknowledged at once; the next ones are held open, to count how many are in flight together.
    let seen = 0;
    const t = await startTarget(() => (++seen === 1 ? { status: 200, body: { outcome: 'received' } } : 'hang'));
    cleanup.push(t.close);
    const p = await startProvider({ delivery: { shutdownGraceMs: 50 } });
    cleanup.push(p.close);
    expect(await p.outcome(await push(p.url, `${t.url}/first`, 1))).toMatchObject({ state: 'delivered' });
    // One acknowledgement: one slot more than the 2 every target starts with.
    for (const n of [2, 3, 4]) await push(p.url, `${t.url}/next${n}`, n);
    await until(() => t.hits.length === 4, 10_000, `three callbacks in flight together (got ${t.hits.length - 1})`);
    expect(t.hits.map((h) => h.path).sort()).toEqual(['/first', '/next2', '/next3', '/next4']);
  });
});
