/**
 * The task runtime that the push and pull engines share, whatever the binding: the store that
 * keeps accepted work, and the worker that runs handlers (and delivers push callbacks) from it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { DEFAULT_RETENTION_MS, registerDeliveryAdmin, type AdminOptions } from '../admin.js';
import { systemClock, type Clock } from '../clock.js';
import { DEFAULT_RETRY, type DeliveryOutcome, type RetryPolicy } from '../delivery.js';
import type { OutboundOptions } from '../outbound.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, guardedFetch, type Connector, type ReplyToPolicy } from '../reply-to.js';
import { DEFAULT_TARGET_POLICY, targetOf } from '../targets.js';
import { DEFAULT_STORE, openStore } from '../store/index.js';
import { newTaskRecord, type NewTask, type Store } from '../store/types.js';
import { TaskWorker, type TaskJob } from '../worker.js';

export interface DeliveryOptions {
  /** Run the task worker in this instance (default true; false: accept only, others process and deliver). */
  enabled?: boolean;
  /** Callbacks sent at once (default 64). */
  concurrency?: number;
  /** Callbacks sent at once to one target, its URL's host and port, to begin with (default 2): a slow or failing target cannot take every slot. */
  perTargetConcurrency?: number;
  /**
   * How far a target that acknowledges its callbacks may grow past `perTargetConcurrency` (default
   * 32): one more slot per acknowledged callback, halved on any other answer, back to
   * `perTargetConcurrency` on an attempt without one (targets.ts). A busy consumer then gets its
   * callbacks as fast as they are accepted; one that hangs or fails never holds more than the start.
   */
  maxPerTargetConcurrency?: number;
  /** Temporary failures in a row after which a target's callbacks are parked (its circuit opens; default 5). */
  circuitFailures?: number;
  /** How long an opened circuit parks them before one trial attempt (default 30 s, doubled while trials fail, up to `retry.maxDelayMs`). */
  circuitOpenMs?: number;
  /** Time allowed to open a connection to a callback target (default 5 s; never more than the attempt's `retry.timeoutMs`). */
  connectTimeoutMs?: number;
  /** Bytes of a callback target's answer read at most (default 64 KiB): the rest is not read, and a longer ACK fails the attempt for good. */
  maxAnswerBytes?: number;
  /** Handlers run at once (default 4). */
  handlerConcurrency?: number;
  /** How long a claimed task stays with this instance without a renewal (default 60 s). */
  leaseMs?: number;
  /** How often the store is polled for due work (default 1 s). */
  pollMs?: number;
  /** How often expired requests are looked for (default 60 s). */
  sweepMs?: number;
  /**
   * On close, how long work in progress may take (default `shutdownTimeoutMs`, 10 s): then
   * callbacks on the wire are abandoned and released, and handlers still running are left to
   * lapse (their tasks are run again elsewhere, with `ctx.run` 2).
   */
  shutdownGraceMs?: number;
  /** This instance's name in leases (default host:pid:random). */
  owner?: string;
  /** Opens connections for callbacks, to the address already checked (a test hook; default: undici's). */
  connect?: Connector;
}

/** The settings of the store and the worker, the same for every binding (docs/delivery.md). */
export interface TaskOptions {
  /** Which `X-ReplyTo` URLs are accepted. */
  replyTo?: ReplyToPolicy;
  retry?: Partial<RetryPolicy>;
  outbound?: OutboundOptions;
  /** How long closing the server waits for work in progress (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Called when a callback ends: delivered, dead (dead letter) or expired. */
  onDelivery?: (operationId: string, correlationId: string, outcome: DeliveryOutcome) => void;
  /**
   * Where accepted push requests and pull tasks are kept until they are done: `sqlite:<file>`
   * (default `sqlite:./accordo.db`), a `postgres://` URL (several instances share the work),
   * `memory:` (tests: lost on exit), or an open {@link Store} (then the caller closes it).
   */
  store?: string | Store;
  /** How long an unfinished task is kept (and a push callback retried), and a finished one remembered (default 5 days, as CART). */
  retentionMs?: number;
  delivery?: DeliveryOptions;
  /** The clock of the worker (tests inject a fast one). */
  clock?: Clock;
  /** Admin routes for deliveries (list, inspect, retry, purge): off unless set; bearer-token protected. */
  admin?: AdminOptions;
}

/**
 * Callbacks in flight at once, all targets together. Under a load that keeps the process busy,
 * accepting and delivering share its event loop turn by turn, so the deliveries' share grows with
 * the callbacks in flight: with 16 to one busy target they fell behind 50 connections' requests
 * and the backlog grew; with 32 it stays flat (issue 19, BENCHMARKS.md).
 */
export const DEFAULT_DELIVERY_CONCURRENCY = 64;
/** The most callbacks in flight to one target that keeps acknowledging them: half the slots, so one busy target leaves the others room. */
export const DEFAULT_MAX_PER_TARGET = 32;

/** What is read of a callback target's answer at most: an ACK is a few fields. */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024;

/** Opens the configured store; one opened from a setting is closed with the server. */
export async function ownedStore(options: Pick<TaskOptions, 'store'>): Promise<{ store: Store; owned: boolean }> {
  const setting = options.store ?? DEFAULT_STORE;
  if (typeof setting !== 'string') return { store: setting, owned: false };
  return { store: await openStore(setting), owned: true };
}

