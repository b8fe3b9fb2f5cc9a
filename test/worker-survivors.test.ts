// The task worker's promises that its first mutation run (issue 22) found untested, on a real
// MemoryStore with scripted handlers and attempts (no network; docs/delivery.md): a pull task's run
// after an interrupted one, and no third run; a push handler that throws is a dead letter; a
// result is stored before its callback goes out, and a target's queue holds 32 per slot; the
// sweep expires never-processed tasks (and reports only its own operations' push tasks), on its
// own schedule; shutdown aborts the handlers' signal only once the grace period is over.
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/runtime/clock.js';
import type { AttemptResult, DeliveryOutcome } from '../src/runtime/delivery.js';
import { MemoryStore } from '../src/runtime/store/index.js';
import type { ClaimQuery, TaskRecord } from '../src/runtime/store/types.js';
import { TaskWorker, type PullJob, type PushJob, type TaskJob, type WorkerOptions } from '../src/runtime/worker.js';
import { boundRecorder, recorder } from './support/log.js';
import { until } from './support/push.js';
import { TEST_OWNER as OWNER, workerOptions } from './support/worker.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const stopping: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stopping.length) await stopping.pop()!();
});

/**
 * A clock whose time moves only when the worker sleeps out a poll (by what it asked), or, `held`,
 * only when the test moves it; its sleeps last 1 ms of real time, so the worker keeps polling. It
 * counts the sleeps.
 */
function virtualClock(start = T0, { held = false } = {}) {
  const state = { now: start, sleeps: 0 };
  const clock: Clock = {
    now: () => state.now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        state.sleeps++;
        const timer = setTimeout(() => {
          if (!held) state.now += ms;
          resolve();
        }, 1);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      }),
  };
  return { clock, state };
}

function worker(store: MemoryStore, jobs: Map<string, TaskJob>, clock: Clock, options: Partial<WorkerOptions> = {}) {
  const outcomes = new Map<string, DeliveryOutcome>();
  const { log, lines } = recorder();
  const w = new TaskWorker(jobs, workerOptions(store, log, clock, outcomes, options));
  stopping.push(() => w.stop(1000));
  return { w, outcomes, lines };
}

/** A task whose earlier runs (claims by a process that then died, its lease lapsed) are `runs`. */
async function interrupted(store: MemoryStore, kind: 'push' | 'pull', id: string, runs: number, now: number) {
  await store.createTask({ kind, id, operation: 'op', request: { id }, ...(kind === 'push' ? { replyTo: 'http://a.test/cb', target: 'a.test' } : {}), now: now - 1000, expiresAt: now + DAY });
  for (let i = 0; i < runs; i++) {
    const claimed = await store.claimTasks({ kind, operations: ['op'], states: ['pending'], owner: 'dead-process', now: now - 900 + i * 10, leaseMs: 1, limit: 1 });
    expect(claimed.map((t) => t.id)).toEqual([id]);
  }
}

/** A task as stored, with who holds its lease (`null`: released). */
async function got(store: MemoryStore, id: string) {
  const t = await store.getTask(id);
  return { ...t, held: t?.leaseOwner ?? null };
}

const delivered: AttemptResult = { kind: 'delivered', status: 200, ack: { outcome: 'received' } };

describe('pull tasks: one more run after an interrupted one, never a third', () => {
  it('a task interrupted twice is not run again: it fails with the generic error, released', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'pull', 'twice', 2, T0);
    await interrupted(store, 'pull', 'once', 1, T0);
    await interrupted(store, 'pull', 'fresh', 0, T0);
    const runs: { id: string; run: number }[] = [];
    const job: PullJob = { kind: 'pull', process: (request, ctx) => (runs.push({ id: ctx.taskId, run: ctx.run }), { done: (request as { id: string }).id }), failureOf: () => 'failed' };
    const { w, lines } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(
      async () => (await Promise.all(['twice', 'once', 'fresh'].map((id) => store.getTask(id)))).every((t) => t!.state !== 'pending' && t!.leaseOwner === undefined),
      10_000,
      'the three pull tasks finished',
    );

    expect(runs.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'fresh', run: 1 },
      { id: 'once', run: 2 },
    ]);
    expect(await got(store, 'twice')).toMatchObject({ state: 'dead', lastError: 'the request could not be processed', runs: 3, held: null });
    expect(await got(store, 'once')).toMatchObject({ state: 'delivered', result: { done: 'once' }, held: null });
    expect(await got(store, 'fresh')).toMatchObject({ state: 'delivered', result: { done: 'fresh' }, held: null });
    expect(lines.filter((l) => l.level !== 'info')).toEqual([
      expect.objectContaining({ level: 'error', fields: { run: 3 }, msg: 'pull handler interrupted twice; the task fails instead of running a third time' }),
      expect.objectContaining({ level: 'warn', fields: { run: 2 }, msg: 'an earlier run of this handler was interrupted; running it again' }),
    ]);
  });

  it('a handler that throws leaves its binding’s failure text on the task; one returning nothing leaves null', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'pull', 'throws', 0, T0);
    await interrupted(store, 'pull', 'nothing', 0, T0);
    const job: PullJob = {
      kind: 'pull',
      process: (_r, ctx) => {
        if (ctx.taskId === 'throws') throw new Error('boom');
        return undefined;
      },
      failureOf: (e) => `the binding says: ${(e as Error).message}`,
    };
    const { w, lines } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(
      async () => (await Promise.all(['throws', 'nothing'].map((id) => store.getTask(id)))).every((t) => t!.state !== 'pending' && t!.leaseOwner === undefined),
      10_000,
      'the two pull tasks finished',
    );
    expect(await got(store, 'throws')).toMatchObject({ state: 'dead', lastError: 'the binding says: boom', held: null });
    expect(await got(store, 'nothing')).toMatchObject({ state: 'delivered', result: null, held: null });
    expect(lines.filter((l) => l.level === 'error').map((l) => [l.msg, (l.fields.err as Error | undefined)?.message])).toEqual([['pull processing failed', 'boom']]);
  });
});

