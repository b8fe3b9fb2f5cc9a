// Rows 2b and 2c: the generated NONBLOCK_PUSH provider of seed/nonblock-push-rest/server.yaml.
// Its accept step validates, persists the accepted request with whatever store
// createProviderServer uses, and answers 202; the callback then goes to the X-ReplyTo URL.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fastifyServer, generatedDir, reportResult, serve } from './child.js';

const { createProviderServer } = await import(pathToFileURL(join(generatedDir(), 'generated', 'provider.js')).href);
// Counted so that the harness knows when every accepted request has had its callback.
const counts = { accepted: 0, delivered: 0, dead: 0 };
const handlers = {
  pushMessage: {
    acknowledge: () => {
      counts.accepted++;
      return { outcome: 'ACK' };
    },
    process: () => ({ c: 'OK' }),
  },
};
process.on('message', (m: { type: string }) => {
  if (m.type === 'count') reportResult(counts);
});
// The default store, a SQLite file (WAL, synchronous=FULL), in the run's scratch folder: every
// accepted request is on disk before its 202. Loopback callbacks allowed: the sink is local.
// A PostgreSQL URL as the second argument measures that store instead (rows 2b/2c on PostgreSQL).
// `--accept-only`: the instance accepts and stores, and another one on the store delivers
// (`delivery.enabled: false`): the accept step measured alone.
const acceptOnly = process.argv.includes('--accept-only');
const pgUrl = process.argv.slice(3).find((a) => !a.startsWith('--'));
const STORE = pgUrl ? 'PostgreSQL 15 (local cluster, default settings)' : 'SQLite file (the default: WAL, synchronous=FULL)';
const db = join(generatedDir(), 'bench.db');
if (!pgUrl) for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true }); // no work left from an earlier run
const app = await createProviderServer(handlers, {
  store: pgUrl ?? `sqlite:${db}`,
  replyTo: { allowLoopback: true },
  // Quick retries: a sink that falls behind must not leave deliveries waiting for a minute.
  retry: { maxAttempts: 3, baseDelayMs: 50, timeoutMs: 10_000 },
  ...(acceptOnly ? { delivery: { enabled: false } } : {}),
  onDelivery: (_op: string, _id: string, outcome: { state: 'delivered' | 'dead' }) => counts[outcome.state]++,
});
await serve(fastifyServer(app), STORE);
