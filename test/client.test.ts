// The consumer's client against a scripted provider on loopback: what it accepts as the answer
// of a push request (only 202 with X-Correlation-ID: the pattern's step 2) and of a blocking call
// (only a status the spec declares).
import { afterEach, describe, expect, it } from 'vitest';
import { CorrelationRegistry } from '../src/runtime/correlation.js';
import { sendPush, sendRequest } from '../src/runtime/consumer.js';
import { UnexpectedResponseError } from '../src/runtime/outbound.js';
import { callbackOp, startTarget, submitOp, type Answer } from './support/push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function provider(answer: Answer) {
  const t = await startTarget(() => answer);
  cleanup.push(t.close);
  return t;
}

const ID = '0b7e6bd6-6f2e-4d0e-9d5a-3c1f5a2b7c90';

describe('sendPush', () => {
  it('takes a 202 with X-Correlation-ID, sends X-ReplyTo, and records the id for the callback endpoint', async () => {
    const t = await provider({ status: 202, headers: { 'x-correlation-id': ID }, body: { outcome: 'accepted' } });
    const registry = new CorrelationRegistry();
    const accepted = await sendPush(submitOp, { body: { n: 1 } }, 'https://consumer.example/cb', registry, { baseUrl: t.url });
    expect(accepted).toEqual({ correlationId: ID, ack: { outcome: 'accepted' } });
    expect(t.hits[0].headers['x-replyto']).toBe('https://consumer.example/cb');
    expect(await registry.isKnown(ID, 0)).toBe(true);
  });

  it.each([
    ['a 200 (a blocking answer, not the push pattern)', { status: 200, headers: { 'x-correlation-id': ID }, body: { outcome: 'done' } }, 200],
    ['a 201', { status: 201, headers: { 'x-correlation-id': ID }, body: {} }, 201],
    ['a 204', { status: 204, headers: { 'x-correlation-id': ID } }, 204],
    ['a declared-looking 400', { status: 400, body: { status: 400, title: 'Bad Request', detail: 'n is wrong' } }, 400],
  ] as [string, Answer, number][])('refuses %s and records nothing', async (_, answer, status) => {
    const t = await provider(answer);
    const registry = new CorrelationRegistry();
    const e = await sendPush(submitOp, { body: { n: 1 } }, 'https://consumer.example/cb', registry, { baseUrl: t.url }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnexpectedResponseError);
    expect(e).toMatchObject({ operation: 'submit', status });
    expect(await registry.isKnown(ID, 0)).toBe(false);
  });

  it('refuses a 202 without X-Correlation-ID', async () => {
    const t = await provider({ status: 202, body: { outcome: 'accepted' } });
    const e = await sendPush(submitOp, { body: { n: 1 } }, 'https://consumer.example/cb', new CorrelationRegistry(), { baseUrl: t.url }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnexpectedResponseError);
    expect((e as Error).message).toBe('submit: unexpected HTTP 202: 202 without X-Correlation-ID');
  });
});

describe('sendRequest', () => {
  it('returns a declared status and refuses one the operation does not declare (it has no default)', async () => {
    const ok = await provider({ status: 200, body: { outcome: 'received' } });
    await expect(sendRequest(callbackOp, { body: { n: 1, doubled: 2 } }, { baseUrl: ok.url })).resolves.toEqual({ status: 200, body: { outcome: 'received' } });
    const conflict = await provider({ status: 409, body: { status: 409, title: 'Conflict', detail: 'taken' } });
    const e = await sendRequest(callbackOp, { body: { n: 1, doubled: 2 } }, { baseUrl: conflict.url }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnexpectedResponseError);
    expect(e).toMatchObject({ operation: 'onResult', status: 409, message: 'onResult: unexpected HTTP 409: taken' });
  });
});

describe('how the client sends', () => {
  it("goes through undici's global dispatcher, the one the global fetch uses: a dispatcher set with setGlobalDispatcher (a proxy) carries its requests", async () => {
    const { Agent, getGlobalDispatcher, setGlobalDispatcher } = await import('undici');
    const t = await provider({ status: 202, headers: { 'x-correlation-id': ID }, body: { outcome: 'accepted' } });
    const seen: string[] = [];
    const agent = new Agent();
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(
      agent.compose((dispatch) => (options, handler) => {
        seen.push(`${options.method} ${options.origin}${options.path}`);
        return dispatch(options, handler);
      }),
    );
    try {
      const accepted = await sendPush(submitOp, { body: { n: 1 } }, 'https://consumer.example/cb', new CorrelationRegistry(), { baseUrl: t.url });
      expect(accepted.correlationId).toBe(ID);
      expect(seen).toEqual([`POST ${t.url}/requests`]);
    } finally {
      setGlobalDispatcher(previous);
      await agent.close();
    }
  });
});
