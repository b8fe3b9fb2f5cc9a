import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkAdminOptions, registerDeliveryAdmin } from './admin.js';
import { resolveAddress } from './callback-address.js';
import { jsonFailure, jsonPushJob } from './codecs/json.js';
import { CORRELATION_HEADER, type JsonSchema, type OperationDescriptor, type PushDescriptor, type SubscriptionDescriptor, type WebhookDescriptor } from './descriptors.js';
import { startWebhooks, webhookJobs, Webhooks, type WebhookOptions } from './engines/webhooks.js';
import type { BlockingHandler } from './engines/blocking.js';
import { requestContext, runOneWay, PendingWork, type OneWayHandler, type RequestContext } from './engines/oneway.js';
import { pullJob, storeOfPullOption, type PullHandler } from './engines/pull.js';
import { acceptPush, type PushAcceptOptions, type PushHandler } from './engines/push.js';
import { startSubscriptions, subscriptionJobs, subscriptionRoute, Subscriptions, type SubscriptionHandler, type SubscriptionOptions } from './engines/subscription.js';
import { ownedStore, startTaskRuntime, type TaskOptions, type TaskRuntime } from './engines/tasks.js';
import { declaredResponse, isJsonMediaType, routePath, installJsonParsers, installErrorHandler, requestParser, responseChecker, sendBrokenResponse, sendJson, type IncomingRequest } from './http.js';
import { inputLimits, type InputLimits } from './limits.js';
import { problem, sendProblem } from './problem.js';
import { registerPull, type PullDescriptor, type PullProviderOptions } from './pull.js';
import { verifiedSecurity, type InboundSecurityOptions } from './security/inbound.js';
import { securedRoutes } from './security/routes.js';
import { Validators } from './validation.js';
import type { TaskJob } from './worker.js';

// The pattern engines' handler types, under the names generated REST code has always used.
export type { BlockingHandler } from './engines/blocking.js';
export type { OneWayHandler, RequestContext } from './engines/oneway.js';
export type { PushContext, PushHandler } from './engines/push.js';
export type { DeliveryOptions } from './engines/tasks.js';
export type { SubscriptionContext, SubscriptionHandler } from './engines/subscription.js';

/** A response as handlers return it: the status picks the declared response. */
export interface HandlerResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string | number>;
}

/** Options of a REST provider; the store and worker settings are every binding's (TaskOptions, docs/delivery.md). */
export interface ProviderOptions extends TaskOptions, SubscriptionOptions, WebhookOptions {
  /**
   * Supplies the CorrelationID of an accepted push request (default: a random UUID). Use it
   * when the service already has an identifier, e.g. a protocol number.
   */
  correlationId?: (operationId: string, request: IncomingRequest) => string | Promise<string>;
  /**
   * `GET /status` (RAC_REST_NAME_011): answered with problem+json, 200 while this check says the
   * service works (default: always), the status it returns otherwise; `false` leaves it out.
   */
  status?: false | (() => Promise<{ status: 200 | 500 | 503; detail?: string }>);
  /** NONBLOCK_PULL operations: task ids, public URL for `Location` (tasks live in `store`). */
  pull?: PullProviderOptions;
  /** Bounds on what is read of a request besides its size: nesting depth, XML attributes and namespaces (docs/security.md). */
  limits?: Partial<InputLimits>;
  /**
   * Check what handlers return against the declared responses (status and body): a response that
   * breaks the spec is a 500 problem (a Server fault) and a log line naming the handler. Default: on
   * unless NODE_ENV is `production`. An undeclared status is refused either way.
   */
  validateResponses?: boolean;
  /**
   * The checks of the security the operations declare (voucher, INTEGRITY, AUDIT; docs/security.md).
   * Required when an operation declares some; `false` when a gateway in front (GovWay) checks it.
   */
  security?: InboundSecurityOptions | false;
}

export interface ProviderDefinition {
  defs: Record<string, JsonSchema>;
  operations: (OperationDescriptor | PushDescriptor | PullDescriptor | SubscriptionDescriptor)[];
  /** OpenAPI 3.1 webhooks: sent by the application through the `webhooks` option, to `webhookTargets`. */
  webhooks?: WebhookDescriptor[];
}

const isPush = (op: OperationDescriptor): op is PushDescriptor => 'callback' in op;
const isPull = (op: OperationDescriptor): op is PullDescriptor => 'pull' in op;
const isSubscription = (op: OperationDescriptor): op is SubscriptionDescriptor => 'subscription' in op;

