// NONBLOCK_PULL_REST end to end over loopback: both path layouts of the guideline's specs,
// polling with Retry-After, the typed timeout, cancellation and unknown tasks.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullTimeoutError, type FastifyInstance } from 'accordo/runtime';
import { runDemo } from '../examples/nonblock-pull-rest/demo.js';
import { ProviderClient } from '../examples/nonblock-pull-rest/generated/consumer.js';
import { createProviderServer } from '../examples/nonblock-pull-rest/generated/provider.js';
import { handlers } from '../examples/nonblock-pull-rest/provider.handlers.js';
import { WireLog } from '../examples/shared/wire.js';
import { generate } from '../src/generate.js';
import { FIXTURES, tempDir } from './support/tmp.js';
import { STORED_ID } from './support/ids.js';

describe('the messages of the guideline (resources/{id}/M/{id_task} layout)', () => {
  it('202 + Location, 200 while running, 303 + Location + Content-Location, then the result', async () => {
    const { result, messages } = await runDemo(new WireLog());
    const lines = messages.map((m) => m.line);
    expect(lines[0]).toBe('POST /rest/nome-api/v1/resources/1234/M');
    expect(lines[1]).toBe('202 Accepted');
    const status = messages[1].headers.Location;
    expect(status).toMatch(/^\/rest\/nome-api\/v1\/resources\/1234\/M\/[0-9a-f]{8}$/);
    const taskId = status.split('/').pop();
    expect(JSON.parse(messages[1].body)).toEqual({ status: 'accepted', message: 'Preso carico della richiesta', id: taskId });

    const polls = lines.slice(2, -2);
    expect(polls.length % 2).toBe(0);
    for (let i = 0; i < polls.length; i += 2) expect(polls[i]).toBe(`GET ${status}`);
    const answers = polls.filter((_, i) => i % 2 === 1);
    expect(answers.slice(0, -1).every((a) => a === '200 OK')).toBe(true);
    expect(answers).toContain('200 OK');
    expect(answers.at(-1)).toBe('303 See Other');
    const seeOther = messages[messages.length - 3];
    expect(seeOther.headers).toMatchObject({ Location: `${status}/result`, 'Content-Location': status });
    expect(JSON.parse(seeOther.body)).toEqual({ status: 'done', message: 'Processamento completo' });
    expect(JSON.parse(messages[3].body)).toEqual({ status: 'processing', message: 'Richiesta in fase di processamento' });

    expect(lines.at(-2)).toBe(`GET ${status}/result`);
    expect(lines.at(-1)).toBe('200 OK');
    expect(result).toEqual({ c: 'OK' });
  });
});

describe('the /tasks/queue layout of the adopted spec', () => {
  let provider: FastifyInstance;
  let client: any;
  const log = new WireLog();

  beforeAll(async () => {
    const out = await tempDir('pull-tasks');
    await generate({ spec: join(FIXTURES, 'modi', 'NONBLOCK_PULL_REST', 'server.yaml'), out, side: 'both' });
    const gen = await import(join(out, 'generated', 'provider.ts'));
    const con = await import(join(out, 'generated', 'consumer.ts'));
    provider = await gen.createProviderServer(
      {
        pushMessage: {
          acknowledge: () => undefined,
          process: async () => ({ c: 'OK' }),
          status: (task: { state: string }) => ({ status: task.state === 'done' ? 'completed' : 'pending' }),
        },
      },
      { prefix: '/rest/nome-api/v1', store: 'memory:' },
    );
    log.trace(provider, 'provider', 'consumer');
    client = new con.ProviderClient({ baseUrl: `${await provider.listen({ host: '127.0.0.1', port: 0 })}/rest/nome-api/v1` });
  });
  afterAll(() => provider.close());

  it('serves status and result at the paths the spec declares', async () => {
    const { statusUrl } = await client.pushMessage({ body: { b: 'x' } });
    expect(new URL(statusUrl).pathname).toMatch(new RegExp(`^/rest/nome-api/v1/tasks/queue/${STORED_ID}/$`));
    await expect(client.pushMessageAwait({ body: { b: 'y' } }, { initialDelayMs: 20 })).resolves.toEqual({ c: 'OK' });
    const seeOther = log.messages.find((m) => m.line === '303 See Other')!;
    expect(seeOther.headers.Location).toMatch(new RegExp(`^/rest/nome-api/v1/tasks/result/${STORED_ID}/$`));
    expect(JSON.parse(seeOther.body)).toEqual({ status: 'completed' });
  });
});

describe('the consumer polls', () => {
  let provider: FastifyInstance;
  let api: ProviderClient;
  const statusHits: { at: number; status: number }[] = [];
  let unavailableOnce = true;
  let hang = false;

  beforeAll(async () => {
    provider = await createProviderServer(
      { pushMessage: { ...handlers.pushMessage, process: async (req, ctx) => (hang ? new Promise(() => {}) : handlers.pushMessage.process(req, ctx)) } },
      { prefix: '/api', store: 'memory:', shutdownTimeoutMs: 100 },
    );
    // A gateway in front that is briefly overloaded: the second status check gets 503 + Retry-After.
    provider.addHook('onRequest', async (req, reply) => {
      if (req.method !== 'GET' || req.url.endsWith('/result')) return;
      const count = statusHits.length;
      if (count === 1 && unavailableOnce) {
        unavailableOnce = false;
        statusHits.push({ at: Date.now(), status: 503 });
        return reply.code(503).header('Retry-After', '1').type('application/problem+json').send({ status: 503, title: 'Service Unavailable' });
      }
      statusHits.push({ at: Date.now(), status: 0 });
    });
    api = new ProviderClient({ baseUrl: `${await provider.listen({ host: '127.0.0.1', port: 0 })}/api` });
  });
  afterAll(() => provider.close());

  it('until 303, honouring a 503 with Retry-After on the way', async () => {
    const result = await api.pushMessageAwait({ path: { id_resource: 1 }, body: {} }, { initialDelayMs: 50, maxDelayMs: 50 });
    expect(result).toEqual({ c: 'OK' });
    const i = statusHits.findIndex((h) => h.status === 503);
    expect(i).toBe(1);
    // Retry-After: 1 was honoured: the next check came a second later, not after the 50 ms backoff.
    expect(statusHits[i + 1].at - statusHits[i].at).toBeGreaterThanOrEqual(950);
  });

  it('ends with a typed timeout error when the task never finishes', async () => {
    hang = true;
    try {
      const error = await api.pushMessageAwait({ path: { id_resource: 1 }, body: {} }, { initialDelayMs: 20, timeoutMs: 300 }).catch((e) => e);
      expect(error).toBeInstanceOf(PullTimeoutError);
      expect(error.message).toMatch(/not done within 300 ms/);
    } finally {
      hang = false;
    }
  });

  it('stops when the caller cancels', async () => {
    hang = true;
    try {
      const abort = new AbortController();
      const waiting = api.pushMessageAwait({ path: { id_resource: 1 }, body: {} }, { initialDelayMs: 20, signal: abort.signal });
      setTimeout(() => abort.abort(new Error('cancelled by the caller')), 50);
      await expect(waiting).rejects.toThrow('cancelled by the caller');
    } finally {
      hang = false;
    }
  });

  it('gets 404 problem+json naming an unknown task', async () => {
    const { statusUrl } = await api.pushMessage({ path: { id_resource: 7 }, body: {} });
    const unknown = statusUrl.replace(/[^/]+$/, 'nope');
    const res = await fetch(unknown);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await res.json()).detail).toContain('"nope"');
    const result = await fetch(`${unknown}/result`);
    expect(result.status).toBe(404);
  });
});
