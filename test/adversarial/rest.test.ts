// Hostile input to a generated REST provider and its consumer's callback endpoint, table-driven
// (issue 18 items 6, 7, 9, 10, 13): each row is an input, the status it must get (problem+json with
// a transaction id, naming no library), and after it the provider still serves and nothing is lost:
// an honest push request sent right after is accepted and its callback reaches the consumer.
// All traffic stays on 127.0.0.1; X-ReplyTo targets that would leave it are refused without
// dialling (the connector records every dial).
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConnector } from 'undici';
import { CorrelationRegistry, listDeliveries, MemoryStore, type FastifyInstance, type RuntimeErrorCode } from 'accordo/runtime';
import { createProviderServer as createBlockingServer } from '../../examples/block-rest/generated/provider.js';
import { createConsumerServer, ProviderClient } from '../../examples/nonblock-push-rest/generated/consumer.js';
import { createProviderServer } from '../../examples/nonblock-push-rest/generated/provider.js';
import type { Connector, ReplyToPolicy } from '../../src/runtime/reply-to.js';
import { UUID_V4 } from '../support/ids.js';

const LIBRARY_NAMES = /fastify|FST_|undici|ajv|saxes|secure-json|node:|at .*\.js/i;

/** Raw bytes to a port: resolves with the whole answer once the server closes the connection (or after 5 s). */
function rawExchange(port: number, bytes: string | Buffer, stallMs = 0): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connectTcp(port, '127.0.0.1', () => {
      if (stallMs) {
        socket.write(bytes);
        return; // never finishes: the server must time it out
      }
      socket.end(bytes);
    });
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
    setTimeout(() => socket.destroy(), 5000).unref();
  });
}

