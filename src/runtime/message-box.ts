import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { checkAdminOptions, type AdminOptions } from './admin.js';
import { systemClock, type Clock } from './clock.js';
import type { CorrelationRegistry } from './correlation.js';
import { RuntimeProblemError } from './problem.js';
import { openStore } from './store/index.js';
import type { Store, TaskRecord } from './store/types.js';

/**
 * The consumer's message box (integration guide, "casella di messaggi"): results of the callback
 * operations chosen for it are stored in the consumer's store and acknowledged, not handed to a
 * handler; the application drains them. Messages are tasks of kind `box` in the store's task
 * table, so SQLite and PostgreSQL claim them with the statement the delivery worker uses
 * (one `UPDATE … RETURNING`, `FOR UPDATE SKIP LOCKED` on PostgreSQL).
 *
 * `next` leases, it does not remove: a message taken with `list({ next })` is the drainer's for
 * `leaseMs`; `delete(id)` removes it for good. One the drainer does not delete in time (it died,
 * or failed) goes back to the box and is handed out again: no message is lost, and no two live
 * drainers hold the same message at once.
 */

/** A message is a task of this kind: `pending` while in the box, `delivered` once its drainer deleted it (then purged), `expired` after the retention. */
export const MESSAGE_KIND = 'box';
/** CART's operating rules: a message waits in the box for 15 days. */
export const DEFAULT_MESSAGE_RETENTION_MS = 15 * 24 * 60 * 60 * 1000;
/** How long a message taken with `next` is the drainer's before it goes back to the box. */
export const DEFAULT_MESSAGE_LEASE_MS = 60_000;
/** How often the box looks for expired messages. */
export const DEFAULT_MESSAGE_PURGE_MS = 60_000;

/** A message as the box hands it out. */
export interface BoxMessage<Operation extends string = string, Body = unknown> {
  id: string;
  /** The callback operation it arrived on. */
  operation: Operation;
  /** The CorrelationID it answers (the reference it is found by). */
  reference: string;
  body: Body;
  receivedAt: string;
  expiresAt: string;
  /** Set when a drainer holds it (taken with `next`): until then it is not handed out again. */
  leaseUntil?: string;
}

/** A message in a list: without the body. */
export type BoxEntry<Operation extends string = string> = Omit<BoxMessage<Operation>, 'body'>;

/** The box's messages by operation id: `{ [operationId]: body type }` (generated as `CallbackMessages`). */
export type MessageTypes = Record<string, unknown>;
/** One message of any of the operations, typed by its operation. */
export type AnyBoxMessage<M extends object> = { [K in keyof M & string]: BoxMessage<K, M[K]> }[keyof M & string];

export interface MessageBoxOptions {
  /** The callback operation ids whose results go to the box. */
  operations: readonly string[];
  /** How long a message is kept (default 15 days); then it expires, is logged and deleted. */
  retentionMs?: number;
  /** How long a message taken with `next` stays the drainer's (default 60 s). */
  leaseMs?: number;
  /** The ACK body answered for each operation's callbacks (default `{}`; SOAP: the ACK element's content). */
  acks?: Record<string, unknown>;
  /** How often expired messages are looked for once `start()` ran (default 60 s). */
  purgeIntervalMs?: number;
  /** Where expiries are logged (default: console as JSON lines). */
  log?: Pick<FastifyBaseLogger, 'warn'>;
  clock?: Clock;
}

export interface ListQuery<Operation extends string = string> {
  /** Take (lease) up to this many of the oldest messages not held by a drainer. */
  next?: number;
  /** Only messages of this operation. */
  operation?: Operation;
  /** Without `next`: at most this many entries, newest first (default 100). */
  limit?: number;
}

