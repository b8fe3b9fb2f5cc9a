import type { FastifyBaseLogger } from 'fastify';
import { CORRELATION_HEADER, type OperationDescriptor } from './descriptors.js';
import { declaredResponse } from './http.js';
import { send, type OutboundOptions } from './outbound.js';
import { refusalOf, urlRefusal, type ReplyToPolicy } from './reply-to.js';
import type { Validators } from './validation.js';

/** When and how often a failed callback is tried again (CART rules: only temporary failures). */
export interface RetryPolicy {
  /** Attempts in all, the first included (default: no limit; the retention period ends them). */
  maxAttempts: number;
  /** First backoff in ms (default 1 s), doubled each time up to `maxDelayMs` (default 15 min), with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout in ms (default 30 s). */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, timeoutMs: 30_000 };

/** 429 "too many requests", 502, 503, 504 and network failures are temporary; the rest are final. */
export function isTemporary(status: number | undefined): boolean {
  return status === undefined || status === 429 || status === 502 || status === 503 || status === 504;
}

/**
 * Milliseconds to wait before attempt `attempt + 1`. A `Retry-After` from the peer (seconds or
 * an HTTP date) wins; otherwise exponential backoff with jitter in [cap/2, cap].
 */
export function backoff(policy: RetryPolicy, attempt: number, retryAfter?: string | null, now = Date.now(), random = Math.random): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = retryAfter.trim() !== '' && Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms)) return Math.max(0, Math.round(ms));
  }
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export interface CallbackDelivery {
  url: string;
  correlationId: string;
  callback: OperationDescriptor;
  body: unknown;
}

/** How a callback ended, as `onDelivery` reports it. */
export type DeliveryOutcome =
  | { state: 'delivered'; status: number; attempts: number; ack: unknown }
  | { state: 'dead'; status?: number; attempts: number; reason: string; lastBody?: unknown }
  | { state: 'expired'; status?: number; attempts: number; reason: string; lastBody?: unknown };

/** What one attempt came to. */
export type AttemptResult =
  | { kind: 'delivered'; status: number; ack: unknown }
  | { kind: 'temporary'; status?: number; body?: unknown; retryAfter?: string | null; reason: string }
  | { kind: 'permanent'; status?: number; body?: unknown; reason: string };

export interface AttemptOptions {
  timeoutMs: number;
  outbound: OutboundOptions;
  replyTo: ReplyToPolicy;
  /** Redirects (307/308 only) followed within one attempt, each target checked (default 3). */
  maxRedirects?: number;
}

/**
 * Sends a callback once (step 3) and reads the consumer's acknowledgement (step 4). A 307/308
 * redirect is followed only to a target the policy accepts (the connection itself is checked
 * again by the guarded fetch); other redirects would turn the POST into a GET and are final.
 * Throws only when `outbound.signal` aborted it (shutdown): that attempt does not count.
 */
export async function attemptCallback(delivery: CallbackDelivery, validators: Validators, log: FastifyBaseLogger, options: AttemptOptions): Promise<AttemptResult> {
  const { callback } = delivery;
  const headers: Record<string, string> = { [CORRELATION_HEADER.toLowerCase()]: delivery.correlationId, 'content-type': callback.body?.mediaTypes[0] ?? 'application/json' };
  let url = delivery.url;
  for (let hop = 0; ; hop++) {
    let res;
    try {
      res = await send(callback.method, url, { ...headers }, delivery.body, { ...options.outbound, timeoutMs: options.timeoutMs });
    } catch (e) {
      if (options.outbound.signal?.aborted) throw e;
      const refused = refusalOf(e);
      if (refused) return { kind: 'permanent', reason: `callback target refused: ${refused.reason}` };
      const cause = (e as { cause?: { message?: string; code?: string } }).cause;
      if ((e as Error).name === 'TimeoutError') return { kind: 'temporary', reason: 'timeout' };
      return { kind: 'temporary', reason: `network error: ${cause?.code ?? cause?.message ?? (e as Error).message}` };
    }
    const { status, body } = res;
    if (status >= 200 && status < 300) {
      const declared = declaredResponse(callback.responses, status);
      if (declared?.schema && !validators.compile(declared.schema)(body)) {
        log.warn({ correlationId: delivery.correlationId, status }, 'callback acknowledged with an ACK that does not match its schema');
      }
      return { kind: 'delivered', status, ack: body };
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
      url = next.href;
      continue;
    }
    if (status === 429 && isLimitExceeded(body)) return { kind: 'permanent', status, body, reason: 'HTTP 429 limit exceeded' };
    if (isTemporary(status)) return { kind: 'temporary', status, body, retryAfter: res.headers.get('retry-after'), reason: `HTTP ${status}` };
    return { kind: 'permanent', status, body, reason: `HTTP ${status}` };
  }
}

/** CART: a 429 whose problem says the quota is exhausted ("limit exceeded") is not retried. */
function isLimitExceeded(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const text = `${(body as { title?: unknown }).title ?? ''} ${(body as { detail?: unknown }).detail ?? ''}`;
  return /limit\s*exceeded/i.test(text);
}
