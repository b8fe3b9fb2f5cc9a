/**
 * NONBLOCK_PULL, whatever the binding: accept (task id chosen, ACK built, request stored) →
 * worker (the handler runs from the store, so a task outlives the process that accepted it) →
 * status checks and the result fetch read the task. A binding carries the task id its own way
 * (REST: in the status and result URLs; SOAP: the X-Correlation-ID header part) and answers in
 * its own form.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { systemClock, type Clock } from '../clock.js';
import { newStoredId } from '../ids.js';
import { RuntimeProblemError } from '../problem.js';
import { MemoryStore } from '../store/memory.js';
import type { Store, TaskRecord } from '../store/types.js';
import type { VerifiedSecurity } from '../security/inbound.js';
import { withSecurity } from '../security/stored.js';
import type { PullJob, PullProcessContext } from '../worker.js';
import { RETRY_LATER } from './push.js';
import { childLogOnUse, storeTask, type TaskRuntime } from './tasks.js';

export type TaskState = 'running' | 'done' | 'failed';

/** What a status body is built from. */
export interface PullTask {
  id: string;
  operation: string;
  state: TaskState;
  /** The status URL as sent in `Location` (202) and `Content-Location` (303); `""` for SOAP. */
  statusUrl: string;
  /** The result URL as sent in the 303's `Location`; `""` for SOAP. */
  resultUrl: string;
  /** Why the task failed, when it did (no internals: what `process` threw as the binding's error, or a generic text). */
  failure?: string;
}

export interface PullContext {
  taskId: string;
  log: FastifyBaseLogger;
  /** What the operation's declared security established (as a blocking handler's context has it). */
  security?: VerifiedSecurity;
}

/** What a status handler gets besides the task: the status read's own verified security, when it declares one. */
export interface PullStatusContext {
  log: FastifyBaseLogger;
  security?: VerifiedSecurity;
}

/**
 * A pull operation's handler: `acknowledge` builds the ACK; `process` computes the result after
 * the ACK is sent (from the store: after a crash it runs once more, with `ctx.run` 2); `status`
 * builds the body of the status answers.
 */
export interface PullHandler<Req, Ack, Status, Result> {
  acknowledge(request: Req, ctx: PullContext): Ack | Promise<Ack>;
  process(request: Req, ctx: PullProcessContext): Result | Promise<Result>;
  status(task: PullTask, ctx?: PullStatusContext): Status | Promise<Status>;
}

/**
 * Steps 1-2 up to the ACK: picks the task id, builds the ACK and stores the task before the ACK
 * is sent. Refusals are ProblemErrors (409 id taken, 503 store unavailable) that each binding
 * answers in its own form.
 */
export async function acceptPull<Req>(
  tasks: TaskRuntime,
  operation: string,
  request: Req,
  handler: PullHandler<Req, unknown, unknown, unknown>,
  log: FastifyBaseLogger,
  options: {
    taskId?: (operationId: string, request: Req) => string | Promise<string>;
    /** The status and result URLs of a task id (REST); SOAP has none. */
    urls?: (taskId: string) => { statusUrl: string; resultUrl: string };
    /** The request's verified security: given to `acknowledge`, and kept with the task for `process`. */
    security?: VerifiedSecurity;
  },
): Promise<{ taskId: string; ack: unknown; statusUrl: string }> {
  const taskId = options.taskId ? await options.taskId(operation, request) : newStoredId();
  const urls = options.urls?.(taskId) ?? { statusUrl: '', resultUrl: '' };
  const { security } = options;
  const taskLog = childLogOnUse(log, { taskId });
  const ctx: PullContext = {
    taskId,
    get log() {
      return taskLog();
    },
  };
  if (security) ctx.security = security;
  const ack = await handler.acknowledge(request, ctx);
  const refused = await storeTask(tasks, { kind: 'pull', id: taskId, operation, request, meta: withSecurity(urls, security) }, taskLog);
  if (refused === 'unavailable') throw new RuntimeProblemError('store-unavailable', 'the request could not be taken in charge; try again later', RETRY_LATER);
  if (refused === 'duplicate') throw new RuntimeProblemError('duplicate', `a task with id ${JSON.stringify(taskId)} exists already`);
  return { taskId, ack, statusUrl: urls.statusUrl };
}

/** The pull job of an operation: the worker runs `process` from the store; `failureOf` is the binding's. */
export function pullJob<Req>(handler: PullHandler<Req, unknown, unknown, unknown>, failureOf: (error: unknown) => string): PullJob {
  return { kind: 'pull', process: (request, ctx) => handler.process(request as Req, ctx), failureOf };
}

