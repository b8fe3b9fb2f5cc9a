/**
 * The JSON binding's part in the push and pull engines: its callbacks are JSON requests
 * validated against the spec, its errors problem+json (ProblemError).
 */
import type { FastifyBaseLogger } from 'fastify';
import { classifyAnswer, unanswered, type AttemptOptions, type AttemptResult } from '../delivery.js';
import { CORRELATION_HEADER, type OperationDescriptor, type PushDescriptor } from '../descriptors.js';
import { declaredResponse, validationProblem } from '../http.js';
import { send } from '../outbound.js';
import { ProblemError } from '../problem.js';
import { urlRefusal } from '../reply-to.js';
import type { Validators } from '../validation.js';
import type { PushJob } from '../worker.js';

export interface CallbackDelivery {
  url: string;
  correlationId: string;
  callback: OperationDescriptor;
  body: unknown;
  /** Headers sent besides the CorrelationID and the Content-Type (a subscription's `Authorization`). */
  headers?: Record<string, string>;
  /** The query parameter that carries the CorrelationID instead of the `X-Correlation-ID` header. */
  correlationParameter?: string;
}

/** The push job of a JSON operation: its callback is a JSON request validated against the spec. */
export function jsonPushJob(op: PushDescriptor, process: PushJob['process'], validators: Validators): PushJob {
  const schema = op.callback.body?.schema;
  const validate = schema ? validators.compile(schema) : undefined;
  return {
    kind: 'push',
    process,
    checkResult: (result) => {
      if (validate && !validate(result)) throw validationProblem('callback body', validate.errors ?? []);
    },
    attempt: (d, options, log) =>
      attemptCallback(
        { ...d, body: d.body === null && !op.callback.body ? undefined : d.body, callback: op.callback, ...(op.correlationParameter ? { correlationParameter: op.correlationParameter } : {}) },
        validators,
        log,
        options,
      ),
  };
}

/** What a failed pull handler leaves on its task: a ProblemError's detail, never internals. */
export function jsonFailure(error: unknown): string {
  return error instanceof ProblemError ? (error.problem.detail ?? error.problem.title) : 'the request could not be processed';
}

/**
 * Sends a callback once (step 3) and reads the consumer's acknowledgement (step 4). A 307/308
 * redirect is followed only to a target the policy accepts (the connection itself is checked
 * again by the guarded fetch); other redirects would turn the POST into a GET and are final.
 * Throws only when `outbound.signal` aborted it (shutdown): that attempt does not count.
 */
export async function attemptCallback(delivery: CallbackDelivery, validators: Validators, log: FastifyBaseLogger, options: AttemptOptions): Promise<AttemptResult> {
  const { callback } = delivery;
  const carried = delivery.correlationParameter ? {} : { [CORRELATION_HEADER.toLowerCase()]: delivery.correlationId };
  const headers: Record<string, string> = { ...delivery.headers, ...carried, 'content-type': callback.body?.mediaTypes[0] ?? 'application/json' };
  let url = delivery.url;
  if (delivery.correlationParameter) {
    // Added to the query the callback address already has (the WHATWG URL keeps the rest as it was).
    const withId = new URL(url);
    withId.searchParams.set(delivery.correlationParameter, delivery.correlationId);
    url = withId.href;
  }
  for (let hop = 0; ; hop++) {
    let res;
    try {
      res = await send(callback.method, url, { ...headers }, delivery.body, { ...options.outbound, timeoutMs: options.timeoutMs, maxBodyBytes: options.maxAnswerBytes }, callback.security);
    } catch (e) {
      return unanswered(e, options);
    }
    const { status, body } = res;
    if (status >= 200 && status < 300) {
      const declared = declaredResponse(callback.responses, status);
      if (declared?.schema && !validators.compile(declared.schema)(body)) {
        log.warn({ correlationId: delivery.correlationId, status }, 'callback acknowledged with an ACK that does not match its schema');
      }
    }
    if (status >= 300 && status < 400) {
      const location = res.headers.get('location');
      if ((status !== 307 && status !== 308) || !location) return { kind: 'permanent', status, body, reason: `HTTP ${status} redirect not followed` };
      if (hop >= (options.maxRedirects ?? 3)) return { kind: 'permanent', status, body, reason: 'too many redirects' };
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return { kind: 'permanent', status, body, reason: `HTTP ${status} redirect to an invalid URL` };
      }
      const why = urlRefusal(next, options.replyTo);
      if (why) return { kind: 'permanent', status, body, reason: `HTTP ${status} redirect to a refused target: ${why}` };
      // A credential is for the address the subscriber gave: it does not follow a redirect elsewhere.
      if (next.origin !== new URL(url).origin) delete headers.authorization;
      url = next.href;
      continue;
    }
    return classifyAnswer({ status, body, retryAfter: res.headers.get('retry-after'), limitExceeded: isLimitExceeded(body), oversize: res.oversize });
  }
}

/** CART: a 429 whose problem says the quota is exhausted ("limit exceeded") is not retried. */
function isLimitExceeded(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const text = `${(body as { title?: unknown }).title ?? ''} ${(body as { detail?: unknown }).detail ?? ''}`;
  return /limit\s*exceeded/i.test(text);
}