describe('push tasks: the handler', () => {
  it('a run after an interrupted one gets run 2 and is logged; a handler that throws is a dead letter, reported', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'push', 'again', 1, T0);
    await interrupted(store, 'push', 'throws', 0, T0);
    const runs = new Map<string, number>();
    const job: PushJob = {
      kind: 'push',
      process: (request, ctx) => {
        runs.set(ctx.correlationId, ctx.run);
        if (ctx.correlationId === 'throws') throw new Error('boom');
        return request;
      },
      checkResult: () => {},
      attempt: async () => delivered,
    };
    const { w, outcomes, lines } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(() => outcomes.size === 2, 10_000, 'both push tasks finished');
    expect(Object.fromEntries(runs)).toEqual({ again: 2, throws: 1 });
    expect(outcomes.get('throws')).toEqual({ state: 'dead', attempts: 0, reason: 'processing failed: boom' });
    expect(outcomes.get('again')).toMatchObject({ state: 'delivered', attempts: 1 });
    await until(async () => (await store.getTask('throws'))?.leaseOwner === undefined, 10_000, 'the dead letter released');
    expect(await got(store, 'throws')).toMatchObject({ state: 'dead', lastError: 'processing failed: boom', held: null });
    expect(lines.filter((l) => l.level !== 'info').map((l) => [l.level, l.msg, l.fields.run, (l.fields.err as Error | undefined)?.message])).toEqual([
      ['warn', 'an earlier run of this handler was interrupted; running it again', 2, undefined],
      ['error', 'push processing failed; no callback sent (dead letter)', undefined, 'boom'],
    ]);
  });

  it('the result is stored (ready) before its callback goes out', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'push', 'r', 0, T0);
    let answer!: (r: AttemptResult) => void;
    const sent: unknown[] = [];
    const job: PushJob = {
      kind: 'push',
      process: () => ({ answer: 42 }),
      checkResult: () => {},
      attempt: (d) => (sent.push(d.body), new Promise((resolve) => (answer = resolve))),
    };
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(() => sent.length === 1, 10_000, 'the callback attempt');
    expect(sent).toEqual([{ answer: 42 }]);
    expect(await store.getTask('r')).toMatchObject({ state: 'ready', result: { answer: 42 }, leaseOwner: OWNER });
    answer(delivered);
    await until(() => outcomes.size === 1, 10_000, 'the delivery');
  });

  it('a target’s queue holds 32 callbacks per slot under the lease; the next result is released to the store, claimed once the queue is empty', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock();
    const n = 34;
    for (const id of ids('t', n)) await interrupted(store, 'push', id, 0, T0);
    const readyClaims: string[] = [];
    watchClaims(store, (_q, claimed) => readyClaims.push(...claimed.filter((t) => t.state === 'ready').map((t) => t.id)));
    const waiting: (() => void)[] = [];
    const sent: string[] = [];
    // The handlers end one at a time, each result stored before the next ends: the queue's length is then exact.
    const gates = new Map<string, () => void>();
    const job: PushJob = {
      kind: 'push',
      process: (request, ctx) => new Promise((resolve) => gates.set(ctx.correlationId, () => resolve(request))),
      checkResult: () => {},
      attempt: (d) => (sent.push(d.correlationId), new Promise((resolve) => waiting.push(() => resolve(delivered)))),
    };
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, { targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 3, circuitOpenMs: 60_000 } });
    await w.start();
    // One callback in flight (the target's one slot), 32 queued under the lease, one released.
    const opened: string[] = [];
    while (opened.length < n) {
      await until(() => [...gates.keys()].some((id) => !opened.includes(id)), 10_000, `handler ${opened.length + 1} started`);
      const id = [...gates.keys()].find((k) => !opened.includes(k))!;
      opened.push(id);
      gates.get(id)!();
      await until(async () => (await store.getTask(id))?.state === 'ready', 10_000, `the result of ${id} stored`);
    }
    const leased = async () => (await Promise.all(Array.from({ length: n }, (_, i) => store.getTask(`t${String(i).padStart(2, '0')}`)))).filter((t) => t!.leaseOwner === OWNER).length;
    expect({ leased: await leased(), waiting: waiting.length, readyClaims }).toEqual({ leased: 33, waiting: 1, readyClaims: [] });
    // A few polls while the queue is full: the released one stays in the store, unclaimed.
    const sleeps = state.sleeps;
    await until(() => state.sleeps >= sleeps + 3, 10_000, 'three more polls');
    expect(readyClaims).toEqual([]);
    expect(await leased()).toBe(33);
    while (outcomes.size < n) {
      await until(() => waiting.length > 0, 10_000, `callback ${outcomes.size + 1} sent`);
      const before = outcomes.size;
      waiting.shift()!();
      await until(() => outcomes.size > before, 10_000, `callback ${before + 1} delivered`);
    }
    expect(readyClaims).toEqual([opened[n - 1]]);
    // Each callback sent once: the released result is sent from the store's copy only.
    expect(sent.sort()).toEqual([...opened].sort());
  });

  it('ready callbacks left in the store are claimed many at once', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    for (let i = 0; i < 5; i++) {
      const id = `left${i}`;
      await interrupted(store, 'push', id, 1, T0);
      expect(await store.updateTask(id, 'dead-process', { state: 'ready', result: { i }, dueAt: T0 - 800, release: true }, T0 - 800)).toBe(true);
    }
    const claims: number[] = [];
    watchClaims(store, (q, claimed) => q.states.includes('ready') && claimed.length && claims.push(claimed.length));
    const job: PushJob = { kind: 'push', process: (r) => r, checkResult: () => {}, attempt: async () => delivered };
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, { targets: { perTarget: 8, maxPerTarget: 8, circuitFailures: 3, circuitOpenMs: 60_000 } });
    await w.start();
    await until(() => outcomes.size === 5, 10_000, 'the five callbacks delivered');
    expect(claims).toEqual([5]);
  });
});