/** Splits a raw HTTP answer into status, headers (lower-cased) and body. */
function parseAnswer(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** Names the test's resolver answers, each with an address that must never be dialled. */
const HOSTILE_NAMES: Record<string, string> = {
  'nat64.cb.example': '64:ff9b:1::a9fe:a9fe', // local-use NAT64 reaching 169.254.169.254
  'teredo.cb.example': '2001::a9fe:a9fe',
  'siit.cb.example': '::ffff:0:a00:1', // IPv4-translated 10.0.0.1
  'sixtofour.cb.example': '2002:a9fe:a9fe::1',
  'doc.cb.example': '192.0.2.10',
};

describe('adversarial REST input', () => {
  let provider: FastifyInstance;
  let consumer: FastifyInstance;
  let port: number;
  let consumerUrl: string;
  let client: ProviderClient;
  const dialled: string[] = [];
  const logs: { msg: string; handler?: string }[] = [];
  const acknowledged: unknown[] = [];
  const received = new Map<string, unknown>();
  const registry = new CorrelationRegistry();

  beforeAll(async () => {
    consumer = await createConsumerServer({ pushResponseMessage: (result, ctx) => (received.set(ctx.correlationId, result), { outcome: 'ACK' }) }, registry, {
      server: { bodyLimit: 64 * 1024, requestTimeout: 1000 },
    });
    consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    const dial = buildConnector({});
    // Every dial is recorded, and only loopback is ever dialled.
    const connect: Connector = (options, callback) => {
      dialled.push(options.hostname);
      if (options.hostname !== '127.0.0.1') return callback(new Error('test connector: only loopback is dialled'), null);
      return dial(options, callback);
    };
    const lookup: ReplyToPolicy['lookup'] = async (host) => {
      const address = HOSTILE_NAMES[host];
      if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return [{ address, family: address.includes(':') ? 6 : 4 }];
    };
    provider = await createProviderServer(
      {
        pushMessage: {
          acknowledge: (req) => (acknowledged.push(req.body), { outcome: 'ACK' }),
          // The result carries what was decoded, so a wrong decoding would reach the consumer.
          process: (req) => ({ c: req.body?.b ?? 'none' }),
        },
      },
      {
        store: 'memory:',
        replyTo: { allowLoopback: true, lookup },
        delivery: { connect },
        server: { bodyLimit: 64 * 1024, requestTimeout: 1000, logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } },
      },
    );
    const url = await provider.listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(url).port);
    client = new ProviderClient({ baseUrl: url, callbackUrl: consumerUrl, registry });
  });
  afterAll(async () => {
    await provider.close();
    await consumer.close();
  });

  /** An honest push after each hostile row: accepted, and its callback reaches the consumer with what was sent. */
  async function stillServesAndLosesNothing(b = 'honest'): Promise<void> {
    const { correlationId } = await client.pushMessage({ path: { id_resource: 1 }, body: { b } });
    expect(await client.pushMessageResult(correlationId, { timeoutMs: 20_000 })).toEqual({ c: b });
  }

  const json = (headers: Record<string, string> = {}) => ({ 'content-type': 'application/json', 'x-replyto': `${consumerUrl}/MResponse`, ...headers });

  /**
   * Sends a push request by hand as the generated client would: registered as in flight (so its
   * callback may overtake the 202), its CorrelationID recorded; resolves with the response.
   */
  async function sendByHand(init: RequestInit, path = '/resources/1/M'): Promise<Response> {
    const done = registry.beginRequest();
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
      const id = res.headers.get('x-correlation-id');
      if (res.status === 202 && id) await registry.expect(id, 'PushMessage');
      return res;
    } finally {
      done();
    }
  }
  const deep = (levels: number) => `{"b":"x","a":${'['.repeat(levels)}${']'.repeat(levels)}}`;
  const latin1 = (text: string) => Buffer.from(text, 'latin1');

  type Row = {
    name: string;
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    status: number;
    /** The runtime error code its problem `type` names (docs/errors.md). */
    code?: RuntimeErrorCode;
    detail: RegExp;
    allow?: string;
  };
  const rows: Row[] = [
    // Item 7: deep JSON is a permanent client error, refused before parsing (it used to be a 503 from the store).
    { name: 'JSON nested 5 000 levels', body: deep(5000), status: 400, code: 'request-invalid', detail: /nests deeper than 256 levels \(the limit\)/ },
    { name: 'JSON nested 100 000 levels (under the body limit)', body: '['.repeat(30_000), status: 400, code: 'request-invalid', detail: /nests deeper than 256 levels/ },
    { name: 'brackets inside strings do not count', body: JSON.stringify({ b: 'x', a: { a2: '[{'.repeat(5000) + '\\"' } }), status: 202, detail: /^$/ },
    // Item 9: what is declared is decoded; what cannot be decoded is refused, never replaced.
    { name: 'UTF-8 body with a byte that is not UTF-8', body: latin1('{"b":"caffè"}'), status: 400, code: 'request-invalid', detail: /not valid utf-8/ },
    {
      name: 'charset=utf-8 declared, Latin-1 bytes sent',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: latin1('{"b":"è"}'),
      status: 400,
      code: 'request-invalid',
      detail: /not valid utf-8/,
    },
    {
      name: 'an encoding the runtime does not read',
      headers: { 'content-type': 'application/json; charset=koi8-r' },
      body: '{"b":"x"}',
      status: 415,
      code: 'unsupported-media-type',
      detail: /unsupported charset "koi8-r"/,
    },
    // Item 6: X-ReplyTo forms that embed IPv4, as literals and through DNS names.
    ...Object.keys(HOSTILE_NAMES).map((host) => ({
      name: `X-ReplyTo host ${host} (resolves to ${HOSTILE_NAMES[host]})`,
      headers: { 'x-replyto': `http://${host}/cb` },
      body: '{}',
      status: 400,
      code: 'reply-address-refused' as const,
      detail: /X-ReplyTo host resolves to a \w+ address/,
    })),
    { name: 'X-ReplyTo [::ffff:0:a00:1] (IPv4-translated)', headers: { 'x-replyto': 'http://[::ffff:0:a00:1]/cb' }, body: '{}', status: 400, code: 'reply-address-refused', detail: /rfc6145 address/ },
    {
      name: 'X-ReplyTo [64:ff9b:1::a9fe:a9fe] (local-use NAT64)',
      headers: { 'x-replyto': 'http://[64:ff9b:1::a9fe:a9fe]/latest/meta-data/' },
      body: '{}',
      status: 400,
      code: 'reply-address-refused',
      detail: /rfc6052 address/,
    },
    { name: 'X-ReplyTo [2001::1] (Teredo)', headers: { 'x-replyto': 'http://[2001::1]/cb' }, body: '{}', status: 400, code: 'reply-address-refused', detail: /teredo address/ },
    {
      name: 'X-ReplyTo [::ffff:a9fe:a9fe] (IPv4-mapped link-local)',
      headers: { 'x-replyto': 'http://[::ffff:a9fe:a9fe]/cb' },
      body: '{}',
      status: 400,
      code: 'reply-address-refused',
      detail: /ipv4Mapped address/,
    },
    // Item 10: what never reaches an operation is problem+json too.
    { name: 'a URL with bad percent-encoding', path: '/resources/%zz/M', body: '{}', status: 400, code: 'request-invalid', detail: /not validly percent-encoded/ },
    { name: 'a path parameter of 200 characters', path: `/resources/${'1'.repeat(200)}/M`, body: '{}', status: 414, code: 'uri-too-long', detail: /a path segment is too long/ },
    { name: 'an unknown path', path: '/nothing/here', body: '{}', status: 404, code: 'not-found', detail: /no operation at POST \/nothing\/here/ },
    { name: 'GET on the POST route', method: 'GET', status: 405, code: 'method-not-allowed', detail: /GET is not allowed at \/resources\/1\/M; allowed: POST/, allow: 'POST' },
    { name: 'DELETE on the POST route', method: 'DELETE', status: 405, code: 'method-not-allowed', detail: /allowed: POST/, allow: 'POST' },
  ];

  it.each(rows)('$name → $status, problem+json with a transaction id; then an honest request is served and delivered', async (row) => {
    const before = acknowledged.length;
    const bodyless = row.method === 'GET' || row.method === 'DELETE';
    const res = await sendByHand({ method: row.method ?? 'POST', headers: bodyless ? {} : json(row.headers), body: bodyless ? undefined : (row.body as BodyInit | undefined) }, row.path);
    const text = await res.text();
    expect(res.status, text).toBe(row.status);
    expect(res.headers.get('x-transaction-id')).toMatch(UUID_V4);
    if (row.status === 202) {
      expect(acknowledged.length).toBe(before + 1);
      expect(await registry.waitFor(res.headers.get('x-correlation-id')!, { timeoutMs: 20_000 })).toEqual({ c: 'x' });
    } else {
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(text);
      expect(problem).toMatchObject({ status: row.status, type: `urn:accordo:error:${row.code}` });
      expect(problem.detail).toMatch(row.detail);
      expect(text).not.toMatch(LIBRARY_NAMES);
      expect(acknowledged.length).toBe(before);
    }
    if (row.allow) expect(res.headers.get('allow')).toBe(row.allow);
    await stillServesAndLosesNothing();
  });

  // Item 9: declared encodings are decoded, and what was sent is what the consumer gets.
  it.each([
    ['ISO-8859-1', 'application/json; charset=iso-8859-1', latin1('{"b":"caffè, perché"}')],
    ['latin1 alias, quoted', 'application/json; charset="Latin1"', latin1('{"b":"caffè, perché"}')],
    ['UTF-8 with a byte order mark', 'application/json; charset=utf-8', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"b":"caffè, perché"}')])],
    ['UTF-16LE', 'application/json; charset=utf-16le', Buffer.from('{"b":"caffè, perché"}', 'utf16le')],
  ])('%s: decoded as declared and delivered intact', async (_name, type, body) => {
    const res = await sendByHand({ method: 'POST', headers: json({ 'content-type': type }), body });
    expect(res.status).toBe(202);
    expect(acknowledged.at(-1)).toEqual({ b: 'caffè, perché' });
    const correlationId = res.headers.get('x-correlation-id')!;
    expect(await registry.waitFor(correlationId, { timeoutMs: 20_000 })).toEqual({ c: 'caffè, perché' });
  });

  // Item 10: what Node's HTTP parser refuses, and timeouts, answered as problem+json on the raw socket.
  it.each([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 0, 400, /not valid HTTP/, 'request-invalid'],
    ['a header with a control character', 'POST /resources/1/M HTTP/1.1\r\nHost: x\r\nX-ReplyTo: http://a\u0000b\r\nContent-Length: 2\r\n\r\n{}', 0, 400, /not valid HTTP/, 'request-invalid'],
    ['a Content-Length that is not a number', 'POST /resources/1/M HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}', 0, 400, /not valid HTTP/, 'request-invalid'],
    ['20 KB of headers', `GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 0, 431, /headers are too large/, 'headers-too-large'],
    [
      'a body that never ends (slowloris)',
      'POST /resources/1/M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-ReplyTo: http://127.0.0.1:9/x\r\nContent-Length: 100\r\n\r\n{"b":"',
      1,
      408,
      /not received in time/,
      'request-timeout',
    ],
  ] as const)('%s → problem+json with a transaction id on the raw connection', async (_name, bytes, stall, status, detail, code) => {
    const before = acknowledged.length;
    const answer = parseAnswer(await rawExchange(port, bytes, stall));
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.headers['x-transaction-id']).toMatch(UUID_V4);
    expect(JSON.parse(answer.body)).toMatchObject({ status, type: `urn:accordo:error:${code}`, detail: expect.stringMatching(detail) });
    expect(answer.body).not.toMatch(LIBRARY_NAMES);
    expect(acknowledged.length).toBe(before);
    await stillServesAndLosesNothing();
  });

  it('the callback endpoint refuses deep and undecodable JSON the same way', async () => {
    await registry.expect('known-1', 'PushMessage');
    for (const [type, body, status, detail, code] of [
      ['application/json', `{"c":${'['.repeat(5000)}}`, 400, /nests deeper than 256 levels/, 'request-invalid'],
      ['application/json; charset=utf-8', latin1('{"c":"è"}'), 400, /not valid utf-8/, 'request-invalid'],
      ['application/json; charset=ebcdic', '{"c":"x"}', 415, /unsupported charset/, 'unsupported-media-type'],
    ] as const) {
      const res = await fetch(`${consumerUrl}/MResponse`, { method: 'POST', headers: { 'content-type': type, 'x-correlation-id': 'known-1' }, body });
      expect(res.status).toBe(status);
      const problem = await res.json();
      expect(problem.detail).toMatch(detail);
      expect(problem.type).toBe(`urn:accordo:error:${code}`);
    }
    expect(received.has('known-1')).toBe(false);
    const ok = await fetch(`${consumerUrl}/MResponse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=iso-8859-1', 'x-correlation-id': 'known-1' },
      body: latin1('{"c":"è"}'),
    });
    expect(ok.status).toBe(200);
    expect(received.get('known-1')).toEqual({ c: 'è' });
  });

  it('dialled nothing but loopback', () => {
    expect(dialled.length).toBeGreaterThan(0);
    expect(new Set(dialled)).toEqual(new Set(['127.0.0.1']));
  });
});

