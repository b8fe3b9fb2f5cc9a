import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkAdminOptions, DEFAULT_RETENTION_MS, registerDeliveryAdmin, type AdminOptions } from './admin.js';
import { systemClock, type Clock } from './clock.js';
import { CORRELATION_HEADER, type JsonSchema, type OperationDescriptor, type PushDescriptor } from './descriptors.js';
import { DEFAULT_RETRY, type DeliveryOutcome, type RetryPolicy } from './delivery.js';
import {
  declaredResponse,
  isJsonMediaType,
  routePath,
  installJsonParsers,
  installErrorHandler,
  requestParser,
  responseChecker,
  sendBrokenResponse,
  sendJson,
  type IncomingRequest,
} from './http.js';
import { inputLimits, type InputLimits } from './limits.js';
import type { OutboundOptions } from './outbound.js';
import { problem, ProblemError, sendProblem } from './problem.js';
import { StorePullTaskStore } from './store/pull.js';
import { registerPull, type PullDescriptor, type PullHandler, type PullProviderOptions } from './pull.js';
import { checkReplyTo, guardedFetch, type Connector, type ReplyToPolicy } from './reply-to.js';
import { DEFAULT_STORE, openStore } from './store/index.js';
import type { Store } from './store/types.js';
import { Validators } from './validation.js';
import { PushWorker, restPushJob, type ProcessContext, type PushJob } from './worker.js';

/** What every handler gets besides the request. */
export interface RequestContext {
  log: FastifyBaseLogger;
  /** The raw Fastify request, for what the spec does not describe (auth, tracing). */
  raw: FastifyRequest;
}

export interface PushContext {
  correlationId: string;
  replyTo: string;
  log: FastifyBaseLogger;
}

/**
 * A NONBLOCK_PUSH operation's handler: `acknowledge` builds the ACK body of the `202` (step 2);
 * `process` computes the result that the runtime POSTs to `X-ReplyTo` (step 3) after the 202 is sent.
 */
export interface PushHandler<Req, Ack, Result> {
  acknowledge(request: Req, ctx: PushContext): Ack | Promise<Ack>;
  /**
   * Runs once per accepted request, after the request is stored and the 202 sent, possibly in
   * another instance or after a restart; its result is stored before the callback is sent.
   */
  process(request: Req, ctx: ProcessContext): Result | Promise<Result>;
}

/** A ONEWAY operation's handler: runs after the provider has answered (202, or the 2xx the spec declares). */
export type OneWayHandler<Req> = (request: Req, ctx: RequestContext) => void | Promise<void>;

/** A blocking operation's handler: returns one of the declared responses. */
export type BlockingHandler<Req, Res> = (request: Req, ctx: RequestContext) => Res | Promise<Res>;

/** A response as handlers return it: the status picks the declared response. */
export interface HandlerResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string | number>;
}

