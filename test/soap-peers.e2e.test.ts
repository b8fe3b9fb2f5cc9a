// Real SOAP peers nobody here wrote: python3-zeep (Debian) calls the generated provider from its
// ?wsdl; the generated consumer client calls a server built with the `soap` npm package.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as soap from 'soap';
import { afterAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, SoapFaultError, type FastifyInstance } from 'accordo/runtime';
import { createProviderServer } from '../examples/nonblock-push-soap/generated/provider.js';
import { createConsumerServer } from '../examples/nonblock-push-soap/generated/consumer.js';
import { handlers } from '../examples/nonblock-push-soap/provider.handlers.js';
import { generate } from '../src/generate.js';
import { skipWithout } from './support/ci.js';
import { ROOT, tempDir } from './support/tmp.js';
import { UUID_V7 } from './support/ids.js';

const run = promisify(execFile);

/** A python3 with zeep: Debian's python3-zeep installs it for /usr/bin/python3. */
async function zeepPython(): Promise<string | undefined> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      await run(python, ['-c', 'import zeep']);
      return python;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

const python = await zeepPython();

describe.skipIf(!python && skipWithout('python3 with zeep is not installed', 'python3-zeep tests', 'apt-get install python3-zeep'))('python3-zeep calls the generated provider', () => {
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('loads ?wsdl, calls MRequest with X-ReplyTo, gets the ACK and X-Correlation-ID; the callback arrives at X-ReplyTo', async () => {
    const provider = await createProviderServer(handlers, { store: 'memory:', replyTo: { allowLoopback: true } });
    const registry = new CorrelationRegistry();
    const received: unknown[] = [];
    const consumer = await createConsumerServer({ mRequestResponse: async (result) => (received.push(result), { return: { outcome: 'OK' } }) }, registry);
    apps.push(provider, consumer);
    const delivered = new Promise((resolve) => consumer.addHook('onResponse', async (req, reply) => resolve({ url: req.url, status: reply.statusCode })));
    const providerUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
    const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    const replyTo = `${consumerUrl}/soap/nome-api/v1`;

    // zeep's request is not ours: its CorrelationID is recorded once zeep prints it.
    const done = registry.beginRequest();
    const { stdout } = await run(python!, [join(ROOT, 'test', 'peers', 'zeep_push.py'), `${providerUrl}/soap/nome-api/v1?wsdl`, replyTo]);
    const answer = JSON.parse(stdout) as { body: unknown; headers: Record<string, string>; address: string };
    const correlationId = answer.headers['X-Correlation-ID'];
    registry.expect(correlationId, 'MRequest');
    done();

    expect(answer.address).toBe(`${providerUrl}/soap/nome-api/v1`);
    expect(answer.body).toEqual({ return: { outcome: 'ACCEPTED' } });
    expect(correlationId).toMatch(UUID_V7);
    expect(await registry.waitFor(correlationId, { timeoutMs: 10_000 })).toEqual({ return: { c: 'OK' } });
    expect(await delivered).toEqual({ url: '/soap/nome-api/v1', status: 200 });
    expect(received).toEqual([{ return: { c: 'OK' } }]);
  });
});

describe('the generated consumer calls a server built with the soap npm package', () => {
  let server: Server;
  afterAll(() => new Promise((resolve) => server?.close(resolve)));

  it('gets typed values back: the ACK, the X-Correlation-ID header, and faults', async () => {
    // SOAP 1.1: the soap package answers SOAP 1.2 requests with 1.1 envelopes.
    const fixtures = join(ROOT, 'test', 'fixtures', 'soap11');
    const out = await tempDir('soap-npm');
    await generate({ spec: join(fixtures, 'server.wsdl'), callback: join(fixtures, 'callback.wsdl'), out, side: 'consumer' });
    const consumer = await import(join(out, 'generated', 'consumer.ts'));

    const seen: unknown[] = [];
    const service = {
      SOAPCallbackService: {
        SOAPCallbackPort: {
          MRequest(args: { M?: { o_id?: number } }, _cb: unknown, headers: Record<string, unknown>) {
            seen.push({ args, headers });
            if (args.M?.o_id === -1) throw { Fault: { faultcode: 'soap:Client', faultstring: 'o_id must not be negative' } };
            return { return: { outcome: 'ACCEPTED' } };
          },
        },
      },
    };
    server = createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const soapServer = soap.listen(server, '/soap/nome-api/v1', service, await readFile(join(fixtures, 'server.wsdl'), 'utf8'));
    soapServer.addSoapHeader(() => '<tns:X-Correlation-ID xmlns:tns="http://ente.example/nome-api">id-from-soap-npm</tns:X-Correlation-ID>');
    const { port } = server.address() as { port: number };

    const registry = new CorrelationRegistry();
    const api = new consumer.ProviderClient({ endpoint: `http://127.0.0.1:${port}/soap/nome-api/v1`, registry });
    const { correlationId, ack } = await api.mRequest({ body: { M: { o_id: 1234, a: { a1s: ['1', '2'], a2: 'prova' }, b: 'prova' } } }, 'http://127.0.0.1:9/cb');
    expect(correlationId).toBe('id-from-soap-npm');
    expect(ack).toEqual({ return: { outcome: 'ACCEPTED' } });
    // The soap server read our envelope: typed values and the X-ReplyTo header.
    expect(seen[0]).toMatchObject({ args: { M: { o_id: 1234, a: { a1s: ['1', '2'], a2: 'prova' }, b: 'prova' } }, headers: { 'X-ReplyTo': 'http://127.0.0.1:9/cb' } });

    const fault = await api.mRequest({ body: { M: { o_id: -1 } } }, 'http://127.0.0.1:9/cb').catch((e: unknown) => e);
    expect(fault).toBeInstanceOf(SoapFaultError);
    expect(fault).toMatchObject({ code: 'Sender', reason: 'o_id must not be negative' });
  });
});