describe('the sweep', () => {
  it('expires never-processed and undelivered tasks: pull ones logged, push ones of its operations reported', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    const create = (kind: string, id: string, operation = 'op') =>
      store.createTask({ kind, id, operation, request: {}, replyTo: 'http://a.test/cb', target: 'a.test', now: T0 - 2000, expiresAt: T0 - 1 });
    await create('pull', 'pull-never');
    await create('push', 'push-never');
    await create('push', 'push-other', 'other');
    await create('push', 'push-undelivered');
    await store.claimTasks({ kind: 'push', operations: ['op'], states: ['pending'], owner: 'dead-process', now: T0 - 1500, leaseMs: 1, limit: 10 });
    expect(await store.updateTask('push-never', 'dead-process', { release: true, runs: 0 }, T0 - 1400)).toBe(true);
    expect(await store.updateTask('push-undelivered', 'dead-process', { state: 'ready', result: { r: 1 }, release: true }, T0 - 1400)).toBe(true);
    const pull: PullJob = { kind: 'pull', process: () => ({}), failureOf: () => 'x' };
    const push: PushJob = { kind: 'push', process: (r) => r, checkResult: () => {}, attempt: async () => delivered };
    const { w, outcomes, lines } = worker(
      store,
      new Map<string, TaskJob>([
        ['op', push],
        ['pullop', pull],
      ]),
      clock,
    );
    // The pull task's operation is the worker's pull one.
    await store.createTask({ kind: 'pull', id: 'pull-mine', operation: 'pullop', request: {}, now: T0 - 2000, expiresAt: T0 - 1 });
    await w.start();
    await until(async () => (await store.getTask('pull-mine'))?.state === 'expired' && outcomes.size >= 2, 10_000, 'the sweep');
    expect(Object.fromEntries(outcomes)).toEqual({
      'push-never': { state: 'expired', attempts: 0, reason: 'never processed', status: undefined, lastBody: undefined },
      'push-undelivered': { state: 'expired', attempts: 0, reason: 'not delivered', status: undefined, lastBody: undefined },
    });
    for (const id of ['pull-never', 'pull-mine', 'push-never', 'push-other', 'push-undelivered']) expect((await store.getTask(id))?.state, id).toBe('expired');
    const pullLines = lines.filter((l) => l.msg === 'pull task expired: retention period over before it was processed');
    expect(pullLines.map((l) => l.fields).sort((a, b) => String(a.taskId).localeCompare(String(b.taskId)))).toEqual([
      { taskId: 'pull-mine', operation: 'pullop', createdAt: new Date(T0 - 2000).toISOString() },
      { taskId: 'pull-never', operation: 'op', createdAt: new Date(T0 - 2000).toISOString() },
    ]);
    expect(
      lines
        .filter((l) => l.msg?.startsWith('push request expired'))
        .map((l) => [l.fields.correlationId, l.fields.reason])
        .sort(),
    ).toEqual([
      ['push-never', 'never processed'],
      ['push-other', 'never processed'],
      ['push-undelivered', 'not delivered'],
    ]);
  });

  it('runs every sweepMs of the clock, from the first loop', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    const sweeps: number[] = [];
    const expireTasks = store.expireTasks.bind(store);
    store.expireTasks = async (now, kind) => {
      if (kind === 'push') sweeps.push(now);
      return expireTasks(now, kind);
    };
    const job: PushJob = { kind: 'push', process: (r) => r, checkResult: () => {}, attempt: async () => delivered };
    const { w } = worker(store, new Map([['op', job]]), clock, { sweepMs: 5000, pollMs: 1000 });
    await w.start();
    await until(() => sweeps.length >= 3, 10_000, 'three sweeps');
    expect(sweeps.slice(0, 3)).toEqual([T0, T0 + 5000, T0 + 10_000]);
  });

  it('forgets finished tasks of its own kinds only: a push-only worker leaves pull tasks', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock(T0 + 3 * DAY);
    for (const kind of ['push', 'pull']) {
      await store.createTask({ kind, id: `old-${kind}`, operation: 'op', request: {}, now: T0, expiresAt: T0 + 10 * DAY });
      await store.claimTasks({ kind, operations: ['op'], states: ['pending'], owner: 'dead-process', now: T0, leaseMs: 1000, limit: 1 });
      expect(await store.updateTask(`old-${kind}`, 'dead-process', { state: 'dead', lastError: 'x', release: true }, T0)).toBe(true);
    }
    const job: PushJob = { kind: 'push', process: (r) => r, checkResult: () => {}, attempt: async () => delivered };
    const { w } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(async () => (await store.getTask('old-push')) === undefined, 10_000, 'the old push task forgotten');
    expect(await store.getTask('old-pull')).toMatchObject({ state: 'dead' });
  });
});

