// Hostile XML at the generated SOAP provider: each gets a Fault or a 4xx, quickly, reads no file,
// expands no entity, and the process keeps serving the next valid request.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, type FastifyInstance } from 'accordo/runtime';
import { createConsumerServer } from '../examples/nonblock-push-soap/generated/consumer.js';
import { createProviderServer } from '../examples/nonblock-push-soap/generated/provider.js';
import { handlers } from '../examples/nonblock-push-soap/provider.handlers.js';
import { faultOf } from './support/bindings.js';
import { ROOT } from './support/tmp.js';

const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const NS = 'http://ente.example/nome-api';

const envelope = (body: string, prolog = '') =>
  `${prolog}<s:Envelope xmlns:s="${SOAP12}" xmlns:m="${NS}"><s:Header><m:X-ReplyTo>http://127.0.0.1:9/cb</m:X-ReplyTo></s:Header><s:Body>${body}</s:Body></s:Envelope>`;

const BOMB = `<?xml version="1.0"?>
<!DOCTYPE s:Envelope [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>`;
const SECRET = join(ROOT, 'package.json');
const XXE = `<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM "file://${SECRET}">]>`;

describe('hostile XML', () => {
  let app: FastifyInstance;
  let url: string;
  let accepted = 0;

  beforeAll(async () => {
    app = await createProviderServer(
      { mRequest: { acknowledge: (req, ctx) => (accepted++, handlers.mRequest.acknowledge(req, ctx)), process: () => ({ return: { c: 'OK' } }) } },
      { store: 'memory:', replyTo: { allowLoopback: true }, retry: { maxAttempts: 1, timeoutMs: 1000 } },
    );
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/soap/nome-api/v1`;
  });
  afterAll(() => app.close());

  const post = (body: string, type = 'application/soap+xml') => fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

  const cases: [string, () => string, number, RegExp, string?][] = [
    ['an entity-expansion bomb', () => envelope('<m:MRequest><M><b>&lol9;</b></M></m:MRequest>', BOMB), 500, /DTDs and entity declarations are not allowed/],
    ['an external entity naming a local file', () => envelope('<m:MRequest><M><b>&xxe;</b></M></m:MRequest>', XXE), 500, /DTDs and entity declarations are not allowed/],
    ['an undeclared entity without a DTD', () => envelope('<m:MRequest><M><b>&xxe;</b></M></m:MRequest>'), 500, /undeclared entity &amp;xxe;/],
    ['a 20 MB body', () => envelope(`<m:MRequest><M><b>${'x'.repeat(20 * 1024 * 1024)}</b></M></m:MRequest>`), 413, /too large/],
    ['malformed XML', () => envelope('<m:MRequest><M><b>x</M></m:MRequest>'), 500, /malformed XML/],
    ['elements nested 50 000 deep', () => envelope(`<m:MRequest>${'<M>'.repeat(50_000)}${'</M>'.repeat(50_000)}</m:MRequest>`), 500, /nested too deeply/],
    ['a body violating the XSD', () => envelope('<m:MRequest><M><o_id>12.5</o_id></M></m:MRequest>'), 500, /body\.M\.o_id must be integer/],
    ['a wrong Content-Type', () => envelope('<m:MRequest/>'), 415, /unsupported Content-Type "text\/plain"/, 'text/plain'],
  ];

  it.each(cases)('%s: a Fault or a 4xx', async (_, body, status, reason, type) => {
    const res = await post(body(), type);
    expect(res.status).toBe(status);
    const text = await res.text();
    // Each is the sender's doing: a Sender fault, never a Receiver one.
    expect(faultOf(text).code).toBe(`{${SOAP12}}Sender`);
    expect(text).toMatch(reason);
    expect(text).not.toContain('"name": "accordo"');
    expect(text).not.toMatch(/lollollol/);
    expect(accepted).toBe(0);
    // Still serving.
    const ok = await post(envelope('<m:MRequest><M><b>ok</b></M></m:MRequest>'));
    expect(ok.status).toBe(200);
    accepted = 0;
  });
});

describe('hostile XML at the consumer callback endpoint', () => {
  let app: FastifyInstance;
  let url: string;
  const handled: string[] = [];
  const registry = new CorrelationRegistry();

  beforeAll(async () => {
    app = await createConsumerServer({ mRequestResponse: async (_r, ctx) => (handled.push(ctx.correlationId), { return: { outcome: 'OK' } }) }, registry);
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/soap/nome-api/v1`;
    await registry.expect('known', 'MRequest');
  });
  afterAll(() => app.close());

  const callback = (id: string, body: string, prolog = '') =>
    `${prolog}<s:Envelope xmlns:s="${SOAP12}" xmlns:m="${NS}"><s:Header><m:X-Correlation-ID>${id}</m:X-Correlation-ID></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  const post = (body: string, type = 'application/soap+xml') => fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

  const cases: [string, () => string, number, RegExp, string?][] = [
    ['an entity-expansion bomb', () => callback('known', '<m:MRequestResponse><return><c>&lol9;</c></return></m:MRequestResponse>', BOMB), 500, /DTDs and entity declarations are not allowed/],
    [
      'an external entity naming a local file',
      () => callback('known', '<m:MRequestResponse><return><c>&xxe;</c></return></m:MRequestResponse>', XXE),
      500,
      /DTDs and entity declarations are not allowed/,
    ],
    ['malformed XML', () => callback('known', '<m:MRequestResponse><return><c>x</return></m:MRequestResponse>'), 500, /malformed XML/],
    ['a body violating the XSD', () => callback('known', '<m:MRequestResponse><return><c><d/></c></return></m:MRequestResponse>'), 500, /element c must have simple content/],
    ['a forged CorrelationID', () => callback('forged-id', '<m:MRequestResponse><return><c>OK</c></return></m:MRequestResponse>'), 500, /forged-id/],
    ['a wrong Content-Type', () => callback('known', '<m:MRequestResponse/>'), 415, /Content-Type/, 'text/plain'],
  ];

  it.each(cases)('%s: a Fault or a 4xx, and the handler is not run', async (_, body, status, reason, type) => {
    const res = await post(body(), type);
    expect(res.status).toBe(status);
    const text = await res.text();
    // Each is the sender's doing: a Sender fault, never a Receiver one.
    expect(faultOf(text).code).toBe(`{${SOAP12}}Sender`);
    expect(text).toMatch(reason);
    expect(text).not.toMatch(/lollollol|"name": "accordo"/);
    expect(handled).toEqual([]);
  });

  it('a duplicate callback gets the same ACK without running the handler again; the endpoint still serves', async () => {
    const valid = callback('known', '<m:MRequestResponse><return><c>OK</c></return></m:MRequestResponse>');
    const [a, b] = [await post(valid), await post(valid)];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await b.text()).toBe(await a.text());
    expect(handled).toEqual(['known']);
  });
});
