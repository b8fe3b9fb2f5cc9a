// NONBLOCK_PUSH_SOAP end to end over loopback: the generated provider and consumer of
// examples/nonblock-push-soap (SOAP 1.2, the seed WSDLs) and of the SOAP 1.1 variant of the same
// pair; the four envelopes must match the seed messages as XML infosets.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, type FastifyInstance } from 'accordo/runtime';
import { runDemo } from '../examples/nonblock-push-soap/demo.js';
import { WireLog, type WireMessage } from '../examples/shared/wire.js';
import { createProviderServer } from '../examples/nonblock-push-soap/generated/provider.js';
import { createConsumerServer } from '../examples/nonblock-push-soap/generated/consumer.js';
import { handlers } from '../examples/nonblock-push-soap/provider.handlers.js';
import { callbackHandlers } from '../examples/nonblock-push-soap/consumer.handlers.js';
import { generate } from '../src/generate.js';
import { faultOf } from './support/bindings.js';
import { infoset } from './support/infoset.js';
import { FIXTURES, ROOT, tempDir } from './support/tmp.js';
import { UUID_V7 } from './support/ids.js';

const MESSAGES = join(FIXTURES, 'seed', 'nonblock-push-soap', 'messages');
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SEED_ID = 'b8268033-de67-4fa0-bf06-caebbfa5117a';
const SEED_REPLY_TO = 'https://api.indirizzoclient.it/soap/nome-api/v1';

/** The seed message with this run's CorrelationID, X-ReplyTo and envelope namespace. */
async function expected(file: string, correlationId: string, replyTo: string, envelopeNs = SOAP12) {
  const text = (await readFile(join(MESSAGES, file), 'utf8')).replace(SEED_ID, correlationId).replace(SEED_REPLY_TO, replyTo).replace(SOAP12, envelopeNs);
  return infoset(text);
}

async function checkFour(messages: WireMessage[], correlationId: string, envelopeNs: string) {
  expect(messages).toHaveLength(4);
  const [request, ack, callback, callbackAck] = messages;
  const replyTo = /<[\w.-]+:X-ReplyTo>([^<]+)</.exec(request.body)![1];
  expect(request.line).toBe('POST /soap/nome-api/v1');
  expect(infoset(request.body)).toEqual(await expected('1-request.xml', correlationId, replyTo, envelopeNs));
  expect(ack.line).toBe('200 OK');
  expect(infoset(ack.body)).toEqual(await expected('2-ack.xml', correlationId, replyTo, envelopeNs));
  expect(callback.line).toBe(`POST ${new URL(replyTo).pathname}`);
  expect(infoset(callback.body)).toEqual(await expected('3-callback.xml', correlationId, replyTo, envelopeNs));
  expect(callbackAck.line).toBe('200 OK');
  expect(infoset(callbackAck.body)).toEqual(await expected('4-callback-ack.xml', correlationId, replyTo, envelopeNs));
  return { request, ack, callback, callbackAck };
}

describe('the four messages', () => {
  it('SOAP 1.2 (seed WSDLs): match messages/1-request.xml … 4-callback-ack.xml', async () => {
    const { correlationId, ack, result, messages } = await runDemo(new WireLog());
    expect(correlationId).toMatch(UUID_V7);
    expect(ack).toEqual({ return: { outcome: 'ACCEPTED' } });
    expect(result).toEqual({ return: { c: 'OK' } });
    const { request, ack: accepted } = await checkFour(messages, correlationId, SOAP12);
    expect(request.headers['Content-Type']).toBe('application/soap+xml; charset=utf-8');
    expect(accepted.headers['Content-Type']).toMatch(/^application\/soap\+xml/);
  });

  it('SOAP 1.1 (test/fixtures/soap11): the same infosets in the 1.1 envelope, text/xml and SOAPAction', async () => {
    const out = await tempDir('soap11');
    const fixtures = join(ROOT, 'test', 'fixtures', 'soap11');
    await generate({ spec: join(fixtures, 'server.wsdl'), callback: join(fixtures, 'callback.wsdl'), out, side: 'both' });
    const provider = await import(join(out, 'generated', 'provider.ts'));
    const consumer = await import(join(out, 'generated', 'consumer.ts'));
    const log = new WireLog();
    const providerApp: FastifyInstance = await provider.createProviderServer(handlers, { store: 'memory:', replyTo: { allowLoopback: true } });
    const registry = new CorrelationRegistry();
    const consumerApp: FastifyInstance = await consumer.createConsumerServer(callbackHandlers, registry);
    log.trace(providerApp, 'provider', 'consumer');
    log.trace(consumerApp, 'consumer', 'provider');
    try {
      const providerUrl = await providerApp.listen({ host: '127.0.0.1', port: 0 });
      const consumerUrl = await consumerApp.listen({ host: '127.0.0.1', port: 0 });
      const api = new consumer.ProviderClient({ endpoint: `${providerUrl}/soap/nome-api/v1`, callbackUrl: consumerUrl, registry });
      const { correlationId } = await api.mRequest({ body: { M: { o_id: 1234, a: { a1s: ['1'], a2: 'prova' }, b: 'prova' } } });
      expect(await api.mRequestResult(correlationId, { timeoutMs: 10_000 })).toEqual({ return: { c: 'OK' } });
      await providerApp.close();
      const { request, callback } = await checkFour(log.messages, correlationId, SOAP11);
      for (const m of [request, callback]) {
        expect(m.headers['Content-Type']).toBe('text/xml; charset=utf-8');
        expect(m.headers['SOAPAction']).toBe('""');
      }
    } finally {
      await providerApp.close();
      await consumerApp.close();
    }
  });
});