describe('shutdown', () => {
  it('work that ends within the grace period: the handlers’ signal is not aborted, and a result finished while stopping is stored and released', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'push', 's', 0, T0);
    let finish!: () => void;
    let signal: AbortSignal | undefined;
    const job: PushJob = {
      kind: 'push',
      process: (request, ctx) => ((signal = ctx.signal), new Promise((resolve) => (finish = () => resolve(request)))),
      checkResult: () => {},
      attempt: async () => delivered,
    };
    const { w, lines } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(() => signal !== undefined, 10_000, 'the handler started');
    const stopped = w.stop(60_000);
    finish();
    await stopped;
    expect(signal!.aborted).toBe(false);
    expect(await got(store, 's')).toMatchObject({ state: 'ready', result: { id: 's' }, held: null });
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('after the grace period the signal is aborted; a handler that then ends is not reported, one that does not end is', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'pull', 'obeys', 0, T0);
    await interrupted(store, 'pull', 'ignores', 0, T0);
    const started = new Set<string>();
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const job: PullJob = {
      kind: 'pull',
      process: (_r, ctx) => {
        started.add(ctx.taskId);
        if (ctx.taskId === 'obeys') return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
        return hung;
      },
      failureOf: () => 'x',
    };
    const one = worker(store, new Map([['op', job]]), clock);
    await one.w.start();
    await until(() => started.size === 2, 10_000, 'both handlers started');
    release();
    // Only the one that obeys the signal: stop ends without the warning.
    expect(started).toEqual(new Set(['obeys', 'ignores']));
    await one.w.stop(10);
    expect(one.lines.filter((l) => l.level === 'warn')).toEqual([]);

    const store2 = new MemoryStore();
    await interrupted(store2, 'pull', 'hangs', 0, T0);
    let end!: () => void;
    const never = new Promise<void>((resolve) => (end = resolve));
    let begun = false;
    const hangs: PullJob = { kind: 'pull', process: () => ((begun = true), never), failureOf: () => 'x' };
    const two = worker(store2, new Map([['op', hangs]]), virtualClock().clock);
    await two.w.start();
    await until(() => begun, 10_000, 'the hanging handler started');
    await two.w.stop(10);
    end();
    expect(two.lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ fields: { handlers: 1 }, msg: 'shut down with handlers still running; their tasks are run again once the lease lapses' }),
    ]);
  });
});

describe('callback attempts and slots', () => {
  it('an attempt that throws (not at shutdown) is logged and its task left leased; its slot is freed for the next callback', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'push', 'a-bug', 0, T0);
    await interrupted(store, 'push', 'b-next', 0, T0);
    const job: PushJob = {
      kind: 'push',
      process: (r) => r,
      checkResult: () => {},
      attempt: async (d) => {
        if (d.correlationId === 'a-bug') throw new Error('attempt bug');
        return delivered;
      },
    };
    const { w, outcomes, lines } = worker(store, new Map([['op', job]]), clock, { handlerConcurrency: 1, targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 3, circuitOpenMs: 60_000 } });
    await w.start();
    await until(() => outcomes.has('b-next'), 10_000, 'the next callback to the same target delivered');
    await until(() => lines.some((l) => l.level === 'error'), 10_000, 'the error line');
    expect(lines.filter((l) => l.level === 'error').map((l) => [l.msg, (l.fields.err as Error).message])).toEqual([
      ['task worker: could not record the outcome; the task is retried when its lease lapses', 'attempt bug'],
    ]);
    expect(await got(store, 'a-bug')).toMatchObject({ state: 'ready', attempts: 0, held: OWNER });
    expect(outcomes.has('a-bug')).toBe(false);
  });

  it('at most deliveryConcurrency callbacks in flight, whatever the targets', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock();
    for (const [id, target] of [
      ['x1', 'x.test'],
      ['y1', 'y.test'],
    ]) {
      await store.createTask({ kind: 'push', id, operation: 'op', request: {}, replyTo: `http://${target}/cb`, target, now: T0 - 1000, expiresAt: T0 + DAY });
    }
    const { job, waiting } = gatedPushJob();
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, { deliveryConcurrency: 1 });
    await w.start();
    await until(() => waiting.length === 1, 10_000, 'the first callback');
    await until(async () => (await Promise.all(['x1', 'y1'].map((id) => store.getTask(id)))).every((t) => t!.state === 'ready'), 10_000, 'both results stored');
    const sleeps = state.sleeps;
    await until(() => state.sleeps >= sleeps + 3, 10_000, 'three more polls');
    expect(waiting.length).toBe(1);
    waiting.shift()!();
    await until(() => waiting.length === 1, 10_000, 'the second callback');
    waiting.shift()!();
    await until(() => outcomes.size === 2, 10_000, 'both delivered');
  });

  it('the failure lines name the attempt and the target’s attempts; a permanent failure without an answer does not count against the circuit', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'push', 'f', 0, T0);
    await interrupted(store, 'push', 'p', 0, T0);
    let n = 0;
    const job: PushJob = {
      kind: 'push',
      process: (r) => r,
      checkResult: () => {},
      attempt: async (d) => {
        if (d.correlationId === 'p') return { kind: 'permanent', reason: 'refused before sending' };
        return ++n === 1 ? { kind: 'temporary', status: 503, reason: 'HTTP 503' } : { kind: 'permanent', status: 400, reason: 'HTTP 400' };
      },
    };
    const { w, outcomes, lines } = worker(store, new Map([['op', job]]), clock, { handlerConcurrency: 1, targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 1, circuitOpenMs: 60_000 } });
    await w.start();
    await until(() => outcomes.size === 2, 10_000, 'both dead letters');
    const retry = lines.filter((l) => l.msg === 'callback delivery failed, retrying');
    expect(retry).toEqual([
      { level: 'info', fields: { attempt: 1, reason: 'HTTP 503', retryInMs: expect.any(Number), targetAttempts: expect.any(Number) }, msg: 'callback delivery failed, retrying' },
    ]);
    const dead = lines.filter((l) => l.msg === 'callback not delivered (dead letter)');
    expect(dead.map((l) => l.fields).sort((a, b) => String(a.reason).localeCompare(String(b.reason)))).toEqual([
      { attempts: 2, status: 400, reason: 'HTTP 400', targetAttempts: 3 },
      { attempts: 1, status: undefined, reason: 'refused before sending', targetAttempts: expect.any(Number) },
    ]);
    expect(w.targets()).toEqual([expect.objectContaining({ target: 'a.test', attempts: 3, consecutiveFailures: 0 })]);
    expect(lines.some((l) => l.msg?.startsWith('callback target failing'))).toBe(false);
  });
});

