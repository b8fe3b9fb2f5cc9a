// The push engine is one for both bindings: these helpers start a REST or a SOAP 1.2 push provider
// with the same task options, so one table of cases runs against both.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { DeliveryOutcome } from '../../src/runtime/delivery.js';
import type { TaskOptions } from '../../src/runtime/engines/tasks.js';
import type { Connector } from '../../src/runtime/reply-to.js';
import { createProviderServer } from '../../examples/nonblock-push-soap/generated/provider.js';
import { infoset } from './infoset.js';
import { DAY, startProvider } from './provider.js';
import type { Answer } from './push.js';
import { FIXTURES } from './tmp.js';
import { within } from './wait.js';

export const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SEED = join(FIXTURES, 'seed', 'nonblock-push-soap', 'messages');

/** A SOAP Fault read independently of the runtime: its code as an expanded name (`{ns}Sender`) and its reason. */
export function faultOf(xml: string): { code: string; subcode?: string; reason: string } {
  const env = infoset(xml);
  const body = env.children.find((c) => c.name.endsWith('}Body'))!;
  const fault = body.children[0];
  if (!fault?.name.endsWith('}Fault')) throw new Error(`not a Fault: ${xml.slice(0, 200)}`);
  // The code is a QName in element text: resolve its prefix from the envelope's declarations.
  const ns = (qname: string) => {
    const [prefix, local] = qname.includes(':') ? qname.split(':') : ['', qname];
    const declared = new RegExp(`xmlns${prefix ? `:${prefix}` : ''}="([^"]+)"`).exec(xml);
    return `{${declared?.[1] ?? ''}}${local}`;
  };
  if (fault.name === `{${SOAP12}}Fault`) {
    const code = fault.children.find((c) => c.name === `{${SOAP12}}Code`)!;
    const value = code.children.find((c) => c.name === `{${SOAP12}}Value`)!.text!;
    const sub = code.children.find((c) => c.name === `{${SOAP12}}Subcode`)?.children[0]?.text;
    const reason = fault.children.find((c) => c.name === `{${SOAP12}}Reason`)!.children[0].text!;
    return { code: ns(value), ...(sub ? { subcode: ns(sub) } : {}), reason };
  }
  return { code: ns(fault.children.find((c) => c.name === 'faultcode')!.text!), reason: fault.children.find((c) => c.name === 'faultstring')!.text! };
}

/** A push provider of either binding, as the tests drive it. */
export interface BoundProvider {
  url: string;
  /** Step 1: sends a request with this callback URL; the raw answer. */
  send(replyTo: string, n?: number): Promise<Response>;
  /** Step 1 that must be accepted: the CorrelationID of the ACK. */
  accept(replyTo: string, n?: number): Promise<string>;
  /** How many requests reached the handler's `acknowledge`. */
  acknowledged(): number;
  /** How many times the handler's `process` ran. */
  processed(): number;
  outcome(id: string): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}

export interface PushBinding {
  name: string;
  start(
    options: TaskOptions & {
      delivery?: TaskOptions['delivery'] & { connect?: Connector };
      /** Supplies the CorrelationID (both bindings' provider option). */
      correlationId?: (operationId: string) => string;
    },
  ): Promise<BoundProvider>;
  /** How a refusal at step 1 is answered: status and the error's code (problem: the status; SOAP: the fault code). */
  refusal(res: Response): Promise<{ status: number; code: string; detail: string }>;
  /** What the binding expects of a refusal of the callback URL at step 1. */
  refused: { status: number; code: string };
  /** A callback target's answer that acknowledges the callback. */
  ack: Answer;
  /** The callback's CorrelationID as the target received it. */
  correlationOf(hit: { headers: Record<string, unknown>; body: unknown }): string | undefined;
}

