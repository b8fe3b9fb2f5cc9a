import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/runtime/clock.js';
import type { CallbackDefinition } from '../../src/runtime/consumer.js';
import type { JsonSchema, PushDescriptor } from '../../src/runtime/descriptors.js';
import type { ProviderDefinition } from '../../src/runtime/provider.js';

/** A hand-written NONBLOCK_PUSH agreement: POST /requests {n} → callback POST {n, doubled}. */
const json = (schema?: JsonSchema) => ({ mediaTypes: ['application/json'], ...(schema ? { schema } : {}) });
export const callbackOp = {
  id: 'onResult',
  name: 'onResult',
  handler: 'onResult',
  method: 'POST' as const,
  path: '/callback',
  pattern: 'NONBLOCK_PUSH_REST',
  parameters: { path: [], query: [], header: [] },
  body: { required: true, ...json({ $ref: '#/$defs/Result' }) },
  responses: [{ status: '200', headers: [], ...json({ $ref: '#/$defs/Ack' }) }],
};
export const submitOp: PushDescriptor = {
  id: 'submit',
  handler: 'submit',
  method: 'POST',
  path: '/requests',
  pattern: 'NONBLOCK_PUSH_REST',
  parameters: { path: [], query: [], header: [] },
  body: { required: true, ...json({ $ref: '#/$defs/Request' }) },
  responses: [{ status: '202', headers: [], ...json({ $ref: '#/$defs/Ack' }) }],
  replyToHeader: 'X-ReplyTo',
  callback: callbackOp,
};
export const defs = {
  Request: { type: 'object', required: ['n'], properties: { n: { type: 'integer' }, tag: { type: 'string' } } },
  Result: { type: 'object', required: ['n', 'doubled'], properties: { n: { type: 'integer' }, doubled: { type: 'integer' } } },
  Ack: { type: 'object', properties: { outcome: { type: 'string' } } },
};
export const providerDef: ProviderDefinition = { defs, operations: [submitOp] };
export const callbackDef: CallbackDefinition = { defs, callbacks: [callbackOp] };

/**
 * A test clock that runs fast: every sleep moves time forward at once by what was asked and
 * yields for a moment, so backoffs of minutes and retention of days pass in milliseconds.
 */
export function fastClock(): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    sleep: (ms) => {
      offset += ms;
      return new Promise((resolve) => setTimeout(resolve, 2));
    },
  };
}

export interface Hit {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/**
 * What a scripted callback target answers: JSON `body`, or `text` as it is (a SOAP envelope);
 * `drop` closes the connection without an answer; `hang` never answers.
 */
export type Answer = { status: number; headers?: Record<string, string>; body?: unknown; text?: string } | 'drop' | 'hang';

/** A callback target on loopback answering from a script; keeps every request it got. */
export async function startTarget(script: (hit: Hit, count: number) => Answer, host = '127.0.0.1'): Promise<{ url: string; hits: Hit[]; server: Server; close: () => Promise<void> }> {
  const hits: Hit[] = [];
  const counts = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* keep the text */
      }
      const hit = { path: req.url ?? '', headers: req.headers, body };
      hits.push(hit);
      const key = `${req.url} ${req.headers['x-correlation-id'] ?? ''}`;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      const answer = script(hit, n);
      if (answer === 'drop') return req.socket.destroy();
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    hits,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a push request (step 1) and returns the 202's CorrelationID. */
export async function push(providerUrl: string, replyTo: string, n: number): Promise<string> {
  const res = await fetch(`${providerUrl}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': replyTo }, body: JSON.stringify({ n }) });
  if (res.status !== 202) throw new Error(`push answered ${res.status}: ${await res.text()}`);
  return res.headers.get('x-correlation-id')!;
}

/** Resolves when `pred` holds, polling; fails after `ms` (a safety net, not a timing assertion). */
export async function until(pred: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
