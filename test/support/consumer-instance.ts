/**
 * A consumer instance for the multi-instance crash test: callback endpoints on a registry in
 * PostgreSQL shared with the other instances, and push requests sent on command.
 * Usage: consumer-instance <postgres url> <port, 0 for any>. Prints `{"url": …}` once listening;
 * then reads lines `send <n> <provider url> <callback url>` and prints `sent <n> <CorrelationID>`
 * (the 202 was read and recorded) or `failed <n> <reason>`; each handled callback prints
 * `handled <CorrelationID>`. Lines to a pipe are written synchronously: a SIGKILL loses none printed.
 */
import { createInterface } from 'node:readline';
import Fastify from 'fastify';
import { registerCallbacks, sendPush } from '../../src/runtime/consumer.js';
import { CorrelationRegistry } from '../../src/runtime/correlation.js';
import { callbackDef, submitOp } from './push.js';

const [url, port] = process.argv.slice(2);
// A short handling lease: a callback whose handler died with the other instance is taken over soon.
const registry = await CorrelationRegistry.open(url, { handlingLeaseMs: 3000 });
const app = Fastify();
await registerCallbacks(
  app,
  callbackDef,
  {
    onResult: (_result: unknown, ctx: { correlationId: string }) => {
      process.stdout.write(`handled ${ctx.correlationId}\n`);
      return { outcome: 'received' };
    },
  },
  registry,
);
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }) + '\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, n, provider, callbackUrl] = line.split(' ');
  if (verb !== 'send') return;
  sendPush(submitOp, { body: { n: Number(n) } }, callbackUrl, registry, { baseUrl: provider, timeoutMs: 10_000 }).then(
    (accepted) => process.stdout.write(`sent ${n} ${accepted.correlationId}\n`),
    (e: Error) => process.stdout.write(`failed ${n} ${e.message.replace(/\n/g, ' ')}\n`),
  );
});
