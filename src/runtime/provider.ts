import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CORRELATION_HEADER, type JsonSchema, type OperationDescriptor, type PushDescriptor } from './descriptors.js';
import { DEFAULT_RETRY, deliverCallback, type DeliveryOutcome, type RetryPolicy } from './delivery.js';
import { declaredResponse, routePath, installJsonParsers, installErrorHandler, requestParser, sendJson, validationProblem, type IncomingRequest } from './http.js';
import type { OutboundOptions } from './outbound.js';
import { ProblemError } from './problem.js';
import { MemoryPullTaskStore, registerPull, type PullDescriptor, type PullHandler, type PullProviderOptions } from './pull.js';
import { checkReplyTo, type ReplyToPolicy } from './reply-to.js';
import { Validators } from './validation.js';

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
  process(request: Req, ctx: PushContext): Result | Promise<Result>;
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
  /** How long closing the server waits for work in progress (default 10 s). */
  shutdownTimeoutMs?: number;
  /** NONBLOCK_PULL operations: task ids, task store, public URL for `Location`. */
  pull?: PullProviderOptions;
  /** Called when a callback ends, delivered or not. */
  onDelivery?: (operationId: string, correlationId: string, outcome: DeliveryOutcome) => void;
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
  const validators = new Validators(def.defs);
  const pending = new Set<Promise<unknown>>();
  const pullStore = options.pull?.store ?? new MemoryPullTaskStore();
  installErrorHandler(app);
  installJsonParsers(app, def.operations);
  app.addHook('onClose', async () => {
    // Let work in progress finish, but a hung handler must not hold the shutdown forever.
    const grace = options.shutdownTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => (timer = setTimeout(resolve, grace)))]);
    clearTimeout(timer);
    if (pending.size) app.log.warn({ unfinished: pending.size }, 'shut down with work still in progress');
  });

  for (const op of def.operations) {
    const handler = (handlers as Record<string, unknown>)[op.handler];
    if (!handler) throw new Error(`no handler for operation ${op.id} (expected handlers.${op.handler})`);
    if (isPull(op)) {
      registerPull(app, op, handler as PullHandler<IncomingRequest, unknown, unknown, unknown>, validators, options.pull ?? {}, pullStore, pending);
      continue;
    }
    const parse = requestParser(validators, op);
    const { url } = routePath(op.path);
    const run = isPush(op)
      ? pushRoute(op, handler as PushHandler<IncomingRequest, unknown, unknown>, validators, options, pending)
      : op.pattern === 'ONEWAY'
        ? oneWayRoute(op, handler as OneWayHandler<IncomingRequest>, pending)
        : blockingRoute(op, handler as BlockingHandler<IncomingRequest, HandlerResponse>);
    app.route({ method: op.method, url, handler: (req, reply) => run(parse(req), req, reply) });
  }
}

function blockingRoute(op: OperationDescriptor, handler: BlockingHandler<IncomingRequest, HandlerResponse>) {
  return async (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => {
    const res = await handler(request, { log: req.log, raw: req });
    const declared = declaredResponse(op.responses, res.status);
    if (!declared) throw new Error(`handler of ${op.id} returned undeclared status ${res.status}`);
    const headers = Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [k, String(v)]));
    return sendJson(reply, res.status, res.body, headers, declared.mediaTypes[0]);
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

function pushRoute(op: PushDescriptor, handler: PushHandler<IncomingRequest, unknown, unknown>, validators: Validators, options: ProviderOptions, pending: Set<Promise<unknown>>) {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const result = op.callback.body?.schema ? validators.compile(op.callback.body.schema) : undefined;
  const accepted = declaredResponse(op.responses, 202);

  return async (request: IncomingRequest, req: FastifyRequest, reply: FastifyReply) => {
    const replyTo = req.headers[op.replyToHeader.toLowerCase()];
    if (typeof replyTo !== 'string' || replyTo.length === 0) throw new ProblemError(400, `missing ${op.replyToHeader} header`);
    checkReplyTo(replyTo, op.replyToHeader, options.replyTo);
    const correlationId = options.correlationId ? await options.correlationId(op.id, request) : randomUUID();
    const ctx: PushContext = { correlationId, replyTo, log: req.log.child({ correlationId }) };
    const ack = await handler.acknowledge(request, ctx);
    await sendJson(reply, 202, ack, { [CORRELATION_HEADER]: correlationId }, accepted?.mediaTypes[0]);

    // Steps 3-4 run after the 202 is on the wire.
    const job = (async () => {
      try {
        const body = await handler.process(request, ctx);
        if (result && !result(body)) throw validationProblem('callback body', result.errors ?? []);
        const outcome = await deliverCallback({ url: replyTo, correlationId, callback: op.callback, body }, validators, ctx.log, retry, options.outbound);
        if (outcome.state === 'dead') ctx.log.error({ outcome }, 'callback not delivered');
        else ctx.log.info({ status: outcome.status, attempts: outcome.attempts }, 'callback delivered');
        options.onDelivery?.(op.id, correlationId, outcome);
      } catch (e) {
        ctx.log.error({ err: e }, 'push processing failed; no callback sent');
        options.onDelivery?.(op.id, correlationId, { state: 'dead', attempts: 0, reason: `processing failed: ${(e as Error).message}` });
      }
    })();
    pending.add(job);
    void job.finally(() => pending.delete(job));
  };
}
