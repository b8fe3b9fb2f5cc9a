import type { OutboundOptions } from './outbound.js';
import { refusalOf, type ReplyToPolicy } from './reply-to.js';

/** When and how often a failed callback is tried again (CART rules: only temporary failures). */
export interface RetryPolicy {
  /**
   * Attempts in all, the first included (default 500: with the default backoff, about the 5 days
   * of the retention period); the last temporary failure then makes a dead letter.
   */
  maxAttempts: number;
  /** First backoff in ms (default 1 s), doubled each time up to `maxDelayMs` (default 15 min), with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * The shortest wait between two attempts of one message, whatever `Retry-After` says (default
   * 1 s): a target answering `Retry-After: 0` gets one attempt a second, not a tight loop.
   */
  minDelayMs: number;
  /** Per-attempt timeout in ms (default 30 s): connecting, sending and reading the answer. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 500, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, minDelayMs: 1000, timeoutMs: 30_000 };

/** 429 "too many requests", 502, 503, 504 and network failures are temporary; the rest are final. */
export function isTemporary(status: number | undefined): boolean {
  return status === undefined || status === 429 || status === 502 || status === 503 || status === 504;
}

/**
 * Milliseconds to wait before attempt `attempt + 1`. A `Retry-After` from the peer (seconds or
 * an HTTP date) wins, held between `minDelayMs` and `maxDelayMs` (a peer can neither make a
 * tight loop nor park a message past the backoff's cap); otherwise exponential backoff with
 * jitter in [cap/2, cap], never under `minDelayMs`.
 */
export function backoff(policy: RetryPolicy, attempt: number, retryAfter?: string | null, now = Date.now(), random = Math.random): number {
  const floor = Math.max(0, Math.min(policy.minDelayMs, policy.maxDelayMs));
  const bounded = (ms: number) => Math.round(Math.min(policy.maxDelayMs, Math.max(floor, ms)));
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = retryAfter.trim() !== '' && Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms)) return bounded(ms);
  }
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return bounded(cap / 2 + (random() * cap) / 2);
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
  /** Bytes of the target's answer read at most (an ACK longer than this fails the attempt, see `classifyAnswer`). */
  maxAnswerBytes?: number;
  outbound: OutboundOptions;
  replyTo: ReplyToPolicy;
  /** Redirects (307/308 only) followed within one attempt, each target checked (default 3). */
  maxRedirects?: number;
}

/**
 * What a callback's answer means for trying again, for both bindings (docs/delivery.md, "Which
 * failures are retried"): a SOAP Fault decides by its code (Receiver/Server: the consumer failed,
 * temporary; Sender/Client and the others: the message is wrong, permanent), like an HTTP 5xx
 * against a 4xx; otherwise the status decides (CART: 429, 502, 503, 504 temporary, unless a 429
 * says its limit is exceeded). Redirects are the binding's to follow before this is asked.
 */
export function classifyAnswer(answer: {
  status: number;
  body?: unknown;
  retryAfter?: string | null;
  /** The Fault code of a SOAP answer that is a Fault. */
  fault?: { code: string; reason: string };
  /** A 429 whose body says the quota is exhausted (CART "limit exceeded"): not retried. */
  limitExceeded?: boolean;
  /** The body was longer than `maxAnswerBytes` and was not read. */
  oversize?: boolean;
}): AttemptResult {
  const { status, body } = answer;
  // An ACK is small (its schema's size): a longer one is a broken or hostile consumer, and sending again will not shorten it.
  if (status >= 200 && status < 300 && answer.oversize) return { kind: 'permanent', status, reason: `HTTP ${status} with an answer over the size limit (not read)` };
  if (answer.fault) {
    const reason = `SOAP Fault ${answer.fault.code}: ${answer.fault.reason}`;
    // SOAP 1.1 writes Server (and dotted subcodes such as Server.Busy); SOAP 1.2 writes Receiver.
    if (/^(Receiver|Server)(\.|$)/.test(answer.fault.code)) return { kind: 'temporary', status, body, retryAfter: answer.retryAfter, reason };
    return { kind: 'permanent', status, body, reason };
  }
  if (status >= 200 && status < 300) return { kind: 'delivered', status, ack: body };
  if (status === 429 && answer.limitExceeded) return { kind: 'permanent', status, body, reason: 'HTTP 429 limit exceeded' };
  if (isTemporary(status)) return { kind: 'temporary', status, body, retryAfter: answer.retryAfter, reason: `HTTP ${status}` };
  return { kind: 'permanent', status, body, reason: `HTTP ${status}` };
}

/** Characters of a failed attempt's answer kept with the task (`lastResponse`) at most (default). */
export const RESPONSE_EXCERPT_CHARS = 4096;

/**
 * What is stored of a failed attempt's answer: the body itself when short, else the beginning of
 * its text with a note, so a dead letter shows what the target said without storing all of it.
 */
export function responseExcerpt(body: unknown, maxChars = RESPONSE_EXCERPT_CHARS): unknown {
  if (body === undefined || body === null) return body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (text.length <= maxChars) return body;
  return { excerpt: text.slice(0, maxChars), truncated: true, length: text.length };
}

/**
 * An attempt that got no answer: a target the X-ReplyTo policy refused at connect time is
 * permanent; a timeout or a network error is temporary. Rethrows when the shutdown aborted it
 * (that attempt does not count).
 */
export function unanswered(e: unknown, options: AttemptOptions): AttemptResult {
  if (options.outbound.signal?.aborted) throw e;
  const refused = refusalOf(e);
  if (refused) return { kind: 'permanent', reason: `callback target refused: ${refused.reason}` };
  if ((e as Error).name === 'TimeoutError') return { kind: 'temporary', reason: 'timeout' };
  // fetch wraps the socket's error in a TypeError's `cause`; a dispatcher's `request` throws it as is.
  const cause = (e as { cause?: { message?: string; code?: string } }).cause;
  return { kind: 'temporary', reason: `network error: ${cause?.code ?? (e as { code?: string }).code ?? cause?.message ?? (e as Error).message}` };
}
