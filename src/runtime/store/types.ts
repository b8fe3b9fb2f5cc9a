/**
 * The store behind accepted work: push requests and their callbacks (provider), pull tasks, and
 * the consumer's correlation records. One interface, three implementations (memory, SQLite,
 * PostgreSQL). The store never reads a clock: callers pass `now` (epoch ms), so tests can run
 * on a fast clock and several instances agree on what "due" means.
 */

/**
 * Where a task stands.
 * - `pending`: accepted (the 202 was or is about to be sent), the handler has not finished yet;
 * - `ready`: the handler's result is stored; for a push task the callback is still to be sent;
 * - `delivered`: the consumer acknowledged the callback (push) or the result was handed over (pull);
 * - `dead`: a permanent failure (refused callback, failed handler); kept for an operator;
 * - `expired`: the retention period passed before it could be finished.
 */
export type TaskState = 'pending' | 'ready' | 'delivered' | 'dead' | 'expired';

export const TASK_STATES: readonly TaskState[] = ['pending', 'ready', 'delivered', 'dead', 'expired'];

export interface TaskRecord {
  /** The CorrelationID. */
  id: string;
  /** `push` or `pull`: which runtime part owns it. */
  kind: string;
  /** The operation id of the request. */
  operation: string;
  state: TaskState;
  /** The validated request as the handler receives it. */
  request: unknown;
  /** The handler's result once `ready`. */
  result?: unknown;
  /** The callback URL of a push task. */
  replyTo?: string;
  /** Where that URL points (its host and port, see targets.ts): the worker's per-target limits key on it. */
  target?: string;
  /** What else the owning pattern keeps with the task (pull: its status and result URLs). */
  meta?: unknown;
  /** What the task is looked up by besides its id (a message box's message: the CorrelationID it answers). */
  reference?: string;
  /** How many times the handler was started (above 1 only when a crash interrupted it). */
  runs: number;
  /** Callback delivery attempts made so far. */
  attempts: number;
  /** When the task is next due for work (epoch ms). */
  dueAt: number;
  /** The worker holding the task, and until when (epoch ms). */
  leaseOwner?: string;
  leaseUntil?: number;
  /** The last response seen (status and body: the ACK once delivered), or the last failure. */
  lastStatus?: number;
  lastResponse?: unknown;
  lastError?: string;
  createdAt: number;
  updatedAt: number;
  /** After this the task is no longer worked on and turns `expired`. */
  expiresAt: number;
}

export interface NewTask {
  id: string;
  kind: string;
  operation: string;
  request: unknown;
  replyTo?: string;
  target?: string;
  meta?: unknown;
  reference?: string;
  now: number;
  expiresAt: number;
  /**
   * Written already leased to `owner` (the worker of the instance that accepts it) until `until`,
   * its first run counted, as a claim would leave it: that worker takes it from memory, without a
   * claim. Another instance takes it only once the lease lapses, as a claimed task.
   */
  lease?: { owner: string; until: number };
}

/** Fields a lease holder may change. `null` clears a field; `release` gives the lease back. */
export interface TaskPatch {
  state?: TaskState;
  result?: unknown;
  attempts?: number;
  /** Set back when a claimed pending task is given back unrun (its claim counted a run). */
  runs?: number;
  dueAt?: number;
  lastStatus?: number | null;
  lastResponse?: unknown;
  lastError?: string | null;
  leaseUntil?: number;
  release?: boolean;
}

export interface ClaimQuery {
  kind: string;
  /** Only tasks of these operations (the ones this instance has handlers for). */
  operations: string[];
  /** Only tasks in these states. */
  states: TaskState[];
  /** Only this task. */
  id?: string;
  /** None of the tasks whose `target` is one of these (targets at their limit, or with an open circuit). */
  skipTargets?: string[];
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
}

export interface TaskFilter {
  kind?: string;
  states?: TaskState[];
  operation?: string;
  /** Only tasks with this reference. */
  reference?: string;
  /** Only tasks last changed before this time (epoch ms). */
  updatedBefore?: number;
  /** At most this many, newest first (default 100 for lists, all for purges). */
  limit?: number;
}

/** The consumer's record of a push request it sent and of the callback it got back. */
export interface CorrelationRecord {
  id: string;
  operation: string;
  /** `waiting` for the callback, `handling` it, or `done` (result and ACK kept). */
  state: 'waiting' | 'handling' | 'done';
  result?: unknown;
  ack?: unknown;
  leaseOwner?: string;
  leaseUntil?: number;
  createdAt: number;
  updatedAt: number;
}

export interface Store {
  /** What the store is, for logs (never a password). */
  readonly description: string;

