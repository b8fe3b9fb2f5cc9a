// The task worker's fairness across callback targets (docs/delivery.md, "What a failing consumer
// costs"): at most `perTargetConcurrency` callbacks in flight to a target that does not acknowledge
// faster, the other targets served meanwhile; after `circuitFailures` attempts in a row without an
// answer the target's callbacks are parked for `circuitOpenMs`, then one trial attempt. And how it
// finds its work: a result goes to its callback without a second claim, a store's announcement
// wakes it, a claim that fails is tried again. The worker runs on a store with a scripted attempt
// (no network): what it starts, and when, is the worker's.
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/runtime/clock.js';
import type { AttemptResult, DeliveryOutcome } from '../src/runtime/delivery.js';
import { MemoryStore, type Store } from '../src/runtime/store/index.js';
import { TaskWorker, type PushJob, type WorkerOptions } from '../src/runtime/worker.js';
import { recorder } from './support/log.js';
import { until } from './support/push.js';
import { TEST_RETRY, TEST_TARGETS, workerOptions } from './support/worker.js';

const DAY = 86_400_000;
const stopping: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stopping.length) await stopping.pop()!();
});

/**
 * A clock whose time moves only when the worker sleeps, by what it asked, once the sleep is over (a
 * sleep cut short by a wake-up takes no time): the gaps between attempts are the worker's schedule.
 */
function virtualClock(): Clock {
  let now = Date.UTC(2026, 0, 1);
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          now += ms;
          resolve();
        }, 1);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      }),
  };
}

/** A real-time clock that polls often: the worker still finds work woken or not. */
const realClock: Clock = { now: () => Date.now(), sleep: (ms, signal) => new Promise((resolve) => (signal?.aborted ? resolve() : setTimeout(resolve, Math.min(ms, 20)))) };

async function start(
  attempt: PushJob['attempt'],
  options: {
    clock: Clock;
    targets?: Partial<WorkerOptions['targets']>;
    pollMs?: number;
    retry?: Partial<WorkerOptions['retry']>;
    prepare?: (store: MemoryStore & Pick<Store, 'watchTasks'>) => void;
    /** The handler (default: the request is the result). */
    process?: PushJob['process'];
    heldUntil?: PushJob['heldUntil'];
    worker?: Partial<WorkerOptions>;
    tasks: { id: string; target: string }[];
  },
) {
  const store = new MemoryStore();
  const { clock } = options;
  for (const t of options.tasks) {
    const now = clock.now();
    await store.createTask({ kind: 'push', id: t.id, operation: 'op', request: { id: t.id }, replyTo: `http://${t.target}/cb`, target: t.target, now, expiresAt: now + DAY });
  }
  // Which callbacks the worker claimed, and when (its clock): a parked target's stay in the store.
  const claims: { id: string; now: number }[] = [];
  const claimTasks = store.claimTasks.bind(store);
  store.claimTasks = async (q) => {
    const claimed = await claimTasks(q);
    for (const t of claimed) if (t.state === 'ready') claims.push({ id: t.id, now: q.now });
    return claimed;
  };
  options.prepare?.(store);
  const outcomes = new Map<string, DeliveryOutcome>();
  const { log, lines } = recorder();
  const job: PushJob = { kind: 'push', process: options.process ?? ((request) => request), checkResult: () => {}, attempt, ...(options.heldUntil ? { heldUntil: options.heldUntil } : {}) };
  const worker = new TaskWorker(
    new Map([['op', job]]),
    workerOptions(store, log, clock, outcomes, {
      retry: { ...TEST_RETRY, ...options.retry },
      pollMs: options.pollMs ?? 1000,
      targets: { ...TEST_TARGETS, ...options.targets },
      ...options.worker,
    }),
  );
  await worker.start();
  stopping.push(() => worker.stop(1000));
  return { worker, outcomes, lines, store, claims };
}

const delivered: AttemptResult = { kind: 'delivered', status: 200, ack: { outcome: 'received' } };

