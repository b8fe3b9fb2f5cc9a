// One JSON callback attempt (codecs/json.ts, step 3 and 4) against a real loopback target: which
// redirects are followed (307/308 only, at most maxRedirects, each target checked), what the
// attempt says when it stops, that a subscription's credential does not follow a redirect to
// another origin, and that an ACK off its schema is delivered with a warning.
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { attemptCallback, type CallbackDelivery } from '../src/runtime/codecs/json.js';
import type { AttemptOptions } from '../src/runtime/delivery.js';
import { Validators } from '../src/runtime/validation.js';
import { callbackOp, defs, startTarget, type Answer, type Hit } from './support/push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A logger that keeps what was warned. */
function recordingLog() {
  const warned: { fields: unknown; message: string }[] = [];
  const log = {
    warn: (fields: unknown, message: string) => warned.push({ fields, message }),
    info: () => {},
    debug: () => {},
    error: () => {},
    child: () => log,
  } as unknown as FastifyBaseLogger;
  return { log, warned };
}

const OPTIONS: AttemptOptions = { timeoutMs: 10_000, outbound: {}, replyTo: { allowLoopback: true } };
const validators = new Validators(defs);

async function target(script: (hit: Hit, count: number) => Answer) {
  const t = await startTarget(script);
  cleanup.push(t.close);
  return t;
}

function attempt(url: string, extra: Partial<CallbackDelivery> = {}, options: Partial<AttemptOptions> = {}, log = recordingLog().log) {
  return attemptCallback({ url, correlationId: 'c-1', callback: callbackOp, body: { n: 1, doubled: 2 }, ...extra }, validators, log, { ...OPTIONS, ...options });
}

describe('a JSON callback attempt and redirects', () => {
  it('does not follow a 302 or 303 (they would turn the POST into a GET), nor a 307 without Location: final', async () => {
    const t = await target((hit) => {
      if (hit.path === '/found') return { status: 302, headers: { location: '/elsewhere' } };
      if (hit.path === '/see-other') return { status: 303, headers: { location: '/elsewhere' } };
      if (hit.path === '/multiple') return { status: 300, headers: { location: '/elsewhere' } };
      return { status: 307 };
    });
    expect(await attempt(`${t.url}/found`)).toMatchObject({ kind: 'permanent', status: 302, reason: 'HTTP 302 redirect not followed' });
    expect(await attempt(`${t.url}/see-other`)).toMatchObject({ kind: 'permanent', status: 303, reason: 'HTTP 303 redirect not followed' });
    expect(await attempt(`${t.url}/nowhere`)).toMatchObject({ kind: 'permanent', status: 307, reason: 'HTTP 307 redirect not followed' });
    expect(await attempt(`${t.url}/multiple`)).toMatchObject({ kind: 'permanent', status: 300, reason: 'HTTP 300 redirect not followed' });
    expect(t.hits.map((h) => h.path)).toEqual(['/found', '/see-other', '/nowhere', '/multiple']);
  });

  it('follows at most maxRedirects (default 3) redirects in one attempt, then stops: too many redirects', async () => {
    const t = await target((hit) => ({ status: 308, headers: { location: `/loop${hit.path.length}` } }));
    expect(await attempt(`${t.url}/l`)).toMatchObject({ kind: 'permanent', status: 308, reason: 'too many redirects' });
    expect(t.hits).toHaveLength(4);
    expect(await attempt(`${t.url}/l`, {}, { maxRedirects: 1 })).toMatchObject({ kind: 'permanent', reason: 'too many redirects' });
    expect(t.hits).toHaveLength(6);
    expect(await attempt(`${t.url}/l`, {}, { maxRedirects: 0 })).toMatchObject({ kind: 'permanent', reason: 'too many redirects' });
    expect(t.hits).toHaveLength(7);
  });

  it('a redirect to a target the X-ReplyTo policy refuses is final, and the refused target is not dialled', async () => {
    const other = await startTarget(() => ({ status: 200, body: { outcome: 'wrong place' } }), '127.0.0.2');
    cleanup.push(other.close);
    const t = await target(() => ({ status: 307, headers: { location: `${other.url}/cb` } }));
    expect(await attempt(`${t.url}/cb`, {}, { replyTo: { allow: ['127.0.0.1'], allowLoopback: true } })).toMatchObject({
      kind: 'permanent',
      status: 307,
      reason: 'HTTP 307 redirect to a refused target: is not on the allow-list',
    });
    expect(other.hits).toHaveLength(0);
  });

  it('a redirect to a URL that does not parse is final', async () => {
    const t = await target(() => ({ status: 307, headers: { location: 'http://[broken' } }));
    expect(await attempt(`${t.url}/cb`)).toMatchObject({ kind: 'permanent', status: 307, reason: 'HTTP 307 redirect to an invalid URL' });
    expect(t.hits).toHaveLength(1);
  });

  it('keeps the same POST, body and CorrelationID through a redirect, and its credential only on the same origin', async () => {
    const final = await target(() => ({ status: 200, body: { outcome: 'received' } }));
    const first = await target((hit) =>
      hit.path === '/same'
        ? { status: 307, headers: { location: '/moved' } }
        : hit.path === '/away'
          ? { status: 308, headers: { location: `${final.url}/cb` } }
          : { status: 200, body: { outcome: 'here' } },
    );
    const headers = { authorization: 'Bearer sink-token' };

    expect(await attempt(`${first.url}/same`, { headers })).toMatchObject({ kind: 'delivered', status: 200, ack: { outcome: 'here' } });
    expect(first.hits.map((h) => [h.path, h.headers.authorization, h.headers['x-correlation-id'], h.headers['content-type'], h.body])).toEqual([
      ['/same', 'Bearer sink-token', 'c-1', 'application/json', { n: 1, doubled: 2 }],
      ['/moved', 'Bearer sink-token', 'c-1', 'application/json', { n: 1, doubled: 2 }],
    ]);

    expect(await attempt(`${first.url}/away`, { headers })).toMatchObject({ kind: 'delivered', status: 200, ack: { outcome: 'received' } });
    expect(first.hits[2].headers.authorization).toBe('Bearer sink-token');
    expect(final.hits).toHaveLength(1);
    expect(final.hits[0].headers.authorization).toBeUndefined();
    expect(final.hits[0].headers['x-correlation-id']).toBe('c-1');
    expect(final.hits[0].body).toEqual({ n: 1, doubled: 2 });
  });
});

