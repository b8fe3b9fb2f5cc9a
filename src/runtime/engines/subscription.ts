/**
 * SUBSCRIPTION_REST: a request that answers for itself (CAMARA: `201` + the session) and whose
 * callbacks, addressed by any runtime expression (`{$request.body#/sink}`), receive any number of
 * events over the subscription's life.
 *
 * accept (callback URLs resolved from the request and checked like X-ReplyTo, the credential
 * read) → the subscription stored → the handler's answer sent → each `emit` stores an event,
 * which the task worker delivers with the push engine's durability, retries and retention, in
 * order per subscription (an event waits until the one before it is delivered, dead or expired).
 *
 * In the store a subscription is a task of kind `subscription` (its callback URLs and credential
 * in `meta`, the number of events emitted in `result`); each event a `push` task of the operation
 * `<request>#<callback>` whose id is `<subscription>.<sequence>`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { resolveAddress, valueAt } from '../callback-address.js';
import { attemptCallback } from '../codecs/json.js';
import type { JsonSchema, SubscriptionCallbackDescriptor, SubscriptionDescriptor } from '../descriptors.js';
import { declaredResponse, isJsonMediaType, sendBrokenResponse, sendJson, validationProblem, type IncomingRequest } from '../http.js';
import { newStoredId } from '../ids.js';
import { ProblemError, RuntimeProblemError } from '../problem.js';
import { checkReplyTo } from '../reply-to.js';
import type { TaskRecord } from '../store/types.js';
import type { Validators } from '../validation.js';
import type { PushJob } from '../worker.js';
import { verifiedSecurity, type VerifiedSecurity } from '../security/inbound.js';
import { RETRY_LATER } from './push.js';
import type { TaskOptions, TaskRuntime } from './tasks.js';

export const SUBSCRIPTION_KIND = 'subscription';

/** What a subscription handler gets besides the request. */
export interface SubscriptionContext<Events> {
  /** The subscription's id (the default is a random UUID; `subscriptionId` in the options picks another). */
  subscriptionId: string;
  /** The callbacks the subscriber gave an address for: `emit` to the others sends nothing. */
  subscribed: (keyof Events & string)[];
  /**
   * Sends an event to one of the subscription's callbacks. Events emitted while the handler runs
   * are stored with the subscription, once its answer is a 2xx; later ones at once. Resolves
   * `true` once the event is stored (it is then delivered in order, retried like a push
   * callback), `false` when the subscriber gave no address for this callback.
   */
  emit<K extends keyof Events & string>(callback: K, event: Events[K]): Promise<boolean>;
  log: FastifyBaseLogger;
  raw: FastifyRequest;
  /** What the request's declared security established (as a blocking handler's context has it). */
  security?: VerifiedSecurity;
}

/** A subscription request's handler: returns the request's own answer (`{ status: 201, body }`). */
export type SubscriptionHandler<Req, Res, Events> = (request: Req, ctx: SubscriptionContext<Events>) => Res | Promise<Res>;

export interface SubscriptionOptions {
  /** Supplies the id of an accepted subscription (default: a random UUID). */
  subscriptionId?: (operationId: string, request: IncomingRequest) => string | Promise<string>;
  /** The emitter the application keeps to send events after the request was answered (see {@link Subscriptions}). */
  subscriptions?: Subscriptions;
}

/** A subscription as stored. */
export interface SubscriptionRecord {
  id: string;
  operation: string;
  /** The callbacks the subscriber gave an address for, with their URLs. */
  callbacks: Record<string, string>;
  /** How many events were emitted. */
  events: number;
  createdAt: number;
}

interface StoredMeta {
  callbacks: Record<string, string>;
  /** An ACCESSTOKEN credential the subscriber gave, per callback: presented as a bearer token. */
  tokens?: Record<string, string>;
}

interface EventMeta {
  subscription: string;
  seq: number;
  /** The event before it in the subscription: delivered first. */
  previous?: string;
  token?: string;
}