describe('the task worker across callback targets', () => {
  it('keeps at most perTarget callbacks in flight to a target that does not answer yet; the other targets are served meanwhile', async () => {
    const waiting: (() => void)[] = [];
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const attempt: PushJob['attempt'] = async (d) => {
      const target = new URL(d.url).host;
      inFlight.set(target, (inFlight.get(target) ?? 0) + 1);
      most.set(target, Math.max(most.get(target) ?? 0, inFlight.get(target)!));
      if (target === 'slow.test') await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight.set(target, inFlight.get(target)! - 1);
      return delivered;
    };
    const tasks = [...[1, 2, 3, 4, 5, 6].map((n) => ({ id: `slow-${n}`, target: 'slow.test' })), { id: 'fast-1', target: 'fast.test' }, { id: 'fast-2', target: 'fast.test' }];
    const { worker, outcomes } = await start(attempt, { clock: realClock, tasks });
    await until(() => outcomes.has('fast-1') && outcomes.has('fast-2') && waiting.length === 2, 10_000, 'the fast target served while two slow callbacks wait');
    expect(worker.targets().find((s) => s.target === 'slow.test')).toMatchObject({ inFlight: 2, attempts: 2, delivered: 0 });
    // Each answer frees one slot, taken by the next callback to that target.
    for (let answered = 0; answered < 6; answered++) {
      await until(() => waiting.length > 0, 10_000, `slow callback ${answered + 1} to be attempted`);
      waiting.shift()!();
    }
    await until(() => tasks.every((t) => outcomes.has(t.id)), 10_000, 'every callback delivered');
    expect(most.get('slow.test')).toBe(2);
    expect(worker.targets().find((s) => s.target === 'slow.test')).toMatchObject({ attempts: 6, delivered: 6, failures: 0, inFlight: 0 });
    expect([...outcomes.values()].every((o) => o.state === 'delivered' && o.attempts === 1)).toBe(true);
  });

  // A poll of ten minutes: the trial is made when it is due, not at the next poll; a poll of a
  // second: the parked callback, due again after its backoff, is still not claimed.
  it.each([600_000, 1000])('parks a target after circuitFailures attempts without an answer, for circuitOpenMs, then one trial; a failed trial doubles the wait (poll %i ms)', async (pollMs) => {
    const clock = virtualClock();
    const at: number[] = [];
    const attempt: PushJob['attempt'] = async () => {
      at.push(clock.now());
      return at.length <= 4 ? { kind: 'temporary', reason: 'connect ECONNREFUSED' } : delivered;
    };
    const { worker, outcomes, lines, claims } = await start(attempt, { clock, pollMs, retry: { maxDelayMs: 15 * 60_000 }, tasks: [{ id: 'down-1', target: 'down.test' }] });
    await until(() => outcomes.has('down-1'), 10_000, 'the callback delivered after the second trial');
    expect(outcomes.get('down-1')).toMatchObject({ state: 'delivered', attempts: 5 });
    expect(at).toHaveLength(5);
    // After the third failure in a row: the circuit's 60 s; after the failed trial: twice that.
    expect(at[3] - at[2]).toBe(60_000);
    expect(at[4] - at[3]).toBe(120_000);
    // While it is open the callback stays in the store: claimed only for its trials.
    expect(claims.filter((c) => c.now > at[2]).map((c) => c.now)).toEqual([at[3], at[4]]);
    const parked = lines.filter((l) => l.msg === 'callback target failing: its callbacks are parked until a trial attempt succeeds');
    expect(parked).toMatchObject([{ level: 'warn', fields: { target: 'down.test', consecutiveFailures: 3, failures: 3, openUntil: at[2] + 60_000 } }]);
    expect(worker.targets().find((s) => s.target === 'down.test')).toMatchObject({ attempts: 5, delivered: 1, failures: 4, consecutiveFailures: 0, inFlight: 0 });
    expect(worker.targets().find((s) => s.target === 'down.test')).not.toHaveProperty('openUntil');
  });

  it('gives back to the store a callback queued for a target whose circuit opens', async () => {
    // Time stands still and the worker sleeps until woken: what it does follows from the attempts alone.
    const clock: Clock = { now: () => Date.UTC(2026, 0, 1), sleep: (_ms, signal) => new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true })) };
    let fail!: () => void;
    const failing = new Promise<void>((resolve) => (fail = resolve));
    const attempted: string[] = [];
    const attempt: PushJob['attempt'] = async (d) => {
      attempted.push(d.correlationId);
      await failing;
      return { kind: 'temporary', reason: 'read ECONNRESET' };
    };
    const { store, lines } = await start(attempt, {
      clock,
      targets: { perTarget: 1, circuitFailures: 1 },
      tasks: [
        { id: 'd1', target: 'down.test' },
        { id: 'd2', target: 'down.test' },
      ],
    });
    // One in flight (the target's one slot), the other's result queued here under this worker's lease.
    await until(async () => attempted.length === 1 && (await store.getTask(attempted[0] === 'd1' ? 'd2' : 'd1'))?.state === 'ready', 10_000, 'one attempt in flight, one callback queued');
    const queued = attempted[0] === 'd1' ? 'd2' : 'd1';
    expect(await store.getTask(queued)).toMatchObject({ state: 'ready', leaseOwner: 'worker-under-test' });
    fail();
    await until(() => lines.some((l) => l.msg?.startsWith('callback target failing')), 10_000, 'the circuit to open');
    await until(async () => (await store.getTask(queued))?.leaseOwner === undefined, 10_000, `${queued} given back to the store`);
    expect(await store.getTask(queued)).toMatchObject({ state: 'ready', attempts: 0 });
    expect(attempted).toHaveLength(1);
  });

  it('counts an answer, even a 503, as a target alive: its circuit does not open', async () => {
    const clock = virtualClock();
    const at: number[] = [];
    const attempt: PushJob['attempt'] = async () => {
      at.push(clock.now());
      return at.length <= 4 ? { kind: 'temporary', status: 503, reason: 'HTTP 503' } : delivered;
    };
    const { worker, outcomes, lines } = await start(attempt, { clock, tasks: [{ id: 'busy-1', target: 'busy.test' }] });
    await until(() => outcomes.has('busy-1'), 10_000, 'the callback delivered');
    expect(outcomes.get('busy-1')).toMatchObject({ state: 'delivered', attempts: 5 });
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeLessThan(60_000);
    expect(lines.filter((l) => l.msg?.startsWith('callback target failing'))).toEqual([]);
    expect(worker.targets().find((s) => s.target === 'busy.test')).toMatchObject({ attempts: 5, delivered: 1, failures: 0, consecutiveFailures: 0 });
  });
});