  /** Writes a new task; `false` when a task with that id exists already. */
  createTask(task: NewTask): Promise<boolean>;
  /**
   * Leases up to `limit` due tasks to `owner`: in one of `states`, `dueAt <= now`, not expired,
   * and not leased to anyone else (or their lease ran out). Claiming a `pending` task counts a run.
   */
  claimTasks(query: ClaimQuery): Promise<TaskRecord[]>;
  /** Changes a task only while `owner` holds its lease; `false` when it does not (any more). */
  updateTask(id: string, owner: string, patch: TaskPatch, now: number): Promise<boolean>;
  /** Turns unfinished (`pending`/`ready`), unleased tasks (of `kind`, if given) whose `expiresAt <= now` into `expired` and returns them. */
  expireTasks(now: number, kind?: string): Promise<TaskRecord[]>;
  getTask(id: string): Promise<TaskRecord | undefined>;
  /** Tasks matching a filter, newest first. */
  listTasks(filter?: TaskFilter): Promise<TaskRecord[]>;
  /**
   * Puts a `dead` or `expired` task back to work now: `ready` when its result is stored, else
   * `pending`; attempts start again and it is kept for `retentionMs` more. Returns the updated
   * task, or `undefined` when there is no such task or it is not dead or expired.
   */
  retryTask(id: string, now: number, retentionMs: number): Promise<TaskRecord | undefined>;
  /** Deletes the matching tasks that nobody holds a lease on; returns how many. A purge without `states` takes only finished ones. */
  purgeTasks(filter: TaskFilter & { id?: string }, now: number): Promise<number>;

  /** Records a CorrelationID the consumer received (nothing happens if it is known). */
  addCorrelation(id: string, operation: string, now: number): Promise<void>;
  getCorrelation(id: string): Promise<CorrelationRecord | undefined>;
  /** `waiting` (or `handling` with a lapsed lease) → `handling` for `owner`; `false` otherwise. */
  claimCorrelation(id: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  /** `handling` by `owner` → `done` with the result and the ACK sent. */
  completeCorrelation(id: string, owner: string, result: unknown, ack: unknown, now: number): Promise<boolean>;
  /** `handling` by `owner` → `waiting` (the handler failed, a repeated callback may try again). */
  releaseCorrelation(id: string, owner: string, now: number): Promise<void>;
  /** Deletes correlation records last changed before `updatedBefore`; returns how many. */
  purgeCorrelations(updatedBefore: number): Promise<number>;
  /**
   * Records a push request about to be sent (its CorrelationID is not known until the 202), until
   * `until` at the latest: while any is recorded, a callback with an unknown CorrelationID may be
   * one of them, on any consumer instance sharing the store.
   */
  beginSend(id: string, now: number, until: number): Promise<void>;
  /** The request's 202 was read (and its CorrelationID recorded) or it failed. */
  endSend(id: string): Promise<void>;
  /** How many sends are recorded and not past their `until`. */
  sendsInFlight(now: number): Promise<number>;

  /**
   * Records a one-time value (a token's `jti`, ID_AUTH_REST_02) until `expiresAt`: `true` the first
   * time, `false` while a record of it lives, in every instance sharing the store.
   */
  recordNonce(id: string, expiresAt: number, now: number): Promise<boolean>;
  /** Deletes the nonce records that expired; returns how many. */
  purgeNonces(now: number): Promise<number>;

  /**
   * Calls `onAdded` when any instance sharing the store adds a task (PostgreSQL: LISTEN/NOTIFY),
   * so workers start at once instead of at their next poll. Absent when the store cannot tell;
   * the returned function stops listening.
   */
  watchTasks?(onAdded: (kind: string) => void): Promise<() => Promise<void>>;

  close(): Promise<void>;
}

/** States a task is finished in: what a purge without explicit states removes. */
export const FINISHED: readonly TaskState[] = ['delivered', 'dead', 'expired'];

/**
 * The record a new task is once written: pending, due at once; leased and its first run counted
 * when it was written with a lease. The memory store keeps it; the accepting worker takes it
 * from memory without reading it back (NewTask.lease).
 */
export function newTaskRecord(t: NewTask): TaskRecord {
  const record: TaskRecord = {
    id: t.id,
    kind: t.kind,
    operation: t.operation,
    state: 'pending',
    request: t.request,
    runs: t.lease ? 1 : 0,
    attempts: 0,
    dueAt: t.now,
    createdAt: t.now,
    updatedAt: t.now,
    expiresAt: t.expiresAt,
  };
  // Plain assignments: `Object.assign` of a computed key made V8 build a map per accepted task.
  if (t.lease) {
    record.leaseOwner = t.lease.owner;
    record.leaseUntil = t.lease.until;
  }
  if (t.replyTo !== undefined) record.replyTo = t.replyTo;
  if (t.target !== undefined) record.target = t.target;
  if (t.meta !== undefined) record.meta = t.meta;
  if (t.reference !== undefined) record.reference = t.reference;
  return record;
}