export interface ProviderOptions {
  /**
   * Supplies the CorrelationID of an accepted push request (default: a random UUID). Use it
   * when the service already has an identifier, e.g. a protocol number.
   */
  correlationId?: (operationId: string, request: IncomingRequest) => string | Promise<string>;
  /** Which `X-ReplyTo` URLs are accepted. */
  replyTo?: ReplyToPolicy;
  retry?: Partial<RetryPolicy>;
  outbound?: OutboundOptions;
  /**
   * `GET /status` (RAC_REST_NAME_011): answered with problem+json, 200 while this check says the
   * service works (default: always), the status it returns otherwise; `false` leaves it out.
   */
  status?: false | (() => Promise<{ status: 200 | 500 | 503; detail?: string }>);
  /** How long closing the server waits for work in progress (default 10 s). */
  shutdownTimeoutMs?: number;
  /** NONBLOCK_PULL operations: task ids, task store, public URL for `Location`. */
  pull?: PullProviderOptions;
  /** Called when a callback ends: delivered, dead (dead letter) or expired. */
  onDelivery?: (operationId: string, correlationId: string, outcome: DeliveryOutcome) => void;
  /**
   * Where accepted push requests are kept until their callback is delivered: `sqlite:<file>`
   * (default `sqlite:./accordo.db`), a `postgres://` URL (several instances share the work),
   * `memory:` (tests: lost on exit), or an open {@link Store} (then the caller closes it).
   */
  store?: string | Store;
  /** How long an undelivered push request is kept and retried (default 5 days, as CART). */
  retentionMs?: number;
  delivery?: DeliveryOptions;
  /** The clock of the delivery worker (tests inject a fast one). */
  clock?: Clock;
  /** Admin routes for deliveries (list, inspect, retry, purge): off unless set; bearer-token protected. */
  admin?: AdminOptions;
  /** Bounds on what is read of a request besides its size: nesting depth, XML attributes and namespaces (docs/security.md). */
  limits?: Partial<InputLimits>;
  /**
   * Check what handlers return against the declared responses (status and body): a response that
   * breaks the spec is a 500 problem (a Server fault) and a log line naming the handler. Default: on
   * unless NODE_ENV is `production`. An undeclared status is refused either way.
   */
  validateResponses?: boolean;
}

export interface DeliveryOptions {
  /** Run the delivery worker in this instance (default true; false: accept only, others deliver). */
  enabled?: boolean;
  /** Callbacks sent at once (default 8). */
  concurrency?: number;
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

export interface ProviderDefinition {
  defs: Record<string, JsonSchema>;
  operations: (OperationDescriptor | PushDescriptor | PullDescriptor)[];
}

const isPush = (op: OperationDescriptor): op is PushDescriptor => 'callback' in op;
const isPull = (op: OperationDescriptor): op is PullDescriptor => 'pull' in op;

/**
 * Registers every operation of an agreement on a Fastify instance, each with its pattern's
 * behaviour. Generated provider plugins call this with their descriptors and the user's handlers.
 */
export async function registerProvider(app: FastifyInstance, def: ProviderDefinition, handlers: object, options: ProviderOptions = {}): Promise<void> {
  if (options.admin) checkAdminOptions(options.admin);
  const validators = new Validators(def.defs);
  const pending = new Set<Promise<unknown>>();
  // Pull tasks live in the same store as push deliveries unless a task store is given.
  let pullStore = options.pull?.store;
  if (!pullStore && def.operations.some(isPull)) {
    const { store, owned } = await ownedStore(options);
    if (owned) app.addHook('onClose', () => store.close());
    pullStore = new StorePullTaskStore(store, { clock: options.clock, retentionMs: options.retentionMs });
  }
  installErrorHandler(app);
  installJsonParsers(app, def.operations, inputLimits(options.limits));
  const checkResponses = options.validateResponses ?? process.env.NODE_ENV !== 'production';
  app.addHook('onClose', async () => {
    // Let work in progress finish, but a hung handler must not hold the shutdown forever.
    const grace = options.shutdownTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => (timer = setTimeout(resolve, grace)))]);
    clearTimeout(timer);
    if (pending.size) app.log.warn({ unfinished: pending.size }, 'shut down with work still in progress');
  });

  // RAC_REST_NAME_011: every REST API answers GET /status with problem+json (unless the spec has its own).
  if (options.status !== false && !def.operations.some((op) => op.method === 'GET' && op.path === '/status')) {
    app.get('/status', async (_req, reply) => {
      const health = options.status ? await options.status().catch(() => ({ status: 503 as const, detail: 'health check failed' })) : { status: 200 as const };
      return sendProblem(reply, problem(health.status, health.detail, health.status === 200 ? { title: 'OK' } : {}));
    });
  }

  const jobs = new Map<string, PushJob>();
  const routes: { op: OperationDescriptor; handler: unknown }[] = [];
  for (const op of def.operations) {
    const handler = (handlers as Record<string, unknown>)[op.handler];
    if (!handler) throw new Error(`no handler for operation ${op.id} (expected handlers.${op.handler})`);
    if (isPull(op)) {
      registerPull(app, op, handler as PullHandler<IncomingRequest, unknown, unknown, unknown>, validators, options.pull ?? {}, pullStore!, pending);
      continue;
    }
    routes.push({ op, handler });
    if (isPush(op)) {
      const push = handler as PushHandler<IncomingRequest, unknown, unknown>;
      jobs.set(op.id, restPushJob(op, (request, ctx) => push.process(request, ctx), validators));
    }
  }
  // Only push operations (and the admin routes) need the store: a blocking-only provider opens none.
  const push = jobs.size > 0 ? await startPushRuntime(app, jobs, validators, options) : undefined;
  if (!push && options.admin) {
    const { store, owned } = await ownedStore(options);
    if (owned) app.addHook('onClose', () => store.close());
    await registerDeliveryAdmin(app, store, { ...options.admin, clock: options.clock, retentionMs: options.retentionMs });
  }

  for (const { op, handler } of routes) {
    const parse = requestParser(validators, op);
    const { url } = routePath(op.path);
    const check = responseChecker(validators, op.responses, checkResponses);
    const run = isPush(op)
      ? pushRoute(op, handler as PushHandler<IncomingRequest, unknown, unknown>, push!, options, check)
      : op.pattern === 'ONEWAY'
        ? oneWayRoute(op, handler as OneWayHandler<IncomingRequest>, pending)
        : blockingRoute(op, handler as BlockingHandler<IncomingRequest, HandlerResponse>, check);
    app.route({ method: op.method, url, handler: (req, reply) => run(parse(req), req, reply) });
  }
}