export class SubscriptionNotFoundError extends Error {
  constructor(readonly subscriptionId: string) {
    super(`no subscription ${JSON.stringify(subscriptionId)} (unknown, ended, or forgotten after the retention period)`);
    this.name = 'SubscriptionNotFoundError';
  }
}

/** Thrown by `emit` when an event is not what the callback's spec says it carries. */
export class InvalidEventError extends Error {
  constructor(
    readonly callback: string,
    readonly detail: string,
  ) {
    super(`event for callback ${callback} does not match its schema: ${detail}`);
    this.name = 'InvalidEventError';
  }
}

/** Throws {@link InvalidEventError} when `value` (an event, a webhook's payload) is not what the declared body schema takes. */
export function checkBody(validators: Validators, name: string, schema: JsonSchema | undefined, value: unknown, what: 'event' | 'payload'): void {
  if (!schema) return;
  const validate = validators.compile(schema);
  if (!validate(value)) throw new InvalidEventError(name, validationProblem(what, validate.errors ?? []).message);
}

interface Binding {
  tasks: TaskRuntime;
  owner: string;
  callbacks: Map<string, Map<string, SubscriptionCallbackDescriptor>>;
  validators: Validators;
  log: FastifyBaseLogger;
}

const EVENT_LEASE_MS = 30_000;
/** How long after the event before it is due an event held back is looked at again. */
const HOLD_STEP_MS = 50;
const pad = (n: number) => String(n).padStart(9, '0');
export const eventId = (subscription: string, seq: number) => `${subscription}.${pad(seq)}`;
export const eventOperation = (operation: string, callback: string) => `${operation}#${callback}`;

/**
 * Sends events to subscriptions over their life, from anywhere in the application: create one,
 * pass it as the provider's `subscriptions` option, keep it. `Events` maps callback names to the
 * event types (generated code names it `ProviderEvents`).
 */
export class Subscriptions<Events = Record<string, unknown>> {
  private binding?: Binding;
  /** One emit at a time per subscription in this process (others wait on the store's lease). */
  private readonly chains = new Map<string, Promise<unknown>>();

  /** Called by the provider once its store is open. */
  bind(binding: Binding): void {
    if (this.binding && this.binding.tasks !== binding.tasks) throw new Error('this Subscriptions is already bound to another provider');
    if (this.binding) for (const [op, cbs] of binding.callbacks) this.binding.callbacks.set(op, cbs);
    else this.binding = binding;
  }

  private bound(): Binding {
    if (!this.binding) throw new Error('Subscriptions is not bound to a provider yet: pass it as the `subscriptions` option of the provider and await its registration');
    return this.binding;
  }

  /**
   * Sends an event to a subscription's callback: resolves `true` once it is stored, `false` when
   * the subscriber gave no address for that callback. Throws {@link SubscriptionNotFoundError}
   * for an unknown or ended subscription, {@link InvalidEventError} for an event its schema refuses.
   */
  emit<K extends keyof Events & string>(subscriptionId: string, callback: K, event: Events[K]): Promise<boolean> {
    const previous = this.chains.get(subscriptionId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.store([{ callback, event }], subscriptionId));
    this.chains.set(subscriptionId, next);
    void next
      .finally(() => {
        if (this.chains.get(subscriptionId) === next) this.chains.delete(subscriptionId);
      })
      .catch(() => undefined);
    return next.then((sent) => sent[0]);
  }

  /** The subscription as stored, or `undefined`. */
  async get(subscriptionId: string): Promise<SubscriptionRecord | undefined> {
    const task = await this.bound().tasks.store.getTask(subscriptionId);
    return task?.kind === SUBSCRIPTION_KIND ? recordOf(task) : undefined;
  }

  /** Ends a subscription: no more events are accepted (those stored are still delivered). `false` when there was none. */
  async end(subscriptionId: string): Promise<boolean> {
    const { tasks } = this.bound();
    return (await tasks.store.purgeTasks({ id: subscriptionId, kind: SUBSCRIPTION_KIND, states: ['delivered'] }, tasks.clock.now())) > 0;
  }

