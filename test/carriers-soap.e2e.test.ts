// The SOAP correlation carriers end to end over loopback, each with the generated provider and
// consumer of a WSDL pair that carries them: WS-Addressing 1.0 (wsa:MessageID, wsa:ReplyTo,
// wsa:RelatesTo; test/fixtures/carriers/wsa) and SOAP header elements of other names
// (test/fixtures/carriers/declared-header, one named in the config); and python3-zeep's
// WS-Addressing plugin calling the generated provider.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, type FastifyInstance } from 'accordo/runtime';
import { WireLog } from '../examples/shared/wire.js';
import { generate } from '../src/generate.js';
import { skipWithout } from './support/ci.js';
import { FIXTURES, ROOT, tempDir } from './support/tmp.js';

const run = promisify(execFile);
const WSA = 'http://www.w3.org/2005/08/addressing';
const NS = 'http://ente.example/nome-api';
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The text of the first element `{ns}name` of an envelope (a regexp is enough for the envelopes the runtime writes: one prefix per namespace, declared on the Envelope). */
function elementText(xml: string, ns: string, name: string): string | undefined {
  const prefix = new RegExp(`xmlns:([\\w.-]+)="${ns.replace(/[.]/g, '\\.')}"`).exec(xml)?.[1];
  if (!prefix) return undefined;
  return new RegExp(`<${prefix}:${name}>([^<]*)</${prefix}:${name}>`).exec(xml)?.[1];
}

const providerHandlers = {
  mRequest: {
    acknowledge: () => ({ return: { outcome: 'ACCEPTED' } }),
    process: async () => ({ return: { c: 'OK' } }),
  },
};

interface Pair {
  provider: FastifyInstance;
  consumer: FastifyInstance;
  providerUrl: string;
  consumerUrl: string;
  registry: CorrelationRegistry;
  api: { mRequest(input: unknown, replyTo?: string): Promise<{ correlationId: string; ack: unknown }>; mRequestResult(id: string, o: { timeoutMs: number }): Promise<unknown> };
  log: WireLog;
  received: unknown[];
}

/** Generates a fixture pair into a temporary directory and starts its provider and consumer on loopback. */
async function start(fixture: string, carriers?: { replyTo?: string; correlationId?: string }): Promise<Pair> {
  const out = await tempDir(`carriers-${fixture}`);
  const dir = join(FIXTURES, 'carriers', fixture);
  await generate({ spec: join(dir, 'server.wsdl'), callback: join(dir, 'callback.wsdl'), out, side: 'both', ...(carriers ? { carriers } : {}) });
  const providerModule = await import(join(out, 'generated', 'provider.ts'));
  const consumerModule = await import(join(out, 'generated', 'consumer.ts'));
  const log = new WireLog();
  const received: unknown[] = [];
  const provider: FastifyInstance = await providerModule.createProviderServer(providerHandlers, { store: 'memory:', replyTo: { allowLoopback: true } });
  const registry = new CorrelationRegistry();
  const consumer: FastifyInstance = await consumerModule.createConsumerServer({ mRequestResponse: async (result: unknown) => (received.push(result), { return: { outcome: 'OK' } }) }, registry);
  log.trace(provider, 'provider', 'consumer');
  log.trace(consumer, 'consumer', 'provider');
  const providerUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
  const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
  const api = new consumerModule.ProviderClient({ endpoint: `${providerUrl}/soap/nome-api/v1`, callbackUrl: consumerUrl, registry });
  return { provider, consumer, providerUrl, consumerUrl, registry, api, log, received };
}

const stop = async (p: Pair | undefined) => {
  await p?.provider.close();
  await p?.consumer.close();
};

/** Posts a raw SOAP 1.1 envelope; the answer's status and text. */
async function post(url: string, header: string, body = `<ns:MRequest xmlns:ns="${NS}"><M><o_id>1</o_id></M></ns:MRequest>`) {
  const envelope = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsa="${WSA}"><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, body: envelope });
  return { status: res.status, text: await res.text() };
}