describe('what the handler is given, and a lost lease', () => {
  it('the security the task was stored with is the handler’s ctx.security (push and pull)', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    const security = { clientId: 'client-1', patterns: ['ID_AUTH_REST_01'] };
    await store.createTask({ kind: 'push', id: 'sp', operation: 'op', request: {}, replyTo: 'http://a.test/cb', target: 'a.test', meta: { security }, now: T0 - 1000, expiresAt: T0 + DAY });
    await store.createTask({ kind: 'pull', id: 'sl', operation: 'pullop', request: {}, meta: { security }, now: T0 - 1000, expiresAt: T0 + DAY });
    const seen = new Map<string, unknown>();
    const push: PushJob = { kind: 'push', process: (r, ctx) => (seen.set(ctx.correlationId, ctx.security), r), checkResult: () => {}, attempt: async () => delivered };
    const pull: PullJob = { kind: 'pull', process: (_r, ctx) => (seen.set(ctx.taskId, ctx.security), {}), failureOf: () => 'x' };
    const { w } = worker(
      store,
      new Map<string, TaskJob>([
        ['op', push],
        ['pullop', pull],
      ]),
      clock,
    );
    await w.start();
    await until(() => seen.size === 2, 10_000, 'both handlers ran');
    expect(Object.fromEntries(seen)).toEqual({ sp: security, sl: security });
  });

  it('a result finished after the lease went to another instance is dropped, logged (push and pull)', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await store.createTask({ kind: 'push', id: 'lp', operation: 'op', request: {}, replyTo: 'http://a.test/cb', target: 'a.test', now: T0 - 1000, expiresAt: T0 + 10 * DAY });
    await store.createTask({ kind: 'pull', id: 'll', operation: 'pullop', request: {}, now: T0 - 1000, expiresAt: T0 + 10 * DAY });
    const gates = new Map<string, () => void>();
    const push: PushJob = { kind: 'push', process: (r, ctx) => new Promise((resolve) => gates.set(ctx.correlationId, () => resolve(r))), checkResult: () => {}, attempt: async () => delivered };
    const pull: PullJob = { kind: 'pull', process: (r, ctx) => new Promise((resolve) => gates.set(ctx.taskId, () => resolve({ late: true }))), failureOf: () => 'x' };
    const { w, lines } = worker(
      store,
      new Map<string, TaskJob>([
        ['op', push],
        ['pullop', pull],
      ]),
      clock,
    );
    await w.start();
    await until(() => gates.size === 2, 10_000, 'both handlers started');
    // Another instance takes both over once their lease (a day) is over.
    for (const kind of ['push', 'pull'])
      expect(await store.claimTasks({ kind, operations: ['op', 'pullop'], states: ['pending'], owner: 'other', now: T0 + 2 * DAY, leaseMs: DAY, limit: 1 })).toHaveLength(1);
    for (const open of gates.values()) open();
    await until(() => lines.filter((l) => l.level === 'error').length === 2, 10_000, 'two error lines');
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'the lease was lost while the handler ran; its result is dropped and the other run counts',
      'the lease was lost while the handler ran; its result is dropped and the other run counts',
    ]);
    for (const id of ['lp', 'll']) expect(await got(store, id)).toMatchObject({ state: 'pending', held: 'other', runs: 2 });
  });
});

describe('shutdown with work queued', () => {
  it('stops starting queued work: claimed handlers’ tasks are given back unrun, queued callbacks given back as they were', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    for (const id of ['h1', 'h2', 'h3']) await interrupted(store, 'push', id, 0, T0);
    const started: string[] = [];
    let finish!: () => void;
    const waiting: (() => void)[] = [];
    const job: PushJob = {
      kind: 'push',
      process: (r, ctx) => (started.push(ctx.correlationId), ctx.correlationId === 'h1' ? new Promise((resolve) => (finish = () => resolve(r))) : r),
      checkResult: () => {},
      attempt: () => new Promise((resolve) => waiting.push(() => resolve(delivered))),
    };
    // The worker's loop held in a claim, so that the handler ends while the worker stops but before its loop has given the queue back.
    let holding = false;
    const held: (() => void)[] = [];
    const claimTasks = store.claimTasks.bind(store);
    store.claimTasks = async (q) => {
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      return claimTasks(q);
    };
    const { w } = worker(store, new Map([['op', job]]), clock, { handlerConcurrency: 1, targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 3, circuitOpenMs: 60_000 } });
    await w.start();
    await until(() => started.length === 1, 10_000, 'the first handler');
    holding = true;
    await until(() => held.length > 0, 10_000, 'a claim held');
    const stopped = w.stop(60_000);
    finish();
    await until(async () => (await store.getTask('h1'))?.state === 'ready', 10_000, 'the first result stored');
    holding = false;
    for (const release of held) release();
    await stopped;
    expect(started).toEqual(['h1']);
    for (const id of ['h2', 'h3']) expect(await got(store, id), id).toMatchObject({ state: 'pending', runs: 0, held: null });
    expect(waiting).toHaveLength(0);

    // Callbacks: one in flight to the target's one slot, one queued under the lease.
    const store2 = new MemoryStore();
    for (const id of ['d1', 'd2']) await interrupted(store2, 'push', id, 0, T0);
    const two = worker(store2, new Map([['op', { ...job, process: (r: unknown) => r }]]), virtualClock().clock, {
      targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 3, circuitOpenMs: 60_000 },
    });
    await two.w.start();
    await until(() => waiting.length === 1, 10_000, 'the first callback');
    await until(async () => (await Promise.all(['d1', 'd2'].map((id) => store2.getTask(id)))).every((t) => t!.state === 'ready'), 10_000, 'both results stored');
    const stopping2 = two.w.stop(60_000);
    waiting.shift()!();
    await stopping2;
    const tasks = await Promise.all(['d1', 'd2'].map((id) => got(store2, id)));
    expect(tasks.map((t) => [t.state, t.runs, t.held]).sort()).toEqual([
      ['delivered', 1, null],
      ['ready', 1, null],
    ]);
  });
});

