// When the task worker asks the store for work, and when it takes a task from the accepting
// request instead (docs/delivery.md, "How the worker finds work"): a task is written leased to the
// worker only for an operation it has a job for, while it runs and has room (its handler slots
// and 8 queued tasks per slot); a worker that stopped gives a task it is handed back; and it claims
// when woken, at its poll, and when a slot frees while its last claims came back full (or targets
// were left out), not once per finished task. The worker alone on a real MemoryStore with scripted
// handlers and attempts (no network), under a clock whose poll never comes: every claim after the
// first comes from a wake or a freed slot, and the tests count them.
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/runtime/clock.js';
import type { AttemptResult, DeliveryOutcome } from '../src/runtime/delivery.js';
import { MemoryStore } from '../src/runtime/store/memory.js';
import { newTaskRecord, type ClaimQuery, type NewTask, type TaskRecord } from '../src/runtime/store/types.js';
import { TaskWorker, type ProcessContext, type PushJob, type TaskJob, type WorkerOptions } from '../src/runtime/worker.js';
import { recorder } from './support/log.js';
import { until } from './support/push.js';
import { TEST_OWNER as OWNER, workerOptions } from './support/worker.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const stopping: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stopping.length) await stopping.pop()!();
});

/** A memory store that keeps each claim's kind, states and limit, and how many it came back with. */
class CountingStore extends MemoryStore {
  readonly claims: { kind: string; states: string[]; limit: number; got: number }[] = [];
  async claimTasks(q: ClaimQuery): Promise<TaskRecord[]> {
    const got = await super.claimTasks(q);
    this.claims.push({ kind: q.kind, states: q.states, limit: q.limit, got: got.length });
    return got;
  }
}

/**
 * A clock that stands still and whose sleeps end only when the worker is woken: its poll never
 * comes. `asleep` is true while the worker's loop waits in it, so a test knows the loop has gone
 * round after a wake (the wake ends the sleep at once; the loop sleeps again only when done).
 */
function stillClock() {
  const state = { asleep: false };
  const clock: Clock = {
    now: () => T0,
    sleep: (_ms, signal) =>
      new Promise<void>((resolve) => {
        state.asleep = true;
        signal?.addEventListener(
          'abort',
          () => {
            state.asleep = false;
            resolve();
          },
          { once: true },
        );
      }),
  };
  return { clock, state };
}

function worker(store: MemoryStore, jobs: Map<string, TaskJob>, clock: Clock, options: Partial<WorkerOptions> = {}) {
  const outcomes = new Map<string, DeliveryOutcome>();
  const w = new TaskWorker(jobs, workerOptions(store, recorder().log, clock, outcomes, { pollMs: DAY, handlerConcurrency: 1, ...options }));
  stopping.push(() => w.stop(1000));
  return { w, outcomes };
}

const delivered: AttemptResult = { kind: 'delivered', status: 200, ack: { outcome: 'received' } };

/** A push task as the engine writes it for `target`, leased when given a lease. */
const newTask = (id: string, target = 'a.test', lease?: { owner: string; until: number }): NewTask => ({
  kind: 'push',
  id,
  operation: 'op',
  request: { id },
  replyTo: `http://${target}/cb`,
  target,
  now: T0 - 1000,
  expiresAt: T0 + DAY,
  ...(lease ? { lease } : {}),
});

/** A push job whose handler waits for `open()`; its callbacks are delivered at once. */
function gatedHandler() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const started: string[] = [];
  const job: PushJob = {
    kind: 'push',
    process: async (r, ctx) => (started.push(ctx.correlationId), await gate, r),
    checkResult: () => {},
    attempt: async () => delivered,
  };
  return { job, started, open };
}

