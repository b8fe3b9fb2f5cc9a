import type { FastifyBaseLogger } from 'fastify';
import { CORRELATION_HEADER, type OperationDescriptor } from './descriptors.js';
import { declaredResponse } from './http.js';
import { send, type OutboundOptions } from './outbound.js';
import type { Validators } from './validation.js';

/** When and how often a failed callback is tried again (CART rules: only temporary failures). */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 8). */
  maxAttempts: number;
  /** First backoff in ms (default 500), doubled each time up to `maxDelayMs` (default 60 s), with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout in ms (default 30 s). */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 60_000, timeoutMs: 30_000 };

/** 429 "too many requests", 502, 503, 504 and network failures are temporary; the rest are final. */
export function isTemporary(status: number | undefined): boolean {
  return status === undefined || status === 429 || status === 502 || status === 503 || status === 504;
}

/** Milliseconds to wait before attempt `attempt + 1`, honouring `Retry-After` when the peer sent one. */
export function backoff(policy: RetryPolicy, attempt: number, retryAfter?: string | null, random = Math.random): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, policy.maxDelayMs);
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

export type DeliveryOutcome =
  | { state: 'delivered'; status: number; attempts: number; ack: unknown }
  | { state: 'dead'; status?: number; attempts: number; reason: string; lastBody?: unknown };

/**
 * Sends a callback (step 3) and reads the consumer's acknowledgement (step 4): a declared 2xx
 * with a valid ACK ends it; temporary failures are retried with backoff; anything else is final.
 */
export async function deliverCallback(
  delivery: CallbackDelivery,
  validators: Validators,
  log: FastifyBaseLogger,
  policy: RetryPolicy = DEFAULT_RETRY,
  outbound: OutboundOptions = {},
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<DeliveryOutcome> {
  const { callback } = delivery;
  const headers: Record<string, string> = { [CORRELATION_HEADER.toLowerCase()]: delivery.correlationId, 'content-type': callback.body?.mediaTypes[0] ?? 'application/json' };
  for (let attempt = 1; ; attempt++) {
    let status: number | undefined;
    let retryAfter: string | null = null;
    let lastBody: unknown;
    let reason: string;
    try {
      const res = await send(callback.method, delivery.url, { ...headers }, delivery.body, { ...outbound, timeoutMs: policy.timeoutMs });
      status = res.status;
      lastBody = res.body;
      retryAfter = res.headers.get('retry-after');
      if (status >= 200 && status < 300) {
        const declared = declaredResponse(callback.responses, status);
        if (declared?.schema && !validators.compile(declared.schema)(res.body)) {
          log.warn({ correlationId: delivery.correlationId, status }, 'callback acknowledged with an ACK that does not match its schema');
        }
        return { state: 'delivered', status, attempts: attempt, ack: res.body };
      }
      reason = `HTTP ${status}`;
      if (status === 429 && isLimitExceeded(res.body)) return { state: 'dead', status, attempts: attempt, reason: 'HTTP 429 limit exceeded', lastBody };
    } catch (e) {
      reason = (e as Error).name === 'TimeoutError' ? 'timeout' : `network error: ${(e as Error).message}`;
    }
    if (!isTemporary(status) || attempt >= policy.maxAttempts) {
      return { state: 'dead', status, attempts: attempt, reason, lastBody };
    }
    const wait = backoff(policy, attempt, retryAfter);
    log.info({ correlationId: delivery.correlationId, attempt, reason, retryInMs: wait }, 'callback delivery failed, retrying');
    await sleep(wait);
  }
}

/** CART: a 429 whose problem says the quota is exhausted ("limit exceeded") is not retried. */
function isLimitExceeded(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const text = `${(body as { title?: unknown }).title ?? ''} ${(body as { detail?: unknown }).detail ?? ''}`;
  return /limit\s*exceeded/i.test(text);
}
