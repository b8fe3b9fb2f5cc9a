import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { placeAddress } from './callback-address.js';
import { CORRELATION_HEADER, type JsonSchema, type OperationDescriptor, type PushDescriptor } from './descriptors.js';
import { CorrelationRegistry } from './correlation.js';
import { declaredResponse, installJsonParsers, installErrorHandler, requestParser, routePath, sendJson, type IncomingRequest } from './http.js';
import { inputLimits, type InputLimits } from './limits.js';
import { receiveInBox, type BoxReceiver } from './message-box.js';
import { callOperation, UnexpectedResponseError, type OutboundOptions, type OutgoingRequest } from './outbound.js';
import { RuntimeProblemError } from './problem.js';
import { verifiedSecurity, type InboundSecurityOptions, type VerifiedSecurity } from './security/inbound.js';
import { securedRoutes } from './security/routes.js';
import { Validators } from './validation.js';

export interface ClientOptions extends OutboundOptions {
  /** The provider's base URL, e.g. `https://api.ente.example/rest/nome-api/v1`. */
  baseUrl: string;
  /** Headers sent with every request (e.g. `Authorization`). */
  headers?: Record<string, string>;
}

/** What a push request returns at step 2. */
export interface PushAccepted<Ack> {
  correlationId: string;
  ack: Ack;
}

/** A response as clients return it: the status narrows the body (generated types say how). */
export interface ClientResponse {
  status: number;
  body: unknown;
  /** The response headers the spec declares for this status, by their declared names. */
  headers?: Record<string, string>;
}

function withHeaders(req: OutgoingRequest, extra: Record<string, string> | undefined, more: Record<string, string> = {}): OutgoingRequest {
  return { ...req, headers: { ...extra, ...req.headers, ...more } };
}

/** Step 1-2 of a push: sends with `X-ReplyTo`, expects `202` + `X-Correlation-ID`, records the id. */
export async function sendPush(
  op: OperationDescriptor & Pick<PushDescriptor, 'replyToHeader' | 'replyTo'>,
  req: OutgoingRequest,
  replyTo: string,
  registry: CorrelationRegistry,
  options: ClientOptions,
): Promise<PushAccepted<unknown>> {
  // Recorded in the registry's store before the request leaves: a callback that overtakes the 202, at any instance, is held back, not refused.
  const done = await registry.beginSend(options.timeoutMs);
  try {
    // The callback URL goes where the spec reads it: the X-ReplyTo header, or a body field or query parameter.
    const sent = op.replyTo ? withHeaders(placeAddress(op.replyTo.address, req, replyTo), options.headers) : withHeaders(req, options.headers, { [op.replyToHeader]: replyTo });
    const res = await callOperation(options.baseUrl, op, sent, options);
    const correlationId = res.headers.get(CORRELATION_HEADER);
    if (res.status !== 202) throw new UnexpectedResponseError(op.id, res.status, res.body);
    if (!correlationId) throw new UnexpectedResponseError(op.id, res.status, { detail: `202 without ${CORRELATION_HEADER}` });
    await registry.expect(correlationId, op.id);
    return { correlationId, ack: res.body };
  } finally {
    await done();
  }
}

/**
 * A blocking call: returns the declared response that came back, as `{ status, body, headers }`
 * with the headers the spec declares for it; undeclared statuses throw.
 */
export async function sendRequest(op: OperationDescriptor, req: OutgoingRequest, options: ClientOptions): Promise<ClientResponse> {
  const res = await callOperation(options.baseUrl, op, withHeaders(req, options.headers), options);
  const declared = declaredResponse(op.responses, res.status);
  if (!declared) throw new UnexpectedResponseError(op.id, res.status, res.body);
  const out: ClientResponse = { status: res.status, body: res.body };
  if (declared.headers.length) {
    out.headers = {};
    for (const h of declared.headers) {
      const value = res.headers.get(h.name);
      if (value !== null) out.headers[h.name] = value;
    }
  }
  return out;
}