/** Opens the configured store; one opened from a setting is closed with the server. */
async function ownedStore(options: ProviderOptions): Promise<{ store: Store; owned: boolean }> {
  const setting = options.store ?? DEFAULT_STORE;
  if (typeof setting !== 'string') return { store: setting, owned: false };
  return { store: await openStore(setting), owned: true };
}

export interface PushRuntime {
  store: Store;
  worker?: PushWorker;
  clock: Clock;
  retentionMs: number;
}

/** Opens the store and starts the worker that processes and delivers the push requests of `jobs`. */
export async function startPushRuntime(app: FastifyInstance, jobs: Map<string, PushJob>, validators: Validators, options: ProviderOptions): Promise<PushRuntime> {
  const { store, owned } = await ownedStore(options);
  const clock = options.clock ?? systemClock;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const d = options.delivery ?? {};
  // Callbacks go through a fetch that dials only checked addresses, unless the caller brought its own.
  const guarded = options.outbound?.fetch ? undefined : guardedFetch(options.replyTo, d.connect);
  const worker =
    d.enabled === false
      ? undefined
      : new PushWorker(jobs, {
          store,
          validators,
          log: app.log.child({ component: 'push-delivery' }),
          clock,
          owner: d.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
          retry: { ...DEFAULT_RETRY, ...options.retry },
          retentionMs,
          leaseMs: d.leaseMs ?? 60_000,
          pollMs: d.pollMs ?? 1000,
          sweepMs: d.sweepMs ?? 60_000,
          handlerConcurrency: d.handlerConcurrency ?? 4,
          deliveryConcurrency: d.concurrency ?? 8,
          outbound: { ...options.outbound, ...(guarded ? { fetch: guarded.fetch } : {}) },
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
  app.log.debug({ store: store.description }, 'push requests are kept in the store');
  return { store, worker, clock, retentionMs };
}

/**
 * Stores an accepted push request, before its acknowledgement is sent (the acknowledgement is a
 * promise to deliver), and wakes the worker. Says why when it could not: the store failed
 * (`unavailable`: the caller may try again) or the CorrelationID was already taken (`duplicate`).
 */
export async function acceptPush(
  push: PushRuntime,
  operation: string,
  correlationId: string,
  request: unknown,
  replyTo: string,
  log: FastifyBaseLogger,
): Promise<undefined | 'unavailable' | 'duplicate'> {
  const now = push.clock.now();
  let stored: boolean;
  try {
    stored = await push.store.createTask({ id: correlationId, kind: 'push', operation, request, replyTo, now, expiresAt: now + push.retentionMs });
  } catch (e) {
    log.error({ err: e }, 'push request could not be stored; not accepted');
    return 'unavailable';
  }
  if (!stored) return 'duplicate';
  push.worker?.wake();
  return undefined;
}

function blockingRoute(op: OperationDescriptor, handler: BlockingHandler<IncomingRequest, HandlerResponse>, check: ReturnType<typeof responseChecker>) {
  // What each status is sent as, worked out once per status rather than per request.
  const sending = new Map<number, { mediaType: string; json: boolean } | null>();
  const howToSend = (status: number) => {
    let how = sending.get(status);
    if (how === undefined) {
      const declared = declaredResponse(op.responses, status);
      const mediaType = declared?.mediaTypes[0] ?? 'application/json';
      how = declared ? { mediaType, json: isJsonMediaType(mediaType) } : null;
      sending.set(status, how);
    }
    return how;
  };
  return async (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => {
    const res = await handler(request, { log: req.log, raw: req });
    const broken = check(res?.status, res?.body);
    if (broken) return sendBrokenResponse(req, reply, op, broken);
    const how = howToSend(res.status)!;
    const headers = res.headers && Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
    return sendJson(reply, res.status, res.body, headers, how.mediaType, how.json);
  };
}

/** ONEWAY: answer at once with no body, then run the handler; its failures are logged, never sent. */
function oneWayRoute(op: OperationDescriptor, handler: OneWayHandler<IncomingRequest>, pending: Set<Promise<unknown>>) {
  const success = op.responses.find((r) => /^2\d\d$/.test(r.status))?.status;
  const status = success ? Number(success) : 202;
  return async (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => {
    await reply.code(status).send();
    const job = (async () => {
      try {
        await handler(request, { log: req.log, raw: req });
      } catch (e) {
        req.log.error({ err: e }, 'one-way handler failed');
      }
    })();
    pending.add(job);
    void job.finally(() => pending.delete(job));
  };
}

function pushRoute(op: PushDescriptor, handler: PushHandler<IncomingRequest, unknown, unknown>, push: PushRuntime, options: ProviderOptions, check: ReturnType<typeof responseChecker>) {
  const accepted = declaredResponse(op.responses, 202);

  return async (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => {
    const replyTo = req.headers[op.replyToHeader.toLowerCase()];
    if (typeof replyTo !== 'string' || replyTo.length === 0) throw new ProblemError(400, `missing ${op.replyToHeader} header`);
    await checkReplyTo(replyTo, op.replyToHeader, options.replyTo).catch((e: unknown) => {
      if (e instanceof ProblemError && e.problem.status === 503) reply.header('retry-after', '5');
      throw e;
    });
    const correlationId = options.correlationId ? await options.correlationId(op.id, request) : randomUUID();
    const ctx: PushContext = { correlationId, replyTo, log: req.log.child({ correlationId }) };
    const ack = await handler.acknowledge(request, ctx);
    // Checked before the request is stored: an ACK the spec does not declare accepts nothing.
    const broken = check(202, ack);
    if (broken) return sendBrokenResponse(req, reply, { id: op.id, handler: `${op.handler}.acknowledge` }, broken);
    const refused = await acceptPush(push, op.id, correlationId, request, replyTo, ctx.log);
    if (refused === 'unavailable') {
      reply.header('retry-after', '5');
      throw new ProblemError(503, 'the request could not be taken in charge; try again later');
    }
    if (refused === 'duplicate') throw new ProblemError(409, `a request with CorrelationID ${JSON.stringify(correlationId)} was already accepted`);
    return sendJson(reply, 202, ack, { [CORRELATION_HEADER]: correlationId }, accepted?.mediaTypes[0]);
  };
}