/**
 * A stored task as the pull pattern sees it. Store states map to pull states: `pending` →
 * running (failed once its retention is over), `delivered` (and `ready`, as earlier versions
 * wrote) → done, `dead`/`expired` → failed.
 */
export function pullTaskOf(t: TaskRecord | undefined, now: number): (PullTask & { result?: unknown }) | undefined {
  if (!t || t.kind !== 'pull') return undefined;
  const { statusUrl = '', resultUrl = '' } = (t.meta ?? {}) as { statusUrl?: string; resultUrl?: string };
  const base = { id: t.id, operation: t.operation, statusUrl, resultUrl };
  if (t.state === 'pending' && t.expiresAt > now) return { ...base, state: 'running' };
  if (t.state === 'ready' || t.state === 'delivered') return { ...base, state: 'done', result: t.result };
  const failure = t.state === 'expired' || t.state === 'pending' ? 'the task did not finish within the retention period' : (t.lastError ?? 'the request could not be processed');
  return { ...base, state: 'failed', failure };
}

/** The task `id` of `operation`, or undefined when there is none (each binding answers that its way). */
export async function findPullTask(tasks: TaskRuntime, operation: string, id: string): Promise<(PullTask & { result?: unknown }) | undefined> {
  const task = pullTaskOf(await tasks.store.getTask(id), tasks.clock.now());
  return task && task.operation === operation ? task : undefined;
}

/** Where pull tasks are read and written. Kept for code written against earlier versions: pull tasks now live in the provider's `store`. */
export interface PullTaskStore {
  create(task: PullTask & { request: unknown }): Promise<void>;
  get(id: string): Promise<(PullTask & { result?: unknown }) | undefined>;
  finish(id: string, outcome: { result: unknown } | { failure: string }): Promise<void>;
}

/**
 * Pull tasks on a {@link Store}. Providers use the store directly; passing one of these as the
 * (deprecated) `pull.store` / `pullStore` option makes its store the one tasks are kept in.
 */
export class StorePullTaskStore implements PullTaskStore {
  private readonly owner = `pull:${randomUUID()}`;
  private readonly clock: Clock;
  private readonly retentionMs: number;

  constructor(
    readonly store: Store,
    options: { retentionMs?: number; clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.retentionMs = options.retentionMs ?? 5 * 24 * 60 * 60 * 1000;
  }

  async create(task: PullTask & { request: unknown }): Promise<void> {
    const now = this.clock.now();
    const meta = { statusUrl: task.statusUrl, resultUrl: task.resultUrl };
    const created = await this.store.createTask({ id: task.id, kind: 'pull', operation: task.operation, request: task.request, meta, now, expiresAt: now + this.retentionMs });
    if (!created) throw new RuntimeProblemError('duplicate', `a task with id ${JSON.stringify(task.id)} exists already`);
  }

  async get(id: string): Promise<(PullTask & { result?: unknown }) | undefined> {
    return pullTaskOf(await this.store.getTask(id), this.clock.now());
  }

  /** Finishes a task that no worker holds (one that does wins: its outcome counts). */
  async finish(id: string, outcome: { result: unknown } | { failure: string }): Promise<void> {
    const now = this.clock.now();
    const patch = 'result' in outcome ? { state: 'delivered' as const, result: outcome.result ?? null } : { state: 'dead' as const, lastError: outcome.failure };
    const [claimed] = await this.store.claimTasks({
      kind: 'pull',
      id,
      operations: [(await this.store.getTask(id))?.operation ?? ''],
      states: ['pending'],
      owner: this.owner,
      now,
      leaseMs: 60_000,
      limit: 1,
    });
    if (claimed) await this.store.updateTask(id, this.owner, { ...patch, release: true }, now);
  }
}

/** Pull tasks in memory (lost on exit): the store `memory:` gives the same. */
export class MemoryPullTaskStore extends StorePullTaskStore {
  constructor() {
    super(new MemoryStore());
  }
}

/** The store a deprecated per-pattern task store option brings, if any. */
export function storeOfPullOption(option: PullTaskStore | undefined): Store | undefined {
  if (option === undefined) return undefined;
  if (option instanceof StorePullTaskStore) return option.store;
  throw new Error('pull tasks are run from a Store: pass the `store` option (a StorePullTaskStore is accepted as the pull task store, no other PullTaskStore)');
}