describe('WS-Addressing 1.0 (wsaw:UsingAddressing on the provider, a wsam:Addressing policy on the callback WSDL)', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await start('wsa');
  });
  afterAll(() => stop(pair));

  it('the consumer sends wsa:MessageID and wsa:ReplyTo; the ACK and the callback relate to that MessageID', async () => {
    const { api, log, consumerUrl, received } = pair;
    const { correlationId, ack } = await api.mRequest({ body: { M: { o_id: 1234, a: { a1s: ['1'], a2: 'prova' }, b: 'prova' } } });
    expect(correlationId).toMatch(UUID_URN);
    expect(ack).toEqual({ return: { outcome: 'ACCEPTED' } });
    expect(await api.mRequestResult(correlationId, { timeoutMs: 10_000 })).toEqual({ return: { c: 'OK' } });
    expect(received).toEqual([{ return: { c: 'OK' } }]);
    // The callback's own ACK (a fourth message) may still be on its way when the result is handed over.
    const [request, accepted, callback] = log.messages;
    expect(request.line).toBe('POST /soap/nome-api/v1');
    expect(elementText(request.body, WSA, 'MessageID')).toBe(correlationId);
    expect(elementText(request.body, WSA, 'Address')).toBe(`${consumerUrl}/soap/nome-api/v1`);
    expect(elementText(request.body, WSA, 'Action')).toBe(`${NS}/SOAPCallback/MRequest`);
    expect(request.body).not.toContain('X-ReplyTo');
    expect(accepted.line).toBe('200 OK');
    expect(elementText(accepted.body, WSA, 'RelatesTo')).toBe(correlationId);
    expect(elementText(accepted.body, WSA, 'Action')).toBe(`${NS}/SOAPCallback/MRequestResponse`);
    expect(callback.line).toBe('POST /soap/nome-api/v1');
    expect(elementText(callback.body, WSA, 'RelatesTo')).toBe(correlationId);
    expect(elementText(callback.body, WSA, 'To')).toBe(`${consumerUrl}/soap/nome-api/v1`);
    expect(elementText(callback.body, WSA, 'Action')).toBe(`${NS}/SOAPCallbackClient/MRequestResponse`);
    expect(elementText(callback.body, WSA, 'MessageID')).toMatch(UUID_URN);
    expect(elementText(callback.body, WSA, 'MessageID')).not.toBe(correlationId);
    // WS-Addressing's SOAP binding: a SOAPAction, when not empty, is the wsa:Action.
    expect(callback.headers.SOAPAction).toBe(`"${NS}/SOAPCallbackClient/MRequestResponse"`);
  });

  it('a request without wsa:MessageID, or whose wsa:ReplyTo names no endpoint, is a Client fault; nothing is accepted', async () => {
    const url = `${pair.providerUrl}/soap/nome-api/v1`;
    const noId = await post(url, `<wsa:ReplyTo><wsa:Address>${pair.consumerUrl}/soap/nome-api/v1</wsa:Address></wsa:ReplyTo>`);
    expect(noId.status).toBe(500);
    expect(noId.text).toContain('faultcode');
    expect(noId.text).toContain('missing wsa:MessageID');
    for (const replyTo of ['', `<wsa:ReplyTo><wsa:Address>${WSA}/anonymous</wsa:Address></wsa:ReplyTo>`, `<wsa:ReplyTo><wsa:Address>${WSA}/none</wsa:Address></wsa:ReplyTo>`]) {
      const res = await post(url, `<wsa:MessageID>urn:uuid:00000000-0000-4000-8000-00000000000${replyTo.length % 10}</wsa:MessageID>${replyTo}`);
      expect(res.status).toBe(500);
      expect(res.text).toContain('missing wsa:ReplyTo');
    }
  });

  it('the reply-address guard applies to wsa:ReplyTo: a private address is refused at step 1, never dialled', async () => {
    const res = await post(
      `${pair.providerUrl}/soap/nome-api/v1`,
      `<wsa:MessageID>urn:uuid:7d3c1c1e-0000-4000-8000-000000000001</wsa:MessageID><wsa:ReplyTo><wsa:Address>http://10.1.2.3/cb</wsa:Address></wsa:ReplyTo>`,
    );
    expect(res.status).toBe(500);
    expect(res.text).toMatch(/wsa:ReplyTo/);
    expect(res.text).toMatch(/private/);
  });

  it('a repeated wsa:MessageID is refused: it is the correlation id of a request already accepted', async () => {
    const header = `<wsa:MessageID>urn:uuid:7d3c1c1e-0000-4000-8000-000000000002</wsa:MessageID><wsa:ReplyTo><wsa:Address>${pair.consumerUrl}/soap/nome-api/v1</wsa:Address></wsa:ReplyTo>`;
    const first = await post(`${pair.providerUrl}/soap/nome-api/v1`, header);
    expect(first.status).toBe(200);
    expect(elementText(first.text, WSA, 'RelatesTo')).toBe('urn:uuid:7d3c1c1e-0000-4000-8000-000000000002');
    const again = await post(`${pair.providerUrl}/soap/nome-api/v1`, header);
    expect(again.status).toBe(500);
    expect(again.text).toContain('already accepted');
  });

  it('the consumer refuses a callback whose wsa:RelatesTo is none of its requests, and one without it', async () => {
    const url = `${pair.consumerUrl}/soap/nome-api/v1`;
    const body = `<ns:MRequestResponse xmlns:ns="${NS}"><return><c>OK</c></return></ns:MRequestResponse>`;
    const unknown = await post(url, `<wsa:RelatesTo>urn:uuid:11111111-1111-4111-8111-111111111111</wsa:RelatesTo>`, body);
    expect(unknown.status).toBe(500);
    expect(unknown.text).toContain('unknown CorrelationID');
    const missing = await post(url, '', body);
    expect(missing.status).toBe(500);
    expect(missing.text).toContain('missing wsa:RelatesTo');
  });
});

