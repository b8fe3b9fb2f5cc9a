import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import { backoff, responseExcerpt, type AttemptOptions, type AttemptResult, type DeliveryOutcome, type RetryPolicy } from './delivery.js';
import type { OutboundOptions } from './outbound.js';
import type { ReplyToPolicy } from './reply-to.js';
import type { VerifiedSecurity } from './security/inbound.js';
import { securityLogFields, storedSecurity } from './security/stored.js';
import type { Store, TaskPatch, TaskRecord } from './store/types.js';
import { TargetLedger, targetOf, type TargetOutcome, type TargetPolicy, type TargetStats } from './targets.js';

/** What a push handler's `process` gets. */
export interface ProcessContext {
  correlationId: string;
  replyTo: string;
  log: FastifyBaseLogger;
  /**
   * 1 normally. Above 1 when an earlier run was interrupted before its result was stored (the
   * process died, or its lease ran out): a handler with side effects can use the CorrelationID
   * to avoid doing them twice.
   */
  run: number;
  /** Aborted when the server shuts down and its grace period is over. */
  signal: AbortSignal;
  /** What the request's declared security established when it was accepted (kept with the task). */
  security?: VerifiedSecurity;
}

/** What a pull handler's `process` gets: the task id (the CorrelationID, for SOAP), and the same run count and signal. */
export interface PullProcessContext {
  taskId: string;
  log: FastifyBaseLogger;
  /** 1 normally; 2 when the process that ran it first died before storing its result (see docs/delivery.md). */
  run: number;
  signal: AbortSignal;
  /** What the request's declared security established when it was accepted (kept with the task). */
  security?: VerifiedSecurity;
}

/**
 * What the worker needs of one push operation, whatever its binding: run the handler, check its
 * result, and make one callback attempt (JSON: a request; SOAP: an envelope).
 */
export interface PushJob {
  kind: 'push';
  process: (request: unknown, ctx: ProcessContext) => unknown;
  /** Throws when a handler's result is not what the callback carries (it is then a dead letter). */
  checkResult: (result: unknown) => void;
  /** Sends the callback once and reads the acknowledgement; `meta` is what the task was stored with. */
  attempt: (delivery: { url: string; correlationId: string; body: unknown; meta?: unknown }, options: AttemptOptions, log: FastifyBaseLogger) => Promise<AttemptResult>;
  /**
   * When the callback may not be sent yet, the time (epoch ms) to look again; `undefined` when it
   * may. A subscription's event waits for the one before it to be finished; no attempt counts.
   */
  heldUntil?: (task: TaskRecord, now: number) => Promise<number | undefined>;
}

/** What the worker needs of one pull operation: run the handler; its result is what the client fetches. */
export interface PullJob {
  kind: 'pull';
  process: (request: unknown, ctx: PullProcessContext) => unknown;
  /** What a failed run leaves on the task for the client: the binding's own error's text, or a generic one. */
  failureOf: (error: unknown) => string;
}

export type TaskJob = PushJob | PullJob;

/**
 * How many times a pull handler is started at most: a run whose process died (or whose lease
 * lapsed) is followed by exactly one more; a task interrupted twice fails rather than taking
 * down every process that picks it up.
 */
export const MAX_PULL_RUNS = 2;

/** Why the worker's sleep is cut short. */
const WOKEN = 'woken';

/** Pending push tasks claimed ahead, per handler slot: one claim then feeds several fast handlers. */
const HANDLER_PREFETCH = 8;
/** Ready callbacks a worker holds leased per target, per slot of the target (`perTarget`), waiting for a slot. */
const TARGET_QUEUE = 32;

