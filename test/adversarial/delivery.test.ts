// Hostile callback targets against a provider's delivery (issue 18 items 2, 3, 4 and 12), table
// driven: each row is what a target does, what must come of its callback (outcome, attempts, what
// is stored), and after it the provider still delivers an honest callback at once. The provider
// runs on the fast test clock (backoffs of minutes pass in milliseconds) with a memory store; every
// target is a server on 127.0.0.1, and every connection the provider opens is recorded.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { buildConnector } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { registerCallbacks, sendPush } from '../../src/runtime/consumer.js';
import { CorrelationRegistry } from '../../src/runtime/correlation.js';
import { DEFAULT_RETRY } from '../../src/runtime/delivery.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { Connector } from '../../src/runtime/reply-to.js';
import { MemoryStore } from '../../src/runtime/store/index.js';
import type { TaskRecord } from '../../src/runtime/store/types.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { callbackDef, fastClock, push, startTarget, submitOp, until } from '../support/push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A connector that dials only 127.0.0.1 and counts the connections opened per port. */
function recordingConnector(): { connect: Connector; dials: Map<string, number> } {
  const dial = buildConnector({});
  const dials = new Map<string, number>();
  const connect: Connector = (options, callback) => {
    const key = `${options.hostname}:${options.port}`;
    dials.set(key, (dials.get(key) ?? 0) + 1);
    if (options.hostname !== '127.0.0.1') return callback(new Error('test connector: only loopback is dialled'), null);
    return dial(options, callback);
  };
  return { connect, dials };
}

