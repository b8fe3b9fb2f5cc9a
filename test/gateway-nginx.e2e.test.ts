// The generated nginx configuration, run by a real nginx on loopback between real providers and
// consumers: push (request and callback both through the two gateways), pull (Location and
// Content-Location point at the gateway), sync, gateway errors as problem+json, rate limiting.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, type FastifyInstance } from 'accordo/runtime';
import { loadConfig } from '../src/config/index.js';
import { generate } from '../src/generate.js';
import { createConsumerServer, ProviderClient } from '../examples/nonblock-push-rest/generated/consumer.js';
import { createProviderServer } from '../examples/nonblock-push-rest/generated/provider.js';
import { freePort, nginxCheck, nginxOrSkip, requireNginx, startNginx, type RunningNginx } from './support/nginx.js';
import { FIXTURES, ROOT, tempDir } from './support/tmp.js';

const { nginx: found, skip } = nginxOrSkip('gateway nginx tests');
const SEED = join(FIXTURES, 'seed', 'nonblock-push-rest');
const MODI = join(FIXTURES, 'modi');
const TX = /^[0-9a-f]{32}$/;

interface Ports {
  providerBackend: number;
  consumerBackend: number;
  providerGateway: number;
  consumerGateway: number;
}

async function ports(): Promise<Ports> {
  return { providerBackend: await freePort(), consumerBackend: await freePort(), providerGateway: await freePort(), consumerGateway: await freePort() };
}

/** Generates an agreement's output and nginx gateways from a config like a user's, and returns the nginx files. */
async function generateWithGateway(name: string, p: Ports, paths: { spec: string; callback?: string; providerBase: string; consumerBase?: string }, extra = '') {
  const out = await tempDir(`nginx-${name}`);
  const yaml = [
    'gateway:',
    '  targets: [nginx]',
    '  provider:',
    '    organisation: ENTE',
    `    backend: http://127.0.0.1:${p.providerBackend}${paths.providerBase}`,
    `    gatewayUrl: http://127.0.0.1:${p.providerGateway}`,
    `    listen: 127.0.0.1:${p.providerGateway}`,
    '  consumer:',
    '    organisation: CLIENT',
    '    application: ClientApp',
    `    callbackBackend: http://127.0.0.1:${p.consumerBackend}${paths.consumerBase ?? ''}`,
    `    gatewayUrl: http://127.0.0.1:${p.consumerGateway}`,
    `    listen: 127.0.0.1:${p.consumerGateway}`,
    extra,
  ].join('\n');
  await writeFile(join(out, 'accordo.config.yaml'), yaml);
  const config = await loadConfig(join(out, 'accordo.config.yaml'));
  await generate({ spec: paths.spec, callback: paths.callback, out, side: 'both', gateway: config.gateway });
  return { out, confs: [join(out, 'gateway', 'nginx', 'provider.conf'), join(out, 'gateway', 'nginx', 'consumer.conf')] };
}

async function expectProblem(res: Response, status: number, title: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await res.json();
  expect(body).toMatchObject({ status, title, govway_id: res.headers.get('govway-transaction-id') });
  expect(body.govway_id).toMatch(TX);
  return body;
}