  /** Throws {@link InvalidEventError} when an event is not what the callback of `operation` carries. */
  checkEvent(operation: string, callback: string, event: unknown): void {
    const b = this.bound();
    const declared = b.callbacks.get(operation)?.get(callback);
    if (!declared) throw new TypeError(`operation ${operation} declares no callback ${JSON.stringify(callback)}`);
    checkBody(b.validators, callback, declared.body?.schema, event, 'event');
  }

  /**
   * Stores events in order under the subscription's lease (taken here, or by the caller that
   * passes it); `false` for each whose callback has no address. Leaves the subscription
   * `delivered`: the state in which it takes events.
   */
  async store(events: { callback: string; event: unknown }[], subscriptionId: string, claimed?: { record: TaskRecord; owner: string }): Promise<boolean[]> {
    const b = this.bound();
    const { store, clock } = b.tasks;
    const owner = claimed?.owner ?? b.owner;
    const record = claimed?.record ?? (await this.claim(subscriptionId));
    const meta = (record.meta ?? { callbacks: {} }) as StoredMeta;
    let seq = (record.result as { events?: number } | undefined)?.events ?? 0;
    const sent: boolean[] = [];
    try {
      for (const { callback, event } of events) this.checkEvent(record.operation, callback, event);
      for (const { callback, event } of events) {
        const url = meta.callbacks[callback];
        if (!url) {
          sent.push(false);
          continue;
        }
        const now = clock.now();
        for (;;) {
          seq++;
          const token = meta.tokens?.[callback];
          const eventMeta: EventMeta = { subscription: record.id, seq, ...(seq > 1 ? { previous: eventId(record.id, seq - 1) } : {}), ...(token ? { token } : {}) };
          const task = { kind: 'push', id: eventId(record.id, seq), operation: eventOperation(record.operation, callback), request: event ?? null, replyTo: url, meta: eventMeta };
          // A duplicate id is an event an interrupted emit stored without counting it: the next number is free.
          if (await store.createTask({ ...task, now, expiresAt: now + b.tasks.retentionMs })) break;
        }
        sent.push(true);
      }
    } finally {
      await store.updateTask(record.id, owner, { state: 'delivered', result: { events: seq }, release: true }, clock.now());
    }
    if (sent.some(Boolean)) b.tasks.worker?.wake();
    return sent;
  }

  /** Leases the subscription to number its next events; waits while another instance holds it. */
  private async claim(subscriptionId: string): Promise<TaskRecord> {
    const b = this.bound();
    const { store, clock } = b.tasks;
    const operations = [...b.callbacks.keys()];
    for (let i = 0; ; i++) {
      const [record] = await store.claimTasks({ kind: SUBSCRIPTION_KIND, operations, states: ['delivered'], id: subscriptionId, owner: b.owner, now: clock.now(), leaseMs: EVENT_LEASE_MS, limit: 1 });
      if (record) return record;
      const existing = await store.getTask(subscriptionId);
      if (existing?.kind !== SUBSCRIPTION_KIND || existing.state !== 'delivered') throw new SubscriptionNotFoundError(subscriptionId);
      if (i >= 200) throw new Error(`subscription ${subscriptionId} stayed busy: another instance holds it`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, 5 * 2 ** Math.min(i, 6))));
    }
  }
}

function recordOf(task: TaskRecord): SubscriptionRecord {
  return {
    id: task.id,
    operation: task.operation,
    callbacks: { ...((task.meta as StoredMeta | undefined)?.callbacks ?? {}) },
    events: (task.result as { events?: number } | undefined)?.events ?? 0,
    createdAt: task.createdAt,
  };
}