export interface WorkerOptions {
  store: Store;
  log: FastifyBaseLogger;
  clock: Clock;
  /** This instance's name in leases. */
  owner: string;
  retry: RetryPolicy;
  retentionMs: number;
  /** How long a claim holds before another instance may take the task (renewed while working). */
  leaseMs: number;
  /** How often the store is asked for due work when nothing woke the worker. */
  pollMs: number;
  /** How often expired tasks are looked for. */
  sweepMs: number;
  /** Handlers and callback deliveries run in separate slots, so a slow consumer does not hold results back. */
  handlerConcurrency: number;
  deliveryConcurrency: number;
  /** Per callback target: concurrency, and the circuit that parks a failing target's messages (targets.ts). */
  targets: Omit<TargetPolicy, 'maxOpenMs'>;
  /** Bytes of a callback target's answer read at most; a longer ACK fails the attempt. */
  maxAnswerBytes: number;
  outbound: OutboundOptions;
  replyTo: ReplyToPolicy;
  onDelivery?: (operationId: string, correlationId: string, outcome: DeliveryOutcome) => void;
}

/**
 * Works off accepted push requests and pull tasks from the store: runs the handler and stores its
 * result (push: `pending` → `ready`; pull: `pending` → `delivered`, the result the client
 * fetches), then, for push, delivers the callback, one attempt per claim, rescheduling temporary
 * failures with backoff (`ready` → `delivered` | `dead`). Every step is done under a lease and
 * written back before the lease is released, so a crash loses nothing: another instance, or this
 * one after a restart, picks the task up where it was.
 */
export class TaskWorker {
  private stopping = false;
  private woken = false;
  private wakeup?: AbortController;
  private loop?: Promise<void>;
  private readonly active = new Set<Promise<void>>();
  private handlers = 0;
  private deliveries = 0;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private readonly shutdown = new AbortController();
  /** The operations of each kind of task this worker has jobs for. */
  private readonly operations: Record<TaskJob['kind'], string[]> = { push: [], pull: [] };
  private readonly ledger: TargetLedger;
  /**
   * Claimed tasks waiting for a handler slot: pending push tasks are claimed a few slots ahead, so
   * one claim (one store round trip, one disk sync) feeds many fast handlers.
   */
  private readonly handlerQueue: TaskRecord[] = [];
  /**
   * Per target, ready push tasks whose lease this worker holds, waiting for a delivery slot: a
   * handler's result goes straight to its callback without being released and claimed again.
   */
  private readonly deliveryQueues = new Map<string, TaskRecord[]>();
  private queuedDeliveries = 0;
  private unwatch?: Promise<(() => Promise<void>) | undefined>;
  private announced = 0;
  private adoptScheduled = false;
  /**
   * Whether the store may hold due work this worker has not claimed: set by wakes, the poll and
   * tasks put back; cleared when claims come back with less than they asked for. A freed slot
   * claims only while it is set, not once per finished task.
   */
  private unclaimed = true;

  constructor(
    private readonly jobs: Map<string, TaskJob>,
    private readonly o: WorkerOptions,
  ) {
    for (const [operation, job] of jobs) this.operations[job.kind].push(operation);
    this.ledger = new TargetLedger({ ...o.targets, maxOpenMs: o.retry.maxDelayMs });
    this.attemptOptions = { timeoutMs: o.retry.timeoutMs, maxAnswerBytes: o.maxAnswerBytes, outbound: { ...o.outbound, signal: this.shutdown.signal }, replyTo: o.replyTo };
  }

  /** The same for every callback attempt: built once, not spread afresh per attempt (issue 19). */
  private readonly attemptOptions: AttemptOptions;

  /** Attempts, failures, callbacks in flight and circuit state per callback target, since this worker started. */
  targets(): TargetStats[] {
    return this.ledger.stats();
  }

  /** Starts the worker; resolves once it also listens for the store's announcements (when the store makes them). */
  async start(): Promise<void> {
    this.loop ??= this.run();
    // A store that announces new tasks (PostgreSQL) wakes this worker for another instance's too; the poll stays as the fallback.
    if (this.o.store.watchTasks && !this.unwatch) {
      this.unwatch = this.o.store
        .watchTasks(() => {
          this.announced++;
          this.wake();
        })
        .catch((e) => {
          this.o.log.warn({ err: e }, 'task worker: cannot listen for new tasks; polling only');
          return undefined;
        });
    }
    await this.unwatch;
  }

  /** How many new tasks the store announced to this worker (see `Store.watchTasks`). */
  get announcements(): number {
    return this.announced;
  }