export interface CallbackContext {
  correlationId: string;
  log: FastifyBaseLogger;
  raw: FastifyRequest;
  /** What the callback's declared security established (the provider's voucher, signature, audit data). */
  security?: VerifiedSecurity;
}

/** Handles a callback's result (step 3) and returns the ACK body of the `200` (step 4). */
export type CallbackHandler<Result, Ack> = (result: Result, ctx: CallbackContext) => Ack | Promise<Ack>;

/** What a subscription's event handler gets besides the event. */
export interface EventContext {
  /** The id the provider gave this event (its `X-Correlation-ID`), the same on every retry of it. */
  eventId?: string;
  /** The bearer token the event came with (the credential the subscriber gave), to check. */
  token?: string;
  log: FastifyBaseLogger;
  raw: FastifyRequest;
}

/** Handles one event of a subscription; returns the body of the callback's declared success answer (`undefined` for a 204). */
export type EventHandler<Event, Ack> = (event: Event, ctx: EventContext) => Ack | Promise<Ack>;

export interface CallbackDefinition {
  defs: Record<string, JsonSchema>;
  /**
   * The operations the consumer exposes for callbacks; `path` is relative to the plugin prefix.
   * `events`: a subscription's callback, which receives any number of events and no CorrelationID of ours.
   */
  /** `correlationParameter`: the query parameter that carries the CorrelationID instead of the `X-Correlation-ID` header. */
  callbacks: (OperationDescriptor & { events?: boolean; correlationParameter?: string })[];
}

export interface CallbackOptions {
  /**
   * How long an unknown CorrelationID may wait for its 202 to be read (default 2 s), here or at
   * another instance sharing the registry's store; then, while requests are still on their way,
   * it is answered 503 + `Retry-After` (a SOAP Receiver fault), and 404 once none is.
   */
  unknownGraceMs?: number;
  /** Bounds on what is read of a callback besides its size: nesting depth, XML attributes and namespaces (docs/security.md). */
  limits?: Partial<InputLimits>;
  /**
   * The checks of the security the callbacks declare (the provider's voucher or signature;
   * docs/security.md). Required when a callback declares some; `false` when a gateway checks it.
   * ID_AUTH_REST_02 keeps its jti records in the registry's store.
   */
  security?: InboundSecurityOptions | false;
  /** The message box: callbacks of the operations it holds are stored there and acknowledged, not handed to a handler (docs/delivery.md). */
  messageBox?: BoxReceiver;
}

/**
 * Registers the consumer's callback endpoints: each validates the callback, checks that its
 * CorrelationID is one of ours (404 otherwise), runs the handler once per CorrelationID, and
 * answers `200` + ACK. A repeated callback gets the same ACK without running the handler again.
 */