describe('edges of the delivery queues', () => {
  it('a result stored while the worker began to stop is released, not left leased outside the queue', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'push', 'late', 0, T0);
    let holding = true;
    const held: (() => void)[] = [];
    const updateTask = store.updateTask.bind(store);
    store.updateTask = async (id, owner, patch, now) => {
      // The result's write, under the lease kept for its callback: held while the worker is told to stop.
      if (holding && patch.state === 'ready' && patch.leaseUntil !== undefined) await new Promise<void>((resolve) => held.push(resolve));
      return updateTask(id, owner, patch, now);
    };
    const sent: string[] = [];
    const job: PushJob = { kind: 'push', process: (r) => r, checkResult: () => {}, attempt: async (d) => (sent.push(d.correlationId), delivered) };
    const { w } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(() => held.length === 1, 10_000, 'the result being written');
    const stopped = w.stop(60_000);
    holding = false;
    held[0]();
    await stopped;
    expect(sent).toEqual([]);
    expect(await got(store, 'late')).toMatchObject({ state: 'ready', result: { id: 'late' }, runs: 1, attempts: 0, held: null });
  });

  it('ready callbacks claimed beyond a target’s queue are given back to the store, and delivered later', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    // Left ready by another instance, due a few polls later: the worker then has two in flight and one queued.
    const left = ids('r', 64);
    for (const id of left) {
      await interrupted(store, 'push', id, 1, T0);
      expect(await store.updateTask(id, 'dead-process', { state: 'ready', result: { id }, dueAt: T0 + 5000, release: true }, T0 - 800)).toBe(true);
    }
    for (const id of ['p0', 'p1', 'p2']) await interrupted(store, 'push', id, 0, T0);
    const readyClaims: number[] = [];
    watchClaims(store, (q, claimed) => q.states.includes('ready') && claimed.length && readyClaims.push(claimed.length));
    const { job, waiting, open } = gatedPushJob();
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(() => readyClaims.length > 0, 10_000, 'the left callbacks claimed');
    expect({ readyClaims, waiting: waiting.length }).toEqual({ readyClaims: [64], waiting: 2 });
    open();
    for (const resolve of waiting.splice(0)) resolve();
    await until(() => outcomes.size === 67, 10_000, 'every callback delivered');
    // The one that did not fit was released, and claimed on its own once the queue had room.
    expect(readyClaims).toEqual([64, 1]);
  });

  it('forgets finished tasks of its own kinds only: a pull-only worker leaves push tasks', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock(T0 + 3 * DAY);
    for (const kind of ['push', 'pull']) {
      await store.createTask({ kind, id: `old-${kind}`, operation: 'op', request: {}, now: T0, expiresAt: T0 + 10 * DAY });
      await store.claimTasks({ kind, operations: ['op'], states: ['pending'], owner: 'dead-process', now: T0, leaseMs: 1000, limit: 1 });
      expect(await store.updateTask(`old-${kind}`, 'dead-process', { state: 'dead', lastError: 'x', release: true }, T0)).toBe(true);
    }
    const job: PullJob = { kind: 'pull', process: () => ({}), failureOf: () => 'x' };
    const { w } = worker(store, new Map([['op', job]]), clock);
    await w.start();
    await until(async () => (await store.getTask('old-pull')) === undefined, 10_000, 'the old pull task forgotten');
    expect(await store.getTask('old-push')).toMatchObject({ state: 'dead' });
  });
});

describe('a target with its slots busy', () => {
  it('while as many callbacks as the target has slots are queued, its callbacks in the store stay there, unclaimed', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock();
    await interrupted(store, 'push', 'r', 1, T0);
    expect(await store.updateTask('r', 'dead-process', { state: 'ready', result: { id: 'r' }, dueAt: T0 + 5000, release: true }, T0 - 800)).toBe(true);
    for (const id of ['p0', 'p1']) await interrupted(store, 'push', id, 0, T0);
    const readyClaims: string[] = [];
    watchClaims(store, (_q, claimed) => readyClaims.push(...claimed.filter((t) => t.state === 'ready').map((t) => t.id)));
    const { job, waiting, open } = gatedPushJob();
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, { targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 3, circuitOpenMs: 60_000 } });
    await w.start();
    // One in flight, one queued (the target's one slot's worth); the left one is due at T0 + 5 s.
    await until(() => state.now >= T0 + 8000, 10_000, 'the clock past the left callback’s due time');
    expect({ readyClaims, waiting: waiting.length }).toEqual({ readyClaims: [], waiting: 1 });
    open();
    waiting.shift()!();
    await until(() => outcomes.size === 3, 10_000, 'the three callbacks delivered');
    expect(readyClaims).toEqual(['r']);
  });
});

describe('the circuit’s warning', () => {
  it('is logged once, when the circuit opens: not again when its trial attempt is abandoned at shutdown', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    await interrupted(store, 'push', 'c', 0, T0);
    let calls = 0;
    const job: PushJob = {
      kind: 'push',
      process: (r) => r,
      checkResult: () => {},
      attempt: (_d, options) => {
        calls++;
        if (calls === 1) return Promise.resolve({ kind: 'temporary', reason: 'no answer' });
        // The trial attempt: on the wire until the worker's shutdown aborts it.
        return new Promise((_resolve, reject) => options.outbound.signal!.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      },
    };
    const { w, lines } = worker(store, new Map([['op', job]]), clock, { targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 1, circuitOpenMs: 1000 } });
    await w.start();
    await until(() => calls === 2, 10_000, 'the trial attempt');
    await w.stop(10);
    expect(lines.filter((l) => l.msg?.startsWith('callback target failing')).map((l) => l.fields.consecutiveFailures)).toEqual([1]);
    expect(await got(store, 'c')).toMatchObject({ state: 'ready', attempts: 1, held: null });
  });
});

