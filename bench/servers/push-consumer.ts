// Row 2c: the generated consumer of seed/nonblock-push-rest (client and callback endpoints in one
// process, sharing the CorrelationRegistry, as a user runs it). On `run` it pushes `n` requests,
// `concurrency` at a time, to the provider, and measures for each the time from its 202 to its
// callback being handled (validated, correlated, ACKed) and from sending it to that, and
// completions per second. On `paced` it sends at a fixed rate instead (the 1k req/s row).
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

/** Open loop: `rate` requests per second for `seconds`, each sent on its schedule whatever the others are doing. */
interface Paced {
  type: 'paced';
  providerUrl: string;
  rate: number;
  seconds: number;
}

process.on('message', (m: Run | Paced | { type: string }) => {
  if (m.type === 'run') void run(m as Run).then(reportResult);
  else if (m.type === 'paced') void paced(m as Paced).then(reportResult);
});

const pct = (values: number[], p: number) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;

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
  return {
    completed: latencies.length,
    failed,
    perSecond: latencies.length / seconds,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    roundTripP99: pct(roundTrips, 99),
  };
}

/**
 * The fixed-rate row: request i is sent at start + i/rate (a timer every millisecond sends those
 * that are due), so a slow answer does not slow the sending, as it does with a fixed number in
 * flight. Reports the latencies as `run` does, the rate actually sent, and how late the latest
 * send was against its schedule (the sender's own delay, which the latencies do not include).
 */
async function paced({ providerUrl, rate, seconds }: Paced) {
  const api = new consumer.ProviderClient({ baseUrl: providerUrl, callbackUrl, registry });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const roundTrips: number[] = [];
  const pending: Promise<void>[] = [];
  let failed = 0;
  let sent = 0;
  let maxLateMs = 0;
  let firstError: string | undefined;
  const one = async (i: number) => {
    const at = performance.now();
    try {
      const { correlationId } = await api.pushMessage({ path: { id_resource: i + 1 }, body: { a: { a1s: [1, 2], a2: 'prova' }, b: 'prova' } });
      const accepted = performance.now();
      await api.pushMessageResult(correlationId, { timeoutMs: 30_000 });
      const handled = performance.now();
      latencies.push(handled - accepted);
      roundTrips.push(handled - at);
    } catch (e) {
      failed++;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      firstError ??= `${String((e as Error).message ?? e)}${cause ? ` (${cause.code ?? cause.message})` : ''}`.slice(0, 200);
    }
  };
  const started = performance.now();
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        maxLateMs = Math.max(maxLateMs, now - (started + (sent / rate) * 1000));
        pending.push(one(sent));
      }
      if (sent >= total) done();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendingSeconds = (performance.now() - started) / 1000;
  await Promise.all(pending);
  return {
    completed: latencies.length,
    failed,
    sentPerSecond: total / sendingSeconds,
    maxLateMs,
    firstError,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    roundTripP99: pct(roundTrips, 99),
  };
}
