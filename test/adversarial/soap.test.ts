// Hostile input to a generated SOAP provider and its consumer's callback endpoint, table-driven
// (issue 18 items 5, 9, 10, 11 first half, 13): each row is an input, the Fault it must get (with a
// transaction id, naming no library), and after it the provider still serves and nothing is lost: an
// honest push sent right after is acknowledged and its callback reaches the consumer. Loopback only.
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, createServer, listDeliveries, MemoryStore, registerSoapProvider, type FastifyInstance, type SoapServiceDefinition } from 'accordo/runtime';
import { definition as blockingDefinition, createProviderServer as createBlockingServer } from '../../examples/block-soap/generated/provider.js';
import { createConsumerServer, ProviderClient } from '../../examples/nonblock-push-soap/generated/consumer.js';
import { createProviderServer } from '../../examples/nonblock-push-soap/generated/provider.js';
import { UUID, UUID_V4 } from '../support/ids.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const NS = 'http://ente.example/nome-api';
const PATH = '/soap/nome-api/v1';
const LIBRARY_NAMES = /fastify|FST_|undici|ajv|saxes|node:|at .*\.js/i;

/** A push request envelope; `attrs` go on the body element, `b` is its text. */
function push(replyTo: string, { b = 'x', attrs = '', ns = SOAP12, decl = '', wrap = (s: string) => s } = {}): string {
  return `${decl}<s:Envelope xmlns:s="${ns}" xmlns:m="${NS}"><s:Header><m:X-ReplyTo>${replyTo}</m:X-ReplyTo></s:Header><s:Body><m:MRequest${attrs}>${wrap(`<M><b>${b}</b></M>`)}</m:MRequest></s:Body></s:Envelope>`;
}

function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connectTcp(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
    setTimeout(() => socket.destroy(), 5000).unref();
  });
}

/** The fault class, reason, and the runtime's code and actor (docs/errors.md) of a SOAP 1.1 or 1.2 Fault. */
function faultOf(xml: string): { code: string; reason: string; runtime?: string; actor?: string } | undefined {
  const code = /<faultcode>soap:(\w+)<\/faultcode>|<soap:Value>soap:(\w+)<\/soap:Value>/.exec(xml);
  const reason = /<faultstring>([^<]*)<\/faultstring>|<soap:Text xml:lang="en">([^<]*)<\/soap:Text>/.exec(xml);
  const runtime = /<(?:faultcode|soap:Value) xmlns:acc="urn:accordo:error">acc:([\w-]+)</.exec(xml)?.[1];
  const actor = /<(?:faultactor|soap:Role)>([^<]*)</.exec(xml)?.[1];
  return code ? { code: code[1] ?? code[2], reason: (reason?.[1] ?? reason?.[2] ?? '').replace(/&quot;/g, '"').replace(/&amp;/g, '&'), runtime, actor } : undefined;
}

/** The runtime error each refused row is answered with: input errors are `request-invalid`. */
const RUNTIME_CODE: Record<string, string> = { 'a SOAP 1.1 envelope on the 1.2 binding': 'version-mismatch', 'an unknown path': 'not-found' };

