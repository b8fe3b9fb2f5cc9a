// Issue 18 item 1: two consumer instances share a registry in PostgreSQL and send push requests
// to two provider instances sharing theirs; every callback goes to the other consumer instance
// (the one that did not send it, and sends nothing meanwhile, so a callback can arrive there before
// the sender recorded the 202). Midway
// one consumer is killed with SIGKILL and restarted on its port. Every request whose 202 a consumer
// read must have its callback handled, once; only a handler the kill interrupted runs once more
// elsewhere (docs/delivery.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/runtime/clock.js';
import { PostgresStore } from '../src/runtime/store/index.js';
import { startPostgres } from './support/postgres.js';
import { startProvider, type TestProvider } from './support/provider.js';
import { until } from './support/push.js';

const pg = await startPostgres();
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await pg?.stop();
});

const script = fileURLToPath(new URL('./support/consumer-instance.ts', import.meta.url));

interface Instance {
  child: ChildProcess;
  url: string;
  send(n: number, provider: string, callbackUrl: string): void;
}

/** What the consumer instances said: which requests were accepted (202 read), failed, and which callbacks were handled. */
const sent = new Map<number, string>();
const failed = new Map<number, string>();
const handled: { id: string; by: string }[] = [];

async function startConsumer(name: string, url: string, port = 0): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, url, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`consumer ${name} exited (${code}) before listening`)));
  });
  lines.on('line', (line) => {
    const [what, a, ...rest] = line.split(' ');
    if (what === 'sent') sent.set(Number(a), rest[0]);
    else if (what === 'failed') failed.set(Number(a), rest.join(' '));
    else if (what === 'handled') handled.push({ id: a, by: name });
  });
  return { child, url: (JSON.parse(first) as { url: string }).url, send: (n, provider, cb) => child.stdin!.write(`send ${n} ${provider} ${cb}\n`) };
}

describe.skipIf(!pg)('two consumer instances on one PostgreSQL registry, one killed midway', () => {
  it('1,000 requests: every callback whose 202 was read is handled, once', { timeout: 180_000 }, async () => {
    const providersDb = await pg!.createDatabase('providers');
    const consumersDb = await pg!.createDatabase('consumers');
    const providers: TestProvider[] = [];
    for (const owner of ['p1', 'p2']) providers.push(await startProvider({ store: providersDb, clock: systemClock, delivery: { owner, leaseMs: 30_000, pollMs: 100, shutdownGraceMs: 100 } }));
    let a = await startConsumer('a', consumersDb);
    const b = await startConsumer('b', consumersDb);
    const portA = Number(new URL(a.url).port);
    const consumers = () => [a, b];
    try {
      const TOTAL = 1000;
      let gone: number[] = [];
      const sentByA = new Set<number>();
      for (let n = 0; n < TOTAL; n++) {
        // Blocks of 50 from one instance while the other only receives: an instance with no request
        // of its own on the way is where an overtaking callback used to be refused.
        const [from, to] = Math.floor(n / 50) % 2 === 0 ? [consumers()[0], consumers()[1]] : [consumers()[1], consumers()[0]];
        if (from === a) sentByA.add(n);
        from.send(n, providers[n % 4 < 2 ? 0 : 1].url, `${to.url}/callback`);
        // At most 16 outstanding, so the instances keep requests on their way the whole time.
        await until(() => n + 1 - sent.size - failed.size - gone.length <= 16, 30_000, 'requests to be answered');
        if (n === TOTAL / 2) {
          a.child.kill('SIGKILL');
          await new Promise((r) => a.child.once('exit', r));
          // What a was sending when it died is never answered: whether the provider took it is unknown to the client.
          gone = [...sentByA].filter((k) => !sent.has(k) && !failed.has(k));
          a = await startConsumer('a2', consumersDb, portA);
        }
      }
      const lostWithA = gone;
      await until(() => sent.size + failed.size + lostWithA.length >= TOTAL, 60_000, 'every request to be answered');
      const accepted = new Set(sent.values());
      // Ends early when all are handled; otherwise the figures below say what is missing.
      await until(() => [...accepted].every((id) => handled.some((h) => h.id === id)), 90_000, 'every accepted request to be called back').catch(() => {});

      const runs = new Map<string, number>();
      for (const h of handled) runs.set(h.id, (runs.get(h.id) ?? 0) + 1);
      const twice = [...runs].filter(([, count]) => count > 1).map(([id]) => id);
      // A handler the SIGKILL interrupted (it ran and printed, its completion not yet recorded in the
      // registry) runs again once its handling lease lapses, as docs/delivery.md says ("with the same
      // exception for a crash during the handler"): its first run is a's, its second another instance's.
      // How many fall in that window depends on how fast callbacks arrive at the kill; any other repeat is a bug.
      const interrupted = twice.filter((id) => {
        const by = handled.filter((h) => h.id === id).map((h) => h.by);
        return by.length === 2 && by[0] === 'a' && by[1] !== 'a';
      });
      const lost = [...accepted].filter((id) => !runs.has(id));
      const check = await PostgresStore.open(providersDb);
      const dead = (await check.listTasks({ states: ['dead'], limit: 2000 })).filter((t) => accepted.has(t.id));
      await check.close();
      console.info(
        `item 1: ${TOTAL} push requests from 2 consumer instances through 2 providers on PostgreSQL, consumer a SIGKILLed after ${TOTAL / 2} and restarted: ` +
          `${accepted.size} accepted (202 read), ${failed.size} failed, ${lostWithA.length} unanswered when a died; ` +
          `${lost.length} lost, ${twice.length} handled twice (${interrupted.length} of them interrupted by the kill), ${dead.length} accepted ones dead-lettered; handled by a ${handled.filter((h) => h.by === 'a').length}, b ${handled.filter((h) => h.by === 'b').length}, a after restart ${handled.filter((h) => h.by === 'a2').length}`,
      );
      expect(lost).toEqual([]);
      expect(twice.filter((id) => !interrupted.includes(id))).toEqual([]);
      expect(dead).toEqual([]);
      expect(accepted.size).toBeGreaterThan(TOTAL - 50);
    } finally {
      for (const p of providers) await p.close();
      for (const c of consumers()) if (c.child.exitCode === null) c.child.kill('SIGTERM');
    }
  });
});
