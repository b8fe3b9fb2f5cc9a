import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerCallbacks, sendPush } from '../src/runtime/consumer.js';
import { CorrelationRegistry } from '../src/runtime/correlation.js';
import { SqliteStore } from '../src/runtime/store/index.js';
import { startProvider } from './support/child.js';
import { callbackDef, submitOp, until } from './support/push.js';

const dir = mkdtempSync(join(tmpdir(), 'accordo-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = fileURLToPath(new URL('./support/crash-provider.ts', import.meta.url));
const startChild = (file: string, log: string) => startProvider(script, [file, log]);

describe('crash', () => {
  it('a provider killed with SIGKILL while callbacks are in flight delivers every result after a restart; each handler ran once', { timeout: 60_000 }, async () => {
    const file = join(dir, 'provider.db');
    const log = join(dir, 'handler.log');
    const registry = await CorrelationRegistry.open(`sqlite:${join(dir, 'consumer.db')}`);
    const handled = new Map<string, number>();
    let callbacks = 0;
    const consumer = Fastify();
    consumer.addHook('onRequest', async () => void callbacks++);
    await registerCallbacks(
      consumer,
      callbackDef,
      {
        onResult: async (_result: unknown, ctx: { correlationId: string }) => {
          handled.set(ctx.correlationId, (handled.get(ctx.correlationId) ?? 0) + 1);
          // A slow consumer keeps callbacks in flight.
          await new Promise((r) => setTimeout(r, 15));
          return { outcome: 'received' };
        },
      },
      registry,
    );
    await consumer.listen({ port: 0, host: '127.0.0.1' });
    const callbackUrl = `http://127.0.0.1:${(consumer.server.address() as AddressInfo).port}/callback`;

    try {
      const first = await startChild(file, log);
      const ids: string[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => sendPush(submitOp, { body: { n: batch * 20 + i } }, callbackUrl, registry, { baseUrl: first.url })));
        ids.push(...sent.map((s) => s.correlationId));
      }
      // Kill once every handler's result is stored and some callbacks, not all, have arrived.
      const view = await SqliteStore.open(file);
      await until(async () => (await view.listTasks({ states: ['pending'], limit: 1 })).length === 0 && handled.size >= 40, 20_000, 'handlers done and callbacks under way');
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      const atKill = handled.size;
      const unfinished = (await view.listTasks({ states: ['ready'], limit: 1000 })).length;
      expect(atKill).toBeLessThan(200);
      expect(unfinished).toBeGreaterThan(0);

      const second = await startChild(file, log);
      await until(() => handled.size === 200, 30_000, 'all 200 results at the consumer');
      const results = await Promise.all(ids.map((id) => registry.waitFor<{ n: number; doubled: number }>(id, { timeoutMs: 5000 })));
      expect(results.map((r) => r.doubled)).toEqual(ids.map((_, i) => i * 2));
      await until(async () => (await view.listTasks({ states: ['delivered'], limit: 1000 })).length === 200, 10_000, 'all delivered');

      const runs = new Map<string, number>();
      for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
        const id = line.split(' ')[0];
        runs.set(id, (runs.get(id) ?? 0) + 1);
      }
      for (const id of ids) {
        expect(runs.get(id), `provider handler runs for ${id}`).toBe(1);
        expect(handled.get(id), `consumer handler runs for ${id}`).toBe(1);
      }
      console.info(
        `crash test: killed with ${atKill}/200 results at the consumer and ${unfinished} callbacks unfinished; ${callbacks} callback requests in all (repeats acknowledged without running the handler)`,
      );
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
      await view.close();
    } finally {
      await consumer.close();
      await registry.close();
    }
  });
});
