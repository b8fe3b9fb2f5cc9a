/**
 * A provider process for the crash test, built directly on registerProvider with the test
 * agreement's hand-written descriptors. Usage: crash-provider <sqlite file> <handler log>.
 * Prints `{"url": …}` once listening. Each handler run appends "<CorrelationID> <run>" to the log.
 */
import { appendFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { registerProvider } from '../../src/runtime/provider.js';
import { providerDef } from './push.js';

const [file, log] = process.argv.slice(2);
const app = Fastify();
await registerProvider(
  app,
  providerDef,
  {
    submit: {
      acknowledge: () => ({ outcome: 'accepted' }),
      process: (req: { body: unknown }, ctx: { correlationId: string; run: number }) => {
        const n = (req.body as { n: number }).n;
        appendFileSync(log, `${ctx.correlationId} ${ctx.run}\n`);
        return { n, doubled: n * 2 };
      },
    },
  },
  {
    store: `sqlite:${file}`,
    replyTo: { allowLoopback: true },
    // A short lease, so the restarted process takes over the killed one's tasks quickly.
    delivery: { leaseMs: 1500, pollMs: 100, concurrency: 4, handlerConcurrency: 4 },
  },
);
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }) + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
