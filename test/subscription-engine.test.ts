// The subscription engine (src/runtime/engines/subscription.ts) on its own edges, over loopback with
// the memory store: what it stores (kinds, operations, ids), how emits from this process and from
// another instance are numbered, when it wakes the worker, the states an event waits on, the
// answers it sends for statuses and broken handlers, its retention sweep and its log lines. The
// provider is the QoD example's createSession with a few declarations added (a second callback, more
// statuses, a nullable credential, a voucher), mounted with registerProvider. Where a store is
// instrumented, the real MemoryStore still does the work: a wrapper only holds a call back or fails one.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createServer,
  InvalidEventError,
  MemoryStore,
  registerProvider,
  SubscriptionNotFoundError,
  Subscriptions,
  type ProviderDefinition,
  type ProviderOptions,
  type SubscriptionDescriptor,
  type SubscriptionHandler,
} from 'accordo/runtime';
import { operations } from '../examples/subscription-rest/generated/operations.js';
import { defs } from '../examples/subscription-rest/generated/schemas.js';
import { statusChanged } from '../examples/subscription-rest/provider.handlers.js';
import type { QosNotificationEvent, SessionInfo } from '../examples/subscription-rest/generated/types.js';
import { AuthorizationServer, ISSUER } from './support/pdnd.js';
import { within } from './support/wait.js';

const FAST = { retry: { baseDelayMs: 20, maxDelayMs: 50 }, delivery: { pollMs: 20 } };
const WAIT = 10_000;
const session = (id: string): SessionInfo => ({ sessionId: id, qosProfile: 'QOS_L', duration: 60, qosStatus: 'AVAILABLE' });
const event = (id: string, info?: 'NETWORK_TERMINATED' | 'DURATION_EXPIRED' | 'DELETE_REQUESTED') =>
  info ? statusChanged({ ...session(id), qosStatus: 'UNAVAILABLE' }, info) : statusChanged(session(id));
const seq = (id: string, n: number) => `${id}.${String(n).padStart(9, '0')}`;
const OP = 'createSession#notifications';
/** What an event stored as a task says happened (events differ in their random id and time). */
const info = (task: { request: unknown } | undefined) => (task?.request as QosNotificationEvent | undefined)?.data;

// createSession as the example declares it, plus: a second callback `alerts` addressed by the body's
// `alertSink` (no credential), the statuses 200 (a body), 202 (none) and 300, a credential that may be null.
const { credential: _credential, ...plain } = operations.createSession.subscription.callbacks[0];
const notifications = operations.createSession.subscription.callbacks[0];
const createSession: SubscriptionDescriptor = {
  ...operations.createSession,
  responses: [
    ...operations.createSession.responses,
    { status: '200', mediaTypes: ['application/json'], schema: { $ref: '#/$defs/SessionInfo' }, headers: [] },
    { status: '202', mediaTypes: [], headers: [] },
    { status: '300', mediaTypes: [], headers: [] },
  ],
  subscription: {
    callbacks: [notifications, { ...plain, id: 'postAlert', name: 'alerts', address: [{ kind: 'body', pointer: '/alertSink' }], expression: '{$request.body#/alertSink}' }],
  },
};
const definition: ProviderDefinition = {
  defs: { ...defs, SinkCredential: { anyOf: [defs.SinkCredential, { type: 'null' }] } },
  operations: [createSession],
};
const secured: ProviderDefinition = { ...definition, operations: [{ ...createSession, security: { idAuth: 'ID_AUTH_REST_01' } }] };

type Handler = SubscriptionHandler<any, { status: number; body?: unknown; headers?: Record<string, string | number> }, Record<string, unknown>>;
const quiet: Handler = (_req, ctx) => ({ status: 201, body: session(ctx.subscriptionId) });

const closing: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close();
});

