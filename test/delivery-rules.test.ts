// docs/delivery.md, "Which failures are retried", row by row against classifyAnswer, unanswered,
// backoff and the defaults: the table the worker applies to REST and SOAP callbacks alike.
import { describe, expect, it } from 'vitest';
import { backoff, classifyAnswer, DEFAULT_RETRY, isTemporary, RESPONSE_EXCERPT_CHARS, responseExcerpt, unanswered, type AttemptOptions } from '../src/runtime/delivery.js';
import { ReplyToRefusedError } from '../src/runtime/reply-to.js';

const options: AttemptOptions = { timeoutMs: 1000, outbound: {}, replyTo: {} };

describe('what an answer means (docs/delivery.md table)', () => {
  it.each([200, 201, 202, 204, 299])('%i: delivered, the ACK kept', (status) => {
    expect(classifyAnswer({ status, body: { ok: 1 } })).toEqual({ kind: 'delivered', status, ack: { ok: 1 } });
  });

  it.each([429, 502, 503, 504])('%i: retried, with its Retry-After', (status) => {
    expect(classifyAnswer({ status, body: 'b', retryAfter: '7' })).toEqual({ kind: 'temporary', status, body: 'b', retryAfter: '7', reason: `HTTP ${status}` });
    expect(isTemporary(status)).toBe(true);
  });

  it.each([199, 300, 302, 304, 307, 400, 401, 403, 404, 409, 410, 422, 428, 430, 500, 501, 505, 511])('%i: a dead letter after one try, last response kept', (status) => {
    expect(classifyAnswer({ status, body: 'last', retryAfter: '7' })).toEqual({ kind: 'permanent', status, body: 'last', reason: `HTTP ${status}` });
    expect(isTemporary(status)).toBe(false);
  });

  it('429 "limit exceeded": a dead letter; a plain 429 is retried', () => {
    expect(classifyAnswer({ status: 429, body: 'q', limitExceeded: true })).toEqual({ kind: 'permanent', status: 429, body: 'q', reason: 'HTTP 429 limit exceeded' });
    expect(classifyAnswer({ status: 429, limitExceeded: false }).kind).toBe('temporary');
    // The flag is about 429 only: a 503 whose body speaks of a limit is still temporary.
    expect(classifyAnswer({ status: 503, limitExceeded: true }).kind).toBe('temporary');
  });

  it.each([
    ['Receiver', 'temporary'],
    ['Server', 'temporary'],
    ['Server.Busy', 'temporary'],
    ['Server.Busy.Later', 'temporary'],
    ['Sender', 'permanent'],
    ['Client', 'permanent'],
    ['Client.Auth', 'permanent'],
    ['VersionMismatch', 'permanent'],
    ['MustUnderstand', 'permanent'],
    ['DataEncodingUnknown', 'permanent'],
    ['ServerBusy', 'permanent'],
    ['Receivers', 'permanent'],
    ['x.Server', 'permanent'],
  ])('a SOAP Fault %s, whatever the HTTP status: %s', (code, kind) => {
    for (const status of [500, 503, 400]) {
      const r = classifyAnswer({ status, body: '<Fault/>', retryAfter: '3', fault: { code, reason: 'why' } });
      expect(r, `${code} with HTTP ${status}`).toEqual(
        kind === 'temporary' ? { kind, status, body: '<Fault/>', retryAfter: '3', reason: `SOAP Fault ${code}: why` } : { kind, status, body: '<Fault/>', reason: `SOAP Fault ${code}: why` },
      );
    }
  });

  it('a Fault inside a 2xx is classified by its code, like any other Fault', () => {
    expect(classifyAnswer({ status: 200, body: 'x', fault: { code: 'Sender', reason: 'r' } })).toMatchObject({ kind: 'permanent' });
    expect(classifyAnswer({ status: 200, body: 'x', fault: { code: 'Receiver', reason: 'r' } })).toMatchObject({ kind: 'temporary' });
  });

  it('an answer over maxAnswerBytes: a 2xx (199 < status < 300) is a dead letter; any other status is classified as without it', () => {
    for (const status of [200, 201, 299]) {
      expect(classifyAnswer({ status, oversize: true })).toEqual({ kind: 'permanent', status, reason: `HTTP ${status} with an answer over the size limit (not read)` });
    }
    // Not a 2xx: its status decides, as for any answer (a long 503 page is retried).
    expect(classifyAnswer({ status: 503, oversize: true })).toEqual({ kind: 'temporary', status: 503, retryAfter: undefined, reason: 'HTTP 503' });
    expect(classifyAnswer({ status: 300, oversize: true })).toEqual({ kind: 'permanent', status: 300, reason: 'HTTP 300' });
    expect(classifyAnswer({ status: 199, oversize: true })).toEqual({ kind: 'permanent', status: 199, reason: 'HTTP 199' });
  });

  it('what a failing target answered is kept whole up to 4096 characters, as an excerpt beyond', () => {
    const text = (n: number) => 'x'.repeat(n);
    expect(RESPONSE_EXCERPT_CHARS).toBe(4096);
    expect(responseExcerpt(text(4096))).toBe(text(4096));
    expect(responseExcerpt(text(4097))).toEqual({ excerpt: text(4096), truncated: true, length: 4097 });
    const object = { detail: text(5000) };
    expect(responseExcerpt(object)).toEqual({ excerpt: JSON.stringify(object).slice(0, 4096), truncated: true, length: JSON.stringify(object).length });
    expect(responseExcerpt({ detail: 'short' })).toEqual({ detail: 'short' });
    expect(responseExcerpt(null)).toBeNull();
    expect(responseExcerpt(undefined)).toBeUndefined();
  });

  it('a network failure is temporary: isTemporary(undefined)', () => {
    expect(isTemporary(undefined)).toBe(true);
  });
});