describe.skipIf(skip)('nginx gateway', () => {
  let nginx: string;
  const stops: (() => Promise<unknown>)[] = [];
  beforeAll(() => {
    nginx = requireNginx(found);
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });
  const start = async (confs: string[], p: Ports): Promise<RunningNginx> => {
    const running = await startNginx(nginx, confs, [p.providerGateway, p.consumerGateway]);
    stops.push(running.stop);
    return running;
  };
  const listen = async (app: FastifyInstance, port: number) => {
    stops.push(() => app.close());
    await app.listen({ host: '127.0.0.1', port });
  };

  it('nginx -t accepts the committed example output and a hostile spec', async () => {
    const example = join(ROOT, 'examples', 'nonblock-push-rest', 'gateway', 'nginx');
    const checked = await nginxCheck(nginx, [join(example, 'provider.conf'), join(example, 'consumer.conf')]);
    expect(checked.output).toMatch(/test is successful/);
    const hostile = await generateWithGateway('hostile', await ports(), { spec: join(ROOT, 'test', 'fixtures', 'hostile', 'server.yaml'), providerBase: '' });
    const result = await nginxCheck(nginx, hostile.confs);
    expect(result.output).toMatch(/test is successful/);
    expect(result.ok).toBe(true);
  });

  it('push: consumer → gateways → provider, and the callback provider → gateways → consumer, with the gateway transaction id', async () => {
    const p = await ports();
    const { confs } = await generateWithGateway('push', p, {
      spec: join(SEED, 'server.yaml'),
      callback: join(SEED, 'client.yaml'),
      providerBase: '/rest/nome-api/v1',
      consumerBase: '/rest/v1/nomeinterfacciaclient',
    });
    const replyTos: string[] = [];
    const provider = await createProviderServer(
      { pushMessage: { acknowledge: (_req, ctx) => (replyTos.push(ctx.replyTo), { outcome: 'ACK' }), process: () => ({ c: 'OK' }) } },
      { prefix: '/rest/nome-api/v1', store: 'memory:', replyTo: { allowLoopback: true }, retry: { maxAttempts: 2, timeoutMs: 5000 } },
    );
    const registry = new CorrelationRegistry();
    const callbacks: { correlationId: string; transactionId: unknown }[] = [];
    const consumer = await createConsumerServer(
      {
        pushResponseMessage: (_result, ctx) => {
          callbacks.push({ correlationId: ctx.correlationId, transactionId: ctx.raw.headers['govway-transaction-id'] });
          return { outcome: 'ACK' };
        },
      },
      registry,
      { prefix: '/rest/v1/nomeinterfacciaclient' },
    );
    await listen(provider, p.providerBackend);
    await listen(consumer, p.consumerBackend);
    await start(confs, p);

    // The client's own X-ReplyTo is replaced by the consumer gateway's callback ingress.
    const api = new ProviderClient({ baseUrl: `http://127.0.0.1:${p.consumerGateway}/rest/out/CLIENT/ENTE/RESTCallbackServer/v1`, callbackUrl: 'http://127.0.0.1:9/never-called', registry });
    const { correlationId, ack } = await api.pushMessage({ path: { id_resource: 1234 }, body: { b: 'x' } });
    expect(ack).toEqual({ outcome: 'ACK' });
    expect(await api.pushMessageResult(correlationId, { timeoutMs: 10_000 })).toEqual({ c: 'OK' });

    // The provider backend was told to send the callback to its own gateway's fruizione of the callback API.
    expect(replyTos).toEqual([`http://127.0.0.1:${p.providerGateway}/rest/out/ENTE/CLIENT/RESTCallbackClient/v1/MResponse`]);
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0].correlationId).toBe(correlationId);
    expect(callbacks[0].transactionId).toMatch(TX);

    // The 202 carries X-Correlation-ID and the consumer gateway's transaction id.
    const raw = await fetch(`http://127.0.0.1:${p.consumerGateway}/rest/out/CLIENT/ENTE/RESTCallbackServer/v1/resources/7/M`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-replyto': 'http://127.0.0.1:9/ignored' },
      body: '{}',
    });
    expect(raw.status).toBe(202);
    expect(raw.headers.get('x-correlation-id')).toBeTruthy();
    expect(raw.headers.get('govway-transaction-id')).toMatch(TX);
    expect(replyTos[1]).toBe(replyTos[0]);
  });

  it('pull: the 202 Location, the 303 Location and Content-Location point at the gateway the client called', async () => {
    const p = await ports();
    const { out, confs } = await generateWithGateway('pull', p, { spec: join(MODI, 'NONBLOCK_PULL_REST', 'server.yaml'), providerBase: '/rest/pull/v1' });
    const { createProviderServer: createPull } = await import(join(out, 'generated', 'provider.ts'));
    let tasks = 0;
    const provider: FastifyInstance = await createPull(
      { pushMessage: { acknowledge: () => undefined, process: () => ({ c: 'OK' }), status: (task: { state: string }) => ({ status: task.state === 'done' ? 'completed' : 'pending' }) } },
      // The backend answers with its own absolute URLs: the gateways rewrite them.
      { prefix: '/rest/pull/v1', store: 'memory:', pull: { taskId: () => `t${++tasks}`, publicUrl: `http://127.0.0.1:${p.providerBackend}` } },
    );
    await listen(provider, p.providerBackend);
    await start(confs, p);

    const viaConsumer = `http://127.0.0.1:${p.consumerGateway}/rest/out/CLIENT/ENTE/RESTbusywaiting/v1`;
    const accepted = await fetch(`${viaConsumer}/tasks/queue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"b":"x"}', redirect: 'manual' });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`${viaConsumer}/tasks/queue/t1/`);
    expect(accepted.headers.get('govway-transaction-id')).toMatch(TX);

    let done = await fetch(accepted.headers.get('location')!, { redirect: 'manual' });
    for (let i = 0; done.status === 200 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      done = await fetch(accepted.headers.get('location')!, { redirect: 'manual' });
    }
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${viaConsumer}/tasks/result/t1/`);
    expect(done.headers.get('content-location')).toBe(`${viaConsumer}/tasks/queue/t1/`);

    const result = await fetch(done.headers.get('location')!);
    expect(result.status).toBe(200);
    expect(await result.json()).toEqual({ c: 'OK' });

    // Called directly, the provider's gateway points at itself.
    const direct = await fetch(`http://127.0.0.1:${p.providerGateway}/rest/in/ENTE/RESTbusywaiting/v1/tasks/queue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      redirect: 'manual',
    });
    expect(direct.headers.get('location')).toBe(`http://127.0.0.1:${p.providerGateway}/rest/in/ENTE/RESTbusywaiting/v1/tasks/queue/t2/`);
  });

  describe('sync, and what the gateway answers itself', () => {
    const p = { providerBackend: 0, consumerBackend: 0, providerGateway: 0, consumerGateway: 0 };
    const seen: { transactionId: unknown }[] = [];
    let viaConsumer: string;
    let viaProvider: string;
    let provider: FastifyInstance;

    beforeAll(async () => {
      Object.assign(p, await ports());
      const generated = await generateWithGateway(
        'sync',
        p,
        { spec: join(MODI, 'BLOCK_REST', 'server.yaml'), providerBase: '/rest/sync/v1' },
        '  bodyLimit: 1k\n  timeouts: { connect: 2s, read: 1s }',
      );
      const { createProviderServer: createSync } = await import(join(generated.out, 'generated', 'provider.ts'));
      provider = await createSync(
        {
          m: async (req: { body?: { b?: string } }, ctx: { raw: { headers: Record<string, unknown> } }) => {
            seen.push({ transactionId: ctx.raw.headers['govway-transaction-id'] });
            if (req.body?.b === 'slow') await new Promise((r) => setTimeout(r, 1500));
            return { status: 200, body: { c: 'OK' } };
          },
        },
        { prefix: '/rest/sync/v1' },
      );
      await listen(provider, p.providerBackend);
      await start(generated.confs, p);
      viaConsumer = `http://127.0.0.1:${p.consumerGateway}/rest/out/CLIENT/ENTE/RESTblocking/v1`;
      viaProvider = `http://127.0.0.1:${p.providerGateway}/rest/in/ENTE/RESTblocking/v1`;
    });

    const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    it('a blocking call goes through both gateways; the backend gets a transaction id, the client another', async () => {
      const res = await post(`${viaConsumer}/resources/1234/M`, '{"b":"x"}');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ c: 'OK' });
      const clientSees = res.headers.get('govway-transaction-id');
      expect(clientSees).toMatch(TX);
      expect(seen.at(-1)!.transactionId).toMatch(TX);
      // The provider's gateway's id reached the backend; the consumer's gateway's id reached the client.
      expect(seen.at(-1)!.transactionId).not.toBe(clientSees);
    });

    it("the backend's own errors pass through as they are", async () => {
      const res = await post(`${viaConsumer}/resources/abc/M`, '{}');
      expect(res.status).toBe(400);
      expect((await res.json()).detail).toMatch(/path\.id_resource/);
    });

    it('unknown paths and methods, oversized bodies and a slow backend get problem+json', async () => {
      await expectProblem(await fetch(`${viaConsumer}/nowhere`), 404, 'NotFound');
      await expectProblem(await fetch(`${viaConsumer}/resources/1234/M`), 404, 'UndefinedOperation');
      await expectProblem(await post(`${viaConsumer}/resources/1234/M`, JSON.stringify({ b: 'x'.repeat(4096) })), 413, 'Payload Too Large');
      await expectProblem(await post(`${viaProvider}/resources/1234/M`, '{"b":"slow"}'), 504, 'EndpointReadTimeout');
    });

    it('an unreachable backend is a 502 problem+json', async () => {
      await provider.close();
      await expectProblem(await post(`${viaProvider}/resources/1234/M`, '{}'), 502, 'Bad Gateway');
    });
  });

  it('rate limiting: a burst gets 429 problem+json with Retry-After', async () => {
    const p = await ports();
    const { out, confs } = await generateWithGateway('rate', p, { spec: join(MODI, 'BLOCK_REST', 'server.yaml'), providerBase: '' }, '  rateLimit: { requests: 1, per: minute, burst: 1 }');
    const { createProviderServer: createSync } = await import(join(out, 'generated', 'provider.ts'));
    const provider: FastifyInstance = await createSync({ m: () => ({ status: 200, body: { c: 'OK' } }) }, { prefix: '' });
    await listen(provider, p.providerBackend);
    await start(confs, p);
    const url = `http://127.0.0.1:${p.providerGateway}/rest/in/ENTE/RESTblocking/v1/resources/1/M`;
    const responses = await Promise.all(Array.from({ length: 6 }, () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(2);
    const limited = responses.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(4);
    for (const r of limited) {
      expect(r.headers.get('retry-after')).toBe('60');
      await expectProblem(r, 429, 'LimitExceeded');
    }
    await Promise.all(responses.filter((r) => r.status !== 429).map((r) => r.text()));
  });
});