export async function registerCallbacks(app: FastifyInstance, def: CallbackDefinition, handlers: object, registry: CorrelationRegistry, options: CallbackOptions = {}): Promise<void> {
  const validators = new Validators(def.defs);
  installErrorHandler(app);
  installJsonParsers(app, def.callbacks, inputLimits(options.limits));
  const secured = await securedRoutes(def.callbacks, options.security, async () => registry.store);
  for (const op of def.callbacks) {
    const box = !op.events && options.messageBox?.holds(op.id) ? options.messageBox : undefined;
    const handler = (handlers as Record<string, unknown>)[op.handler] as CallbackHandler<unknown, unknown> | undefined;
    if (!handler && !box) throw new Error(`no handler for callback ${op.id} (expected handlers.${op.handler}, or a messageBox that holds ${op.id})`);
    const parse = requestParser(validators, op);
    if (op.events) {
      app.route({ method: op.method, url: routePath(op.path).url, handler: eventRoute(op, parse, handler! as EventHandler<unknown, unknown>) });
      continue;
    }
    const ok = declaredResponse(op.responses, 200);
    app.route({
      ...secured(op.security),
      method: op.method,
      url: routePath(op.path).url,
      handler: async (req, reply) => {
        const request: IncomingRequest = parse(req);
        // A callback carries the result: one without the declared body has nothing to hand over.
        if (op.body && request.body === undefined) throw new RuntimeProblemError('request-invalid', 'callback body is required');
        const correlationId = op.correlationParameter ? (req.query as Record<string, unknown>)[op.correlationParameter] : req.headers[CORRELATION_HEADER.toLowerCase()];
        if (typeof correlationId !== 'string' || correlationId.length === 0)
          throw new RuntimeProblemError('correlation-missing', `missing ${op.correlationParameter ? `query parameter ${op.correlationParameter}` : `${CORRELATION_HEADER} header`}`);
        const known = await registry.recognise(correlationId, options.unknownGraceMs);
        if (known === 'unknown') throw new RuntimeProblemError('correlation-unknown', `unknown CorrelationID ${JSON.stringify(correlationId)}`);
        // It may belong to a request whose 202 is still on its way (here or at another instance): the provider tries again.
        if (known === 'later') throw new RuntimeProblemError('correlation-pending', `CorrelationID ${JSON.stringify(correlationId)} is not known yet; try again later`, { 'retry-after': '1' });
        const security = verifiedSecurity(req);
        const ctx: CallbackContext = { correlationId, log: req.log.child({ correlationId }), raw: req, ...(security ? { security } : {}) };
        if (box) {
          const stored = await receiveInBox(box, registry, op.id, correlationId, request.body);
          if (!stored) throw new RuntimeProblemError('callback-in-progress', `callback for CorrelationID ${JSON.stringify(correlationId)} is being stored; try again later`, { 'retry-after': '5' });
          return sendJson(reply, 200, stored.ack, {}, ok?.mediaTypes[0]);
        }
        if (!(await registry.claim(correlationId))) {
          const done = await registry.acknowledged(correlationId);
          if (!done) {
            // 503, not 409: CART treats 409 as final, and this callback is not handled yet.
            reply.header('retry-after', '5');
            throw new RuntimeProblemError('callback-in-progress', `callback for CorrelationID ${JSON.stringify(correlationId)} is being handled; try again later`);
          }
          ctx.log.info('repeated callback acknowledged again, handler not run');
          return sendJson(reply, 200, done.ack, {}, ok?.mediaTypes[0]);
        }
        let ack: unknown;
        try {
          ack = await handler!(request.body, ctx);
        } catch (e) {
          await registry.release(correlationId);
          throw e;
        }
        await registry.complete(correlationId, request.body, ack);
        return sendJson(reply, 200, ack, {}, ok?.mediaTypes[0]);
      },
    });
  }
}

/**
 * A subscription's callback: validates the event (CloudEvents' `application/cloudevents+json` is
 * JSON where the spec declares it), runs the handler and answers the callback's declared success
 * status (CAMARA: 204). Every event is handed over: the provider numbers them, and a retried one
 * keeps its `X-Correlation-ID` (`ctx.eventId`) for the handler to recognise.
 */
function eventRoute(op: OperationDescriptor, parse: (req: FastifyRequest) => IncomingRequest, handler: EventHandler<unknown, unknown>) {
  const success = op.responses.find((r) => /^2\d\d$/.test(r.status)) ?? op.responses.find((r) => r.status === '2XX');
  const status = success && /^\d{3}$/.test(success.status) ? Number(success.status) : 204;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const request = parse(req);
    if (op.body?.required && request.body === undefined) throw new RuntimeProblemError('request-invalid', 'event body is required');
    const eventId = req.headers[CORRELATION_HEADER.toLowerCase()];
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const ctx: EventContext = {
      ...(typeof eventId === 'string' && eventId ? { eventId } : {}),
      ...(auth ? { token: auth[1] } : {}),
      log: req.log.child(typeof eventId === 'string' ? { eventId } : {}),
      raw: req,
    };
    const ack = await handler(request.body, ctx);
    if (status === 204 || !success?.mediaTypes.length) return reply.code(status).send();
    return sendJson(reply, status, ack, {}, success.mediaTypes[0]);
  };
}