/** A push task whose handler ran elsewhere (its result stored, released): a callback due to `target`. */
async function leftReady(store: MemoryStore, id: string, target: string) {
  await store.createTask({ kind: 'push', id, operation: 'op', request: { id }, replyTo: `http://${target}/cb`, target, now: T0 - 1000, expiresAt: T0 + DAY });
  expect(await store.claimTasks({ kind: 'push', id, operations: ['op'], states: ['pending'], owner: 'dead-process', now: T0 - 900, leaseMs: 1, limit: 1 })).toHaveLength(1);
  expect(await store.updateTask(id, 'dead-process', { state: 'ready', result: { id }, dueAt: T0 - 800, release: true }, T0 - 800)).toBe(true);
}

/** The ids of the tasks this worker holds the lease of. */
async function heldBy(store: MemoryStore, ids: string[]) {
  const tasks = await Promise.all(ids.map((id) => store.getTask(id)));
  return tasks.filter((t) => t!.leaseOwner === OWNER).map((t) => t!.id);
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

/** Calls `seen` after each claim with its query and the tasks it claimed. */
function watchClaims(store: MemoryStore, seen: (query: ClaimQuery, claimed: TaskRecord[]) => unknown): void {
  const claimTasks = store.claimTasks.bind(store);
  store.claimTasks = async (query) => {
    const claimed = await claimTasks(query);
    seen(query, claimed);
    return claimed;
  };
}

/** A push job whose callbacks hang, their answers waiting in `waiting`, until `open()`: later ones are delivered at once. */
function gatedPushJob() {
  let opened = false;
  const waiting: (() => void)[] = [];
  const job: PushJob = {
    kind: 'push',
    process: (r) => r,
    checkResult: () => {},
    attempt: () => (opened ? Promise.resolve(delivered) : new Promise((resolve) => waiting.push(() => resolve(delivered)))),
  };
  return { job, waiting, open: () => void (opened = true) };
}

describe('how much the worker claims', () => {
  it('pull tasks only for free handler slots: with its one slot busy, the others stay in the store', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock();
    for (const id of ['l1', 'l2', 'l3']) await interrupted(store, 'pull', id, 0, T0);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    const job: PullJob = { kind: 'pull', process: async (_r, ctx) => (started.push(ctx.taskId), await gate, {}), failureOf: () => 'x' };
    const { w } = worker(store, new Map([['op', job]]), clock, { handlerConcurrency: 1 });
    await w.start();
    await until(() => started.length === 1, 10_000, 'the first handler');
    const sleeps = state.sleeps;
    await until(() => state.sleeps >= sleeps + 3, 10_000, 'three more polls');
    expect(await heldBy(store, ['l1', 'l2', 'l3'])).toEqual(['l1']);
    for (const id of ['l2', 'l3']) expect(await got(store, id)).toMatchObject({ state: 'pending', runs: 0, held: null });
    release();
    await until(async () => (await Promise.all(['l1', 'l2', 'l3'].map((id) => store.getTask(id)))).every((t) => t!.state === 'delivered'), 10_000, 'the three pull tasks done');
  });

  it('push tasks up to 8 per handler slot, counting the running and the queued; no pull task while the queue is full', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock();
    const push = ids('h', 12);
    for (const id of push) await interrupted(store, 'push', id, 0, T0);
    await store.createTask({ kind: 'pull', id: 'l1', operation: 'pullop', request: {}, now: T0 - 1000, expiresAt: T0 + DAY });
    await store.createTask({ kind: 'pull', id: 'l2', operation: 'pullop', request: {}, now: T0 - 1000, expiresAt: T0 + DAY });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const handler = async (r: unknown) => (started++, await gate, r);
    const { w, outcomes } = worker(
      store,
      new Map<string, TaskJob>([
        ['op', { kind: 'push', process: handler, checkResult: () => {}, attempt: async () => delivered }],
        ['pullop', { kind: 'pull', process: handler, failureOf: () => 'x' }],
      ]),
      clock,
      { handlerConcurrency: 1 },
    );
    await w.start();
    await until(() => started === 1, 10_000, 'the first handler');
    const sleeps = state.sleeps;
    await until(() => state.sleeps >= sleeps + 3, 10_000, 'three more polls');
    // The first claim: 8 push tasks (one slot's worth) and one pull task (the free slot); one runs, eight wait.
    expect((await heldBy(store, [...push, 'l1', 'l2'])).sort()).toEqual([...push.slice(0, 8), 'l1']);
    release();
    await until(async () => outcomes.size === 12 && (await Promise.all(['l1', 'l2'].map((id) => store.getTask(id)))).every((t) => t!.state === 'delivered'), 10_000, 'every task done');
  });

  it('asks the store only for the kinds it has jobs for, and never for no task', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock();
    await interrupted(store, 'pull', 'l1', 0, T0);
    const queries: [string, string[], number][] = [];
    const claimTasks = store.claimTasks.bind(store);
    store.claimTasks = async (q) => (queries.push([q.kind, q.states, q.limit]), claimTasks(q));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const job: PullJob = { kind: 'pull', process: async () => ((started = true), await gate, {}), failureOf: () => 'x' };
    const { w } = worker(store, new Map([['op', job]]), clock, { handlerConcurrency: 1 });
    await w.start();
    await until(() => started, 10_000, 'the handler');
    const sleeps = state.sleeps;
    await until(() => state.sleeps >= sleeps + 3, 10_000, 'three more polls');
    // A pull-only worker with its one slot busy: the one claim that filled it, no push claim, no claim for 0.
    expect(queries).toEqual([['pull', ['pending'], 1]]);
    release();
    await until(async () => (await store.getTask('l1'))?.state === 'delivered', 10_000, 'the pull task done');
  });

  it('ready callbacks up to 32 per delivery slot in all, counting those in flight and queued', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock();
    // Left ready by another instance: 32 for x.test (one queue's worth with one slot per target), 32 for y.test.
    const x = ids('x', 32);
    const y = ids('y', 32);
    for (const id of x) await leftReady(store, id, 'x.test');
    for (const id of y) await leftReady(store, id, 'y.test');
    const readyClaims: number[] = [];
    watchClaims(store, (q, claimed) => q.states.includes('ready') && claimed.length && readyClaims.push(claimed.length));
    const { job, waiting, open } = gatedPushJob();
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, { deliveryConcurrency: 1, targets: { perTarget: 1, maxPerTarget: 1, circuitFailures: 3, circuitOpenMs: 60_000 } });
    await w.start();
    await until(() => waiting.length === 1, 10_000, 'the first callback');
    const sleeps = state.sleeps;
    await until(() => state.sleeps >= sleeps + 3, 10_000, 'three more polls');
    // One slot: 32 held (one in flight, 31 queued for x.test); y.test's stay in the store, though its queue is empty.
    expect({ readyClaims, held: await heldBy(store, [...x, ...y]) }).toEqual({ readyClaims: [32], held: x });
    open();
    waiting.shift()!();
    // Once x.test's are sent, the count of queued ones has come down again: y.test's are claimed.
    await until(() => outcomes.size === 64, 10_000, 'every callback delivered');
  });
});