function outcomes() {
  const done = new Map<string, DeliveryOutcome>();
  const waiting = new Map<string, (o: DeliveryOutcome) => void>();
  return {
    onDelivery: (_op: string, id: string, o: DeliveryOutcome) => {
      done.set(id, o);
      waiting.get(id)?.(o);
    },
    outcome: (id: string) =>
      done.has(id) ? Promise.resolve(done.get(id)!) : within(new Promise<DeliveryOutcome>((resolve) => waiting.set(id, resolve)), 30_000, () => `no delivery outcome for ${id}`),
  };
}

export const REST: PushBinding = {
  name: 'REST',
  async start(options) {
    let acknowledged = 0;
    const p = await startProvider({ replyTo: {}, ...options });
    // startProvider's handler counts runs; acknowledgements are the 202s this helper saw.
    const send = (replyTo: string, n = 1) =>
      fetch(`${p.url}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': replyTo }, body: JSON.stringify({ n }) }).then((res) => {
        if (res.status === 202) acknowledged++;
        return res;
      });
    return {
      url: p.url,
      send,
      async accept(replyTo, n = 1) {
        const res = await send(replyTo, n);
        if (res.status !== 202) throw new Error(`REST push answered ${res.status}: ${await res.text()}`);
        return res.headers.get('x-correlation-id')!;
      },
      acknowledged: () => acknowledged,
      processed: () => [...p.runs.values()].reduce((a, b) => a + b, 0),
      outcome: (id) => p.outcome(id),
      close: () => p.close(),
    };
  },
  async refusal(res) {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { status: number; detail: string };
    expect(problem.status).toBe(res.status);
    return { status: res.status, code: String(problem.status), detail: problem.detail };
  },
  refused: { status: 400, code: '400' },
  ack: { status: 200, body: { outcome: 'received' } },
  correlationOf: (hit) => hit.headers['x-correlation-id'] as string | undefined,
};

const soapRequest = (replyTo: string, n: number) =>
  `<s:Envelope xmlns:s="${SOAP12}" xmlns:m="http://ente.example/nome-api"><s:Header><m:X-ReplyTo>${replyTo.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</m:X-ReplyTo></s:Header><s:Body><m:MRequest><M><o_id>${n}</o_id></M></m:MRequest></s:Body></s:Envelope>`;

export const SOAP: PushBinding = {
  name: 'SOAP 1.2',
  async start(options) {
    let acknowledged = 0;
    let processed = 0;
    const o = outcomes();
    const app: FastifyInstance = await createProviderServer(
      {
        mRequest: {
          acknowledge: () => (acknowledged++, { return: { outcome: 'ACCEPTED' } }),
          process: () => (processed++, { return: { c: 'OK' } }),
        },
      },
      // A lease of a day, as startProvider's: on a test clock that runs fast, a shorter one would
      // lapse during a real-time attempt and the task would be claimed twice.
      { store: 'memory:', ...options, delivery: { leaseMs: DAY, ...options.delivery }, onDelivery: o.onDelivery },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/soap/nome-api/v1`;
    const send = (replyTo: string, n = 1) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/soap+xml' }, body: soapRequest(replyTo, n) });
    return {
      url,
      send,
      async accept(replyTo, n = 1) {
        const res = await send(replyTo, n);
        const text = await res.text();
        if (res.status !== 200) throw new Error(`SOAP push answered ${res.status}: ${text}`);
        return /<[\w.-]+:X-Correlation-ID[^>]*>([^<]+)</.exec(text)![1];
      },
      acknowledged: () => acknowledged,
      processed: () => processed,
      outcome: o.outcome,
      close: () => app.close(),
    };
  },
  async refusal(res) {
    expect(res.headers.get('content-type')).toMatch(/^application\/soap\+xml/);
    const f = faultOf(await res.text());
    return { status: res.status, code: f.code, detail: f.reason };
  },
  refused: { status: 500, code: `{${SOAP12}}Sender` },
  ack: {
    status: 200,
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    text: readFileSync(join(SEED, '4-callback-ack.xml'), 'utf8'),
  },
  correlationOf: (hit) => /<[\w.-]+:X-Correlation-ID[^>]*>([^<]+)</.exec(String(hit.body))?.[1],
};

export const BINDINGS = [REST, SOAP];
