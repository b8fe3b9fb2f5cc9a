// What each binding's codec (codecs/json.ts, codecs/soap.ts) makes of a handler's failure, of an
// engine refusal, of a callback without a body, and of a SOAP callback answered by a redirect:
// the parts of the push and pull engines that differ between REST and SOAP.
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonFailure, jsonPushJob } from '../src/runtime/codecs/json.js';
import { problemFault, soapFailure } from '../src/runtime/codecs/soap.js';
import type { PushDescriptor } from '../src/runtime/descriptors.js';
import { ProblemError } from '../src/runtime/problem.js';
import { SoapFaultError } from '../src/runtime/soap/envelope.js';
import { Validators } from '../src/runtime/validation.js';
import type { AddressInfo } from 'node:net';
import { createProviderServer } from '../examples/nonblock-push-soap/generated/provider.js';
import type { DeliveryOutcome } from '../src/runtime/delivery.js';
import { BINDINGS } from './support/bindings.js';
import { within } from './support/wait.js';
import { callbackOp, defs, startTarget, submitOp, type Answer, type Hit } from './support/push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function target(script: (hit: Hit, count: number) => Answer) {
  const t = await startTarget(script);
  cleanup.push(t.close);
  return t;
}

const silent = { warn: () => {}, info: () => {}, debug: () => {}, error: () => {} } as unknown as FastifyBaseLogger;
const OPTIONS = { timeoutMs: 10_000, outbound: {}, replyTo: { allowLoopback: true } };

describe('a failed pull handler, as its task keeps it', () => {
  it('keeps a ProblemError detail (or its title) and a Fault reason, never the internals of another error', () => {
    expect(jsonFailure(new ProblemError(422, 'the order is closed'))).toBe('the order is closed');
    expect(jsonFailure(new ProblemError(409))).toBe('Conflict');
    expect(jsonFailure(new Error('password=hunter2 at db.internal'))).toBe('the request could not be processed');
    expect(soapFailure(new SoapFaultError('Sender', 'the order is closed'))).toBe('the order is closed');
    expect(soapFailure(new Error('password=hunter2 at db.internal'))).toBe('the request could not be processed');
  });
});

describe('an engine refusal as a SOAP Fault', () => {
  it.each([
    [400, 'Sender'],
    [409, 'Sender'],
    [499, 'Sender'],
    [500, 'Receiver'],
    [503, 'Receiver'],
  ])('%i is a %s fault', (status, code) => {
    const fault = problemFault(new ProblemError(status, 'why'));
    expect(fault).toBeInstanceOf(SoapFaultError);
    expect([fault.code, fault.reason]).toEqual([code, 'why']);
  });
});

describe('a JSON callback without a body', () => {
  it('sends no body when the callback declares none and the handler gave null; a declared body carries the null', async () => {
    const t = await target(() => ({ status: 200, body: { outcome: 'ok' } }));
    const validators = new Validators(defs);
    const { body: _declared, ...bodiless } = callbackOp;
    const withoutBody: PushDescriptor = { ...submitOp, callback: bodiless };
    expect(await jsonPushJob(withoutBody, () => null, validators).attempt({ url: `${t.url}/none`, correlationId: 'c-1', body: null }, OPTIONS, silent)).toMatchObject({ kind: 'delivered' });
    expect(await jsonPushJob(submitOp, () => null, validators).attempt({ url: `${t.url}/declared`, correlationId: 'c-2', body: null }, OPTIONS, silent)).toMatchObject({ kind: 'delivered' });
    expect(t.hits.map((h) => [h.path, h.body])).toEqual([
      ['/none', undefined],
      ['/declared', null],
    ]);
  });
});

describe('a SOAP callback answered by a redirect (not followed) or a 3xx', () => {
  const SOAP = BINDINGS[1];
  it.each([300, 307])('%i: a dead letter, not a delivery', async (status) => {
    const t = await target(() => ({ status, headers: { location: '/elsewhere' } }));
    const p = await SOAP.start({ replyTo: { allowLoopback: true } });
    cleanup.push(p.close);
    const id = await p.accept(`${t.url}/cb`);
    expect(await p.outcome(id)).toMatchObject({ state: 'dead', status, attempts: 1 });
    expect(t.hits).toHaveLength(1);
  });
});

describe('a SOAP callback acknowledged by an answer longer than maxAnswerBytes', () => {
  it('is a dead letter, not a delivery, even with a 200', async () => {
    const SOAP = BINDINGS[1];
    const ack = SOAP.ack as { status: number; headers: Record<string, string>; text: string };
    const t = await target(() => ({ ...ack, text: ack.text.replace('</', `<!-- ${'x'.repeat(4096)} --></`) }));
    const p = await SOAP.start({ replyTo: { allowLoopback: true }, delivery: { maxAnswerBytes: 1024 } });
    cleanup.push(p.close);
    const id = await p.accept(`${t.url}/cb`);
    expect(await p.outcome(id)).toMatchObject({ state: 'dead', status: 200, attempts: 1 });
  });
});

describe('a SOAP handler result that the callback message cannot carry', () => {
  it('is a dead letter naming the callback body, and no callback is sent', async () => {
    const t = await target(() => ({ status: 200 }));
    let reported: (o: DeliveryOutcome) => void = () => {};
    const outcome = new Promise<DeliveryOutcome>((resolve) => (reported = resolve));
    const app = await createProviderServer(
      {
        mRequest: {
          acknowledge: () => ({ return: { outcome: 'ACCEPTED' } }),
          // Not the callback's message: its `return` part is missing.
          process: () => ({ wrong: true }) as never,
        },
      },
      { store: 'memory:', replyTo: { allowLoopback: true }, onDelivery: (_op, _id, o) => reported(o) },
    );
    cleanup.push(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/soap/nome-api/v1`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/soap+xml' },
      body: `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:m="http://ente.example/nome-api"><s:Header><m:X-ReplyTo>${t.url}/cb</m:X-ReplyTo></s:Header><s:Body><m:MRequest><M><o_id>1</o_id></M></m:MRequest></s:Body></s:Envelope>`,
    });
    expect(res.status).toBe(200);
    expect(await within(outcome, 30_000, () => 'no delivery outcome for the invalid result')).toMatchObject({ state: 'dead', attempts: 0, reason: expect.stringContaining('callback body') });
    expect(t.hits).toHaveLength(0);
  });
});