  /**
   * The lease under which a task of `operation` accepted here now is written, when this worker has
   * a job for it and room in its handler queue: the task then comes to it with {@link adopt}, not
   * by a claim (one store round trip less per request). `undefined`: write it unleased, for a claim.
   */
  leaseFor(operation: string, now: number): { owner: string; until: number } | undefined {
    if (this.stopping || !this.jobs.has(operation)) return undefined;
    if (this.handlers + this.handlerQueue.length >= this.o.handlerConcurrency * HANDLER_PREFETCH) return undefined;
    return { owner: this.o.owner, until: now + this.o.leaseMs };
  }

  /**
   * Takes a task written under {@link leaseFor}'s lease into the handler queue (a stopping worker
   * gives it back). Its handler starts in a later turn: after the acknowledgement has been sent.
   */
  adopt(task: TaskRecord): void {
    if (this.stopping) return this.track(this.giveBack(task));
    this.handlerQueue.push(task);
    if (this.adoptScheduled) return;
    this.adoptScheduled = true;
    setImmediate(() => {
      this.adoptScheduled = false;
      this.dispatch();
    });
  }

  /** New work is in the store: look now rather than at the next poll. */
  wake(): void {
    this.unclaimed = true;
    this.resume();
  }

  /**
   * A slot came free or a target's circuit changed: the loop goes round again (its next sleep may
   * be shorter), claiming only if the store may hold work for it (`unclaimed`), not once per finished task.
   */
  private resume(): void {
    this.woken = true;
    // Called per accepted request: a constant reason, as abort() would build an error (and its stack) on every call.
    if (this.wakeup && !this.wakeup.signal.aborted) this.wakeup.abort(WOKEN);
  }

  /**
   * Stops claiming and waits for the work in hand. After `graceMs` it aborts callbacks still on
   * the wire (their tasks are released and not counted as attempts) and signals handlers; a
   * handler that still does not end within one more second is left behind: its lease lapses and
   * its task is run again (the only case where a handler runs twice without a crash).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    await (
      await this.unwatch
    )?.();
    await this.loop;
    const settled = Promise.allSettled([...this.active]);
    const timers: NodeJS.Timeout[] = [];
    const after = (ms: number) => new Promise<'late'>((resolve) => timers.push(setTimeout(() => resolve('late'), ms)));
    if ((await Promise.race([settled, after(graceMs)])) === 'late') {
      this.shutdown.abort();
      if ((await Promise.race([settled, after(1000)])) === 'late') {
        this.o.log.warn({ handlers: this.handlers }, 'shut down with handlers still running; their tasks are run again once the lease lapses');
      }
    }
    timers.forEach(clearTimeout);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      try {
        await this.sweep();
        if (this.unclaimed) {
          // Cleared before the claims: a wake() while they run sets it again.
          this.unclaimed = false;
          // Claimed together: on SQLite the three share one transaction (one disk sync).
          const claims = await Promise.allSettled([this.claimHandlers('push'), this.claimHandlers('pull'), this.claimDeliveries()]);
          if (claims.some((c) => c.status !== 'fulfilled' || c.value)) this.unclaimed = true;
          const failed = claims.find((c) => c.status === 'rejected');
          if (failed) throw failed.reason;
        }
      } catch (e) {
        this.o.log.error({ err: e }, 'task worker: store unavailable, trying again');
      }
      this.dispatch();
      if (this.woken || this.stopping) continue;
      this.wakeup = new AbortController();
      // Nothing due: sleep until the next poll, or until an open circuit's trial may start if sooner.
      const trial = this.ledger.nextTrial();
      const wait = trial === undefined ? this.o.pollMs : Math.min(this.o.pollMs, Math.max(1, trial - this.o.clock.now()));
      await this.o.clock.sleep(wait, this.wakeup.signal);
      // The poll (or a circuit's trial time): due work may have come without a wake (retries, lapsed leases).
      if (!this.woken) this.unclaimed = true;
    }
    await Promise.all(this.drainQueues().map((task) => this.track(this.giveBack(task))));
  }

  /**
   * Claims pending tasks for the handler queue: push ones up to `HANDLER_PREFETCH` times the slots,
   * pull ones only for free slots. Resolves whether the store may hold more (no room to ask, or as many as asked came).
   */
  private async claimHandlers(kind: TaskJob['kind']): Promise<boolean> {
    const free = this.o.handlerConcurrency - this.handlers - this.handlerQueue.length;
    const room = kind === 'push' ? this.o.handlerConcurrency * HANDLER_PREFETCH - this.handlers - this.handlerQueue.length : free;
    const tasks = await this.claim(kind, 'pending', room);
    this.handlerQueue.push(...tasks);
    return this.operations[kind].length > 0 && (room <= 0 || tasks.length >= room);
  }