/** A raw callback target: `answer` writes the whole response, however it likes. */
async function rawTarget(answer: (res: import('node:http').ServerResponse, count: number) => void): Promise<{ url: string; hits: number[]; server: Server }> {
  const hits: number[] = [];
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      hits.push(Date.now());
      answer(res, hits.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

/** An honest consumer: answers every callback at once. The provider must still reach it after each row. */
async function stillDeliversHonestly(p: TestProvider): Promise<void> {
  const honest = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
  cleanup.push(honest.close);
  const id = await push(p.url, `${honest.url}/cb`, 21);
  expect(await p.outcome(id)).toMatchObject({ state: 'delivered', attempts: 1 });
  expect(honest.hits[0]?.body).toEqual({ n: 21, doubled: 42 });
}

/** A body of `total` bytes made on demand, counting what was actually produced (the reader stopping early shows). */
function endless(total: number): { stream: Readable; produced: () => number } {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      produced += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, produced: () => produced };
}

describe('hostile callback targets', () => {
  type Row = {
    name: string;
    /** What the target answers to the `count`-th attempt (the raw response is the row's to write). */
    answer: (res: import('node:http').ServerResponse, count: number) => void;
    /** Provider settings beyond the defaults. */
    options?: Parameters<typeof startProvider>[0];
    /** What must come of the callback. */
    expect: (o: { outcome: Awaited<ReturnType<TestProvider['outcome']>>; task: TaskRecord | undefined; hits: number[]; times: number[]; logs: Record<string, unknown>[] }) => void | Promise<void>;
  };
  const json = (res: import('node:http').ServerResponse, status: number, headers: Record<string, string> = {}, body = '') =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
  const big = (bytes: number) => JSON.stringify({ title: 'Bad Request', detail: 'x'.repeat(bytes) });
  const produced: number[] = [];

  const rows: Row[] = [
    {
      // Item 2: it was 2,294 attempts in 10 s at 80 % of a core, and no end before the retention.
      name: '503 with Retry-After: 0 to every attempt',
      answer: (res) => json(res, 503, { 'retry-after': '0' }),
      expect: ({ outcome, times, logs }) => {
        expect(outcome).toMatchObject({ state: 'dead', status: 503, attempts: DEFAULT_RETRY.maxAttempts });
        expect(outcome.state === 'dead' && outcome.reason).toBe(`HTTP 503 (attempt ${DEFAULT_RETRY.maxAttempts}, the last one allowed)`);
        // One attempt a second at most, on the provider's clock.
        const gaps = times.slice(1).map((t, i) => t - times[i]);
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(DEFAULT_RETRY.minDelayMs);
        // Attempts are counted per target, in the log of each failure.
        const last = logs.filter((l) => l.msg === 'callback not delivered (dead letter)').at(-1);
        expect(last?.targetAttempts).toBe(DEFAULT_RETRY.maxAttempts);
      },
    },
    {
      name: '503 with Retry-After: 864000 (ten days), then 200',
      answer: (res, count) => (count === 1 ? json(res, 503, { 'retry-after': '864000' }) : json(res, 200, {}, '{"outcome":"received"}')),
      expect: ({ outcome, times }) => {
        expect(outcome).toMatchObject({ state: 'delivered', attempts: 2 });
        // Held to the backoff's cap (15 min; plus a poll and the real time the fast clock adds), not ten days.
        expect(times[1] - times[0]).toBeLessThanOrEqual(DEFAULT_RETRY.maxDelayMs + 10_000);
      },
    },
    {
      // Item 3: one 200 MB ACK took the provider from 109 MB to 1.76 GB and went into the database.
      name: 'a 200 MB ACK (chunked, no length)',
      answer: (res) => {
        const body = endless(200 * 1024 * 1024);
        res.on('close', () => produced.push(body.produced()));
        res.writeHead(200, { 'content-type': 'application/json' });
        body.stream.pipe(res);
      },
      expect: async ({ outcome, task }) => {
        expect(outcome).toMatchObject({ state: 'dead', status: 200, attempts: 1 });
        expect(outcome.state === 'dead' && outcome.reason).toBe('HTTP 200 with an answer over the size limit (not read)');
        expect(task?.lastResponse ?? null).toBeNull();
        // The reading stopped soon after 64 KiB: the target could make no more than a few MB (socket buffers).
        await until(() => produced.length > 0, 10_000, 'the target to see its answer cut');
        expect(produced.at(-1)).toBeLessThan(16 * 1024 * 1024);
      },
    },
    {
      name: 'a 200 with Content-Length: 209715200',
      answer: (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) });
        res.write('{"outcome":"');
      },
      expect: ({ outcome }) => expect(outcome).toMatchObject({ state: 'dead', status: 200, attempts: 1, reason: 'HTTP 200 with an answer over the size limit (not read)' }),
    },
    {
      name: 'a 400 whose 50 KB problem is kept as a 4 KB excerpt',
      answer: (res) => json(res, 400, {}, big(50_000)),
      expect: ({ outcome, task }) => {
        expect(outcome).toMatchObject({ state: 'dead', status: 400, attempts: 1, reason: 'HTTP 400' });
        const kept = task?.lastResponse as { excerpt: string; truncated: boolean; length: number };
        expect(kept).toMatchObject({ truncated: true, length: big(50_000).length });
        expect(kept.excerpt).toHaveLength(4096);
        expect(kept.excerpt.startsWith('{"title":"Bad Request"')).toBe(true);
      },
    },
    {
      name: 'a 503 with a 1 MB body, then 200',
      answer: (res, count) => (count === 1 ? json(res, 503, {}, big(1024 * 1024)) : json(res, 200, {}, '{"outcome":"received"}')),
      expect: ({ outcome }) => expect(outcome).toMatchObject({ state: 'delivered', attempts: 2 }),
    },
  ];

  it.each(rows)('$name', { timeout: 60_000 }, async (row) => {
    const clock = fastClock();
    const store = new MemoryStore();
    const times: number[] = [];
    const target = await rawTarget((res, count) => {
      times.push(clock.now());
      row.answer(res, count);
    });
    const p = await startProvider({ clock, store, delivery: { shutdownGraceMs: 100 }, ...row.options });
    cleanup.push(() => p.close());
    const id = await push(p.url, `${target.url}/cb`, 7);
    const outcome = await p.outcome(id);
    await row.expect({ outcome, task: await store.getTask(id), hits: target.hits, times, logs: p.logs });
    await stillDeliversHonestly(p);
  });

  it('dead letters are purged once the retention period has passed, like delivered callbacks', async () => {
    const clock = fastClock();
    const store = new MemoryStore();
    const target = await rawTarget((res) => json(res, 400, {}, '{"title":"Bad Request"}'));
    const retentionMs = 60 * 60_000;
    const p = await startProvider({ clock, store, retentionMs, delivery: { sweepMs: 60_000, pollMs: 60_000, shutdownGraceMs: 100 } });
    cleanup.push(() => p.close());
    const id = await push(p.url, `${target.url}/cb`, 1);
    expect(await p.outcome(id)).toMatchObject({ state: 'dead' });
    const deadAt = (await store.getTask(id))!.updatedAt;
    await until(async () => (await store.getTask(id)) === undefined, 20_000, 'the dead letter to be purged');
    expect(clock.now() - deadAt).toBeGreaterThan(retentionMs);
  });
});

