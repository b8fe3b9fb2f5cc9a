// SOAP push requests are kept like REST ones: accepted by one provider process (which only
// accepts), processed and called back by the next one on the same SQLite store.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorrelationRegistry } from 'accordo/runtime';
import { createConsumerServer, ProviderClient } from '../examples/nonblock-push-soap/generated/consumer.js';
import { createProviderServer } from '../examples/nonblock-push-soap/generated/provider.js';
import { handlers } from '../examples/nonblock-push-soap/provider.handlers.js';
import { tempDir } from './support/tmp.js';

describe('a SOAP push request', () => {
  it('survives the provider that accepted it: the next one on the store processes it once and calls back', async () => {
    const store = `sqlite:${join(await tempDir('soap-durable'), 'accordo.db')}`;
    const processed: string[] = [];
    const counting = {
      mRequest: {
        ...handlers.mRequest,
        process: async (req: Parameters<typeof handlers.mRequest.process>[0], ctx: Parameters<typeof handlers.mRequest.process>[1]) => (
          processed.push(ctx.correlationId),
          handlers.mRequest.process(req, ctx)
        ),
      },
    };
    const registry = new CorrelationRegistry();
    const received: string[] = [];
    const consumer = await createConsumerServer({ mRequestResponse: async (_r, ctx) => (received.push(ctx.correlationId), { return: { outcome: 'OK' } }) }, registry);
    const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    try {
      // The first provider only accepts (as an instance whose worker is off, or one that dies at once).
      const first = await createProviderServer(counting, { store, replyTo: { allowLoopback: true }, delivery: { enabled: false } });
      const api = new ProviderClient({ endpoint: `${await first.listen({ host: '127.0.0.1', port: 0 })}/soap/nome-api/v1`, callbackUrl: consumerUrl, registry });
      const { correlationId } = await api.mRequest({ body: { M: { o_id: 1, b: 'x' } } });
      await first.close();
      expect(processed).toEqual([]);

      const second = await createProviderServer(counting, { store, replyTo: { allowLoopback: true } });
      await second.listen({ host: '127.0.0.1', port: 0 });
      try {
        await expect(registry.waitFor(correlationId, { timeoutMs: 10_000 })).resolves.toEqual({ return: { c: 'OK' } });
      } finally {
        await second.close();
      }
      expect(processed).toEqual([correlationId]);
      expect(received).toEqual([correlationId]);
    } finally {
      await consumer.close();
    }
  });
});