  /**
   * Claims ready push tasks (callbacks due: retries, left by another instance or by a full queue)
   * into the delivery queues, many per claim. Resolves whether the store may hold more for this
   * worker: no room to ask, targets left out, as many as asked came, or some were given back.
   */
  private async claimDeliveries(): Promise<boolean> {
    const now = this.o.clock.now();
    const perQueue = this.o.targets.perTarget * TARGET_QUEUE;
    // At most one queue's worth per claim: more, all for one target, would be given back at once.
    const limit = Math.min(perQueue, this.o.deliveryConcurrency * TARGET_QUEUE - this.deliveries - this.queuedDeliveries);
    // Callbacks to a target with an open circuit, or with enough queued here to keep its slots busy, stay in the store, unclaimed.
    const skipTargets = this.ledger.blocked(now).filter((target) => this.ledger.isOpen(target, now));
    for (const [target, queue] of this.deliveryQueues) if (queue.length >= this.o.targets.perTarget) skipTargets.push(target);
    const tasks = await this.claim('push', 'ready', limit, skipTargets);
    const over: Promise<unknown>[] = [];
    for (const task of tasks) {
      // More claimed for one target than its queue holds: given back untouched, not an attempt.
      if (!this.enqueueDelivery(task, task.target ?? targetOf(task.replyTo), perQueue)) over.push(this.giveBack(task));
    }
    await Promise.all(over);
    return this.operations.push.length > 0 && (limit <= 0 || skipTargets.length > 0 || tasks.length >= limit || over.length > 0);
  }

  private async claim(kind: TaskJob['kind'], state: 'pending' | 'ready', limit: number, skipTargets?: string[]): Promise<TaskRecord[]> {
    const operations = this.operations[kind];
    if (limit <= 0 || this.stopping || operations.length === 0) return [];
    const now = this.o.clock.now();
    return this.o.store.claimTasks({
      kind,
      operations,
      states: [state],
      ...(skipTargets?.length ? { skipTargets } : {}),
      owner: this.o.owner,
      now,
      leaseMs: this.o.leaseMs,
      limit,
    });
  }

  /** Queues a leased ready task for its target unless that target's queue already holds `max` (or the worker is stopping). */
  private enqueueDelivery(task: TaskRecord, target: string, max: number): boolean {
    if (this.stopping) return false;
    const queue = this.deliveryQueues.get(target) ?? [];
    if (queue.length >= max) return false;
    queue.push(task);
    this.deliveryQueues.set(target, queue);
    this.queuedDeliveries++;
    return true;
  }

  /** Whether a queued task's lease is too close to its end to start work under it: then it is given back rather than renewed. */
  private stale(task: TaskRecord, now: number): boolean {
    return task.leaseUntil === undefined || task.leaseUntil - now < this.o.leaseMs / 2;
  }

  /** Releases a claimed task that was not worked on; a pending one's claim did not start a run, so its count goes back. */
  private giveBack(task: TaskRecord): Promise<unknown> {
    // Back in the store, for the next claim.
    this.unclaimed = true;
    const patch = task.state === 'pending' ? { release: true, runs: task.runs - 1 } : { release: true };
    return this.o.store.updateTask(task.id, this.o.owner, patch, this.o.clock.now());
  }

  private drainQueues(): TaskRecord[] {
    const all = this.handlerQueue.splice(0);
    for (const queue of this.deliveryQueues.values()) all.push(...queue);
    this.deliveryQueues.clear();
    this.queuedDeliveries = 0;
    return all;
  }