/** The bearer token of an ACCESSTOKEN credential (CAMARA `sinkCredential`); other types are refused, as nothing here can present them. */
function accessToken(credential: unknown, cb: SubscriptionCallbackDescriptor): string | undefined {
  if (credential === undefined || credential === null) return undefined;
  const c = credential as { credentialType?: unknown; accessToken?: unknown };
  if (c.credentialType === 'ACCESSTOKEN' && typeof c.accessToken === 'string' && c.accessToken !== '') return c.accessToken;
  throw new RuntimeProblemError('credential-unsupported', `the credential for callback ${cb.name} is of type ${JSON.stringify(c.credentialType)}: this provider presents ACCESSTOKEN credentials only`);
}

/**
 * The task jobs of a subscription's callbacks: an event is its own result (checked against the
 * callback's body schema), sent like a push callback (with the subscriber's bearer token when it
 * gave one), once the event before it is finished.
 */
export function subscriptionJobs(op: SubscriptionDescriptor, validators: Validators, tasks: () => TaskRuntime): [string, PushJob][] {
  return op.subscription.callbacks.map((cb) => {
    const schema = cb.body?.schema;
    const validate = schema ? validators.compile(schema) : undefined;
    const job: PushJob = {
      kind: 'push',
      process: (event) => event,
      checkResult: (event) => {
        if (validate && !validate(event)) throw validationProblem('event', validate.errors ?? []);
      },
      attempt: (d, options, log) => {
        const token = (d.meta as EventMeta | undefined)?.token;
        return attemptCallback(
          { url: d.url, correlationId: d.correlationId, callback: cb, body: d.body, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) },
          validators,
          log,
          options,
        );
      },
      heldUntil: async (task, now) => {
        const previous = (task.meta as EventMeta | undefined)?.previous;
        if (!previous) return undefined;
        const before = await tasks().store.getTask(previous);
        if (!before || (before.state !== 'pending' && before.state !== 'ready')) return undefined;
        // Just after the earlier event's own next attempt (being run, or waiting for its backoff).
        return Math.max(before.dueAt, now) + HOLD_STEP_MS;
      },
    };
    return [eventOperation(op.id, cb.name), job];
  });
}

/** Binds the emitter to the provider's store and forgets subscriptions without events for the retention period. */
export function startSubscriptions(
  ops: SubscriptionDescriptor[],
  subscriptions: Subscriptions,
  tasks: TaskRuntime,
  validators: Validators,
  log: FastifyBaseLogger,
  options: Pick<TaskOptions, 'delivery'>,
): () => void {
  const callbacks = new Map(ops.map((op) => [op.id, new Map(op.subscription.callbacks.map((cb) => [cb.name, cb]))]));
  subscriptions.bind({ tasks, owner: `subscriptions:${randomUUID()}`, callbacks, validators, log });
  const sweep = setInterval(() => {
    const now = tasks.clock.now();
    tasks.store.purgeTasks({ kind: SUBSCRIPTION_KIND, states: ['delivered'], updatedBefore: now - tasks.retentionMs }, now).then(
      (n) => n && log.info({ subscriptions: n }, 'subscriptions without events for the retention period forgotten'),
      (e: unknown) => log.error({ err: e }, 'subscriptions: store unavailable for the retention sweep'),
    );
  }, options.delivery?.sweepMs ?? 60_000);
  sweep.unref();
  return () => clearInterval(sweep);
}

/**
 * The route of a subscription request: resolves and checks each callback's URL (400 when one is
 * refused, as X-ReplyTo is), reads the credential, stores the subscription, runs the handler and
 * sends its answer; events it emitted are stored with the subscription once that answer is a 2xx.
 * A non-2xx answer (or a handler that throws) leaves no subscription behind.
 */