describe('an attempt with no answer', () => {
  it('a timeout is temporary', () => {
    expect(unanswered(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), options)).toEqual({ kind: 'temporary', reason: 'timeout' });
  });

  it('a network error is temporary, named by its cause code, else its message', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } });
    expect(unanswered(refused, options)).toEqual({ kind: 'temporary', reason: 'network error: ECONNREFUSED' });
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { message: 'other side closed' } });
    expect(unanswered(reset, options)).toEqual({ kind: 'temporary', reason: 'network error: other side closed' });
    expect(unanswered(new TypeError('fetch failed'), options)).toEqual({ kind: 'temporary', reason: 'network error: fetch failed' });
  });

  it('a target the X-ReplyTo policy refused at connect time is a dead letter', () => {
    const e = Object.assign(new TypeError('fetch failed'), { cause: new ReplyToRefusedError('rebind.example', 'resolves to a linkLocal address') });
    expect(unanswered(e, options)).toEqual({ kind: 'permanent', reason: 'callback target refused: resolves to a linkLocal address' });
  });

  it('an attempt the shutdown aborted is not an attempt: rethrown', () => {
    const shutdown = new AbortController();
    shutdown.abort();
    const e = new DOMException('aborted', 'AbortError');
    expect(() => unanswered(e, { ...options, outbound: { signal: shutdown.signal } })).toThrow(e);
    expect(unanswered(e, { ...options, outbound: { signal: new AbortController().signal } })).toMatchObject({ kind: 'temporary' });
  });
});

describe('backoff', () => {
  // No floor here: the floor (minDelayMs) has its own test below.
  const policy = { ...DEFAULT_RETRY, baseDelayMs: 1000, maxDelayMs: 8000, minDelayMs: 0 };

  it('doubles from baseDelayMs up to maxDelayMs, with jitter in [cap/2, cap]', () => {
    const caps = [1000, 2000, 4000, 8000, 8000, 8000];
    caps.forEach((cap, i) => {
      expect(
        backoff(policy, i + 1, undefined, 0, () => 0),
        `attempt ${i + 1}, least jitter`,
      ).toBe(cap / 2);
      expect(
        backoff(policy, i + 1, undefined, 0, () => 0.5),
        `attempt ${i + 1}, middle`,
      ).toBe((3 * cap) / 4);
      expect(
        backoff(policy, i + 1, undefined, 0, () => 0.999999),
        `attempt ${i + 1}, most jitter`,
      ).toBe(cap);
    });
  });

  it('defaults: 500 attempts, 1 s doubling to 15 min, never under 1 s, 30 s per attempt', () => {
    expect(DEFAULT_RETRY).toEqual({ maxAttempts: 500, baseDelayMs: 1000, maxDelayMs: 900_000, minDelayMs: 1000, timeoutMs: 30_000 });
    expect(backoff(DEFAULT_RETRY, 30, undefined, 0, () => 0.999999)).toBe(900_000);
    const waits = Array.from({ length: 100 }, () => backoff(DEFAULT_RETRY, 1));
    expect(Math.min(...waits)).toBe(1000);
    expect(Math.max(...waits)).toBe(1000);
  });

  it('the floor holds against the peer too: Retry-After 0 or in the past waits minDelayMs; a far one is cut to maxDelayMs', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(backoff(DEFAULT_RETRY, 1, '0', now)).toBe(1000);
    expect(backoff(DEFAULT_RETRY, 1, 'Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(1000);
    expect(backoff(DEFAULT_RETRY, 1, String(10 * 24 * 3600), now)).toBe(900_000);
  });

  it('Retry-After wins: seconds, or an HTTP date from now, held within [minDelayMs, maxDelayMs]', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(backoff(policy, 1, '120', now)).toBe(8000);
    expect(backoff(policy, 1, '5', now)).toBe(5000);
    expect(backoff(policy, 1, '0', now)).toBe(0);
    expect(backoff(policy, 1, '1.5', now)).toBe(1500);
    expect(backoff(policy, 9, '2', now)).toBe(2000);
    expect(backoff(policy, 1, 'Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000);
    expect(backoff(policy, 1, 'Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(backoff(policy, 1, '-5', now)).toBe(0);
  });

  it('an unreadable or empty Retry-After falls back to the backoff', () => {
    for (const value of ['soon', '', '   ', null])
      expect(
        backoff(policy, 2, value, 0, () => 0),
        String(value),
      ).toBe(1000);
  });
});