  /** Starts what the queues hold, as far as the slots (and each target's limit and circuit) allow. */
  private dispatch(): void {
    if (this.stopping) return;
    const now = this.o.clock.now();
    while (this.handlers < this.o.handlerConcurrency && this.handlerQueue.length) {
      const task = this.handlerQueue.shift()!;
      if (this.stale(task, now)) this.track(this.giveBack(task));
      else this.startHandler(task);
    }
    for (const [target, queue] of this.deliveryQueues) {
      // An open circuit parks its target's callbacks in the store, not here under a lease.
      const open = this.ledger.isOpen(target, now);
      while (queue.length && (open || this.deliveries < this.o.deliveryConcurrency)) {
        if (!open && !this.stale(queue[0], now) && !this.ledger.acquire(target, now)) break;
        const task = queue.shift()!;
        this.queuedDeliveries--;
        if (open || this.stale(task, now)) this.track(this.giveBack(task));
        else this.startDelivery(task, target);
      }
      if (queue.length === 0) this.deliveryQueues.delete(target);
    }
  }

  private track(work: Promise<unknown>): void {
    const tracked = work
      .then(() => undefined)
      .catch((e) => this.o.log.error({ err: e }, 'task worker: could not record the outcome; the task is retried when its lease lapses'))
      .finally(() => this.active.delete(tracked));
    this.active.add(tracked);
  }

  /** Runs a handler in a slot that is freed once the handler returns (its result is then written outside the slot). */
  private startHandler(task: TaskRecord): void {
    this.handlers++;
    let freed = false;
    const free = () => {
      if (freed) return;
      freed = true;
      this.handlers--;
      this.dispatch();
      this.resume();
    };
    const job = this.jobs.get(task.operation)!;
    this.track((job.kind === 'pull' ? this.handlePull(task, job, free) : this.handle(task, free)).finally(free));
  }

  /** One callback attempt in a slot of the worker and of the target's ledger, both freed once the target answered (the outcome is then written outside them). */
  private startDelivery(task: TaskRecord, target: string): void {
    this.deliveries++;
    let freed = false;
    const free = (outcome: TargetOutcome) => {
      if (freed) return;
      freed = true;
      this.deliveries--;
      this.ledger.release(target, outcome, this.o.clock.now());
      if (outcome === 'failed') {
        const stats = this.ledger.of(target);
        if (stats?.openUntil !== undefined && stats.consecutiveFailures === this.o.targets.circuitFailures) {
          this.o.log.warn({ ...stats }, 'callback target failing: its callbacks are parked until a trial attempt succeeds');
        }
      }
      this.dispatch();
      this.resume();
    };
    this.track(this.attempt(task, target, free).finally(() => free('abandoned')));
  }

