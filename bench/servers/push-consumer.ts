// Row 2c: the generated consumer of seed/nonblock-push-rest (client and callback endpoints in one
// process, sharing the CorrelationRegistry, as a user runs it). On `run` it pushes `n` requests,
// `concurrency` at a time, to the provider, and measures for each the time from its 202 to its
// callback being handled (validated, correlated, ACKed) and from sending it to that, and
// completions per second.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fastifyServer, generatedDir, reportResult, serve } from './child.js';

const dir = generatedDir();
const { CorrelationRegistry } = await import('accordo/runtime');
const consumer = await import(pathToFileURL(join(dir, 'generated', 'consumer.js')).href);
const registry = new CorrelationRegistry();
const app = await consumer.createConsumerServer({ pushResponseMessage: async () => ({ outcome: 'ACK' }) }, registry);
const server = fastifyServer(app);
await serve(server);
const callbackUrl = `http://127.0.0.1:${server.address().port}`;

interface Run {
  type: 'run';
  providerUrl: string;
  n: number;
  concurrency: number;
}

process.on('message', (m: Run | { type: string }) => {
  if (m.type === 'run') void run(m as Run).then(reportResult);
});

async function run({ providerUrl, n, concurrency }: Run) {
  const api = new consumer.ProviderClient({ baseUrl: providerUrl, callbackUrl, registry });
  const latencies: number[] = [];
  const roundTrips: number[] = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < n) {
      const i = next++;
      const sent = performance.now();
      try {
        const { correlationId } = await api.pushMessage({ path: { id_resource: i + 1 }, body: { a: { a1s: [1, 2], a2: 'prova' }, b: 'prova' } });
        const accepted = performance.now();
        await api.pushMessageResult(correlationId, { timeoutMs: 30_000 });
        const handled = performance.now();
        latencies.push(handled - accepted);
        roundTrips.push(handled - sent);
      } catch {
        failed++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const pct = (values: number[], p: number) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;
  return {
    completed: latencies.length,
    failed,
    perSecond: latencies.length / seconds,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    roundTripP99: pct(roundTrips, 99),
  };
}
