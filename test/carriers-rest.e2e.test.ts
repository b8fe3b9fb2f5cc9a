// The REST query-string carrier end to end over loopback (integration guide §5.3): the callback
// URL in a query parameter of the request, the CorrelationID in a query parameter of the
// callback (test/fixtures/carriers/push-query.yaml): classify's carriers, the descriptors emit
// prints, and the runtime on both sides.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, CorrelationRegistry, registerCallbacks, registerProvider, sendPush, type FastifyInstance, type PushDescriptor } from 'accordo/runtime';
import { loadClassified } from '../src/classify/index.js';
import { buildView } from '../src/emit/view.js';
import { inspectAgreement } from '../src/inspect/index.js';
import { FIXTURES } from './support/tmp.js';

const SPEC = join(FIXTURES, 'carriers', 'push-query.yaml');
const servers: FastifyInstance[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start() {
  const classified = await loadClassified({ spec: SPEC });
  const view = buildView(classified);
  const defs = Object.fromEntries([...classified.agreement.schemas.values()].map((s) => [s.key, s.schema]));
  const push = view.provider.find((o) => o.isPush)!.descriptor as PushDescriptor;
  const receiver = view.receivers[0];
  const registry = new CorrelationRegistry();
  const received: { url: string; body: unknown }[] = [];
  const consumer = createServer();
  servers.push(consumer);
  consumer.addHook('preHandler', async (req) => void received.push({ url: req.url, body: req.body }));
  await consumer.register(async (app) => registerCallbacks(app, { defs, callbacks: [receiver.descriptor] }, { [receiver.handler]: async () => undefined }, registry));
  const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
  const requests: string[] = [];
  const provider = createServer();
  servers.push(provider);
  provider.addHook('onRequest', async (req) => void requests.push(req.url));
  await provider.register(async (app) =>
    registerProvider(
      app,
      { defs, operations: [push] },
      { [push.handler]: { acknowledge: () => undefined, process: () => ({ status: 'delivered' }) } },
      { store: 'memory:', replyTo: { allowLoopback: true } },
    ),
  );
  const baseUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
  return { classified, push, receiver, registry, consumerUrl, baseUrl, received, requests };
}

describe('the query-string carrier', () => {
  it('is what classify decides and inspect shows, and what the descriptors carry', async () => {
    const classified = await loadClassified({ spec: SPEC });
    const push = classified.interactions.find((i) => i.kind === 'push');
    expect(push?.kind === 'push' && push.replyTo).toEqual({ in: 'query', name: 'replyTo' });
    expect(push?.kind === 'push' && push.correlation).toEqual({ in: 'query', name: 'correlationId' });
    const rows = inspectAgreement(classified);
    expect(rows.find((r) => r.operation === 'sendMessage')?.carriers).toEqual({ replyTo: 'query parameter replyTo', correlationId: 'query parameter correlationId' });
    expect(rows.find((r) => r.operation === 'messageStatus')?.carriers).toEqual({ correlationId: 'query parameter correlationId' });
    const view = buildView(classified);
    const descriptor = view.provider.find((o) => o.isPush)!.descriptor as PushDescriptor;
    expect(descriptor.replyTo).toEqual({ address: [{ kind: 'query', name: 'replyTo' }], expression: '{$request.query.replyTo}' });
    expect(descriptor.correlationParameter).toBe('correlationId');
    expect(view.receivers[0].descriptor).toMatchObject({ correlationParameter: 'correlationId' });
  });

  it('the client puts the callback URL in ?replyTo=; the provider calls it back with ?correlationId=; the consumer correlates by it', async () => {
    const { push, receiver, registry, consumerUrl, baseUrl, received, requests } = await start();
    const callbackUrl = `${consumerUrl}${receiver.path}?tenant=a`;
    const { correlationId } = await sendPush(push, { body: { text: 'hello' } }, callbackUrl, registry, { baseUrl });
    expect(await registry.waitFor(correlationId, { timeoutMs: 20_000 })).toEqual({ status: 'delivered' });
    const sent = new URL(requests[0], baseUrl);
    expect(sent.pathname).toBe('/messages');
    expect(sent.searchParams.get('replyTo')).toBe(callbackUrl);
    // The id is added to the query the callback URL already had.
    const called = new URL(received[0].url, consumerUrl);
    expect(called.pathname).toBe(receiver.path);
    expect(called.searchParams.get('tenant')).toBe('a');
    expect(called.searchParams.get('correlationId')).toBe(correlationId);
    expect(received[0].body).toEqual({ status: 'delivered' });
  });

  it('the reply-address guard applies to the query parameter: a private address is refused at step 1, never dialled', async () => {
    const { baseUrl } = await start();
    const res = await fetch(`${baseUrl}/messages?replyTo=${encodeURIComponent('http://10.1.2.3/cb')}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/private/);
  });

  it('the consumer refuses a callback without the query parameter, and one whose id is none of its requests', async () => {
    const { receiver, consumerUrl } = await start();
    const post = (query: string) => fetch(`${consumerUrl}${receiver.path}${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":"x"}' });
    const missing = await post('');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { detail: string }).detail).toMatch(/correlationId/);
    const unknown = await post('?correlationId=nobody');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: string }).detail).toContain('unknown CorrelationID');
  });
});
