import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { registerCallbacks, sendPush } from '../src/runtime/consumer.js';
import { CorrelationRegistry } from '../src/runtime/correlation.js';
import { startProvider } from './support/provider.js';
import { callbackDef, submitOp } from './support/push.js';

const dir = mkdtempSync(join(tmpdir(), 'accordo-consumer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

type Handler = (result: { n: number }) => unknown;

async function consumer(registry: CorrelationRegistry, handler: Handler) {
  const app = Fastify();
  await registerCallbacks(app, callbackDef, { onResult: handler }, registry);
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanup.push(() => app.close());
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const callback = (id: string, body: unknown = { n: 1, doubled: 2 }) =>
    fetch(`${url}/callback`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': id }, body: JSON.stringify(body) });
  return { app, url, callback };
}

describe('consumer de-duplication by CorrelationID', () => {
  it('acknowledges a repeated callback with the same ACK without running the handler, across a restart', async () => {
    const file = join(dir, 'dedupe.db');
    const runs: number[] = [];
    const handler: Handler = (r) => {
      runs.push(r.n);
      return { outcome: `handled ${runs.length}` };
    };
    const registry = await CorrelationRegistry.open(`sqlite:${file}`);
    await registry.expect('c-1', 'submit');
    const first = await consumer(registry, handler);
    const a = await first.callback('c-1');
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({ outcome: 'handled 1' });
    const b = await first.callback('c-1');
    expect(b.status).toBe(200);
    expect(await b.json()).toEqual({ outcome: 'handled 1' });
    expect((await first.callback('c-unknown')).status).toBe(404);
    await first.app.close();
    await registry.close();

    // A new process: same store file, fresh memory.
    const again = await CorrelationRegistry.open(`sqlite:${file}`);
    cleanup.push(() => again.close());
    const second = await consumer(again, handler);
    const c = await second.callback('c-1');
    expect(c.status).toBe(200);
    expect(await c.json()).toEqual({ outcome: 'handled 1' });
    expect(runs).toEqual([1]);
    expect(await again.waitFor('c-1', { timeoutMs: 1000 })).toEqual({ n: 1, doubled: 2 });
  });

  it('asks a callback that arrives while the same one is being handled to come back later (503, not a final 409)', async () => {
    const registry = new CorrelationRegistry();
    await registry.expect('c-2', 'submit');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    const c = await consumer(registry, async () => {
      runs++;
      await gate;
      return { outcome: 'slow' };
    });
    const first = c.callback('c-2');
    while (runs === 0) await new Promise((r) => setTimeout(r, 5));
    const during = await c.callback('c-2');
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    release();
    expect(await (await first).json()).toEqual({ outcome: 'slow' });
    expect(await (await c.callback('c-2')).json()).toEqual({ outcome: 'slow' });
    expect(runs).toBe(1);
  });

  it('runs the handler again for a repeated callback when the first run failed', async () => {
    const registry = new CorrelationRegistry();
    await registry.expect('c-3', 'submit');
    let runs = 0;
    const c = await consumer(registry, () => {
      if (++runs === 1) throw new Error('database busy');
      return { outcome: 'second time' };
    });
    expect((await c.callback('c-3')).status).toBe(500);
    const again = await c.callback('c-3');
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ outcome: 'second time' });
    expect(runs).toBe(2);
  });

  it('receives the result of a push end to end, both sides on SQLite', async () => {
    const registry = await CorrelationRegistry.open(`sqlite:${join(dir, 'e2e-consumer.db')}`);
    cleanup.push(() => registry.close());
    const c = await consumer(registry, () => ({ outcome: 'thanks' }));
    const p = await startProvider({ store: `sqlite:${join(dir, 'e2e-provider.db')}` });
    cleanup.push(p.close);
    const accepted = await sendPush(submitOp, { body: { n: 21 } }, `${c.url}/callback`, registry, { baseUrl: p.url });
    expect(accepted.ack).toEqual({ outcome: 'accepted' });
    expect(await registry.waitFor(accepted.correlationId, { timeoutMs: 10_000 })).toEqual({ n: 21, doubled: 42 });
    expect(await p.outcome(accepted.correlationId)).toMatchObject({ state: 'delivered', ack: { outcome: 'thanks' } });
  });
});
