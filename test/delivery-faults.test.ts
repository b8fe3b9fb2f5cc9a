// One rule for what a callback answer means, JSON or SOAP (docs/delivery.md): a SOAP Fault is
// temporary when the consumer failed (Receiver/Server) and permanent when the message is wrong
// (Sender/Client...), as an HTTP 502/503/504 against a 4xx.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, type DeliveryOutcome } from 'accordo/runtime';
import { ProviderClient } from '../examples/nonblock-push-soap/generated/consumer.js';
import { createProviderServer } from '../examples/nonblock-push-soap/generated/provider.js';
import { handlers } from '../examples/nonblock-push-soap/provider.handlers.js';
import { classifyAnswer } from '../src/runtime/delivery.js';
import { until } from './support/push.js';

const kindOf = (answer: Parameters<typeof classifyAnswer>[0]) => classifyAnswer(answer).kind;

describe('classifyAnswer', () => {
  it('HTTP statuses by the CART rules', () => {
    expect([200, 202, 204].map((status) => kindOf({ status }))).toEqual(['delivered', 'delivered', 'delivered']);
    expect([429, 502, 503, 504].map((status) => kindOf({ status }))).toEqual(['temporary', 'temporary', 'temporary', 'temporary']);
    expect([400, 401, 403, 404, 409, 500].map((status) => kindOf({ status }))).toEqual(['permanent', 'permanent', 'permanent', 'permanent', 'permanent', 'permanent']);
    expect(kindOf({ status: 429, limitExceeded: true })).toBe('permanent');
  });

  it('SOAP Faults by their code, in both versions, whatever the HTTP status', () => {
    const fault = (code: string) => kindOf({ status: 500, fault: { code, reason: 'r' } });
    expect(['Receiver', 'Server', 'Server.Busy'].map(fault)).toEqual(['temporary', 'temporary', 'temporary']);
    expect(['Sender', 'Client', 'Client.Auth', 'VersionMismatch', 'MustUnderstand', 'DataEncodingUnknown'].map(fault)).toEqual(Array(6).fill('permanent'));
    expect(classifyAnswer({ status: 500, fault: { code: 'Sender', reason: 'wrong' } })).toMatchObject({ reason: 'SOAP Fault Sender: wrong' });
  });
});

describe('a SOAP provider delivering to a consumer that answers Faults', () => {
  let target: Server;
  afterAll(() => new Promise((resolve) => target?.close(resolve)));

  it('tries a Receiver fault again and ends at a Sender fault', async () => {
    let answer: 'receiver-once' | 'sender' | 'receiver-200-once' = 'receiver-once';
    let hits = 0;
    const fault = (code: string, reason: string) =>
      `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault><e:Code><e:Value>e:${code}</e:Value></e:Code><e:Reason><e:Text xml:lang="en">${reason}</e:Text></e:Reason></e:Fault></e:Body></e:Envelope>`;
    target = createServer((req, res) => {
      req.resume().on('end', () => {
        hits++;
        const body = answer === 'sender' ? fault('Sender', 'wrong callback') : hits === 1 || (answer === 'receiver-200-once' && hits === 4) ? fault('Receiver', 'busy') : undefined;
        // Some SOAP 1.1 stacks answer their Faults with 200: the Fault still decides.
        res.writeHead(body && answer !== 'receiver-200-once' ? 500 : 200, { 'content-type': 'application/soap+xml' }).end(body ?? '');
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const callbackUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/callback`;

    const outcomes = new Map<string, DeliveryOutcome>();
    const provider = await createProviderServer(handlers, {
      store: 'memory:',
      replyTo: { allowLoopback: true },
      retry: { baseDelayMs: 10, maxDelayMs: 20 },
      delivery: { pollMs: 20 },
      onDelivery: (_op, id, outcome) => outcomes.set(id, outcome),
    });
    try {
      const api = new ProviderClient({ endpoint: `${await provider.listen({ host: '127.0.0.1', port: 0 })}/soap/nome-api/v1`, callbackUrl, registry: new CorrelationRegistry() });
      const retried = (await api.mRequest({ body: { M: { o_id: 1 } } })).correlationId;
      await until(() => outcomes.has(retried), 10_000, 'the first delivery to end');
      expect(outcomes.get(retried)).toMatchObject({ state: 'delivered', attempts: 2 });

      answer = 'sender';
      const refused = (await api.mRequest({ body: { M: { o_id: 2 } } })).correlationId;
      await until(() => outcomes.has(refused), 10_000, 'the second delivery to end');
      expect(outcomes.get(refused)).toMatchObject({ state: 'dead', attempts: 1, status: 500, reason: 'SOAP Fault Sender: wrong callback' });
      expect(hits).toBe(3);

      answer = 'receiver-200-once';
      const faultIn200 = (await api.mRequest({ body: { M: { o_id: 3 } } })).correlationId;
      await until(() => outcomes.has(faultIn200), 10_000, 'the third delivery to end');
      expect(outcomes.get(faultIn200)).toMatchObject({ state: 'delivered', attempts: 2 });
      expect(hits).toBe(5);
    } finally {
      await provider.close();
    }
  });
});