// Item 13: what a handler returns is checked against the declared responses.
describe('response validation', () => {
  const cases: [name: string, status: number, returned: { status: number; body?: unknown }, validateResponses: boolean | undefined][] = [
    ['a declared response', 200, { status: 200, body: { c: 'ok' } }, undefined],
    ['a number where the spec declares a string', 500, { status: 200, body: { c: 5 } }, undefined],
    ['a body that is not an object', 500, { status: 200, body: ['c'] }, undefined],
    // `default` describes the error responses: a success status must be declared as such.
    ['an undeclared success status (only `default` matches it)', 500, { status: 201, body: { c: 'ok' } }, undefined],
    ['an error status `default` covers', 409, { status: 409, body: { title: 'Conflict', status: 409 } }, undefined],
    ['a wrong body with validation off (production)', 200, { status: 200, body: { c: 5 } }, false],
    ['an undeclared success status with validation off (there is nothing to send it as)', 500, { status: 201, body: { c: 'ok' } }, false],
  ];

  it.each(cases)('%s → %i', async (_name, status, returned, validateResponses) => {
    const logs: { msg: string; handler?: string; level: number }[] = [];
    const app = await createBlockingServer(
      { m: async () => returned as never },
      { validateResponses, server: { logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } } },
    );
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${url}/resources/1234/M`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"b":"x"}' });
      expect(res.status).toBe(status);
      const text = await res.text();
      if (status === 500) {
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(text)).toEqual({ type: 'urn:accordo:error:response-invalid', title: 'Internal Server Error', status: 500, detail: 'the request could not be processed' });
        expect(text).not.toContain('internal');
        const line = logs.find((l) => l.handler === 'm');
        expect(line?.msg).toMatch(/^handler m returned a response the spec does not declare: /);
      } else {
        expect(JSON.parse(text)).toEqual(returned.body);
        expect(logs.filter((l) => l.level >= 50)).toEqual([]);
      }
    } finally {
      await app.close();
    }
  });

  it('a push ACK the spec does not declare is a 500 naming the handler in the log, and nothing is accepted', async () => {
    const logs: { msg: string; handler?: string }[] = [];
    const store = new MemoryStore();
    const app = await createProviderServer(
      { pushMessage: { acknowledge: () => ({ outcome: 5 }) as never, process: () => ({ c: 'x' }) } },
      { store, replyTo: { allowLoopback: true }, delivery: { enabled: false }, server: { logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } } },
    );
    try {
      const res = await app.inject({ method: 'POST', url: '/resources/1/M', headers: { 'content-type': 'application/json', 'x-replyto': 'http://127.0.0.1:9/cb' }, payload: '{"b":"x"}' });
      expect(res.statusCode).toBe(500);
      expect(res.headers['x-correlation-id']).toBeUndefined();
      expect(res.json()).toMatchObject({ status: 500, detail: 'the request could not be processed' });
      expect(logs.find((l) => l.handler === 'pushMessage.acknowledge')?.msg).toMatch(/response body\.outcome must be string/);
      expect(await listDeliveries(store)).toEqual([]);
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('is on by default outside production, off in production unless asked for', async () => {
    const wrong = { m: async () => ({ status: 200, body: { c: 5 } }) as never };
    const saved = process.env.NODE_ENV;
    try {
      process.env.NODE_ENV = 'production';
      const prod = await createBlockingServer(wrong);
      const forced = await createBlockingServer(wrong, { validateResponses: true });
      const post = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/resources/1234/M', headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect((await post(prod)).statusCode).toBe(200);
      expect((await post(forced)).statusCode).toBe(500);
      await prod.close();
      await forced.close();
    } finally {
      process.env.NODE_ENV = saved;
    }
  });
});