describe('adversarial SOAP input', () => {
  let provider: FastifyInstance;
  let consumer: FastifyInstance;
  let port: number;
  let url: string;
  let consumerUrl: string;
  let client: ProviderClient;
  const acknowledged: unknown[] = [];
  const registry = new CorrelationRegistry();

  beforeAll(async () => {
    consumer = await createConsumerServer({ mRequestResponse: () => ({ return: { outcome: 'OK' } }) }, registry);
    consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    provider = await createProviderServer(
      {
        mRequest: {
          acknowledge: (req) => (acknowledged.push(req.body), { return: { outcome: 'ACCEPTED' } }),
          // The result carries what was decoded, so a wrong decoding would reach the consumer.
          process: (req) => ({ return: { c: req.body.M?.b ?? 'none' } }),
        },
      },
      { store: 'memory:', replyTo: { allowLoopback: true }, server: { requestTimeout: 2000 } },
    );
    const origin = await provider.listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(origin).port);
    url = `${origin}${PATH}`;
    client = new ProviderClient({ endpoint: url, callbackUrl: consumerUrl, registry });
  });
  afterAll(async () => {
    await provider.close();
    await consumer.close();
  });

  async function stillServesAndLosesNothing(b = 'honest'): Promise<void> {
    const { correlationId } = await client.mRequest({ body: { M: { b } } });
    expect(await client.mRequestResult(correlationId, { timeoutMs: 20_000 })).toEqual({ return: { c: b } });
  }

  /** Sends by hand as the generated client would (in flight while the ACK is read); on an ACK, waits for the delivered result. */
  async function sendByHand(body: string | Uint8Array, contentType = 'application/soap+xml', path = PATH): Promise<{ status: number; text: string; headers: Headers; delivered?: unknown }> {
    const done = registry.beginRequest();
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body: body as BodyInit });
      const text = await res.text();
      const id = /X-Correlation-ID>([^<]+)</.exec(text)?.[1];
      if (res.status !== 200 || !id) return { status: res.status, text, headers: res.headers };
      await registry.expect(id, 'MRequest');
      done();
      return { status: res.status, text, headers: res.headers, delivered: await registry.waitFor(id, { timeoutMs: 20_000 }) };
    } finally {
      done();
    }
  }

  const cb = () => `${consumerUrl}${PATH}`;
  const manyAttrs = (n: number, prefixed: boolean) => Array.from({ length: n }, (_, i) => (prefixed ? ` m:a${i}="1"` : ` a${i}="1"`)).join('');
  const nestedDeclarations = (levels: number) => (inner: string) =>
    `${Array.from({ length: levels }, (_, i) => `<w xmlns:p${i}="urn:a${i}" xmlns:q${i}="urn:b${i}">`).join('')}${inner}${'</w>'.repeat(levels)}`;

  type Row = [name: string, body: () => string | Uint8Array, contentType: string, status: number, fault: string, reason: RegExp];
  const rows: Row[] = [
    // Item 5: the attribute check is linear, and bounded; it was 21.8 s for 60k prefixed attributes.
    ['60 000 prefixed attributes (700 KB)', () => push(cb(), { attrs: manyAttrs(60_000, true) }), 'application/soap+xml', 500, 'Sender', /more than 256 attributes on one element \(the limit\)/],
    ['300 unprefixed attributes', () => push(cb(), { attrs: manyAttrs(300, false) }), 'application/soap+xml', 500, 'Sender', /more than 256 attributes/],
    [
      'the same attribute through two prefixes of one namespace',
      () => push(cb(), { attrs: ` xmlns:n1="urn:x" xmlns:n2="urn:x" n1:a="1" n2:a="2"` }),
      'application/soap+xml',
      500,
      'Sender',
      /duplicate attribute \{urn:x\}a/,
    ],
    [
      '260 namespace declarations in scope (130 levels)',
      () => push(cb(), { wrap: nestedDeclarations(130) }),
      'application/soap+xml',
      500,
      'Sender',
      /more than 64 namespace declarations in scope \(the limit\)/,
    ],
    // Item 9: undecodable bytes and unread encodings are refused, never replaced.
    ['Latin-1 bytes with no declaration (so UTF-8)', () => Buffer.from(push(cb(), { b: 'caffè' }), 'latin1'), 'application/soap+xml', 500, 'Sender', /not valid utf-8/],
    ['an encoding the runtime does not read', () => push(cb(), { decl: '<?xml version="1.0" encoding="EBCDIC-US"?>' }), 'application/soap+xml', 500, 'Sender', /unsupported charset "EBCDIC-US"/],
    ['UTF-16 declared without a byte order mark', () => push(cb(), { decl: '<?xml version="1.0" encoding="UTF-16"?>' }), 'application/soap+xml', 500, 'Sender', /must start with a byte order mark/],
    [
      'UTF-16 with a BOM and a lone surrogate',
      () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(push(cb()), 'utf16le'), Buffer.from([0x00, 0xd8])]),
      'application/soap+xml',
      500,
      'Sender',
      /not valid utf-16le/,
    ],
    // Item 11: a SOAP 1.1 envelope on this SOAP 1.2 binding.
    ['a SOAP 1.1 envelope on the 1.2 binding', () => push(cb(), { ns: SOAP11 }), 'text/xml', 500, 'VersionMismatch', /speaks SOAP 1\.2, not SOAP 1\.1/],
    // Item 10: what never reaches an operation is a Fault too.
    ['an unknown path', () => push(cb()), 'application/soap+xml', 404, 'Sender', /no operation at POST \/soap\/other/],
    ['a URL with bad percent-encoding', () => push(cb()), 'application/soap+xml', 400, 'Sender', /not validly percent-encoded/],
  ];
  const paths: Record<string, string> = { 'an unknown path': '/soap/other', 'a URL with bad percent-encoding': '/soap/%zz' };

  it.each(rows)('%s → a Fault; then an honest request is acknowledged and delivered', async (name, body, type, status, code, reason) => {
    const before = acknowledged.length;
    const res = await sendByHand(body(), type, paths[name]);
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('x-transaction-id')).toMatch(UUID_V4);
    expect(faultOf(res.text), res.text).toMatchObject({ code: code === 'Sender' && /text\/xml/.test(res.headers.get('content-type')!) ? 'Client' : code, reason: expect.stringMatching(reason) });
    // The runtime refused it, and says so: its code (a 1.1 VersionMismatch keeps the standard code) and its actor.
    const fault = faultOf(res.text)!;
    expect(fault.actor).toBe('urn:accordo:runtime');
    if (code !== 'VersionMismatch' || /soap\+xml/.test(res.headers.get('content-type')!)) expect(fault.runtime).toBe(RUNTIME_CODE[name] ?? 'request-invalid');
    expect(res.text).not.toMatch(LIBRARY_NAMES);
    expect(acknowledged.length).toBe(before);
    await stillServesAndLosesNothing();
  });

  it('the VersionMismatch fault is SOAP 1.1 with an Upgrade header naming the SOAP 1.2 envelope', async () => {
    const res = await sendByHand(push(cb(), { ns: SOAP11 }), 'text/xml');
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(res.text).toContain(`<soap:Envelope xmlns:soap="${SOAP11}"`);
    expect(res.text).toMatch(new RegExp(`<env:Upgrade xmlns:env="${SOAP12}"><env:SupportedEnvelope qname="v0:Envelope" xmlns:v0="${SOAP12}"/></env:Upgrade>`));
    expect(faultOf(res.text)?.code).toBe('VersionMismatch');
  });

  // Item 9: declared encodings are decoded, and what was sent is what the consumer gets.
  it.each([
    ['the XML declaration says ISO-8859-1', () => Buffer.from(push(cb(), { b: 'caffè, perché', decl: '<?xml version="1.0" encoding="ISO-8859-1"?>' }), 'latin1'), 'application/soap+xml'],
    ['the Content-Type says charset=iso-8859-1', () => Buffer.from(push(cb(), { b: 'caffè, perché' }), 'latin1'), 'application/soap+xml; charset=iso-8859-1'],
    [
      'UTF-16LE with a byte order mark',
      () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(push(cb(), { b: 'caffè, perché', decl: '<?xml version="1.0" encoding="UTF-16"?>' }), 'utf16le')]),
      'application/soap+xml',
    ],
    ['UTF-16BE with a byte order mark', () => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(push(cb(), { b: 'caffè, perché' }), 'utf16le').swap16()]), 'application/soap+xml'],
    ['UTF-8 with a byte order mark', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(push(cb(), { b: 'caffè, perché' }))]), 'application/soap+xml'],
  ])('%s: decoded as declared, acknowledged and delivered intact', async (_name, body, type) => {
    const res = await sendByHand(body(), type);
    expect(res.status, res.text).toBe(200);
    expect(acknowledged.at(-1)).toEqual({ M: { b: 'caffè, perché' } });
    expect(res.delivered).toEqual({ return: { c: 'caffè, perché' } });
  });

  it.each([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400],
    ['20 KB of headers', `POST ${PATH} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('%s → a Fault with a transaction id on the raw connection', async (_name, bytes, status) => {
    const raw = await rawExchange(port, bytes);
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/\r\nContent-Type: application\/soap\+xml/);
    expect(head).toMatch(new RegExp(`\r\nX-Transaction-ID: ${UUID}\r\n`));
    expect(faultOf(body)).toMatchObject({ code: 'Sender', runtime: status === 431 ? 'headers-too-large' : 'request-invalid', actor: 'urn:accordo:runtime' });
    await stillServesAndLosesNothing();
  });

  it('other methods on the endpoint get 405 with Allow, as a Fault', async () => {
    for (const method of ['DELETE', 'PUT']) {
      const res = await fetch(url, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
      expect(faultOf(await res.text())).toMatchObject({ code: 'Sender', reason: expect.stringMatching(/not allowed/), runtime: 'method-not-allowed', actor: 'urn:accordo:runtime' });
    }
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, GET');
  });

  it('the callback endpoint refuses the same input, and a SOAP 1.1 callback on its 1.2 binding', async () => {
    await registry.expect('known-1', 'MRequest');
    const callback = (opts: Parameters<typeof push>[1] = {}) =>
      push('x', opts)
        .replace('<m:X-ReplyTo>x</m:X-ReplyTo>', '<m:X-Correlation-ID>known-1</m:X-Correlation-ID>')
        .replace(/<m:MRequest([^>]*)><M><b>[^<]*<\/b><\/M><\/m:MRequest>/, '<m:MRequestResponse$1><return><c>ok</c></return></m:MRequestResponse>');
    for (const [body, type, code, reason] of [
      [callback({ attrs: manyAttrs(30_000, true) }), 'application/soap+xml', 'Sender', /more than 256 attributes/],
      [callback({ ns: SOAP11 }), 'text/xml', 'VersionMismatch', /speaks SOAP 1\.2, not SOAP 1\.1/],
      [Buffer.from(callback({ decl: '<?xml version="1.0" encoding="KOI8-R"?>' })), 'application/soap+xml', 'Sender', /unsupported charset/],
    ] as const) {
      const res = await fetch(cb(), { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status).toBe(500);
      expect(faultOf(await res.text())).toMatchObject({ code, reason: expect.stringMatching(reason), actor: 'urn:accordo:runtime', ...(code === 'Sender' ? { runtime: 'request-invalid' } : {}) });
    }
    const ok = await fetch(cb(), { method: 'POST', headers: { 'content-type': 'application/soap+xml' }, body: callback() });
    expect(ok.status).toBe(200);
    expect(await registry.waitFor('known-1', { timeoutMs: 5000 })).toEqual({ return: { c: 'ok' } });
  });
});

describe('SOAP push ACK validation (item 13)', () => {
  it('an ACK the WSDL does not declare is a Server fault naming the handler in the log, and nothing is accepted', async () => {
    const logs: { msg: string; handler?: string }[] = [];
    const store = new MemoryStore();
    const app = await createProviderServer(
      { mRequest: { acknowledge: () => ({ return: { outcome: { not: 'a string' } } }) as never, process: () => ({ return: { c: 'x' } }) } },
      { store, replyTo: { allowLoopback: true }, delivery: { enabled: false }, server: { logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } } },
    );
    try {
      const res = await app.inject({ method: 'POST', url: PATH, headers: { 'content-type': 'application/soap+xml' }, payload: push('http://127.0.0.1:9/cb') });
      expect(res.statusCode).toBe(500);
      expect(faultOf(res.body)).toEqual({ code: 'Receiver', reason: 'the request could not be processed', runtime: 'response-invalid', actor: 'urn:accordo:runtime' });
      expect(res.body).not.toContain('X-Correlation-ID');
      expect(logs.find((l) => l.handler === 'mRequest.acknowledge')?.msg).toMatch(/response body\.return\.outcome must be string/);
      expect(await listDeliveries(store)).toEqual([]);
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('SOAP version of the binding (item 11)', () => {
  // The block-soap agreement as if its binding were SOAP 1.1 only.
  const soap11: SoapServiceDefinition = { ...blockingDefinition, operations: blockingDefinition.operations.map((op) => ({ ...op, version: '1.1' as const })) };
  const body = (ns: string) => `<s:Envelope xmlns:s="${ns}" xmlns:m="${NS}"><s:Body><m:MRequest><M><b>x</b></M></m:MRequest></s:Body></s:Envelope>`;

  it('a SOAP 1.2 envelope on a 1.1-only binding gets a SOAP 1.1 VersionMismatch fault; a 1.1 envelope is served', async () => {
    const app = createServer();
    await app.register(async (scope) => registerSoapProvider(scope, soap11, { mRequest: async () => ({ body: { return: { c: 'OK' } } }) }));
    try {
      const origin = await app.listen({ host: '127.0.0.1', port: 0 });
      const wrong = await fetch(`${origin}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/soap+xml' }, body: body(SOAP12) });
      const text = await wrong.text();
      expect(wrong.status).toBe(500);
      expect(wrong.headers.get('content-type')).toMatch(/^text\/xml/);
      expect(faultOf(text)).toEqual({ code: 'VersionMismatch', reason: 'this endpoint speaks SOAP 1.1, not SOAP 1.2', actor: 'urn:accordo:runtime' });
      expect(text).toContain(`<env:SupportedEnvelope qname="v0:Envelope" xmlns:v0="${SOAP11}"/>`);
      const right = await fetch(`${origin}${PATH}`, { method: 'POST', headers: { 'content-type': 'text/xml', soapaction: '""' }, body: body(SOAP11) });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain('<c>OK</c>');
    } finally {
      await app.close();
    }
  });
});

