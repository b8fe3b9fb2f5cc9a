// A push request's callback URL read where its callback's runtime expression says (a body field,
// a query parameter): classify's carrier, the descriptor emit prints, and the runtime on both sides
// over loopback, from one spec.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, CorrelationRegistry, registerCallbacks, registerProvider, sendPush, type FastifyInstance, type PushDescriptor } from 'accordo/runtime';
import { loadClassified } from '../src/classify/index.js';
import { buildView } from '../src/emit/view.js';
import { FIXTURES } from './support/tmp.js';

const servers: FastifyInstance[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function pushFrom(spec: string) {
  const classified = await loadClassified({ spec });
  const view = buildView(classified);
  const defs = Object.fromEntries([...classified.agreement.schemas.values()].map((s) => [s.key, s.schema]));
  return { classified, view, defs, push: view.provider.find((o) => o.isPush)!.descriptor as PushDescriptor, receiver: view.receivers[0] };
}

describe('a push whose callback URL is a body field', () => {
  it('is classified with a body carrier, served, called and answered over loopback', async () => {
    const { classified, defs, push, receiver } = await pushFrom(join(FIXTURES, 'callbacks', 'push-body.yaml'));
    const interaction = classified.interactions.find((i) => i.kind === 'push');
    expect(interaction?.kind === 'push' && interaction.replyTo).toEqual({ in: 'body', pointer: '/callback' });
    expect(push.replyTo).toEqual({ address: [{ kind: 'body', pointer: '/callback' }], expression: '{$request.body#/callback}' });

    const registry = new CorrelationRegistry();
    const consumer = createServer();
    servers.push(consumer);
    await consumer.register(async (app) => registerCallbacks(app, { defs, callbacks: [receiver.descriptor] }, { [receiver.handler]: async () => undefined }, registry));
    const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });

    const seen: unknown[] = [];
    const provider = createServer();
    servers.push(provider);
    await provider.register(async (app) =>
      registerProvider(
        app,
        { defs, operations: [push] },
        { [push.handler]: { acknowledge: (req: { body: unknown }) => (seen.push(req.body), undefined), process: () => ({ status: 'delivered' }) } },
        { store: 'memory:', replyTo: { allowLoopback: true } },
      ),
    );
    const baseUrl = await provider.listen({ host: '127.0.0.1', port: 0 });

    // The client puts the URL in the body field the spec reads it from; no X-ReplyTo.
    const { correlationId } = await sendPush(push, { body: { text: 'hello' } }, `${consumerUrl}${receiver.path}`, registry, { baseUrl });
    expect(seen).toEqual([{ text: 'hello', callback: `${consumerUrl}${receiver.path}` }]);
    expect(await registry.waitFor(correlationId, { timeoutMs: 20_000 })).toEqual({ status: 'delivered' });

    // Without the field, the request is refused as one without X-ReplyTo is, naming the expression.
    const res = await fetch(`${baseUrl}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/\{\$request\.body#\/callback\}/);
  });
});
