// NONBLOCK_PUSH_REST end to end over loopback, with the output generated from the seed pair
// (examples/nonblock-push-rest, kept identical to a fresh generation by generate.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, Validators, type FastifyInstance } from 'accordo/runtime';
import { runDemo } from '../examples/nonblock-push-rest/demo.js';
import { WireLog } from '../examples/shared/wire.js';
import { createConsumerServer } from '../examples/nonblock-push-rest/generated/consumer.js';
import { createProviderServer } from '../examples/nonblock-push-rest/generated/provider.js';
import { defs } from '../examples/nonblock-push-rest/generated/schemas.js';
import { UUID_V7 } from './support/ids.js';

const validators = new Validators(defs);
const valid = (schema: string, value: unknown) => validators.compile({ $ref: `#/$defs/${schema}` })(value);

describe('the four messages', () => {
  it('reproduce the guideline: X-ReplyTo, 202 + X-Correlation-ID, callback with the same id, 200 + ACK', async () => {
    const log = new WireLog();
    const { correlationId, result, messages } = await runDemo(log);
    expect(messages).toHaveLength(4);
    const [request, accepted, callback, ack] = messages;

    expect(request.line).toBe('POST /rest/nome-api/v1/resources/1234/M');
    const replyTo = new URL(request.headers['X-ReplyTo']);
    expect(replyTo.pathname).toBe('/rest/v1/nomeinterfacciaclient/MResponse');
    expect(valid('MType', JSON.parse(request.body))).toBe(true);

    expect(accepted.line).toBe('202 Accepted');
    expect(accepted.headers['X-Correlation-ID']).toBe(correlationId);
    expect(correlationId).toMatch(UUID_V7);
    expect(accepted.headers['Content-Type']).toMatch(/^application\/json/);
    expect(JSON.parse(accepted.body)).toEqual({ outcome: 'ACK' });
    expect(valid('ACKMessage', JSON.parse(accepted.body))).toBe(true);

    expect(callback.line).toBe(`POST ${replyTo.pathname}`);
    expect(callback.headers['X-Correlation-ID']).toBe(correlationId);
    expect(valid('MResponseType', JSON.parse(callback.body))).toBe(true);
    expect(result).toEqual({ c: 'OK' });

    expect(ack.line).toBe('200 OK');
    expect(JSON.parse(ack.body)).toEqual({ outcome: 'ACK' });
    expect(valid('ACKMessage', JSON.parse(ack.body))).toBe(true);
  });
});

describe('bad requests at step 1 never reach the handler', () => {
  let provider: FastifyInstance;
  let url: string;
  const calls: unknown[] = [];

  beforeAll(async () => {
    provider = await createProviderServer(
      {
        pushMessage: {
          acknowledge: (req) => (calls.push(req), { outcome: 'ACK' }),
          process: () => ({ c: 'OK' }),
        },
      },
      // The callback target of these requests does not exist: one attempt, no retries.
      { prefix: '/api', store: 'memory:', replyTo: { allowLoopback: true }, retry: { maxAttempts: 1, timeoutMs: 1000 } },
    );
    url = `${await provider.listen({ host: '127.0.0.1', port: 0 })}/api/resources`;
  });
  afterAll(() => provider.close());

  const send = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-replyto': 'http://127.0.0.1:9/cb', ...headers },
      body,
    });

  const cases: [string, string, string, Record<string, string>, number, RegExp][] = [
    ['invalid JSON', '/1234/M', '{"a": ', {}, 400, /not valid JSON/],
    ['a body that violates MType', '/1234/M', JSON.stringify({ a: { a1s: ['x'] } }), {}, 400, /body\.a\.a1s\.0/],
    ['a string where MType has an object', '/1234/M', JSON.stringify({ a: 'x' }), {}, 400, /body\.a /],
    ['missing X-ReplyTo', '/1234/M', '{}', { 'x-replyto': '' }, 400, /X-ReplyTo/],
    ['an X-ReplyTo that is not a URL', '/1234/M', '{}', { 'x-replyto': 'not a url' }, 400, /X-ReplyTo/],
    ['an X-ReplyTo with a file: URL', '/1234/M', '{}', { 'x-replyto': 'file:///etc/passwd' }, 400, /X-ReplyTo/],
    ['wrong Content-Type', '/1234/M', 'a=b', { 'content-type': 'text/plain' }, 415, /Content-Type/],
    ['an unknown Content-Type', '/1234/M', '<a/>', { 'content-type': 'application/xml' }, 415, /Content-Type/],
    ['id_resource not an integer', '/abc/M', '{}', {}, 400, /path\.id_resource/],
    ['id_resource beyond int32', '/4294967296/M', '{}', {}, 400, /path\.id_resource/],
  ];

  it.each(cases)('%s → %i problem+json', async (_name, path, body, headers, status, detail) => {
    const res = await send(path, body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = await res.json();
    expect(problem).toMatchObject({ status, title: expect.any(String) });
    expect(problem.detail).toMatch(detail);
    expect(JSON.stringify(problem)).not.toMatch(/node_modules|at [\w.]+ \(|stack/);
    expect(calls).toHaveLength(0);
  });

  it('a valid request reaches it', async () => {
    const res = await send('/1234/M', JSON.stringify({ a: { a1s: [1, 2] }, b: 'x' }));
    expect(res.status).toBe(202);
    expect(calls).toHaveLength(1);
  });
});

describe('the callback endpoint', () => {
  let consumer: FastifyInstance;
  let url: string;
  const registry = new CorrelationRegistry();
  const handled: unknown[] = [];

  beforeAll(async () => {
    consumer = await createConsumerServer({ pushResponseMessage: (result) => (handled.push(result), { outcome: 'ACK' }) }, registry);
    url = `${await consumer.listen({ host: '127.0.0.1', port: 0 })}/MResponse`;
    registry.expect('known-id', 'PushMessage');
  });
  afterAll(() => consumer.close());

  const callback = (id: string | undefined, body: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(id ? { 'x-correlation-id': id } : {}) }, body: JSON.stringify(body) });

  it('answers 404 problem+json naming an unknown CorrelationID', async () => {
    const res = await callback('no-such-id', { c: 'OK' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await res.json()).detail).toContain('no-such-id');
  });

  it('answers 400 to an invalid callback body, and to one without X-Correlation-ID', async () => {
    const invalid = await callback('known-id', { c: 42 });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).detail).toMatch(/body\.c/);
    expect((await callback(undefined, { c: 'OK' })).status).toBe(400);
    expect(handled).toHaveLength(0);
  });

  it('hands a valid callback to the handler once; a repeat gets the same ACK', async () => {
    const first = await callback('known-id', { c: 'OK' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ outcome: 'ACK' });
    const again = await callback('known-id', { c: 'OK' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ outcome: 'ACK' });
    expect(handled).toEqual([{ c: 'OK' }]);
    await expect(registry.waitFor('known-id')).resolves.toEqual({ c: 'OK' });
  });
});