describe('SOAP header elements of other names: IndirizzoRisposta (named in the config), CorrelationID (recognised)', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await start('declared-header', { replyTo: 'IndirizzoRisposta' });
  });
  afterAll(() => stop(pair));

  it('carries the callback address and the correlation id in those elements, end to end', async () => {
    const { api, log, consumerUrl, received } = pair;
    const { correlationId } = await api.mRequest({ body: { M: { o_id: 1, b: 'x' } } });
    expect(await api.mRequestResult(correlationId, { timeoutMs: 10_000 })).toEqual({ return: { c: 'OK' } });
    expect(received).toHaveLength(1);
    const [request, accepted, callback] = log.messages;
    expect(elementText(request.body, NS, 'IndirizzoRisposta')).toBe(`${consumerUrl}/soap/nome-api/v1`);
    expect(elementText(accepted.body, NS, 'CorrelationID')).toBe(correlationId);
    expect(elementText(callback.body, NS, 'CorrelationID')).toBe(correlationId);
    for (const m of [request, accepted, callback]) expect(m.body).not.toContain(WSA);
  });
});

/** A python3 with zeep (and its WS-Addressing plugin): Debian's python3-zeep installs it for /usr/bin/python3. */
async function zeepPython(): Promise<string | undefined> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      await run(python, ['-c', 'import zeep.wsa']);
      return python;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
const python = await zeepPython();

describe.skipIf(!python && skipWithout('python3 with zeep is not installed', 'python3-zeep WS-Addressing test', 'apt-get install python3-zeep'))(
  "python3-zeep's WsAddressingPlugin calls the generated WS-Addressing provider",
  () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await start('wsa');
    });
    afterAll(() => stop(pair));

    it("loads ?wsdl, sends zeep's wsa:MessageID with wsa:ReplyTo; the ACK and the callback relate to it", async () => {
      const { providerUrl, consumerUrl, registry, log, received } = pair;
      const replyTo = `${consumerUrl}/soap/nome-api/v1`;
      // zeep's request is not our client's: its MessageID is recorded once zeep prints it.
      const done = registry.beginRequest();
      const { stdout } = await run(python!, [join(ROOT, 'test', 'peers', 'zeep_wsa.py'), `${providerUrl}/soap/nome-api/v1?wsdl`, replyTo]);
      const answer = JSON.parse(stdout) as { body: unknown; messageId: string; to: string; relatesTo: string; ackAction: string };
      await registry.expect(answer.messageId, 'MRequest');
      done();
      expect(answer.messageId).toMatch(UUID_URN);
      expect(answer.to).toBe(`${providerUrl}/soap/nome-api/v1`);
      expect(answer.relatesTo).toBe(answer.messageId);
      expect(answer.ackAction).toBe(`${NS}/SOAPCallback/MRequestResponse`);
      expect(JSON.stringify(answer.body)).toContain('ACCEPTED');
      // The callback reaches the generated consumer, which correlates it by wsa:RelatesTo.
      expect(await registry.waitFor(answer.messageId, { timeoutMs: 10_000 })).toEqual({ return: { c: 'OK' } });
      expect(received).toEqual([{ return: { c: 'OK' } }]);
      const callback = log.messages.find((m) => m.from === 'provider' && m.line.startsWith('POST'))!;
      expect(elementText(callback.body, WSA, 'RelatesTo')).toBe(answer.messageId);
      expect(elementText(callback.body, WSA, 'To')).toBe(replyTo);
    });
  },
);