/**
 * Registers every operation of an agreement on a Fastify instance, each with its pattern's
 * engine. Generated provider plugins call this with their descriptors and the user's handlers.
 */
export async function registerProvider(app: FastifyInstance, def: ProviderDefinition, handlers: object, options: ProviderOptions = {}): Promise<void> {
  if (options.admin) checkAdminOptions(options.admin);
  const validators = new Validators(def.defs);
  const pending = new PendingWork();
  installErrorHandler(app);
  installJsonParsers(app, def.operations, inputLimits(options.limits));
  const checkResponses = options.validateResponses ?? process.env.NODE_ENV !== 'production';
  app.addHook('onClose', async () => {
    await pending.settle(options.shutdownTimeoutMs ?? 10_000);
    if (pending.size) app.log.warn({ unfinished: pending.size }, 'shut down with work still in progress');
  });

  // RAC_REST_NAME_011: every REST API answers GET /status with problem+json (unless the spec has its own).
  if (options.status !== false && !def.operations.some((op) => op.method === 'GET' && op.path === '/status')) {
    app.get('/status', async (_req, reply) => {
      const health = options.status ? await options.status().catch(() => ({ status: 503 as const, detail: 'health check failed' })) : { status: 200 as const };
      return sendProblem(reply, problem(health.status, health.detail, health.status === 200 ? { title: 'OK' } : {}));
    });
  }

  // Push requests and pull tasks go through the store and the worker.
  const jobs = new Map<string, TaskJob>();
  const routes: { op: OperationDescriptor; handler: unknown }[] = [];
  for (const op of def.operations) {
    const handler = (handlers as Record<string, unknown>)[op.handler];
    if (!handler) throw new Error(`no handler for operation ${op.id} (expected handlers.${op.handler})`);
    routes.push({ op, handler });
    if (isPull(op)) jobs.set(op.id, pullJob(handler as PullHandler<IncomingRequest, unknown, unknown, unknown>, jsonFailure));
    else if (isPush(op)) {
      const push = handler as PushHandler<IncomingRequest, unknown, unknown>;
      jobs.set(
        op.id,
        jsonPushJob(op, (request, ctx) => push.process(request as IncomingRequest, ctx), validators),
      );
    } else if (isSubscription(op)) for (const [key, job] of subscriptionJobs(op, validators, () => tasks!)) jobs.set(key, job);
  }
  const webhooks = def.webhooks ?? [];
  for (const [key, job] of webhookJobs(webhooks, validators, () => tasks!)) jobs.set(key, job);
  // Only push and pull operations (and the admin routes) need the store: a blocking-only provider opens none.
  const store = options.store ?? storeOfPullOption(options.pull?.store);
  const tasks = jobs.size > 0 ? await startTaskRuntime(app, jobs, { ...options, store }) : undefined;
  if (!tasks && options.admin) {
    const { store: admin, owned } = await ownedStore(options);
    if (owned) app.addHook('onClose', () => admin.close());
    await registerDeliveryAdmin(app, admin, { ...options.admin, clock: options.clock, retentionMs: options.retentionMs });
  }

  // Subscriptions send their events through the same store and worker; the application keeps the emitter.
  const subscriptionOps = def.operations.filter(isSubscription);
  const subscriptions = options.subscriptions ?? new Subscriptions();
  if (subscriptionOps.length) {
    const stop = startSubscriptions(subscriptionOps, subscriptions, tasks!, validators, app.log, options);
    app.addHook('onClose', async () => stop());
  }

  // Webhooks go through the same store and worker; the application keeps the sender.
  if (webhooks.length) startWebhooks(webhooks, options.webhooks ?? new Webhooks(), tasks!, validators, app.log, options);

  // ID_AUTH_REST_02's jti records live in the store the instances share.
  const secured = await securedRoutes(def.operations, options.security, async () => {
    if (tasks) return tasks.store;
    const { store: own, owned } = await ownedStore(options);
    if (owned) app.addHook('onClose', () => own.close());
    return own;
  });
  for (const { op, handler } of routes) {
    if (isPull(op)) {
      registerPull(app, op, handler as PullHandler<IncomingRequest, unknown, unknown, unknown>, validators, options.pull ?? {}, tasks!, secured);
      continue;
    }
    const parse = requestParser(validators, op);
    const { url } = routePath(op.path);
    const check = responseChecker(validators, op.responses, checkResponses);
    const run = isSubscription(op)
      ? subscriptionRoute(op, handler as SubscriptionHandler<IncomingRequest, HandlerResponse, Record<string, unknown>>, subscriptions, tasks!, options, check)
      : isPush(op)
        ? pushRoute(op, handler as PushHandler<IncomingRequest, unknown, unknown>, tasks!, options, check)
        : op.pattern === 'ONEWAY'
          ? oneWayRoute(op, handler as OneWayHandler<IncomingRequest>, pending)
          : blockingRoute(op, handler as BlockingHandler<IncomingRequest, HandlerResponse>, check);
    app.route({ ...secured(op.security), method: op.method, url, handler: (req, reply) => run(parse(req), req, reply) });
  }
}