describe('SOAP response validation (item 13)', () => {
  it.each([
    ['a declared response', 200, { body: { return: { c: 'OK' } } }],
    ['a string element given an object', 500, { body: { return: { c: { nested: true } } } }],
    ['an element the schema does not have', 500, { body: { return: { c: 'OK', secret: 'internal' } } }],
  ])('%s → %i', async (_name, status, returned) => {
    const logs: { msg: string; handler?: string }[] = [];
    const app = await createBlockingServer(
      { mRequest: async () => returned as never },
      { server: { logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } } },
    );
    try {
      const origin = await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${origin}${PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml' },
        body: `<s:Envelope xmlns:s="${SOAP12}" xmlns:m="${NS}"><s:Body><m:MRequest><M><b>x</b></M></m:MRequest></s:Body></s:Envelope>`,
      });
      const text = await res.text();
      expect(res.status).toBe(status);
      if (status === 500) {
        expect(faultOf(text)).toEqual({ code: 'Receiver', reason: 'the request could not be processed', runtime: 'response-invalid', actor: 'urn:accordo:runtime' });
        expect(text).not.toContain('internal');
        expect(logs.find((l) => l.handler === 'mRequest')?.msg).toMatch(/^handler mRequest returned a response the WSDL does not declare: response body/);
      } else expect(text).toContain('<c>OK</c>');
    } finally {
      await app.close();
    }
  });
});
