import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, SqliteStore } from '../src/runtime/store/index.js';
import { DAY, startProvider, type TestProvider } from './support/provider.js';
import { fastClock, push, startTarget, until, type Answer, type Hit } from './support/push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
const dir = mkdtempSync(join(tmpdir(), 'accordo-delivery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function target(script: (hit: Hit, count: number) => Answer) {
  const t = await startTarget(script);
  cleanup.push(t.close);
  return t;
}
async function provider(...args: Parameters<typeof startProvider>): Promise<TestProvider> {
  const p = await startProvider(...args);
  cleanup.push(p.close);
  return p;
}

const ok: Answer = { status: 200, body: { outcome: 'received' } };

describe('callback delivery retries (CART rules, fast clock)', () => {
  // Each scenario is a callback path; the target answers the scripted statuses in order.
  const scenarios: Record<string, Answer[]> = {
    'busy-retry-after': [{ status: 503, headers: { 'retry-after': '120' } }, ok],
    'busy-date': [{ status: 503, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' } }, ok],
    busy: [{ status: 503 }, ok],
    'bad-gateway': [{ status: 502 }, { status: 504 }, ok],
    'too-many': [{ status: 429, body: { title: 'Too Many Requests' } }, ok],
    dropped: ['drop', ok],
    'bad-request': [{ status: 400, body: { title: 'Bad Request', detail: 'n is wrong' } }, ok],
    'not-found': [{ status: 404, body: { title: 'Not Found' } }, ok],
    unauthorized: [{ status: 401 }, ok],
    conflict: [{ status: 409 }, ok],
    'limit-exceeded': [{ status: 429, body: { title: 'Too Many Requests', detail: 'daily limit exceeded' } }, ok],
    'server-error': [{ status: 500 }, ok],
    moved: [{ status: 302, headers: { location: '/cb/ok' } }, ok],
  };

  it('retries temporary failures until delivered and dead-letters permanent ones after one try', async () => {
    const times = new Map<string, number[]>();
    const clock = fastClock();
    const t = await target((hit, count) => {
      const name = hit.path.split('/').pop()!;
      times.set(name, [...(times.get(name) ?? []), clock.now()]);
      return scenarios[name]?.[count - 1] ?? ok;
    });
    const p = await provider({ clock });
    const ids = new Map<string, string>();
    for (const [i, name] of Object.keys(scenarios).entries()) ids.set(name, await push(p.url, `${t.url}/cb/${name}`, i));
    const outcome = async (name: string) => p.outcome(ids.get(name)!);

    for (const name of ['busy-retry-after', 'busy-date', 'busy', 'too-many', 'dropped']) {
      expect(await outcome(name), name).toMatchObject({ state: 'delivered', status: 200, attempts: 2, ack: { outcome: 'received' } });
    }
    expect(await outcome('bad-gateway')).toMatchObject({ state: 'delivered', attempts: 3 });
    for (const [name, status] of [
      ['bad-request', 400],
      ['not-found', 404],
      ['unauthorized', 401],
      ['conflict', 409],
      ['limit-exceeded', 429],
      ['server-error', 500],
      ['moved', 302],
    ] as const) {
      expect(await outcome(name), name).toMatchObject({ state: 'dead', status, attempts: 1 });
    }
    // The dead letter keeps the last response.
    const dead = await p.outcome(ids.get('bad-request')!);
    expect(dead).toMatchObject({ reason: 'HTTP 400', lastBody: { title: 'Bad Request', detail: 'n is wrong' } });
    expect(await p.outcome(ids.get('limit-exceeded')!)).toMatchObject({ reason: 'HTTP 429 limit exceeded' });
    // Each callback carried its CorrelationID and the handler's result; each handler ran once.
    const hit = t.hits.find((h) => h.path === '/cb/busy' && h.headers['x-correlation-id'] === ids.get('busy'))!;
    expect(hit.body).toEqual({ n: 2, doubled: 4 });
    expect([...p.runs.values()].every((n) => n === 1)).toBe(true);
    expect(p.runs.size).toBe(Object.keys(scenarios).length);
    // Retry-After was honoured: the second try came at least 120 s (on the test clock) after the first.
    const [first, second] = times.get('busy-retry-after')!;
    expect(second - first).toBeGreaterThanOrEqual(120_000);
    // The permanent failures were tried exactly once.
    for (const name of ['bad-request', 'not-found', 'limit-exceeded']) expect(t.hits.filter((h) => h.path === `/cb/${name}`)).toHaveLength(1);
  });
});

describe('retention', () => {
  it('expires an undelivered callback at the configured age, with a logged event', async () => {
    const clock = fastClock();
    const t = await target(() => ({ status: 503, headers: { 'retry-after': '60' } }));
    const retentionMs = 10 * 60_000;
    const p = await provider({ clock, retentionMs, delivery: { sweepMs: 5_000, pollMs: 5_000 } });
    const id = await push(p.url, `${t.url}/cb`, 7);
    const outcome = await p.outcome(id);
    expect(outcome).toMatchObject({ state: 'expired', status: 503, reason: 'HTTP 503' });
    // Tried about once a minute (Retry-After) for ten minutes, then no more.
    expect(outcome.attempts).toBeGreaterThanOrEqual(9);
    expect(outcome.attempts).toBeLessThanOrEqual(11);
    const logged = p.logs.find((l) => l.correlationId === id && String(l.msg).startsWith('push request expired'));
    expect(logged).toMatchObject({ level: 40, operation: 'submit', lastStatus: 503 });
    const hitsAtExpiry = t.hits.length;
    await clock.sleep(10 * 60_000);
    expect(t.hits.length).toBe(hitsAtExpiry);
  });

  it('expires at exactly the configured age on the store clock, not before', async () => {
    const store = new MemoryStore();
    cleanup.push(() => store.close());
    const clock = fastClock();
    const t = await target(() => ({ status: 503, headers: { 'retry-after': '30' } }));
    // A consumer's message box on the same store: its messages are the box's to expire (and log), not the worker's.
    await store.createTask({ id: 'box-message', kind: 'box', operation: 'Callback', reference: 'r', request: {}, now: clock.now(), expiresAt: clock.now() });
    const p = await provider({ clock, store, retentionMs: 3_600_000, delivery: { sweepMs: 10_000, pollMs: 10_000 } });
    const id = await push(p.url, `${t.url}/cb`, 1);
    await p.outcome(id);
    const record = (await store.getTask(id))!;
    expect(record.state).toBe('expired');
    expect((await store.getTask('box-message'))!.state).toBe('pending');
    expect(record.expiresAt - record.createdAt).toBe(3_600_000);
    // Swept within one sweep interval (plus one poll) of the expiry time.
    expect(record.updatedAt).toBeGreaterThanOrEqual(record.expiresAt);
    expect(record.updatedAt - record.expiresAt).toBeLessThanOrEqual(20_000);
  });
});

describe('restart and shutdown', () => {
  it('picks up accepted work after a restart: the handler is not run again once its result is stored', async () => {
    const file = join(dir, 'restart.db');
    let up = false;
    const t = await target(() => (up ? ok : 'drop'));
    const clock = fastClock();
    const first = await startProvider({ clock, store: `sqlite:${file}` });
    const ids = [await push(first.url, `${t.url}/cb`, 1), await push(first.url, `${t.url}/cb`, 2)];
    const check = await SqliteStore.open(file);
    cleanup.push(() => check.close());
    await until(async () => (await check.listTasks({ states: ['ready'] })).filter((r) => r.attempts > 0).length === 2, 10_000, 'failed attempts');
    await first.close();
    expect(first.outcomes.size).toBe(0);
    expect(first.runs.size).toBe(2);

    up = true;
    const second = await provider({ clock, store: `sqlite:${file}` });
    for (const id of ids) expect(await second.outcome(id)).toMatchObject({ state: 'delivered', ack: { outcome: 'received' } });
    expect(second.runs.size).toBe(0);
    expect((await check.getTask(ids[0]))!.result).toEqual({ n: 1, doubled: 2 });
  });

  it('runs the handler for requests another instance only accepted', async () => {
    const store = new MemoryStore();
    const t = await target(() => ok);
    const acceptor = await provider({ store, delivery: { enabled: false } });
    const id = await push(acceptor.url, `${t.url}/cb`, 5);
    expect((await store.getTask(id))!.state).toBe('pending');
    const worker = await provider({ store });
    expect(await worker.outcome(id)).toMatchObject({ state: 'delivered' });
    expect(acceptor.runs.size).toBe(0);
    expect(worker.runs.get(id)).toBe(1);
  });

  it('on close, stops claiming and releases a callback still on the wire without counting it', async () => {
    const store = new MemoryStore();
    const t = await target(() => 'hang');
    const p = await startProvider({ store, delivery: { shutdownGraceMs: 100 } });
    const id = await push(p.url, `${t.url}/cb`, 3);
    await until(() => t.hits.length === 1, 10_000, 'the callback to arrive');
    await p.close();
    const record = (await store.getTask(id))!;
    expect(record).toMatchObject({ state: 'ready', attempts: 0, result: { n: 3, doubled: 6 } });
    expect(record.leaseOwner).toBeUndefined();
    expect(p.logs.some((l) => l.msg === 'shutting down: callback attempt abandoned, task released')).toBe(true);
  });
});

describe('shutdown with a hung handler', () => {
  it('does not wait for ever: the task stays leased and is run again after the lease', async () => {
    const store = new MemoryStore();
    const t = await target(() => ok);
    let started = false;
    const p = await startProvider({ store, delivery: { shutdownGraceMs: 50 } }, () => {
      started = true;
      return new Promise(() => {});
    });
    const id = await push(p.url, `${t.url}/cb`, 1);
    await until(() => started, 5_000, 'the handler to start');
    await p.close();
    expect((await store.getTask(id))!).toMatchObject({ state: 'pending', runs: 1 });
    expect(p.logs.some((l) => String(l.msg).startsWith('shut down with handlers still running'))).toBe(true);
  });
});

describe('handler failures', () => {
  it('dead-letters a request whose handler throws or returns an invalid result; no callback is sent', async () => {
    const store = new MemoryStore();
    const t = await target(() => ok);
    const p = await provider({ store }, (req) => {
      const n = (req.body as { n: number }).n;
      if (n === 1) throw new Error('backend down');
      return { n, doubled: 'twice' };
    });
    const thrown = await push(p.url, `${t.url}/cb`, 1);
    const invalid = await push(p.url, `${t.url}/cb`, 2);
    expect(await p.outcome(thrown)).toMatchObject({ state: 'dead', attempts: 0, reason: 'processing failed: backend down' });
    expect(await p.outcome(invalid)).toMatchObject({ state: 'dead', reason: expect.stringContaining('callback body.doubled') });
    expect((await store.getTask(thrown))!.lastError).toBe('processing failed: backend down');
    expect(t.hits).toHaveLength(0);
  });

  it('answers 409 to a CorrelationID that was already accepted, and 503 when the store fails', async () => {
    const store = new MemoryStore();
    const t = await target(() => ok);
    const p = await provider({ store, correlationId: (_op, req) => `protocol-${(req.body as { n: number }).n}` });
    expect(await push(p.url, `${t.url}/cb`, 1)).toBe('protocol-1');
    const again = await fetch(`${p.url}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': `${t.url}/cb` }, body: '{"n":1}' });
    expect(again.status).toBe(409);
    store.createTask = async () => {
      throw new Error('disk full');
    };
    const failed = await fetch(`${p.url}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': `${t.url}/cb` }, body: '{"n":2}' });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(failed.headers.get('x-correlation-id')).toBeNull();
    expect(await failed.json()).toMatchObject({ status: 503, detail: 'the request could not be taken in charge; try again later' });
  });
});

describe('interrupted handler', () => {
  it('runs a handler again only when an earlier run never stored its result, and tells it so', async () => {
    const store = new MemoryStore();
    const clock = fastClock();
    const t = await target(() => ok);
    // An instance accepted the request and died while its handler ran: the task is leased to it.
    const now = clock.now();
    await store.createTask({ id: 'interrupted', kind: 'push', operation: 'submit', request: { path: {}, query: {}, headers: {}, body: { n: 9 } }, replyTo: `${t.url}/cb`, now, expiresAt: now + DAY });
    await store.claimTasks({ kind: 'push', operations: ['submit'], states: ['pending'], owner: 'dead-instance', now, leaseMs: 60_000, limit: 1 });
    const runs: number[] = [];
    const p = await provider({ store, clock }, (_req, ctx) => {
      runs.push(ctx.run);
      return { n: 9, doubled: 18 };
    });
    expect(await p.outcome('interrupted')).toMatchObject({ state: 'delivered' });
    expect(runs).toEqual([2]);
    expect(p.logs.find((l) => l.correlationId === 'interrupted' && l.run === 2)).toMatchObject({ msg: 'an earlier run of this handler was interrupted; running it again' });
  });
});