describe('a queued task’s lease', () => {
  it('a task waiting for a handler slot is started with half its lease left; with less it is given back, claimed again, not counted as a run', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock(T0, { held: true });
    for (const id of ['a', 'b', 'c']) await interrupted(store, 'push', id, 0, T0);
    const pendingClaims: string[] = [];
    watchClaims(store, (_q, claimed) => pendingClaims.push(...claimed.filter((t) => t.state === 'pending').map((t) => t.id)));
    const gates = new Map<string, () => void>();
    const runs = new Map<string, number>();
    const job: PushJob = {
      kind: 'push',
      process: (r, ctx) => (runs.set(ctx.correlationId, ctx.run), new Promise((resolve) => gates.set(ctx.correlationId, () => resolve(r)))),
      checkResult: () => {},
      attempt: async () => delivered,
    };
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, { handlerConcurrency: 1, leaseMs: 2000 });
    await w.start();
    // All three claimed at T0 (leases to T0 + 2 s); a runs, b and c wait for its slot.
    await until(() => gates.has('a'), 10_000, 'the first handler');
    state.now = T0 + 1000;
    gates.get('a')!();
    await until(() => gates.has('b'), 10_000, 'the second handler');
    state.now = T0 + 1500;
    gates.get('b')!();
    await until(() => gates.has('c'), 10_000, 'the third handler');
    gates.get('c')!();
    await until(() => outcomes.size === 3, 10_000, 'the three callbacks delivered');
    expect(pendingClaims).toEqual(['a', 'b', 'c', 'c']);
    expect(Object.fromEntries(runs)).toEqual({ a: 1, b: 1, c: 1 });
  });
});

describe('handler slots', () => {
  it('at most handlerConcurrency handlers run at once, however their runs end', async () => {
    const store = new MemoryStore();
    const { clock, state } = virtualClock();
    for (const id of ['a', 'b', 'c']) await interrupted(store, 'push', id, 0, T0);
    const gates = new Map<string, () => void>();
    let running = 0;
    let most = 0;
    const job: PushJob = {
      kind: 'push',
      process: async (r, ctx) => {
        most = Math.max(most, ++running);
        // a returns at once; b and c only when the test lets them.
        if (ctx.correlationId !== 'a') await new Promise<void>((resolve) => gates.set(ctx.correlationId, resolve));
        running--;
        return r;
      },
      checkResult: () => {},
      attempt: async () => delivered,
    };
    const { w, outcomes } = worker(store, new Map([['op', job]]), clock, { handlerConcurrency: 1 });
    await w.start();
    await until(() => gates.size === 1 && outcomes.has('a'), 10_000, 'a done, the next handler started');
    const sleeps = state.sleeps;
    await until(() => state.sleeps >= sleeps + 3, 10_000, 'three more polls');
    expect(gates.size).toBe(1);
    [...gates.values()][0]();
    await until(() => gates.size === 2, 10_000, 'the last handler');
    [...gates.values()][1]();
    await until(() => outcomes.size === 3, 10_000, 'the three callbacks delivered');
    expect(most).toBe(1);
  });
});

describe('what a handler’s log names', () => {
  it('its task, operation and the caller’s security (push and pull)', async () => {
    const store = new MemoryStore();
    const { clock } = virtualClock();
    const security = { clientId: 'client-1', patterns: ['ID_AUTH_REST_01'] };
    await store.createTask({ kind: 'push', id: 'sp', operation: 'op', request: {}, replyTo: 'http://a.test/cb', target: 'a.test', meta: { security }, now: T0 - 1000, expiresAt: T0 + DAY });
    await store.createTask({ kind: 'pull', id: 'sl', operation: 'pullop', request: {}, meta: { security }, now: T0 - 1000, expiresAt: T0 + DAY });
    const { log, lines } = boundRecorder();
    const push: PushJob = { kind: 'push', process: (r, ctx) => (ctx.log.info('push handler ran'), r), checkResult: () => {}, attempt: async () => delivered };
    const pull: PullJob = { kind: 'pull', process: (_r, ctx) => (ctx.log.info('pull handler ran'), {}), failureOf: () => 'x' };
    const { w } = worker(
      store,
      new Map<string, TaskJob>([
        ['op', push],
        ['pullop', pull],
      ]),
      clock,
      { log },
    );
    await w.start();
    await until(() => lines.filter((l) => l.msg?.endsWith('handler ran')).length === 2, 10_000, 'both handlers ran');
    const ran = lines.filter((l) => l.msg?.endsWith('handler ran')).sort((a, b) => a.msg!.localeCompare(b.msg!));
    expect(ran).toEqual([
      { bindings: { taskId: 'sl', operation: 'pullop', clientId: 'client-1', security: 'ID_AUTH_REST_01' }, msg: 'pull handler ran' },
      { bindings: { correlationId: 'sp', operation: 'op', clientId: 'client-1', security: 'ID_AUTH_REST_01' }, msg: 'push handler ran' },
    ]);
  });
});
