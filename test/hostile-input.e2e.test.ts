// Hostile input, table-driven, against the generated REST provider and the consumer's callback
// endpoint: each case gets its documented status (problem+json), and the server keeps serving.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, type FastifyInstance } from 'accordo/runtime';
import { createConsumerServer } from '../examples/nonblock-push-rest/generated/consumer.js';
import { createProviderServer } from '../examples/nonblock-push-rest/generated/provider.js';
import { UUID_V4 } from './support/ids.js';

/** Sends raw bytes; resolves with the status line (or 'closed'). */
function raw(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head + body);
    });
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('close', () => resolve(data.split('\r\n')[0] || 'closed'));
    socket.on('error', () => resolve(data.split('\r\n')[0] || 'closed'));
    setTimeout(() => socket.destroy(), 5000);
  });
}

/** Sends `bytes` and waits, socket open, for the server to answer and close; rejects after `limitMs`. */
function stalled(port: number, bytes: string, limitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server had not answered the stalled request after ${limitMs / 1000} s`));
    }, limitMs);
    socket.on('data', (d) => (data += d));
    socket.on('close', () => {
      clearTimeout(limit);
      resolve(data);
    });
    socket.on('error', () => undefined);
  });
}

describe('hostile input', () => {
  let provider: FastifyInstance;
  let consumer: FastifyInstance;
  let providerPort: number;
  let consumerUrl: string;
  const handled: string[] = [];
  const acknowledged: unknown[] = [];
  const registry = new CorrelationRegistry();

  beforeAll(async () => {
    provider = await createProviderServer(
      { pushMessage: { acknowledge: (req) => (acknowledged.push(req), { outcome: 'ACK' }), process: () => ({ c: 'OK' }) } },
      {
        store: 'memory:',
        // cb.example resolves, without asking DNS, to a documentation address (TEST-NET-3, allowed
        // here) that is never dialled: deliveries are off, this suite is about what step 1 accepts.
        replyTo: { lookup: async () => [{ address: '203.0.113.10', family: 4 }], allowNetworks: ['203.0.113.0/24'] },
        delivery: { enabled: false },
        server: { bodyLimit: 64 * 1024, requestTimeout: 1000 },
      },
    );
    consumer = await createConsumerServer({ pushResponseMessage: (_r, ctx) => (handled.push(ctx.correlationId), { outcome: 'ACK' }) }, registry, {
      server: { bodyLimit: 64 * 1024, requestTimeout: 1000 },
    });
    const url = await provider.listen({ host: '127.0.0.1', port: 0 });
    providerPort = Number(new URL(url).port);
    consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    await registry.expect('known', 'PushMessage');
  });
  afterAll(async () => {
    await provider.close();
    await consumer.close();
  });

  const json = { 'content-type': 'application/json' };
  const replyTo = (url: string) => ({ ...json, 'x-replyto': url });
  const big = JSON.stringify({ b: 'x'.repeat(100 * 1024) });

  type Case = [name: string, path: string, headers: Record<string, string>, body: string, status: number, detail: RegExp];
  const providerCases: Case[] = [
    ['malformed JSON', '/resources/1/M', replyTo('https://cb.example/x'), '{"a":', 400, /not valid JSON/],
    ['a JSON array for an object', '/resources/1/M', replyTo('https://cb.example/x'), '[1,2]', 400, /body must be object/],
    ['wrong types', '/resources/1/M', replyTo('https://cb.example/x'), '{"a":{"a1s":[true]},"b":7}', 400, /body\.a\.a1s\.0/],
    ['prototype poisoning', '/resources/1/M', replyTo('https://cb.example/x'), '{"__proto__":{"polluted":1}}', 400, /./],
    ['an oversized body', '/resources/1/M', replyTo('https://cb.example/x'), big, 413, /too large/],
    ['a path id that is not an int32', '/resources/1e99/M', replyTo('https://cb.example/x'), '{}', 400, /path\.id_resource/],
    ['X-ReplyTo to a private address', '/resources/1/M', replyTo('http://10.0.0.1/cb'), '{}', 400, /X-ReplyTo/],
    ['X-ReplyTo to the metadata address', '/resources/1/M', replyTo('http://169.254.169.254/latest/meta-data'), '{}', 400, /X-ReplyTo/],
    ['X-ReplyTo to loopback (refused by default)', '/resources/1/M', replyTo('http://127.0.0.1:9/cb'), '{}', 400, /X-ReplyTo/],
    ['X-ReplyTo as a file: URL', '/resources/1/M', replyTo('file:///etc/passwd'), '{}', 400, /X-ReplyTo/],
    ['X-ReplyTo with credentials', '/resources/1/M', replyTo('https://user:pw@cb.example/x'), '{}', 400, /X-ReplyTo/],
    ['X-ReplyTo that is not a URL', '/resources/1/M', replyTo('javascript:alert(1)'), '{}', 400, /X-ReplyTo/],
    ['a wrong Content-Type', '/resources/1/M', { 'content-type': 'text/xml', 'x-replyto': 'https://cb.example/x' }, '<a/>', 415, /Content-Type/],
  ];

  it.each(providerCases)('provider: %s gets its problem+json; the handler is never reached', async (_n, path, headers, body, status, detail) => {
    const res = await fetch(`http://127.0.0.1:${providerPort}${path}`, { method: 'POST', headers, body });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('x-transaction-id')).toMatch(UUID_V4);
    expect((await res.json()).detail ?? '').toMatch(detail);
    expect(acknowledged).toHaveLength(0);
  });

  const consumerCases: Case[] = [
    ['malformed JSON', '/MResponse', { ...json, 'x-correlation-id': 'known' }, '{', 400, /not valid JSON/],
    ['wrong types', '/MResponse', { ...json, 'x-correlation-id': 'known' }, '{"c":[1]}', 400, /body\.c/],
    ['an oversized body', '/MResponse', { ...json, 'x-correlation-id': 'known' }, big, 413, /too large/],
    ['an unknown CorrelationID', '/MResponse', { ...json, 'x-correlation-id': 'forged-id' }, '{"c":"OK"}', 404, /forged-id/],
    ['no CorrelationID', '/MResponse', json, '{"c":"OK"}', 400, /X-Correlation-ID/],
  ];

  it.each(consumerCases)('callback endpoint: %s gets its problem+json; the handler is never reached', async (_n, path, headers, body, status, detail) => {
    const res = await fetch(`${consumerUrl}${path}`, { method: 'POST', headers, body });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await res.json()).detail ?? '').toMatch(detail);
    expect(handled).toHaveLength(0);
  });

  it('a duplicate callback is acknowledged again without running the handler twice', async () => {
    const send = () => fetch(`${consumerUrl}/MResponse`, { method: 'POST', headers: { ...json, 'x-correlation-id': 'known' }, body: '{"c":"OK"}' });
    const [a, b] = [await send(), await send()];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await b.json()).toEqual(await a.json());
    expect(handled).toEqual(['known']);
  });

  it('a slow body is cut off at the request timeout (1 s here) with a 408 problem, the client still waiting', async () => {
    const head = `POST /resources/1/M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-ReplyTo: https://cb.example/x\r\nContent-Length: 100\r\n\r\n`;
    // The client sends part of the body and keeps the socket open; only the server can end it
    // before the client's own limit (20 s, far above the configured 1 s and far below the 30 s default).
    const answer = await stalled(providerPort, head + '{"b":"', 20_000);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(answer).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 408, detail: 'the request was not received in time' });
    expect(acknowledged).toHaveLength(0);
  });

  it('header injection: control characters in a header are refused by the HTTP parser', async () => {
    const head = `POST /resources/1/M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-ReplyTo: https://cb.example/x\u0000\r\nX-Injected: 1\r\nContent-Length: 2\r\n\r\n`;
    expect(await raw(providerPort, head, '{}')).toMatch(/^HTTP\/1\.1 400/);
    expect(acknowledged).toHaveLength(0);
  });

  it('after all of it, both servers still serve', async () => {
    const res = await fetch(`http://127.0.0.1:${providerPort}/resources/1/M`, { method: 'POST', headers: replyTo('https://cb.example/x'), body: '{"b":"ok"}' });
    expect(res.status).toBe(202);
    expect(acknowledged).toHaveLength(1);
    const status = await fetch(`http://127.0.0.1:${providerPort}/status`);
    expect(status.status).toBe(200);
    expect(status.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await status.json()).toMatchObject({ status: 200, title: 'OK' });
    await registry.expect('second', 'PushMessage');
    const cb = await fetch(`${consumerUrl}/MResponse`, { method: 'POST', headers: { ...json, 'x-correlation-id': 'second' }, body: '{"c":"OK"}' });
    expect(cb.status).toBe(200);
  });
});