/** `delete` of a message another drainer holds. */
export class MessageLeasedError extends Error {
  constructor(readonly id: string) {
    super(`message ${id} is held by another drainer; it can be deleted by it, or once its lease lapses`);
    this.name = 'MessageLeasedError';
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function entryOf(t: TaskRecord, now: number): BoxEntry {
  return {
    id: t.id,
    operation: t.operation,
    reference: t.reference ?? '',
    receivedAt: iso(t.createdAt),
    expiresAt: iso(t.expiresAt),
    ...(t.leaseUntil !== undefined && t.leaseUntil > now ? { leaseUntil: iso(t.leaseUntil) } : {}),
  };
}

const messageOf = (t: TaskRecord, now: number): BoxMessage => ({ ...entryOf(t, now), body: t.request });

/** A message's id: derived from the operation and the CorrelationID, so a repeated callback (or one retried after a crash) never makes a second message. */
function messageId(operation: string, reference: string): string {
  const h = createHash('sha256').update(`${operation}\0${reference}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const consoleLog: Pick<FastifyBaseLogger, 'warn'> = {
  warn: (obj: unknown, msg?: string) => console.warn(JSON.stringify({ level: 'warn', ...(obj as object), msg })),
} as Pick<FastifyBaseLogger, 'warn'>;

/** What the callback endpoints need of a box (any `MessageBox<M>`). */
export type BoxReceiver = Pick<MessageBox, 'holds' | 'ackFor' | 'put'>;

export class MessageBox<M extends object = MessageTypes> {
  readonly operations: ReadonlySet<string>;
  private readonly owner = randomUUID();
  private readonly retentionMs: number;
  private readonly leaseMs: number;
  private readonly clock: Clock;
  private readonly log: Pick<FastifyBaseLogger, 'warn'>;
  private owned = false;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly store: Store,
    private readonly options: MessageBoxOptions,
  ) {
    this.operations = new Set(options.operations);
    this.retentionMs = options.retentionMs ?? DEFAULT_MESSAGE_RETENTION_MS;
    this.leaseMs = options.leaseMs ?? DEFAULT_MESSAGE_LEASE_MS;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? consoleLog;
  }

  /** A box on the store a setting names (`sqlite:./consumer.db`, a `postgres://` URL); `close()` closes it. */
  static async open<M extends object = MessageTypes>(setting: string, options: MessageBoxOptions): Promise<MessageBox<M>> {
    const box = new MessageBox<M>(await openStore(setting), options);
    box.owned = true;
    return box;
  }

  /** Whether callbacks of this operation go to the box. */
  holds(operation: string): boolean {
    return this.operations.has(operation);
  }

  /** The ACK answered for a callback of `operation` kept in the box. */
  ackFor(operation: string): unknown {
    return this.options.acks?.[operation] ?? {};
  }

  /** Stores a message; the same operation and reference again stores nothing. Returns its id. */
  async put(operation: string, reference: string, body: unknown): Promise<string> {
    const id = messageId(operation, reference);
    const now = this.clock.now();
    await this.store.createTask({ id, kind: MESSAGE_KIND, operation, reference, request: body, now, expiresAt: now + this.retentionMs });
    return id;
  }

  /**
   * Without `next`: the messages in the box (newest first, without bodies). With `next`: takes up
   * to that many of the oldest messages nobody holds, with their bodies, leased to this box for
   * `leaseMs`: delete each once handled, or it goes back to the box.
   */
  list<K extends keyof M & string>(query: ListQuery<K> & { next: number; operation: K }): Promise<BoxMessage<K, M[K]>[]>;
  list(query: ListQuery<keyof M & string> & { next: number }): Promise<AnyBoxMessage<M>[]>;
  list<K extends keyof M & string>(query?: ListQuery<K>): Promise<BoxEntry<K>[]>;
  async list(query: ListQuery = {}): Promise<BoxEntry[]> {
    const now = this.clock.now();
    if (query.next === undefined) {
      const tasks = await this.store.listTasks({ kind: MESSAGE_KIND, states: ['pending'], ...(query.operation ? { operation: query.operation } : {}), limit: query.limit ?? 100 });
      return tasks.filter((t) => t.expiresAt > now).map((t) => entryOf(t, now));
    }
    if (!Number.isInteger(query.next) || query.next < 1) throw new RangeError('next must be a positive integer');
    const operations = query.operation !== undefined ? [query.operation] : [...this.operations];
    if (!operations.length) return [];
    const taken = await this.store.claimTasks({ kind: MESSAGE_KIND, operations, states: ['pending'], owner: this.owner, now, leaseMs: this.leaseMs, limit: query.next });
    return taken.map((t) => messageOf(t, now));
  }

  /** A message by its id, with its body (it stays in the box). */
  async get(id: string): Promise<AnyBoxMessage<M> | undefined> {
    const t = await this.store.getTask(id);
    return t?.kind === MESSAGE_KIND && t.state === 'pending' ? (messageOf(t, this.clock.now()) as AnyBoxMessage<M>) : undefined;
  }

  /** The message that answers a CorrelationID. */
  async getByReference(reference: string): Promise<AnyBoxMessage<M> | undefined> {
    const [t] = await this.store.listTasks({ kind: MESSAGE_KIND, states: ['pending'], reference, limit: 1 });
    return t ? (messageOf(t, this.clock.now()) as AnyBoxMessage<M>) : undefined;
  }

  /**
   * Deletes a message: one this box took with `next`, or one nobody holds. `false` when there is
   * no such message; a MessageLeasedError when another drainer holds it.
   */
  async delete(id: string): Promise<boolean> {
    const now = this.clock.now();
    // Ours: marked done under our lease (a drainer whose lease lapsed, and the message was taken by another, fails here).
    const ours = await this.store.updateTask(id, this.owner, { state: 'delivered', release: true }, now);
    const t = await this.store.getTask(id);
    if (!t || t.kind !== MESSAGE_KIND) return false;
    if (!ours && t.leaseUntil !== undefined && t.leaseUntil > now) throw new MessageLeasedError(id);
    return (await this.store.purgeTasks({ kind: MESSAGE_KIND, id, states: ['pending', 'delivered', 'expired'] }, now)) > 0 || ours;
  }

  /** Deletes every message nobody holds (of one operation, if given); returns how many. */
  deleteAll(filter: { operation?: keyof M & string } = {}): Promise<number> {
    return this.store.purgeTasks({ kind: MESSAGE_KIND, states: ['pending', 'delivered', 'expired'], ...(filter.operation ? { operation: filter.operation } : {}) }, this.clock.now());
  }

  /** Expires the messages whose retention is over (logging each) and deletes them; returns how many. */
  async purge(): Promise<number> {
    const now = this.clock.now();
    const expired = await this.store.expireTasks(now, MESSAGE_KIND);
    for (const t of expired) {
      this.log.warn(
        { messageId: t.id, operation: t.operation, reference: t.reference, receivedAt: iso(t.createdAt) },
        'message expired: retention period over before it was drained from the message box',
      );
    }
    // Expired ones, and ones a drainer marked done but did not get to delete.
    await this.store.purgeTasks({ kind: MESSAGE_KIND, states: ['expired', 'delivered'] }, now);
    return expired.length;
  }

  /** Purges now and then every `purgeIntervalMs` until `stop()`. */
  start(): this {
    if (this.timer) return this;
    const tick = () => {
      this.purge().catch((e: Error) => this.log.warn({ err: e.message }, 'message box purge failed'));
    };
    tick();
    this.timer = setInterval(tick, this.options.purgeIntervalMs ?? DEFAULT_MESSAGE_PURGE_MS);
    this.timer.unref?.();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops the purge and closes the store if the box opened it. */
  async close(): Promise<void> {
    this.stop();
    if (this.owned) await this.store.close();
  }
}

/**
 * A callback of a box operation, after its CorrelationID was recognised: stored once per
 * CorrelationID (a repeat gets the same ACK) and acknowledged. `undefined` while another copy is
 * being stored (answer "try again").
 */
export async function receiveInBox(box: BoxReceiver, registry: CorrelationRegistry, operation: string, correlationId: string, body: unknown): Promise<{ ack: unknown } | undefined> {
  if (!(await registry.claim(correlationId))) return registry.acknowledged(correlationId);
  const ack = box.ackFor(operation);
  try {
    await box.put(operation, correlationId, body);
  } catch (e) {
    await registry.release(correlationId);
    throw e;
  }
  // Recorded as handled with its result, so a repeat gets the same ACK and `waitFor` still resolves.
  await registry.complete(correlationId, body, ack);
  return { ack };
}

/**
 * The message box's admin routes, protected by a bearer token (off unless registered):
 * `GET {prefix}/messages?operation=&limit=`, `GET {prefix}/messages/:id`,
 * `GET {prefix}/messages?reference=`, `DELETE {prefix}/messages/:id`, `DELETE {prefix}/messages?operation=`.
 * `POST {prefix}/messages/next?n=&operation=` takes messages as `box.list({ next })` does.
 */
export async function registerMessageBoxAdmin(app: FastifyInstance, box: MessageBox, options: AdminOptions): Promise<void> {
  checkAdminOptions(options);
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = digest(`Bearer ${options.token}`);
  const positive = (v: unknown, name: string, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new RuntimeProblemError('request-invalid', `${name} must be an integer from 1 to ${max}`);
    return n;
  };
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', async (req, reply) => {
        if (!timingSafeEqual(digest(String(req.headers.authorization ?? '')), expected)) {
          reply.header('www-authenticate', 'Bearer realm="accordo-admin"');
          throw new RuntimeProblemError('admin-unauthorized', 'a valid admin bearer token is required');
        }
      });
      admin.get('/messages', async (req) => {
        const q = req.query as Record<string, unknown>;
        if (q.reference !== undefined) {
          const m = await box.getByReference(String(q.reference));
          return { items: m ? [m] : [] };
        }
        return { items: await box.list({ ...(q.operation !== undefined ? { operation: String(q.operation) } : {}), ...(q.limit !== undefined ? { limit: positive(q.limit, 'limit', 1000) } : {}) }) };
      });
      admin.post('/messages/next', async (req) => {
        const q = req.query as Record<string, unknown>;
        return { items: await box.list({ next: positive(q.n ?? 1, 'n', 1000), ...(q.operation !== undefined ? { operation: String(q.operation) } : {}) }) };
      });
      admin.get<{ Params: { id: string } }>('/messages/:id', async (req) => {
        const m = await box.get(req.params.id);
        if (!m) throw new RuntimeProblemError('message-not-found', `no message ${JSON.stringify(req.params.id)}`);
        return m;
      });
      admin.delete<{ Params: { id: string } }>('/messages/:id', async (req, reply) => {
        try {
          if (!(await box.delete(req.params.id))) throw new RuntimeProblemError('message-not-found', `no message ${JSON.stringify(req.params.id)}`);
        } catch (e) {
          if (e instanceof MessageLeasedError) throw new RuntimeProblemError('message-leased', e.message);
          throw e;
        }
        return reply.code(204).send();
      });
      admin.delete('/messages', async (req) => {
        const q = req.query as Record<string, unknown>;
        return { deleted: await box.deleteAll(q.operation !== undefined ? { operation: String(q.operation) } : {}) };
      });
    },
    { prefix: options.prefix ?? '/_accordo' },
  );
}