export function subscriptionRoute(
  op: SubscriptionDescriptor,
  handler: SubscriptionHandler<IncomingRequest, { status: number; body?: unknown; headers?: Record<string, string | number> }, Record<string, unknown>>,
  subscriptions: Subscriptions,
  tasks: TaskRuntime,
  options: TaskOptions & SubscriptionOptions,
  check: (status: number, body: unknown) => string | undefined,
) {
  const owner = `accept:${randomUUID()}`;
  return async (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => {
    const meta: StoredMeta = { callbacks: {} };
    for (const cb of op.subscription.callbacks) {
      const url = resolveAddress(cb.address, request, req);
      if (url === undefined) continue;
      await checkReplyTo(url, `callback ${cb.name} (${cb.expression})`, options.replyTo).catch((e: unknown) => {
        if (e instanceof ProblemError && e.problem.status === 503) throw new RuntimeProblemError('reply-address-unverifiable', e.problem.detail, RETRY_LATER);
        throw e;
      });
      meta.callbacks[cb.name] = url;
      const token = cb.credential ? accessToken(valueAt(request.body, cb.credential.pointer), cb) : undefined;
      if (token) (meta.tokens ??= {})[cb.name] = token;
    }
    const id = options.subscriptionId ? await options.subscriptionId(op.id, request) : newStoredId();
    const { store, clock } = tasks;
    const now = clock.now();
    let created: boolean;
    try {
      created = await store.createTask({ kind: SUBSCRIPTION_KIND, id, operation: op.id, request: null, replyTo: Object.values(meta.callbacks)[0], meta, now, expiresAt: Number.MAX_SAFE_INTEGER });
    } catch (e) {
      req.log.error({ err: e }, 'subscription could not be stored; not accepted');
      throw new RuntimeProblemError('store-unavailable', 'the request could not be taken in charge; try again later', RETRY_LATER);
    }
    if (!created) throw new RuntimeProblemError('duplicate', `a subscription with id ${JSON.stringify(id)} exists already`);
    // `delivered` too: a failed store() of the answer's events leaves it so (nothing else makes it so before the answer).
    const forget = () => store.purgeTasks({ id, kind: SUBSCRIPTION_KIND, states: ['pending', 'delivered'] }, clock.now()).catch(() => 0);

    // Until the answer is known to be a 2xx, events wait here: a refused request sends nothing.
    let buffered: { callback: string; event: unknown }[] | undefined = [];
    const log = req.log.child({ subscriptionId: id });
    const ctx: SubscriptionContext<Record<string, unknown>> = {
      subscriptionId: id,
      subscribed: Object.keys(meta.callbacks),
      emit: async (callback, event) => {
        if (!buffered) return subscriptions.emit(id, callback, event);
        subscriptions.checkEvent(op.id, callback, event);
        buffered.push({ callback, event });
        return !!meta.callbacks[callback];
      },
      log,
      raw: req,
    };
    const security = verifiedSecurity(req);
    if (security) ctx.security = security;
    let res;
    try {
      res = await handler(request, ctx);
    } catch (e) {
      await forget();
      throw e;
    }
    const broken = check(res?.status, res?.body);
    if (broken) {
      await forget();
      return sendBrokenResponse(req, reply, op, broken);
    }
    const events = buffered ?? [];
    if (res.status >= 200 && res.status < 300) {
      try {
        const [record] = await store.claimTasks({ kind: SUBSCRIPTION_KIND, operations: [op.id], states: ['pending'], id, owner, now: clock.now(), leaseMs: EVENT_LEASE_MS, limit: 1 });
        if (!record) throw new Error('the subscription was taken by another instance before its answer');
        await subscriptions.store(events, id, { record, owner });
      } catch (e) {
        log.error({ err: e }, 'subscription events could not be stored; not accepted');
        await forget();
        throw new RuntimeProblemError('store-unavailable', 'the request could not be taken in charge; try again later', RETRY_LATER);
      }
      buffered = undefined;
    } else {
      await forget();
    }
    const declared = declaredResponse(op.responses, res.status);
    const mediaType = declared?.mediaTypes[0] ?? 'application/json';
    const headers = res.headers && Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
    return sendJson(reply, res.status, res.body, headers, mediaType, isJsonMediaType(mediaType));
  };
}