/** A provider of `def` with `handler` as createSession; its log lines (pino JSON) in `logs`. */
async function provider(handler: Handler, options: ProviderOptions = {}, def = definition) {
  const logs: Record<string, any>[] = [];
  const app = createServer({ logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } });
  const subscriptions = options.subscriptions ?? new Subscriptions();
  await app.register(async (scope) => registerProvider(scope, def, { createSession: handler }, { store: 'memory:', replyTo: { allowLoopback: true }, ...FAST, ...options, subscriptions }));
  closing.push(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const post = (payload: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    fetch(`${url}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ applicationServer: { ipv4Address: '198.51.100.10' }, qosProfile: 'QOS_L', duration: 60, ...payload }),
    });
  /** A log line with this message, once it is written. */
  const logged = (msg: string) =>
    within(
      (async () => {
        for (;;) {
          const line = logs.find((l) => l.msg === msg);
          if (line) return line;
          await new Promise((r) => setTimeout(r, 10));
        }
      })(),
      WAIT,
      () => `log line "${msg}"; got ${JSON.stringify(logs.map((l) => l.msg))}`,
    );
  return { app, subscriptions, url, post, logs, logged };
}

/** A sink that records each event (body and X-Correlation-ID) and answers 204. */
async function sink() {
  const app = Fastify();
  app.addContentTypeParser('application/cloudevents+json', { parseAs: 'string' }, (_req, text, done) => done(null, JSON.parse(String(text))));
  const seen: { event: QosNotificationEvent; eventId: string }[] = [];
  let waiters: (() => void)[] = [];
  app.post('/sink', async (req, reply) => {
    seen.push({ event: req.body as QosNotificationEvent, eventId: req.headers['x-correlation-id'] as string });
    waiters.forEach((w) => w());
    waiters = [];
    return reply.code(204).send();
  });
  const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/sink`;
  closing.push(app);
  const until = async (n: number) => {
    while (seen.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    return seen;
  };
  return { url, seen, until: (n: number) => within(until(n), WAIT, () => `${n} events at the sink; got ${JSON.stringify(seen.map((s) => s.eventId))}`) };
}

/** A promise and the function that resolves it. */
function signal<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const idOf = async (res: Response) => {
  expect(res.status).toBe(201);
  return ((await res.json()) as SessionInfo).sessionId;
};

describe('what is stored', () => {
  it('a subscription is a task of kind subscription; each event a push task of <request>#<callback> with id <subscription>.<sequence>', async () => {
    const store = new MemoryStore();
    const target = await sink();
    const { post, subscriptions } = await provider(quiet, { store });
    const id = await idOf(await post({ sink: target.url }));
    expect(await subscriptions.emit(id, 'notifications', event(id))).toBe(true);
    expect(await subscriptions.emit(id, 'notifications', event(id, 'NETWORK_TERMINATED'))).toBe(true);
    await target.until(2);
    expect(await store.getTask(id)).toMatchObject({ kind: 'subscription', operation: 'createSession', result: { events: 2 } });
    expect(await store.getTask(seq(id, 1))).toMatchObject({ kind: 'push', operation: OP, replyTo: target.url });
    // Each event names the one before it, which it waits for; the first names none.
    expect((await store.getTask(seq(id, 1)))?.meta).toEqual({ subscription: id, seq: 1 });
    expect((await store.getTask(seq(id, 2)))?.meta).toEqual({ subscription: id, seq: 2, previous: seq(id, 1) });
    expect(await store.getTask(seq(id, 2))).toMatchObject({ kind: 'push', operation: OP });
    expect(info(await store.getTask(seq(id, 2)))?.statusInfo).toBe('NETWORK_TERMINATED');
  });

  it('the errors of emit say what went wrong and are named', async () => {
    const { post, subscriptions } = await provider(quiet);
    const id = await idOf(await post());
    const unknown = await subscriptions.emit('no-such-session', 'notifications', event(id)).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(SubscriptionNotFoundError);
    expect(unknown).toMatchObject({
      name: 'SubscriptionNotFoundError',
      subscriptionId: 'no-such-session',
      message: 'no subscription "no-such-session" (unknown, ended, or forgotten after the retention period)',
    });
    const bad = await subscriptions.emit(id, 'notifications', { ...event(id), specversion: '2.0' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidEventError);
    expect(bad).toMatchObject({ name: 'InvalidEventError', callback: 'notifications' });
    expect((bad as Error).message).toMatch(/^event for callback notifications does not match its schema: event\.specversion /);
  });
});

describe('numbering', () => {
  it('an emit made while an earlier one of this process waits for the lease is numbered after it', async () => {
    // The second claim of the subscription's lease (the second emit's) is held until the third emit was made.
    const store = new MemoryStore();
    const claim = store.claimTasks.bind(store);
    const held = signal();
    const go = signal();
    let claims = 0;
    store.claimTasks = async (q) => {
      if (q.kind === 'subscription' && q.states.includes('delivered') && ++claims === 2) {
        held.resolve();
        await go.promise;
      }
      return claim(q);
    };
    const { post, subscriptions } = await provider(quiet, { store, delivery: { enabled: false } });
    const id = await idOf(await post({ sink: 'http://127.0.0.1:9/sink' }));
    const first = subscriptions.emit(id, 'notifications', event(id));
    const second = subscriptions.emit(id, 'notifications', event(id, 'NETWORK_TERMINATED'));
    expect(await first).toBe(true);
    await within(held.promise, WAIT, () => 'the second emit claiming the lease');
    const third = subscriptions.emit(id, 'notifications', event(id, 'DURATION_EXPIRED'));
    // The third may not overtake the second: give it a turn of the event loop to try, then let the second go.
    await Promise.race([third, new Promise((r) => setImmediate(r))]);
    go.resolve();
    expect(await within(Promise.all([second, third]), WAIT, () => 'the second and third emits')).toEqual([true, true]);
    expect(info(await store.getTask(seq(id, 2)))?.statusInfo).toBe('NETWORK_TERMINATED');
    expect(info(await store.getTask(seq(id, 3)))?.statusInfo).toBe('DURATION_EXPIRED');
  });

  it('an emit waits while another instance holds the lease, then takes the next number', async () => {
    const store = new MemoryStore();
    const create = store.createTask.bind(store);
    const get = store.getTask.bind(store);
    const holding = signal();
    const release = signal();
    const waiting = signal();
    let id = '';
    store.createTask = async (task) => {
      // The first event of instance A: stored once instance B was seen waiting for the lease.
      if (task.id === seq(id, 1)) {
        holding.resolve();
        await release.promise;
      }
      return create(task);
    };
    store.getTask = async (taskId) => {
      const task = await get(taskId);
      // claim() reads the subscription when its lease is held by someone else.
      if (taskId === id && task?.state === 'delivered') waiting.resolve();
      return task;
    };
    const a = await provider(quiet, { store, delivery: { enabled: false } });
    const b = await provider(quiet, { store, delivery: { enabled: false } });
    id = await idOf(await a.post({ sink: 'http://127.0.0.1:9/sink' }));
    const fromA = a.subscriptions.emit(id, 'notifications', event(id));
    await within(holding.promise, WAIT, () => 'instance A storing its event');
    const fromB = b.subscriptions.emit(id, 'notifications', event(id, 'NETWORK_TERMINATED'));
    await within(waiting.promise, WAIT, () => 'instance B waiting for the lease');
    release.resolve();
    expect(await within(Promise.all([fromA, fromB]), WAIT, () => 'both emits')).toEqual([true, true]);
    expect(info(await get(seq(id, 1)))).toMatchObject({ qosStatus: 'AVAILABLE' });
    expect(info(await get(seq(id, 2)))?.statusInfo).toBe('NETWORK_TERMINATED');
    expect(await a.subscriptions.get(id)).toMatchObject({ events: 2 });
  });

  it('an emit for a subscription whose request is still being answered is refused at once', async () => {
    const answer = signal();
    const running = signal<string>();
    const { post, subscriptions } = await provider(async (_req, ctx) => {
      running.resolve(ctx.subscriptionId);
      await answer.promise;
      return { status: 201, body: session(ctx.subscriptionId) };
    });
    const res = post({ sink: 'http://127.0.0.1:9/sink' });
    try {
      const id = await within(running.promise, WAIT, () => 'the handler running');
      await expect(within(subscriptions.emit(id, 'notifications', event(id)), WAIT, () => 'emit to a subscription not yet answered')).rejects.toBeInstanceOf(SubscriptionNotFoundError);
    } finally {
      answer.resolve();
    }
    expect((await res).status).toBe(201);
  });
});

describe('delivery', () => {
  // The worker polls once an hour here: only its wake-up by the engine sends an event soon.
  const SLOW_POLL = { ...FAST, delivery: { pollMs: 3_600_000 } };

  it('events stored by emit wake the worker', async () => {
    const target = await sink();
    const { post, subscriptions } = await provider(quiet, SLOW_POLL);
    const id = await idOf(await post({ sink: target.url }));
    expect(await subscriptions.emit(id, 'notifications', event(id))).toBe(true);
    expect((await target.until(1)).map((s) => s.eventId)).toEqual([seq(id, 1)]);
  });

  it('events of the answer wake the worker also when one of them went to a callback nobody subscribed', async () => {
    const target = await sink();
    const { post } = await provider(async (_req, ctx) => {
      expect(await ctx.emit('alerts', event(ctx.subscriptionId))).toBe(false);
      expect(await ctx.emit('notifications', event(ctx.subscriptionId))).toBe(true);
      return { status: 201, body: session(ctx.subscriptionId) };
    }, SLOW_POLL);
    const id = await idOf(await post({ sink: target.url }));
    expect((await target.until(1)).map((s) => s.eventId)).toEqual([seq(id, 1)]);
  });

  it('a stored event its schema refuses is a dead letter saying why, not sent', async () => {
    // An event stored by an earlier version of the spec (or written to the store by hand): emit checks new ones.
    const store = new MemoryStore();
    const target = await sink();
    const finished = signal<{ id: string; state: string; reason?: string }>();
    const { post } = await provider(quiet, { store, onDelivery: (_op, taskId, outcome) => finished.resolve({ id: taskId, ...outcome }) });
    const id = await idOf(await post({ sink: target.url }));
    const now = Date.now();
    const bad = { ...event(id), specversion: '2.0' };
    expect(await store.createTask({ kind: 'push', id: seq(id, 1), operation: OP, request: bad, replyTo: target.url, meta: { subscription: id, seq: 1 }, now, expiresAt: now + 60_000 })).toBe(true);
    const outcome = await within(finished.promise, WAIT, () => 'the refused event finished');
    expect(outcome).toMatchObject({ id: seq(id, 1), state: 'dead' });
    expect(outcome.reason).toMatch(/^processing failed: event\.specversion /);
    expect((await store.getTask(seq(id, 1)))?.state).toBe('dead');
    expect(target.seen).toEqual([]);
  });

  it('an event waits while the one before it is still pending (held by an instance that stopped)', async () => {
    const store = new MemoryStore();
    const target = await sink();
    const first = await provider(quiet, { store, delivery: { enabled: false } });
    const id = await idOf(await first.post({ sink: target.url }));
    await first.subscriptions.emit(id, 'notifications', event(id));
    await first.subscriptions.emit(id, 'notifications', event(id, 'NETWORK_TERMINATED'));
    // The first event was claimed by an instance that then stopped: pending, under its lease.
    const [taken] = await store.claimTasks({ kind: 'push', operations: [OP], states: ['pending'], id: seq(id, 1), owner: 'stopped', now: Date.now(), leaseMs: 3_600_000, limit: 1 });
    expect(taken?.id).toBe(seq(id, 1));
    // The second is held back (its due time moved, not attempted) or sent: either way the first is then let go.
    const update = store.updateTask.bind(store);
    const decided = signal();
    store.updateTask = async (taskId, owner, patch, now) => {
      const done = await update(taskId, owner, patch, now);
      if (taskId === seq(id, 2) && patch.dueAt !== undefined && patch.state === undefined) decided.resolve();
      return done;
    };
    await provider(quiet, { store });
    await within(Promise.race([decided.promise, target.until(1)]), WAIT, () => 'the second event held back or sent');
    expect(await update(seq(id, 1), 'stopped', { release: true }, Date.now())).toBe(true);
    expect((await target.until(2)).map((s) => s.eventId)).toEqual([seq(id, 1), seq(id, 2)]);
  });
});

describe('the request', () => {
  it('an access token is an ACCESSTOKEN credential with a token; a null credential is none', async () => {
    const { post, subscriptions } = await provider(quiet);
    for (const sinkCredential of [
      { credentialType: 'PRIVATE_KEY_JWT', accessToken: 'tok' },
      { credentialType: 'ACCESSTOKEN', accessToken: '' },
    ]) {
      const res = await post({ sink: 'http://127.0.0.1:9/sink', sinkCredential });
      expect(res.status, JSON.stringify(sinkCredential)).toBe(400);
      expect((await res.json()) as { type: string }).toMatchObject({ type: 'urn:accordo:error:credential-unsupported' });
    }
    const id = await idOf(await post({ sink: 'http://127.0.0.1:9/sink', sinkCredential: null }));
    expect(await subscriptions.get(id)).toMatchObject({ callbacks: { notifications: 'http://127.0.0.1:9/sink' } });
  });

  it('the handler gets what the request’s voucher established', async () => {
    const as = await AuthorizationServer.start();
    closing.push(as);
    let security: any;
    const { post } = await provider(
      (_req, ctx) => {
        security = ctx.security;
        return { status: 201, body: session(ctx.subscriptionId) };
      },
      { security: { voucher: { issuer: ISSUER, audience: 'qod', keys: { url: as.jwksUrl } } } },
      secured,
    );
    const voucher = await as.voucher({ aud: 'qod', sub: 'client-1', client_id: 'client-1', purposeId: 'purpose-1' });
    await idOf(await post({}, { authorization: `Bearer ${voucher}` }));
    expect(security).toMatchObject({ clientId: 'client-1', purposeId: 'purpose-1' });
  });

  it('a 200 answer keeps the subscription, a 300 does not', async () => {
    const target = await sink();
    let status = 200;
    const ids: string[] = [];
    const { post, subscriptions } = await provider(async (_req, ctx) => {
      ids.push(ctx.subscriptionId);
      await ctx.emit('notifications', event(ctx.subscriptionId));
      return status === 200 ? { status, body: session(ctx.subscriptionId) } : { status };
    });
    expect((await post({ sink: target.url })).status).toBe(200);
    status = 300;
    expect((await post({ sink: target.url })).status).toBe(300);
    expect((await target.until(1)).map((s) => s.eventId)).toEqual([seq(ids[0], 1)]);
    expect(await subscriptions.get(ids[0])).toMatchObject({ events: 1 });
    expect(await subscriptions.get(ids[1])).toBeUndefined();
  });

  it('sends the handler’s headers, and a body of a status declared without content as JSON when responses are not checked', async () => {
    // A string body: JSON is its quoted form (an object Fastify would serialize as JSON anyway).
    const { post } = await provider((_req, ctx) => ({ status: 202, body: ctx.subscriptionId, headers: { 'x-count': 7 } }), { validateResponses: false });
    const res = await post();
    expect(res.status).toBe(202);
    expect(res.headers.get('x-count')).toBe('7');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toMatch(/^"[0-9a-f-]{36}"$/);
  });

  it('a handler that answers nothing is a 500 and leaves no subscription', async () => {
    let id = '';
    const { post, subscriptions, logged } = await provider(((_req: unknown, ctx: { subscriptionId: string }) => {
      id = ctx.subscriptionId;
      return undefined;
    }) as unknown as Handler);
    const res = await post({ sink: 'http://127.0.0.1:9/sink' });
    expect(res.status).toBe(500);
    expect((await res.json()) as { type: string }).toMatchObject({ type: 'urn:accordo:error:response-invalid' });
    await logged('handler createSession returned a response the spec does not declare: status undefined is not declared');
    expect(await subscriptions.get(id)).toBeUndefined();
  });

  it('the handler’s log lines carry the subscription id', async () => {
    const { post, logged } = await provider((_req, ctx) => {
      ctx.log.info('handler ran');
      return { status: 201, body: session(ctx.subscriptionId) };
    });
    const id = await idOf(await post());
    expect((await logged('handler ran')).subscriptionId).toBe(id);
  });
});

describe('a store that fails', () => {
  it('when the subscription is stored: 503, logged with the cause', async () => {
    const store = new MemoryStore();
    store.createTask = async () => {
      throw new Error('disk full');
    };
    const { post, logged } = await provider(quiet, { store });
    const res = await post();
    expect(res.status).toBe(503);
    expect((await logged('subscription could not be stored; not accepted')).err).toMatchObject({ message: 'disk full' });
  });

  it('when the answer’s events are stored: 503, logged with the cause, and no subscription', async () => {
    const store = new MemoryStore();
    const create = store.createTask.bind(store);
    store.createTask = async (task) => {
      if (task.kind === 'push') throw new Error('disk full');
      return create(task);
    };
    let id = '';
    const { post, logged, subscriptions } = await provider(
      async (_req, ctx) => {
        id = ctx.subscriptionId;
        await ctx.emit('notifications', event(id));
        return { status: 201, body: session(id) };
      },
      { store },
    );
    const res = await post({ sink: 'http://127.0.0.1:9/sink' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { detail: string }).detail).toBe('the request could not be taken in charge; try again later');
    const line = await logged('subscription events could not be stored; not accepted');
    expect(line).toMatchObject({ subscriptionId: id, err: { message: 'disk full' } });
    expect(await subscriptions.get(id)).toBeUndefined();
  });

  it('a subscription another instance took before the answer: 503, logged as such', async () => {
    const store = new MemoryStore();
    const { post, logged } = await provider(
      async (_req, ctx) => {
        const [taken] = await store.claimTasks({
          kind: 'subscription',
          operations: ['createSession'],
          states: ['pending'],
          id: ctx.subscriptionId,
          owner: 'other',
          now: Date.now(),
          leaseMs: 60_000,
          limit: 1,
        });
        expect(taken?.id).toBe(ctx.subscriptionId);
        return { status: 201, body: session(ctx.subscriptionId) };
      },
      { store },
    );
    expect((await post()).status).toBe(503);
    expect((await logged('subscription events could not be stored; not accepted')).err).toMatchObject({ message: 'the subscription was taken by another instance before its answer' });
  });
});

describe('the retention sweep', () => {
  const SWEEP = { ...FAST.delivery, sweepMs: 20 };

  it('logs how many subscriptions it forgot', async () => {
    const { post, logged } = await provider(quiet, { retentionMs: 50, delivery: SWEEP });
    await idOf(await post());
    expect((await logged('subscriptions without events for the retention period forgotten')).subscriptions).toBe(1);
  });

  it('keeps a subscription younger than the retention period, and its delivered events', async () => {
    const store = new MemoryStore();
    const purge = store.purgeTasks.bind(store);
    let sweeps = 0;
    const swept: (() => void)[] = [];
    store.purgeTasks = async (filter, now) => {
      const n = await purge(filter, now);
      sweeps++;
      swept.splice(0).forEach((s) => s());
      return n;
    };
    const target = await sink();
    const { post, subscriptions } = await provider(quiet, { store, retentionMs: 3_600_000, delivery: SWEEP });
    const id = await idOf(await post({ sink: target.url }));
    await subscriptions.emit(id, 'notifications', event(id));
    await target.until(1);
    const after = sweeps + 3;
    await within(
      (async () => {
        while (sweeps < after) await new Promise<void>((r) => swept.push(r));
      })(),
      WAIT,
      () => `three sweeps; saw ${sweeps}`,
    );
    expect(await subscriptions.get(id)).toMatchObject({ id, events: 1 });
    expect((await store.getTask(seq(id, 1)))?.state).toBe('delivered');
  });

  it('logs a store that fails it', async () => {
    const store = new MemoryStore();
    store.purgeTasks = async () => {
      throw new Error('disk gone');
    };
    const { logged } = await provider(quiet, { store, delivery: SWEEP });
    expect((await logged('subscriptions: store unavailable for the retention sweep')).err).toMatchObject({ message: 'disk gone' });
  });
});