/** Ready callbacks left in the store by another instance (its handler ran, its attempt did not happen). */
async function leftReady(store: MemoryStore, id: string, target: string) {
  await store.createTask(newTask(id, target));
  expect(await store.claimTasks({ kind: 'push', id, operations: ['op'], states: ['pending'], owner: 'dead-process', now: T0 - 900, leaseMs: 1, limit: 1 })).toHaveLength(1);
  expect(await store.updateTask(id, 'dead-process', { state: 'ready', result: { id }, dueAt: T0 - 800, release: true }, T0 - 800)).toBe(true);
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

describe('a task written leased to the worker of the accepting instance', () => {
  it('only for an operation it has a job for, and not once it stopped', async () => {
    const { job } = gatedHandler();
    const { w } = worker(new MemoryStore(), new Map([['op', job]]), stillClock().clock, { leaseMs: 5000 });
    await w.start();
    expect(w.leaseFor('op', T0)).toEqual({ owner: OWNER, until: T0 + 5000 });
    // Another instance's operation (or one this worker has no job for): written unleased, for a claim.
    expect(w.leaseFor('other', T0)).toBeUndefined();
    await w.stop(1000);
    expect(w.leaseFor('op', T0)).toBeUndefined();
  });

  it('while the running and queued handlers are fewer than 8 per handler slot', async () => {
    const store = new CountingStore();
    const { job, started, open } = gatedHandler();
    const { w, outcomes } = worker(store, new Map([['op', job]]), stillClock().clock, { handlerConcurrency: 2 });
    await w.start();
    const leased: string[] = [];
    for (let i = 0; i < 40; i++) {
      const lease = w.leaseFor('op', T0);
      if (!lease) break;
      const task = newTask(`a${i}`, 'a.test', lease);
      expect(await store.createTask(task)).toBe(true);
      w.adopt(newTaskRecord(task));
      leased.push(task.id);
    }
    // Two slots: 16 tasks, two of them running once their turn came.
    expect(leased).toHaveLength(16);
    await until(() => started.length === 2, 10_000, 'the two handlers');
    expect(w.leaseFor('op', T0)).toBeUndefined();
    open();
    await until(() => outcomes.size === 16, 10_000, 'the 16 callbacks');
    expect(w.leaseFor('op', T0)).toEqual({ owner: OWNER, until: T0 + DAY });
  });

  it('handed to a worker that has stopped, it is given back to the store as it was before its lease: another instance runs it', async () => {
    const store = new MemoryStore();
    const { job } = gatedHandler();
    const { w } = worker(store, new Map([['op', job]]), stillClock().clock);
    await w.start();
    // Accepted just as the instance stops: the lease was given before, the task is written after.
    const lease = w.leaseFor('op', T0)!;
    await w.stop(1000);
    const task = newTask('late', 'a.test', lease);
    expect(await store.createTask(task)).toBe(true);
    w.adopt(newTaskRecord(task));
    await until(async () => (await store.getTask('late'))?.leaseOwner === undefined, 10_000, 'the task given back');
    expect(await store.getTask('late')).toMatchObject({ state: 'pending', runs: 0 });

    const runs: number[] = [];
    const other = worker(store, new Map<string, TaskJob>([['op', { ...job, process: (r: unknown, ctx: ProcessContext) => (runs.push(ctx.run), r) }]]), stillClock().clock);
    await other.w.start();
    await until(() => other.outcomes.has('late'), 10_000, 'the other instance’s callback');
    expect(runs).toEqual([1]);
  });
});

describe('claims only while the store may hold work for the worker', () => {
  it('woken while its one slot is busy and nothing new is stored: one claim; when the slot frees, none', async () => {
    const store = new CountingStore();
    await store.createTask(newTask('p1'));
    const { clock, state } = stillClock();
    const { job, started, open } = gatedHandler();
    // A push-only worker: it has no pull job, so nothing of that kind is asked for.
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(() => started.length === 1 && state.asleep, 10_000, 'the handler, and the worker asleep');
    // Its first claims: one pending task (of 8 asked for), no ready one.
    expect(store.claims).toEqual([
      { kind: 'push', states: ['pending'], limit: 8, got: 1 },
      { kind: 'push', states: ['ready'], limit: 64, got: 0 },
    ]);
    // Woken (as by a task another instance wrote), with the one slot busy: it asks, finds nothing.
    w.wake();
    await until(() => state.asleep, 10_000, 'the worker asleep again');
    expect(store.claims.slice(2)).toEqual([
      { kind: 'push', states: ['pending'], limit: 7, got: 0 },
      { kind: 'push', states: ['ready'], limit: 64, got: 0 },
    ]);
    // The handler returns, its callback goes out from the queue: its slots freed, nothing claimed.
    open();
    await until(() => outcomes.has('p1'), 10_000, 'the callback');
    await until(() => state.asleep, 10_000, 'the worker asleep again');
    expect(store.claims).toHaveLength(4);
    expect(await store.getTask('p1')).toMatchObject({ state: 'delivered', runs: 1, attempts: 1 });
  });

  it('ready callbacks beyond what one claim takes are claimed as slots free, without a poll', async () => {
    const store = new CountingStore();
    // Left by another instance for 40 targets: one delivery slot takes 32 (in flight and queued) at a time.
    const left = ids('r', 40);
    for (const id of left) await leftReady(store, id, `${id}.test`);
    const { clock, state } = stillClock();
    const { job } = gatedHandler();
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, { deliveryConcurrency: 1 });
    await w.start();
    await until(() => outcomes.size === 40 && state.asleep, 10_000, 'the 40 callbacks, and the worker asleep');
    const ready = store.claims.filter((c) => c.states.includes('ready'));
    // The first claim came back full: the store may hold more, and a freed slot claims again.
    expect(ready[0]).toEqual({ kind: 'push', states: ['ready'], limit: 32, got: 32 });
    expect(ready.reduce((n, c) => n + c.got, 0)).toBe(40);
    for (const id of left) expect(await store.getTask(id), id).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it('ready callbacks of a target whose queue is full are left in the store, and claimed once it has room, without a poll', async () => {
    const store = new CountingStore();
    // All for one target with one slot: its queue holds 32; the other 8 wait in the store.
    const left = ids('x', 40);
    for (const id of left) await leftReady(store, id, 'x.test');
    const { clock, state } = stillClock();
    const { job } = gatedHandler();
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, {
      deliveryConcurrency: 1,
      targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 3, circuitOpenMs: 60_000 },
    });
    await w.start();
    await until(() => outcomes.size === 40 && state.asleep, 10_000, 'the 40 callbacks, and the worker asleep');
    const ready = store.claims.filter((c) => c.states.includes('ready') && c.got > 0);
    expect(ready.map((c) => c.got)).toEqual([32, 8]);
    for (const id of left) expect(await store.getTask(id), id).toMatchObject({ state: 'delivered', attempts: 1 });
  });
});