function blockingRoute(op: OperationDescriptor, handler: BlockingHandler<IncomingRequest, HandlerResponse>, check: ReturnType<typeof responseChecker>) {
  // What each status is sent as, worked out once per status rather than per request. A JSON type
  // carries the charset Fastify would otherwise append to it on every response.
  const sending = new Map<number, { mediaType: string; json: boolean } | null>();
  const howToSend = (status: number) => {
    let how = sending.get(status);
    if (how === undefined) {
      const declared = declaredResponse(op.responses, status);
      const mediaType = declared?.mediaTypes[0] ?? 'application/json';
      const json = isJsonMediaType(mediaType);
      how = declared ? { mediaType: json && !/;\s*charset=/i.test(mediaType) ? `${mediaType}; charset=utf-8` : mediaType, json } : null;
      sending.set(status, how);
    }
    return how;
  };
  // Only a secured operation has verified claims to look up.
  const context = op.security ? requestContext : (req: FastifyRequest): RequestContext => ({ log: req.log, raw: req });
  return async (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => {
    const res = await handler(request, context(req));
    const broken = check(res?.status, res?.body);
    if (broken) return sendBrokenResponse(req, reply, op, broken);
    const how = howToSend(res.status)!;
    const headers = res.headers && Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
    return sendJson(reply, res.status, res.body, headers, how.mediaType, how.json);
  };
}

/** ONEWAY: answer at once with no body (202, or the 2xx the spec declares), then run the handler. */
function oneWayRoute(op: OperationDescriptor, handler: OneWayHandler<IncomingRequest>, pending: PendingWork) {
  const success = op.responses.find((r) => /^2\d\d$/.test(r.status))?.status;
  const status = success ? Number(success) : 202;
  return (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => runOneWay(() => reply.code(status).send(), handler, request, req, pending);
}

/**
 * NONBLOCK_PUSH_REST: the push engine's ACK as `202` + `X-Correlation-ID`; its refusals as
 * problem+json. The ACK is checked against the declared 202 before the request is stored: one the
 * spec does not declare accepts nothing (a 500 problem, the log naming `<handler>.acknowledge`).
 */
function pushRoute(op: PushDescriptor, handler: PushHandler<IncomingRequest, unknown, unknown>, tasks: TaskRuntime, options: ProviderOptions, check: ReturnType<typeof responseChecker>) {
  const ackType = declaredResponse(op.responses, 202)?.mediaTypes[0];
  const accepting: PushAcceptOptions<IncomingRequest> = { replyTo: options.replyTo, correlationId: options.correlationId, checkAck: (ack) => check(202, ack) };
  const acknowledge = { id: op.id, handler: `${op.handler}.acknowledge` };
  const replyToHeader = op.replyToHeader.toLowerCase();
  return async (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => {
    const carrier = op.replyTo
      ? { name: op.replyTo.expression, where: 'in the request', value: resolveAddress(op.replyTo.address, request, req) }
      : { name: op.replyToHeader, where: 'header', value: req.headers[replyToHeader] };
    const security = verifiedSecurity(req);
    const accepted = await acceptPush(tasks, op.id, request, carrier, handler, req.log, security ? { ...accepting, security } : accepting);
    if (accepted.broken !== undefined) return sendBrokenResponse(req, reply, acknowledge, accepted.broken);
    const { correlationId, ack } = accepted;
    return sendJson(reply, 202, ack, { [CORRELATION_HEADER]: correlationId }, ackType);
  };
}