  /** Keeps the lease alive while `fn` runs. */
  private async leased<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const renew = setInterval(
      () => {
        this.o.store.updateTask(id, this.o.owner, { leaseUntil: this.o.clock.now() + this.o.leaseMs }, this.o.clock.now()).catch(() => {});
      },
      Math.max(10, Math.floor(this.o.leaseMs / 3)),
    );
    try {
      return await fn();
    } finally {
      clearInterval(renew);
    }
  }

  /** Runs a push handler; `free` gives its slot back once the handler returned. */
  private async handle(task: TaskRecord, free: () => void): Promise<void> {
    const job = this.jobs.get(task.operation) as PushJob;
    const security = storedSecurity(task.meta);
    const log = this.o.log.child({ correlationId: task.id, operation: task.operation, ...(security ? securityLogFields(security) : {}) });
    if (task.runs > 1) log.warn({ run: task.runs }, 'an earlier run of this handler was interrupted; running it again');
    const ctx: ProcessContext = { correlationId: task.id, replyTo: task.replyTo ?? '', log, run: task.runs, signal: this.shutdown.signal };
    if (security) ctx.security = security;
    let result: unknown;
    try {
      result = await this.leased(task.id, async () => job.process(task.request, ctx));
      job.checkResult(result);
    } catch (e) {
      free();
      const reason = `processing failed: ${(e as Error).message}`;
      log.error({ err: e }, 'push processing failed; no callback sent (dead letter)');
      if (await this.o.store.updateTask(task.id, this.o.owner, { state: 'dead', lastError: reason, release: true }, this.o.clock.now())) {
        this.o.onDelivery?.(task.operation, task.id, { state: 'dead', attempts: task.attempts, reason });
      }
      return;
    }
    free();
    const now = this.o.clock.now();
    // The result is stored before its callback is sent; the lease is kept when the target's queue
    // has room, so the callback goes out without the task being released and claimed again.
    const target = task.target ?? targetOf(task.replyTo);
    const keep = !this.stopping && (this.deliveryQueues.get(target)?.length ?? 0) < this.o.targets.perTarget * TARGET_QUEUE && !this.ledger.isOpen(target, now);
    const leaseUntil = now + this.o.leaseMs;
    const patch = keep ? { state: 'ready', result: result ?? null, dueAt: now, leaseUntil } : { state: 'ready', result: result ?? null, dueAt: now, release: true };
    const saved = await this.o.store.updateTask(task.id, this.o.owner, patch as TaskPatch, now);
    if (!saved) log.error('the lease was lost while the handler ran; its result is dropped and the other run counts');
    // Released, not queued here: claimed again from the store.
    else if (!keep) this.wake();
    else {
      const ready: TaskRecord = { ...task, state: 'ready', result: result ?? null, dueAt: now, leaseUntil };
      if (this.enqueueDelivery(ready, target, Number.POSITIVE_INFINITY)) this.dispatch();
      else await this.giveBack(ready);
    }
  }

  /** Runs a pull task's handler; its result (or failure) is what the status and result operations answer. */
  private async handlePull(task: TaskRecord, job: PullJob, free: () => void): Promise<void> {
    const security = storedSecurity(task.meta);
    const log = this.o.log.child({ taskId: task.id, operation: task.operation, ...(security ? securityLogFields(security) : {}) });
    const { store, owner, clock } = this.o;
    if (task.runs > MAX_PULL_RUNS) {
      log.error({ run: task.runs }, 'pull handler interrupted twice; the task fails instead of running a third time');
      await store.updateTask(task.id, owner, { state: 'dead', lastError: 'the request could not be processed', release: true }, clock.now());
      return;
    }
    if (task.runs > 1) log.warn({ run: task.runs }, 'an earlier run of this handler was interrupted; running it again');
    const ctx: PullProcessContext = { taskId: task.id, log, run: task.runs, signal: this.shutdown.signal };
    if (security) ctx.security = security;
    let outcome: { state: 'delivered'; result: unknown } | { state: 'dead'; lastError: string };
    try {
      outcome = { state: 'delivered', result: (await this.leased(task.id, async () => job.process(task.request, ctx))) ?? null };
    } catch (e) {
      log.error({ err: e }, 'pull processing failed');
      outcome = { state: 'dead', lastError: job.failureOf(e) };
    }
    free();
    if (!(await store.updateTask(task.id, owner, { ...outcome, release: true }, clock.now()))) {
      log.error('the lease was lost while the handler ran; its result is dropped and the other run counts');
    }
  }

  /**
   * One callback attempt to `target`, whose ledger slot the caller acquired: `free` gives it back
   * with what the attempt came to as soon as that is known, before the outcome is written.
   */
  private async attempt(task: TaskRecord, target: string, free: (outcome: TargetOutcome) => void): Promise<void> {
    const job = this.jobs.get(task.operation) as PushJob;
    const log = this.o.log.child({ correlationId: task.id, operation: task.operation, target });
    const attempts = task.attempts + 1;
    const body = task.result;
    const { store, owner, clock } = this.o;
    const held = await job.heldUntil?.(task, clock.now());
    if (held !== undefined) {
      // Not an attempt: the target's ledger does not count it.
      free('abandoned');
      await store.updateTask(task.id, owner, { dueAt: held, release: true }, clock.now());
      return;
    }
    let r;
    try {
      r = await this.leased(task.id, () => job.attempt({ url: task.replyTo ?? '', correlationId: task.id, body, meta: task.meta }, this.attemptOptions, log));
    } catch (e) {
      if (!this.shutdown.signal.aborted) throw e;
      log.info('shutting down: callback attempt abandoned, task released');
      free('abandoned');
      await store.updateTask(task.id, owner, { release: true }, clock.now());
      return;
    }
    const now = clock.now();
    // Only attempts that got no answer count against the target's circuit: one that answers 503 is alive and paces itself with Retry-After.
    free(r.kind === 'delivered' ? 'delivered' : r.kind === 'temporary' && r.status === undefined ? 'failed' : 'answered');
    if (r.kind === 'delivered') {
      if (await store.updateTask(task.id, owner, { state: 'delivered', attempts, lastStatus: r.status, lastResponse: r.ack, lastError: null, release: true }, now)) {
        log.info({ status: r.status, attempts }, 'callback delivered');
        this.o.onDelivery?.(task.operation, task.id, { state: 'delivered', status: r.status, attempts, ack: r.ack });
      }
      return;
    }
    // Only an excerpt of what a failing target answered is kept: it is the target's to choose.
    const lastResponse = responseExcerpt(r.body) ?? null;
    const last = { attempts, lastStatus: r.status ?? null, lastResponse, lastError: r.reason, release: true } as const;
    if (r.kind === 'temporary' && attempts < this.o.retry.maxAttempts) {
      const wait = backoff(this.o.retry, attempts, r.retryAfter, now);
      await store.updateTask(task.id, owner, { ...last, dueAt: now + wait }, now);
      log.info({ attempt: attempts, reason: r.reason, retryInMs: wait, targetAttempts: this.ledger.of(target)?.attempts }, 'callback delivery failed, retrying');
      return;
    }
    const reason = r.kind === 'temporary' ? `${r.reason} (attempt ${attempts}, the last one allowed)` : r.reason;
    if (await store.updateTask(task.id, owner, { ...last, lastError: reason, state: 'dead' }, now)) {
      log.error({ attempts, status: r.status, reason, targetAttempts: this.ledger.of(target)?.attempts }, 'callback not delivered (dead letter)');
      this.o.onDelivery?.(task.operation, task.id, { state: 'dead', status: r.status, attempts, reason, lastBody: lastResponse ?? undefined });
    }
  }

  /** Expires what the retention period ended, and forgets delivered callbacks as old. */
  private async sweep(): Promise<void> {
    const now = this.o.clock.now();
    if (now - this.lastSweep < this.o.sweepMs) return;
    this.lastSweep = now;
    // Its own kinds only: a consumer's message box on the same store expires (and logs) its messages itself.
    for (const t of [...(await this.o.store.expireTasks(now, 'push')), ...(await this.o.store.expireTasks(now, 'pull'))]) {
      const reason = t.lastError ?? (t.result === undefined ? 'never processed' : 'not delivered');
      if (t.kind === 'pull') {
        this.o.log.warn({ taskId: t.id, operation: t.operation, createdAt: new Date(t.createdAt).toISOString() }, 'pull task expired: retention period over before it was processed');
        continue;
      }
      this.o.log.warn(
        { correlationId: t.id, operation: t.operation, attempts: t.attempts, lastStatus: t.lastStatus, reason, createdAt: new Date(t.createdAt).toISOString() },
        'push request expired: retention period over before its callback was delivered',
      );
      if (this.jobs.has(t.operation) && t.kind === 'push') {
        this.o.onDelivery?.(t.operation, t.id, { state: 'expired', status: t.lastStatus, attempts: t.attempts, reason, lastBody: t.lastResponse });
      }
    }
    // Finished tasks (delivered, dead letters, expired) are kept for the retention period after their last change, then forgotten.
    for (const kind of ['push', 'pull'] as const) {
      if (this.operations[kind].length) await this.o.store.purgeTasks({ kind, states: ['delivered', 'dead', 'expired'], updatedBefore: now - this.o.retentionMs }, now);
    }
  }
}

/** The worker's former name, from when it ran push requests only. */
export const PushWorker = TaskWorker;
export type PushWorker = TaskWorker;