describe('the task worker and its store', () => {
  // Time stands still and the worker sleeps until woken: only a wake-up makes it look at the store.
  const still = (): Clock => ({ now: () => Date.UTC(2026, 0, 1), sleep: (_ms, signal) => new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true })) });

  it("sends a handler's result to its callback under the lease it ran under: one claim per request", async () => {
    const { outcomes, claims } = await start(async () => delivered, { clock: still(), tasks: [{ id: 'one', target: 'ok.test' }] });
    await until(() => outcomes.has('one'), 10_000, 'the callback delivered');
    expect(outcomes.get('one')).toMatchObject({ state: 'delivered', attempts: 1 });
    // No claim of the task as a ready callback: it went from its handler to its callback.
    expect(claims).toEqual([]);
  });

  it('starts on a task another instance stored when the store announces it (PostgreSQL LISTEN), not at the next poll', async () => {
    const announce: ((kind: string) => void)[] = [];
    let unwatched = 0;
    const { worker, outcomes, store } = await start(async () => delivered, {
      clock: still(),
      tasks: [],
      prepare: (s) => {
        s.watchTasks = async (onAdded) => {
          announce.push(onAdded);
          return async () => void unwatched++;
        };
      },
    });
    expect(announce).toHaveLength(1);
    const now = Date.UTC(2026, 0, 1);
    await store.createTask({ kind: 'push', id: 'elsewhere', operation: 'op', request: {}, replyTo: 'http://ok.test/cb', target: 'ok.test', now, expiresAt: now + DAY });
    announce[0]('push');
    await until(() => outcomes.has('elsewhere'), 10_000, 'the announced task delivered');
    expect(worker.announcements).toBe(1);
    await worker.stop(1000);
    expect(unwatched).toBe(1);
  });

  it('polls only when the store cannot announce new tasks, and says so', async () => {
    const { worker, lines } = await start(async () => delivered, {
      clock: still(),
      tasks: [],
      prepare: (s) => {
        s.watchTasks = async () => {
          throw new Error('LISTEN refused');
        };
      },
    });
    expect(lines).toMatchObject([{ level: 'warn', fields: { err: { message: 'LISTEN refused' } }, msg: 'task worker: cannot listen for new tasks; polling only' }]);
    expect(worker.announcements).toBe(0);
  });

  it('tries the store again when a claim fails, and says so', async () => {
    let failures = 1;
    const { outcomes, lines } = await start(async () => delivered, {
      clock: virtualClock(),
      tasks: [{ id: 'later', target: 'ok.test' }],
      prepare: (s) => {
        const claim = s.claimTasks.bind(s);
        s.claimTasks = async (q) => {
          if (failures-- > 0) throw new Error('database is locked');
          return claim(q);
        };
      },
    });
    await until(() => outcomes.has('later'), 10_000, 'the callback delivered after the store came back');
    expect(lines.filter((l) => l.level === 'error')).toMatchObject([{ fields: { err: { message: 'database is locked' } }, msg: 'task worker: store unavailable, trying again' }]);
  });

  it('gives back a queued callback whose lease is half gone instead of sending it, and claims it again', async () => {
    let now = Date.UTC(2026, 0, 1);
    const clock: Clock = { now: () => now, sleep: still().sleep };
    let answer!: () => void;
    const gate = new Promise<void>((resolve) => (answer = resolve));
    const attempted: string[] = [];
    const attempt: PushJob['attempt'] = async (d) => {
      attempted.push(d.correlationId);
      if (attempted.length === 1) await gate;
      return delivered;
    };
    const { store, outcomes, claims } = await start(attempt, {
      clock,
      targets: { perTarget: 1 },
      worker: { leaseMs: 1000 },
      tasks: [
        { id: 'q1', target: 'one.test' },
        { id: 'q2', target: 'one.test' },
      ],
    });
    await until(async () => attempted.length === 1 && (await store.getTask(attempted[0] === 'q1' ? 'q2' : 'q1'))?.state === 'ready', 10_000, 'one callback in flight, one queued');
    const queued = attempted[0] === 'q1' ? 'q2' : 'q1';
    expect(claims).toEqual([]);
    // 600 ms of a 1 s lease gone: too little left to start an attempt under it.
    now += 600;
    answer();
    await until(() => outcomes.has('q1') && outcomes.has('q2'), 10_000, 'both callbacks delivered');
    expect(claims).toEqual([{ id: queued, now }]);
    expect(outcomes.get(queued)).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it('gives back the tasks it claimed ahead but did not start when it stops: their run count is as before', async () => {
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const started: string[] = [];
    const { worker, store } = await start(async () => delivered, {
      clock: still(),
      worker: { handlerConcurrency: 1 },
      process: async (request) => {
        started.push((request as { id: string }).id);
        await gate;
        return request;
      },
      tasks: [
        { id: 'p1', target: 'ok.test' },
        { id: 'p2', target: 'ok.test' },
      ],
    });
    await until(() => started.length === 1, 10_000, 'one handler started');
    const [ran] = started;
    const ahead = ran === 'p1' ? 'p2' : 'p1';
    // Claimed ahead of its handler slot (one claim feeds several handlers).
    expect(await store.getTask(ahead)).toMatchObject({ state: 'pending', runs: 1, leaseOwner: 'worker-under-test' });
    const stopped = worker.stop(10_000);
    finish();
    await stopped;
    expect(started).toEqual([ran]);
    expect(await store.getTask(ran)).toMatchObject({ state: 'ready', runs: 1 });
    const back = await store.getTask(ahead);
    expect(back).toMatchObject({ state: 'pending', runs: 0 });
    expect(back).not.toHaveProperty('leaseOwner');
  });

  it('holds a callback its job says may not go yet (a subscription event behind an earlier one) without counting an attempt', async () => {
    const clock = virtualClock();
    const T0 = clock.now();
    const at: number[] = [];
    const asked: number[] = [];
    const { worker, outcomes, store } = await start(
      async () => {
        at.push(clock.now());
        return delivered;
      },
      {
        clock,
        tasks: [{ id: 'held', target: 'ok.test' }],
        heldUntil: async (_task, now) => {
          asked.push(now);
          return now < T0 + 5000 ? T0 + 5000 : undefined;
        },
      },
    );
    await until(() => outcomes.has('held'), 10_000, 'the held callback delivered');
    expect(outcomes.get('held')).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(at).toHaveLength(1);
    expect(at[0]).toBeGreaterThanOrEqual(T0 + 5000);
    expect(asked[0]).toBe(T0);
    expect(await store.getTask('held')).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(worker.targets().find((s) => s.target === 'ok.test')).toMatchObject({ attempts: 1, delivered: 1, inFlight: 0 });
  });
});