describe('the provider refuses bad requests with a SOAP 1.2 Fault, and serves its WSDL', () => {
  let app: FastifyInstance;
  let url: string;
  const seen: unknown[] = [];

  beforeAll(async () => {
    app = await createProviderServer(
      { mRequest: { acknowledge: (req, ctx) => (seen.push(req), handlers.mRequest.acknowledge(req, ctx)), process: () => ({ return: { c: 'OK' } }) } },
      // The callback target of these requests does not exist: one attempt, no retries.
      { store: 'memory:', replyTo: { allowLoopback: true }, retry: { maxAttempts: 1, timeoutMs: 1000 } },
    );
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/soap/nome-api/v1`;
  });
  afterAll(() => app.close());

  const envelope = (body: string, header = '<m:X-ReplyTo>http://127.0.0.1:9/cb</m:X-ReplyTo>') =>
    `<s:Envelope xmlns:s="${SOAP12}" xmlns:m="http://ente.example/nome-api"><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  const post = (body: string, type = 'application/soap+xml') => fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  /** The Fault's code as an expanded name (`{ns}Sender`), its English reason, and its detail. */
  const fault = async (res: Response) => {
    const text = await res.text();
    const f = infoset(text).children.find((c) => c.name === `{${SOAP12}}Body`)!.children[0];
    expect(f.name).toBe(`{${SOAP12}}Fault`);
    const { code, subcode } = faultOf(text);
    const reason = f.children.find((c) => c.name.endsWith('}Reason'))!.children[0];
    expect(reason.attrs['{http://www.w3.org/XML/1998/namespace}lang']).toBe('en');
    const role = f.children.find((c) => c.name === `{${SOAP12}}Role`)?.text;
    return { code, subcode, role, reason: reason.text!, detail: f.children.find((c) => c.name.endsWith('}Detail')) };
  };

  const cases: [string, string, RegExp, string][] = [
    ['o_id not an int', envelope('<m:MRequest><M><o_id>abc</o_id></M></m:MRequest>'), /body\.M\.o_id must be integer/, `{${SOAP12}}Sender`],
    ['an element the XSD does not declare', envelope('<m:MRequest><M><zz>1</zz></M></m:MRequest>'), /unexpected element zz in M/, `{${SOAP12}}Sender`],
    ['a repeated single element', envelope('<m:MRequest><M><b>1</b><b>2</b></M></m:MRequest>'), /may appear only once/, `{${SOAP12}}Sender`],
    ['an operation the endpoint does not have', envelope('<m:Nope/>'), /no operation of this endpoint takes \{http:\/\/ente.example\/nome-api\}Nope/, `{${SOAP12}}Sender`],
    ['no X-ReplyTo', envelope('<m:MRequest/>', ''), /missing X-ReplyTo SOAP header/, `{${SOAP12}}Sender`],
    ['an X-ReplyTo that is not a URL', envelope('<m:MRequest/>', '<m:X-ReplyTo>not a url</m:X-ReplyTo>'), /X-ReplyTo is not an absolute URL/, `{${SOAP12}}Sender`],
    ['a file: X-ReplyTo', envelope('<m:MRequest/>', '<m:X-ReplyTo>file:///etc/passwd</m:X-ReplyTo>'), /X-ReplyTo must be an http or https URL/, `{${SOAP12}}Sender`],
    ['malformed XML', '<s:Envelope xmlns:s="x"><s:Body>', /malformed XML/, `{${SOAP12}}Sender`],
    ['an undeclared prefix', `<s:Envelope xmlns:s="${SOAP12}"><s:Body><q:MRequest/></s:Body></s:Envelope>`, /undeclared namespace prefix "q"/, `{${SOAP12}}Sender`],
    ['a header that must be understood', envelope('<m:MRequest/>', `<m:X-ReplyTo>http://127.0.0.1:9/cb</m:X-ReplyTo><m:Sec s:mustUnderstand="true"/>`), /not understood/, `{${SOAP12}}MustUnderstand`],
  ];
  const RUNTIME_CODES: Record<string, string> = {
    'no X-ReplyTo': 'reply-address-missing',
    'an X-ReplyTo that is not a URL': 'reply-address-refused',
    'a file: X-ReplyTo': 'reply-address-refused',
    'a header that must be understood': 'must-understand',
  };
  it.each(cases)('%s: HTTP 500 and a Sender (or MustUnderstand) fault naming it', async (_, body, reason, code) => {
    const before = seen.length;
    const res = await post(body);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/soap\+xml/);
    const f = await fault(res);
    expect(f.code).toBe(code);
    expect(f.reason).toMatch(reason);
    // The runtime refused it (docs/errors.md): its code as the Subcode, itself as the Role.
    expect(f.subcode).toBe(`{urn:accordo:error}${RUNTIME_CODES[_] ?? 'request-invalid'}`);
    expect(f.role).toBe('urn:accordo:runtime');
    expect(seen.length).toBe(before);
  });

  it('a wrong Content-Type: 415 with a Sender fault', async () => {
    const res = await post(envelope('<m:MRequest/>'), 'application/json');
    expect(res.status).toBe(415);
    expect(await fault(res)).toMatchObject({
      code: `{${SOAP12}}Sender`,
      subcode: '{urn:accordo:error}unsupported-media-type',
      reason: expect.stringMatching(/unsupported Content-Type "application\/json"/),
    });
  });

  it('a SOAP 1.1 envelope on this SOAP 1.2 binding: a SOAP 1.1 VersionMismatch fault, whatever its Content-Type', async () => {
    for (const type of ['application/soap+xml', 'text/xml']) {
      const res = await post(`<s:Envelope xmlns:s="${SOAP11}"><s:Body/></s:Envelope>`, type);
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
      const text = await res.text();
      const f = infoset(text).children.find((c) => c.name === `{${SOAP11}}Body`)!.children[0];
      expect(faultOf(text).code).toBe(`{${SOAP11}}VersionMismatch`);
      expect(f.children.find((c) => c.name === 'faultstring')!.text).toBe('this endpoint speaks SOAP 1.2, not SOAP 1.1');
    }
  });

  it('a declared fault thrown by the handler: HTTP 500 with its detail element', async () => {
    const res = await post(envelope('<m:MRequest><M><o_id>-1</o_id></M></m:MRequest>'));
    expect(res.status).toBe(500);
    const f = await fault(res);
    expect(f.code).toBe(`{${SOAP12}}Sender`);
    // The service's own fault: no runtime code, no runtime role.
    expect(f.subcode).toBeUndefined();
    expect(f.role).toBeUndefined();
    expect(f.reason).toBe('o_id must not be negative');
    expect(f.detail!.children).toEqual([{ name: '{http://ente.example/nome-api}ErrorMessageFault', attrs: {}, children: [{ name: 'customFaultCode', attrs: {}, children: [], text: 'NEGATIVE_ID' }] }]);
  });

  it('GET ?wsdl serves the WSDL with soap:address at the live endpoint', async () => {
    const res = await fetch(`${url}?wsdl`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const text = await res.text();
    expect(text).toContain(`<soap:address location="${url}"/>`);
    expect(text).toContain('<wsdl:operation name="MRequest">');
  });
});

describe('the consumer callback endpoint', () => {
  it('answers an unknown CorrelationID with a Fault naming it (HTTP 500), and serves the callback WSDL', async () => {
    const app = await createConsumerServer(callbackHandlers, new CorrelationRegistry(), { unknownGraceMs: 0 });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${base}/soap/nome-api/v1`, {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml' },
        body: (await readFile(join(MESSAGES, '3-callback.xml'), 'utf8')).replace(SEED_ID, 'no-such-id'),
      });
      expect(res.status).toBe(500);
      const text = await res.text();
      // "Async response not correlated to any earlier request" is its own error (the integration guide).
      expect(faultOf(text)).toEqual({ code: `{${SOAP12}}Sender`, subcode: '{urn:accordo:error}correlation-unknown', reason: 'unknown CorrelationID "no-such-id"' });
      // The callback endpoint serves the callback WSDL, pointing at itself.
      expect(await (await fetch(`${base}/soap/nome-api/v1?wsdl`)).text()).toContain(`<soap:address location="${base}/soap/nome-api/v1"/>`);
    } finally {
      await app.close();
    }
  });
});
