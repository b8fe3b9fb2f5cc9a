/**
 * NONBLOCK_PUSH, whatever the binding: accept (the callback URL checked, the CorrelationID
 * chosen, the ACK built) → store → worker (process once) → deliver the callback (retried by the
 * rules of delivery.ts). A binding reads the request and the `X-ReplyTo` carrier (an HTTP header,
 * a SOAP header part), answers the ACK with the CorrelationID in its own form, and brings the
 * push job that sends its callbacks (codecs/json.ts, codecs/soap.ts).
 */
import type { FastifyBaseLogger } from 'fastify';
import { newStoredId } from '../ids.js';
import { ProblemError, RuntimeProblemError } from '../problem.js';
import { checkReplyTo, type ReplyToPolicy } from '../reply-to.js';
import type { VerifiedSecurity } from '../security/inbound.js';
import { withSecurity } from '../security/stored.js';
import type { ProcessContext } from '../worker.js';
import { childLogOnUse, storeTask, type TaskRuntime } from './tasks.js';

export interface PushContext {
  correlationId: string;
  replyTo: string;
  log: FastifyBaseLogger;
  /** What the operation's declared security established (as a blocking handler's context has it). */
  security?: VerifiedSecurity;
}

/**
 * A push operation's handler: `acknowledge` builds the ACK (step 2); `process` computes the
 * result that the runtime sends to `X-ReplyTo` (step 3) after the ACK is sent.
 */
export interface PushHandler<Req, Ack, Result> {
  acknowledge(request: Req, ctx: PushContext): Ack | Promise<Ack>;
  /**
   * Runs once per accepted request, after the request is stored and the ACK sent, possibly in
   * another instance or after a restart; its result is stored before the callback is sent.
   */
  process(request: Req, ctx: ProcessContext): Result | Promise<Result>;
}

export interface PushAcceptOptions<Req> {
  replyTo?: ReplyToPolicy;
  /** Supplies the CorrelationID (default: a random UUID). */
  correlationId?: (operationId: string, request: Req) => string | Promise<string>;
  /**
   * Checks the ACK the handler built against the declared response (the binding's response
   * validation): returns why it breaks the spec, or `undefined`. A broken ACK accepts nothing.
   */
  checkAck?: (ack: unknown) => string | undefined;
  /** The request's verified security: given to `acknowledge`, and kept with the task for `process`. */
  security?: VerifiedSecurity;
}

/** What `acceptPush` gives the binding to answer: the stored request's ACK, or why the handler's ACK was refused. */
export type PushAcceptance = { correlationId: string; ack: unknown; broken?: undefined } | { broken: string };

/**
 * Steps 1-2 up to the ACK: checks the callback URL, picks the CorrelationID, builds the ACK,
 * checks it (`checkAck`) and stores the request before the ACK is sent (the ACK is a promise to
 * deliver). An ACK that breaks the spec is checked before anything is stored: the result says why
 * (`broken`), and the binding answers a 500 that says no more and logs the handler. Refusals are
 * ProblemErrors, which each binding answers in its own form: 400 (no or unusable callback URL),
 * 409 (CorrelationID taken), 503 with `Retry-After` (store or resolver unavailable).
 */
export async function acceptPush<Req>(
  tasks: TaskRuntime,
  operation: string,
  request: Req,
  /** The callback URL as the request carried it: its name, where it travels (`header`, `SOAP header`), its value. */
  carrier: { name: string; where: string; value: unknown },
  handler: PushHandler<Req, unknown, unknown>,
  log: FastifyBaseLogger,
  options: PushAcceptOptions<Req>,
): Promise<PushAcceptance> {
  const replyTo = carrier.value;
  if (typeof replyTo !== 'string' || replyTo.length === 0) throw new RuntimeProblemError('reply-address-missing', `missing ${carrier.name} ${carrier.where}`);
  await checkReplyTo(replyTo, carrier.name, options.replyTo).catch((e: unknown) => {
    if (e instanceof ProblemError && e.problem.status === 503) throw new RuntimeProblemError('reply-address-unverifiable', e.problem.detail, RETRY_LATER);
    throw e;
  });
  const correlationId = options.correlationId ? await options.correlationId(operation, request) : newStoredId();
  const { security } = options;
  const taskLog = childLogOnUse(log, { correlationId });
  const ctx: PushContext = {
    correlationId,
    replyTo,
    get log() {
      return taskLog();
    },
  };
  if (security) ctx.security = security;
  const ack = await handler.acknowledge(request, ctx);
  const broken = options.checkAck?.(ack);
  if (broken !== undefined) return { broken };
  const refused = await storeTask(tasks, { kind: 'push', id: correlationId, operation, request, replyTo, meta: security ? withSecurity({}, security) : undefined }, taskLog);
  if (refused === 'unavailable') throw new RuntimeProblemError('store-unavailable', 'the request could not be taken in charge; try again later', RETRY_LATER);
  if (refused === 'duplicate') throw new RuntimeProblemError('duplicate', `a request with CorrelationID ${JSON.stringify(correlationId)} was already accepted`);
  return { correlationId, ack };
}

/** What a refusal that may pass tells the caller: come back in a few seconds. */
export const RETRY_LATER = { 'retry-after': '5' };