describe('a JSON callback attempt and its ACK', () => {
  it('an ACK that does not match its schema is still delivered, with a warning naming the CorrelationID', async () => {
    const t = await target((hit) => (hit.path === '/bad' ? { status: 200, body: { outcome: 7 } } : { status: 200, body: { outcome: 'ok' } }));
    const bad = recordingLog();
    expect(await attempt(`${t.url}/bad`, {}, {}, bad.log)).toMatchObject({ kind: 'delivered', status: 200, ack: { outcome: 7 } });
    expect(bad.warned).toEqual([{ fields: { correlationId: 'c-1', status: 200 }, message: 'callback acknowledged with an ACK that does not match its schema' }]);
    const good = recordingLog();
    expect(await attempt(`${t.url}/good`, {}, {}, good.log)).toMatchObject({ kind: 'delivered', ack: { outcome: 'ok' } });
    expect(good.warned).toEqual([]);
  });

  it('checks only a 2xx answer against its ACK schema: a declared 400 off its schema is a final answer, not a warning', async () => {
    const t = await target(() => ({ status: 400, body: { outcome: 7 } }));
    const declared400 = { ...callbackOp, responses: [...callbackOp.responses, { status: '400', headers: [], mediaTypes: ['application/json'], schema: { $ref: '#/$defs/Ack' } }] };
    const { log, warned } = recordingLog();
    expect(await attempt(`${t.url}/cb`, { callback: declared400 }, {}, log)).toMatchObject({ kind: 'permanent', status: 400 });
    expect(warned).toEqual([]);
  });

  it('a 429 whose problem says its limit is exceeded is final; another 429 is tried again (CART)', async () => {
    const t = await target((hit) =>
      hit.path === '/quota'
        ? { status: 429, body: { title: 'Too Many Requests', detail: 'daily Limit  Exceeded' } }
        : hit.path === '/title'
          ? { status: 429, body: { title: 'limitexceeded' } }
          : hit.path === '/text'
            ? { status: 429, text: 'limit exceeded' }
            : hit.path === '/null'
              ? { status: 429, text: 'null' }
              : { status: 429, body: { title: 'Too Many Requests', detail: 'slow down' } },
    );
    expect(await attempt(`${t.url}/quota`)).toMatchObject({ kind: 'permanent', status: 429 });
    expect(await attempt(`${t.url}/title`)).toMatchObject({ kind: 'permanent', status: 429 });
    expect(await attempt(`${t.url}/busy`)).toMatchObject({ kind: 'temporary', status: 429 });
    // Not a problem object: nothing says the limit is exceeded.
    expect(await attempt(`${t.url}/text`)).toMatchObject({ kind: 'temporary', status: 429 });
    expect(await attempt(`${t.url}/null`)).toMatchObject({ kind: 'temporary', status: 429 });
  });
});
