// OpenAPI 3.1 webhooks end to end over loopback (test/fixtures/webhooks/pets.yaml): the generated
// provider sends `newPet` to the target its options name, through the task store and worker; the
// generated consumer receives it typed at /webhooks/newPet and answers its declared 200; a 503 from
// the consumer is retried; a target the reply-address guard refuses stops the provider at start.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, InvalidEventError, MemoryStore, type FastifyInstance } from 'accordo/runtime';
import { loadClassified } from '../src/classify/index.js';
import { generate } from '../src/generate.js';
import { inspectAgreement } from '../src/inspect/index.js';
import { FIXTURES, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';
import { within } from './support/wait.js';

const FAST = { retry: { baseDelayMs: 20, maxDelayMs: 50 }, delivery: { pollMs: 20 } };
const SPEC = join(FIXTURES, 'webhooks', 'pets.yaml');

interface Pet {
  id: number;
  name: string;
  tag?: string;
}
interface Sender {
  send(name: string, payload: unknown): Promise<string>;
}

let out: string;
let providerModule: {
  createProviderServer(handlers: object, options: object): Promise<FastifyInstance>;
  ProviderWebhooks: new () => Sender;
};
let consumerModule: { createConsumerServer(handlers: object, registry: CorrelationRegistry, options?: object): Promise<FastifyInstance> };
const closing: FastifyInstance[] = [];

beforeAll(async () => {
  out = await tempDir('webhooks');
  await generate({ spec: SPEC, out, side: 'both' });
  providerModule = await import(join(out, 'generated', 'provider.ts'));
  consumerModule = await import(join(out, 'generated', 'consumer.ts'));
});
afterAll(async () => {
  for (const app of closing.splice(0).reverse()) await app.close();
});

const providerHandlers = { getPet: () => ({ status: 200, body: { id: 1, name: 'Fido' } }) };

/**
 * A consumer whose newPet handler records each pet; `refuse(n)` may answer the n-th delivery
 * with a status of its own before the handler (default: the first `refusals` get a 503).
 */
async function consumer(refusals: number, refuse: (n: number) => number | undefined = (n) => (n <= refusals ? 503 : undefined)) {
  const received: { pet: Pet; eventId?: string }[] = [];
  const answered: number[] = [];
  let waiters: (() => void)[] = [];
  const app = await consumerModule.createConsumerServer(
    {
      newPetWebhookPost: async (pet: Pet, ctx: { eventId?: string }) => {
        received.push({ pet, ...(ctx.eventId ? { eventId: ctx.eventId } : {}) });
        waiters.forEach((w) => w());
        waiters = [];
        return { received: true };
      },
    },
    new CorrelationRegistry(),
  );
  app.addHook('onRequest', async (_req, reply) => {
    const status = refuse(answered.length + 1);
    if (status !== undefined) {
      answered.push(status);
      waiters.forEach((w) => w());
      waiters = [];
      return reply.code(status).send();
    }
    // Let through to the generated route (its answer is the handler's 200).
    answered.push(200);
  });
  closing.push(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const until = async (n: number) => {
    while (received.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  const answers = async (n: number) => {
    while (answered.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    url,
    received,
    answered,
    until: (n: number) => within(until(n), 20_000, () => `${n} webhooks received; answers so far ${JSON.stringify(answered)}`),
    answers: (n: number) => within(answers(n), 20_000, () => `${n} deliveries answered; answers so far ${JSON.stringify(answered)}`),
  };
}

describe('OpenAPI 3.1 webhooks', () => {
  it('generates code that type-checks under strict, with send typed by the payload of each webhook', async () => {
    const usage = join(out, 'usage.ts');
    await writeFile(
      usage,
      [
        "import { ProviderWebhooks } from './generated/provider.js';",
        'const webhooks = new ProviderWebhooks();',
        "export const sent: Promise<string> = webhooks.send('newPet', { id: 7, name: 'Rex' });",
        '// @ts-expect-error: a Pet has a numeric id',
        "export const wrongPayload = webhooks.send('newPet', { id: 'seven', name: 'Rex' });",
        '// @ts-expect-error: the spec declares no such webhook',
        "export const unknownWebhook = webhooks.send('oldPet', { id: 7, name: 'Rex' });",
        '',
      ].join('\n'),
    );
    expect(typecheck([join(out, 'generated'), join(out, 'provider.handlers.ts'), join(out, 'consumer.handlers.ts'), usage])).toEqual([]);
  });

  it('the provider sends newPet to its configured target, the consumer receives it typed, a 503 is retried', async () => {
    const receiving = await consumer(1);
    const store = new MemoryStore();
    const webhooks = new providerModule.ProviderWebhooks();
    const target = `${receiving.url}/webhooks/newPet`;
    const app = await providerModule.createProviderServer(providerHandlers, { store, replyTo: { allowLoopback: true }, ...FAST, webhooks, webhookTargets: { newPet: target } });
    closing.push(app);
    await app.ready();
    const id = await webhooks.send('newPet', { id: 7, name: 'Rex', tag: 'dog' });
    await receiving.until(1);
    expect(receiving.received).toEqual([{ pet: { id: 7, name: 'Rex', tag: 'dog' }, eventId: id }]);
    // The first attempt met the 503 and was sent again.
    expect(receiving.answered[0]).toBe(503);
    expect(receiving.answered.length).toBe(2);
    const task = await within(
      (async () => {
        for (;;) {
          const t = await store.getTask(id);
          if (t?.state === 'delivered') return t;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      20_000,
      () => `webhook ${id} marked delivered`,
    );
    expect(task.replyTo).toBe(target);
    expect(task.attempts).toBeGreaterThanOrEqual(2);
  });

  it('refuses a payload its schema does not allow, and a webhook without a target', async () => {
    const webhooks = new providerModule.ProviderWebhooks();
    const app = await providerModule.createProviderServer(providerHandlers, { store: 'memory:', replyTo: { allowLoopback: true }, ...FAST, webhooks });
    closing.push(app);
    await app.ready();
    await expect(webhooks.send('newPet', { id: 'seven' })).rejects.toBeInstanceOf(InvalidEventError);
    await expect(webhooks.send('newPet', { id: 7, name: 'Rex' })).rejects.toThrow(/no target for webhook newPet/);
  });

  it('refuses a target the reply-address guard refuses, without dialling it', async () => {
    const webhooks = new providerModule.ProviderWebhooks();
    // Without `replyTo.allowLoopback`, a loopback target is refused when the provider starts: nothing is sent to it.
    await expect(providerModule.createProviderServer(providerHandlers, { store: 'memory:', webhooks, webhookTargets: { newPet: 'http://127.0.0.1:9/webhooks/newPet' } })).rejects.toThrow(
      /target of webhook newPet is refused: webhookTargets.newPet names a refused loopback address/,
    );
    await expect(webhooks.send('newPet', { id: 7, name: 'Rex' })).rejects.toThrow(/not bound to a provider/);
    // A local name is refused on the URL alone, before any resolution.
    await expect(providerModule.createProviderServer(providerHandlers, { store: 'memory:', webhooks, webhookTargets: { newPet: 'http://localhost:9/webhooks/newPet' } })).rejects.toThrow(
      /target of webhook newPet is refused: webhookTargets.newPet/,
    );
    await expect(providerModule.createProviderServer(providerHandlers, { store: 'memory:', webhooks, webhookTargets: { oldPet: 'https://consumer.example/hook' } })).rejects.toThrow(
      /webhookTargets names "oldPet", which the agreement does not declare as a webhook \(it declares: newPet\)/,
    );
  });

  it('the consumer validates what arrives: a body its schema refuses is a 400, not handed to the handler', async () => {
    const receiving = await consumer(0);
    const res = await fetch(`${receiving.url}/webhooks/newPet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x' }) });
    expect(res.status).toBe(400);
    expect(receiving.received).toEqual([]);
  });

  it('classify gives each webhook a consumer endpoint, /webhooks/<name> unless webhookPaths names another; inspect shows it', async () => {
    const byDefault = await loadClassified({ spec: SPEC });
    expect(byDefault.webhooks.map((w) => [w.name, w.op.id, w.receiver.path])).toEqual([['newPet', 'newPetWebhookPost', '/webhooks/newPet']]);
    expect(byDefault.findings).toEqual([]);
    const row = inspectAgreement(byDefault).find((r) => r.operation === 'newPetWebhookPost');
    expect(row).toMatchObject({ method: 'POST', path: 'newPet', role: 'callback' });
    expect(row?.facts.join(' ')).toMatch(/webhook newPet: the provider sends it to the target its options name \(webhookTargets.newPet\), the consumer receives it at \/webhooks\/newPet/);
    const configured = await loadClassified({ spec: SPEC, webhookPaths: { newPet: '/hooks/pets' } });
    expect(configured.receivers.map((r) => r.path)).toEqual(['/hooks/pets']);
    expect(configured.findings).toEqual([]);
    // A name the spec does not declare stops generation (agreement/webhook-path), at the spec's file.
    const unknown = await loadClassified({ spec: SPEC, webhookPaths: { oldPet: '/hooks/old' } });
    expect(unknown.findings.map((f) => ({ rule: f.rule, blocking: f.blocking, file: f.file }))).toEqual([{ rule: 'agreement/webhook-path', blocking: true, file: SPEC }]);
    expect(unknown.findings[0].message).toBe(`webhookPaths names "oldPet", which is not a webhook of ${SPEC} (those are: newPet)`);
  });

  it('a refusal the consumer means (400) is a dead letter, not retried', async () => {
    const receiving = await consumer(0, () => 400);
    const store = new MemoryStore();
    const webhooks = new providerModule.ProviderWebhooks();
    const app = await providerModule.createProviderServer(providerHandlers, {
      store,
      replyTo: { allowLoopback: true },
      ...FAST,
      webhooks,
      webhookTargets: { newPet: `${receiving.url}/webhooks/newPet` },
    });
    closing.push(app);
    await app.ready();
    const id = await webhooks.send('newPet', { id: 8, name: 'Tom' });
    await receiving.answers(1);
    const task = await within(
      (async () => {
        for (;;) {
          const t = await store.getTask(id);
          if (t?.state === 'dead') return t;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      20_000,
      () => `webhook ${id} marked dead`,
    );
    expect(task.attempts).toBe(1);
    expect(receiving.answered).toEqual([400]);
    expect(receiving.received).toEqual([]);
  });

  it('survives a restart: stored while the provider runs without delivery, delivered by the next one', async () => {
    const receiving = await consumer(0);
    // One store object both providers share (the SQLite and PostgreSQL stores are the push engine's, tested there).
    const store = new MemoryStore();
    const webhookTargets = { newPet: `${receiving.url}/webhooks/newPet` };
    const firstSender = new providerModule.ProviderWebhooks();
    const first = await providerModule.createProviderServer(providerHandlers, {
      store,
      replyTo: { allowLoopback: true },
      ...FAST,
      delivery: { ...FAST.delivery, enabled: false },
      webhooks: firstSender,
      webhookTargets,
    });
    await firstSender.send('newPet', { id: 9, name: 'Kit' });
    await first.close();
    expect(receiving.received).toEqual([]);
    const second = await providerModule.createProviderServer(providerHandlers, { store, replyTo: { allowLoopback: true }, ...FAST, webhookTargets });
    closing.push(second);
    await second.ready();
    await receiving.until(1);
    expect(receiving.received.map((r) => r.pet)).toEqual([{ id: 9, name: 'Kit' }]);
  });
});