export interface TaskRuntime {
  store: Store;
  /** Absent when this instance only accepts (`delivery.enabled: false`). */
  worker?: TaskWorker;
  clock: Clock;
  retentionMs: number;
}

/**
 * Opens the store (`store`, or the one a deprecated per-pattern option brought) and starts the
 * worker that runs the handlers of `jobs` and delivers push callbacks.
 */
export async function startTaskRuntime(app: FastifyInstance, jobs: Map<string, TaskJob>, options: TaskOptions): Promise<TaskRuntime> {
  const { store, owned } = await ownedStore(options);
  const clock = options.clock ?? systemClock;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const d = options.delivery ?? {};
  // Callbacks go through a fetch that dials only checked addresses, unless the caller brought its own.
  const pushes = [...jobs.values()].some((job) => job.kind === 'push');
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  // undici keeps a request whose connection is still being set up when its signal aborts (only the
  // connect timeout ends it): the set-up gets no more than the attempt's own time.
  const connectTimeoutMs = Math.min(d.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, retry.timeoutMs);
  const guarded = options.outbound?.fetch || !pushes ? undefined : guardedFetch(options.replyTo, d.connect, connectTimeoutMs);
  const worker =
    d.enabled === false
      ? undefined
      : new TaskWorker(jobs, {
          store,
          log: app.log.child({ component: 'task-worker' }),
          clock,
          owner: d.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
          retry,
          retentionMs,
          leaseMs: d.leaseMs ?? 60_000,
          pollMs: d.pollMs ?? 1000,
          sweepMs: d.sweepMs ?? 60_000,
          handlerConcurrency: d.handlerConcurrency ?? 4,
          deliveryConcurrency: d.concurrency ?? DEFAULT_DELIVERY_CONCURRENCY,
          targets: {
            perTarget: d.perTargetConcurrency ?? DEFAULT_TARGET_POLICY.perTarget,
            maxPerTarget: d.maxPerTargetConcurrency ?? DEFAULT_MAX_PER_TARGET,
            circuitFailures: d.circuitFailures ?? DEFAULT_TARGET_POLICY.circuitFailures,
            circuitOpenMs: d.circuitOpenMs ?? DEFAULT_TARGET_POLICY.circuitOpenMs,
          },
          maxAnswerBytes: d.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES,
          // Callbacks go through the guarded agent's `request` (keep-alive per origin, no web streams); `fetch` stays for what needs one.
          outbound: { ...options.outbound, ...(guarded ? { dispatcher: guarded.dispatcher } : {}) },
          replyTo: options.replyTo ?? {},
          onDelivery: options.onDelivery,
        });
  // Work left by an earlier run (or another instance) starts once the server is ready.
  app.addHook('onReady', async () => worker?.start());
  app.addHook('onClose', async () => {
    await worker?.stop(d.shutdownGraceMs ?? options.shutdownTimeoutMs ?? 10_000);
    await guarded?.close();
    if (owned) await store.close();
  });
  if (options.admin) await registerDeliveryAdmin(app, store, { ...options.admin, clock, retentionMs, onRetry: () => worker?.wake() });
  app.log.debug({ store: store.description }, 'accepted work is kept in the store');
  return { store, worker, clock, retentionMs };
}

/**
 * A child of `parent` with `bindings`, made on the first call: pino's child() serialises its
 * bindings, a cost on every accepted request that most handlers never log (issue 19). A handler's
 * context reads it through a getter, so a handler that spreads the context still has it.
 */
export function childLogOnUse(parent: FastifyBaseLogger, bindings: Record<string, unknown>): () => FastifyBaseLogger {
  let log: FastifyBaseLogger | undefined;
  return () => (log ??= parent.child(bindings));
}

/**
 * Writes an accepted task before its acknowledgement is sent (the acknowledgement is a promise
 * to do the work) and gives it to this instance's worker: leased to it already when its queue has
 * room (no claim), else unleased, waking the worker to claim it. Says why when it could not: the
 * store failed (`unavailable`: the caller may try again) or the id was already taken (`duplicate`).
 */
export async function storeTask(
  tasks: TaskRuntime,
  task: { kind: TaskJob['kind']; id: string; operation: string; request: unknown; replyTo?: string; meta?: unknown },
  /** The request's logger, asked for only when the store fails. */
  log: () => FastifyInstance['log'],
): Promise<undefined | 'unavailable' | 'duplicate'> {
  const now = tasks.clock.now();
  const lease = tasks.worker?.leaseFor(task.operation, now);
  // One shape for every task (absent fields undefined), not spreads: a spread of conditional parts makes V8 build object maps per request.
  const written: NewTask = {
    id: task.id,
    kind: task.kind,
    operation: task.operation,
    request: task.request,
    replyTo: task.replyTo,
    target: task.replyTo ? targetOf(task.replyTo) : undefined,
    meta: task.meta,
    now,
    expiresAt: now + tasks.retentionMs,
    lease,
  };
  let stored: boolean;
  try {
    stored = await tasks.store.createTask(written);
  } catch (e) {
    log().error({ err: e }, `${task.kind} request could not be stored; not accepted`);
    return 'unavailable';
  }
  if (!stored) return 'duplicate';
  if (lease) tasks.worker?.adopt(newTaskRecord(written));
  else tasks.worker?.wake();
  return undefined;
}