describe('slow and dead targets do not starve the others (item 4)', () => {
  it('100 callbacks to a black hole hold at most 2 slots: an honest callback is delivered while they still hang', { timeout: 60_000 }, async () => {
    const { connect, dials } = recordingConnector();
    let hanging = 0;
    // Accepts, reads the request, never answers.
    const hole = await rawTarget(() => void hanging++);
    const honest = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(honest.close);
    // A 10-minute attempt timeout: what hangs keeps hanging for the whole test.
    const p = await startProvider({ retry: { timeoutMs: 600_000 }, delivery: { connect, shutdownGraceMs: 100 } });
    cleanup.push(() => p.close());
    for (let i = 0; i < 100; i++) await push(p.url, `${hole.url}/cb`, i);
    await until(() => hanging >= 2, 10_000, 'the black hole to hold callbacks');
    const id = await push(p.url, `${honest.url}/cb`, 1000);
    expect(await p.outcome(id)).toMatchObject({ state: 'delivered', attempts: 1 });
    // Delivered while the hostile ones still hang, and they held no more than their target's share.
    expect(hanging).toBe(2);
    expect(dials.get(`127.0.0.1:${new URL(hole.url).port}`)).toBe(2);
  });

  it('a target that refuses connections is parked by its circuit: 20 callbacks over 10 minutes cost a handful of connections', { timeout: 60_000 }, async () => {
    const { connect, dials } = recordingConnector();
    const closed = await rawTarget(() => {});
    const port = new URL(closed.url).port;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    // The test clock stands still until the circuit is open: it runs whenever the worker idles, so
    // on a loaded machine the pushes alone could otherwise eat the 10 minutes (or retries fill them).
    const fast = fastClock();
    let held = true;
    const clock: Clock = { now: fast.now, sleep: (ms, signal) => (held ? new Promise((resolve) => setTimeout(resolve, 2)) : fast.sleep(ms, signal)) };
    const p = await startProvider({ clock, delivery: { connect, shutdownGraceMs: 100 } });
    cleanup.push(() => p.close());
    const dialled = () => dials.get(`127.0.0.1:${port}`) ?? 0;
    for (let i = 0; i < 20; i++) await push(p.url, `http://127.0.0.1:${port}/cb`, i);
    await until(() => p.logs.some((l) => l.msg === 'callback target failing: its callbacks are parked until a trial attempt succeeds'), 20_000, 'the circuit to open');
    // 5 failures opened it (one more attempt may have been under way); the other callbacks wait in the store.
    const before = dialled();
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThanOrEqual(6);
    held = false;
    const start = clock.now();
    await until(() => clock.now() - start > 10 * 60_000, 20_000, '10 minutes on the test clock');
    // Without the circuit each of the 20 callbacks is tried on its own backoff (1 s, 2 s, … 512 s): about 200
    // connections in 10 minutes. With it: one trial after 30 s, 60 s, 120 s and 240 s more (the next, 480 s
    // later, falls past the 10 minutes).
    const trials = dialled() - before;
    expect(trials).toBeGreaterThanOrEqual(3);
    expect(trials).toBeLessThanOrEqual(5);
    await stillDeliversHonestly(p);
  });
});

describe('several consumer instances sharing a registry (item 1)', () => {
  it('a callback that overtakes its 202 to another instance is answered "try again" (503), never 404, and handled once after', { timeout: 60_000 }, async () => {
    const shared = new MemoryStore();
    const sender = new CorrelationRegistry({ store: shared });
    const receiver = new CorrelationRegistry({ store: shared });
    const handled: string[] = [];
    const consumerB = Fastify();
    await registerCallbacks(consumerB, callbackDef, { onResult: (_r: unknown, ctx: { correlationId: string }) => (handled.push(ctx.correlationId), { outcome: 'received' }) }, receiver);
    const callbackUrl = `${await consumerB.listen({ host: '127.0.0.1', port: 0 })}/callback`;
    cleanup.push(() => consumerB.close());
    // A provider whose callback reaches instance B before its 202 reaches instance A, the sender.
    const attempts: { status: number; retryAfter: string | null }[] = [];
    const callback = async () => {
      const res = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': 'overtaking-1' }, body: '{"n":1,"doubled":2}' });
      attempts.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
    };
    const provider = Fastify();
    provider.post('/requests', async (_req, reply) => {
      await callback();
      return reply.code(202).header('x-correlation-id', 'overtaking-1').send({ outcome: 'accepted' });
    });
    const baseUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => provider.close());

    const accepted = await sendPush(submitOp, { body: { n: 1 } }, callbackUrl, sender, { baseUrl });
    expect(accepted.correlationId).toBe('overtaking-1');
    // B did not know the id and A's request was on its way: "try again", which the provider retries.
    expect(attempts).toEqual([{ status: 503, retryAfter: '1' }]);
    await callback();
    expect(attempts[1]).toEqual({ status: 200, retryAfter: null });
    expect(handled).toEqual(['overtaking-1']);
    // With no request on its way anywhere, an unknown id is refused at once.
    const unknown = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': 'never-sent' }, body: '{"n":1,"doubled":2}' });
    expect(unknown.status).toBe(404);
  });
});
