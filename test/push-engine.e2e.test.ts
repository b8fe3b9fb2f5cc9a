// The push engine's promises (docs/delivery.md, docs/security.md), one table run against both
// bindings: the REST provider and the SOAP 1.2 provider share the engine, so each must keep them.
// No traffic leaves 127.0.0.0/8: refused callback URLs are proven refused with a connector that
// records what it was asked to dial and dials nothing.
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/runtime/clock.js';
import type { Connector } from '../src/runtime/reply-to.js';
import { MemoryStore } from '../src/runtime/store/index.js';
import { CorrelationRegistry } from '../src/runtime/correlation.js';
import { createConsumerServer } from '../examples/nonblock-push-soap/generated/consumer.js';
import { BINDINGS, faultOf, SOAP12 } from './support/bindings.js';
import { UUID_V7, uuidV7Time } from './support/ids.js';
import { startTarget, until, type Answer, type Hit } from './support/push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A connector that records each dial and dials nothing. */
function recorder() {
  const dialled: string[] = [];
  const connect: Connector = (options, callback) => {
    dialled.push(`${options.hostname}:${options.port}`);
    callback(new Error('test connector: not dialling'), null);
  };
  return { dialled, connect };
}

/**
 * A clock whose time moves only when the worker sleeps (by exactly what it asked), so that the
 * gaps between callback attempts are the engine's schedule and nothing else.
 */
function virtualClock(): Clock & { sleeps: number } {
  let now = Date.UTC(2026, 0, 1);
  const clock = {
    sleeps: 0,
    now: () => now,
    sleep: (ms: number) => {
      now += ms;
      clock.sleeps++;
      return new Promise<void>((resolve) => setTimeout(resolve, 1));
    },
  };
  return clock;
}

async function target(script: (hit: Hit, count: number) => Answer) {
  const t = await startTarget(script);
  cleanup.push(t.close);
  return t;
}

describe.each(BINDINGS)('$name push provider', (binding) => {
  async function provider(...args: Parameters<typeof binding.start>) {
    const p = await binding.start(...args);
    cleanup.push(p.close);
    return p;
  }

  describe('the X-ReplyTo policy by default (docs/security.md): no loopback, private or metadata target', () => {
    // A name resolving to a private address is refused like the address: `inside.example` → 10.0.0.8.
    const lookup = async (host: string) => {
      if (host === 'inside.example') return [{ address: '10.0.0.8', family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    const refused: [string, RegExp][] = [
      ['http://127.0.0.1:9/cb', /names a refused loopback address/],
      ['http://[::1]:9/cb', /names a refused loopback address/],
      ['http://localhost:9/cb', /names a local or metadata host/],
      ['http://[::ffff:127.0.0.1]/cb', /names a refused ipv4Mapped address/],
      ['http://10.1.2.3/cb', /names a refused private address/],
      ['http://192.168.1.10/cb', /names a refused private address/],
      ['http://169.254.169.254/latest/meta-data/', /names a refused linkLocal address/],
      ['http://168.63.129.16/', /names a refused metadata address/],
      ['http://[fd00:ec2::254]/', /names a refused uniqueLocal address/],
      ['http://metadata.google.internal/computeMetadata/v1/', /names a local or metadata host/],
      ['http://inside.example/cb', /host resolves to a private address/],
    ];

    it.each(refused)('refuses %s at step 1, before the handler, without dialling', async (replyTo, detail) => {
      const { dialled, connect } = recorder();
      const store = new MemoryStore();
      const p = await provider({ store, replyTo: { lookup }, delivery: { connect } });
      const res = await p.send(replyTo);
      const refusal = await binding.refusal(res);
      expect(refusal).toMatchObject({ ...binding.refused, detail: expect.stringMatching(detail) });
      expect(refusal.detail).toMatch(/^X-ReplyTo /);
      expect(refusal.detail).not.toContain('10.0.0.8');
      expect(p.acknowledged()).toBe(0);
      expect(await store.listTasks()).toEqual([]);
      expect(dialled).toEqual([]);
    });

    it('an empty X-ReplyTo is a missing one', async () => {
      const p = await provider({});
      const refusal = await binding.refusal(await p.send(''));
      expect(refusal).toEqual({ ...binding.refused, detail: binding.name === 'REST' ? 'missing X-ReplyTo header' : 'missing X-ReplyTo SOAP header' });
      expect(p.acknowledged()).toBe(0);
    });

    it('accepts loopback only with allowLoopback, and delivers there', async () => {
      const t = await target(() => binding.ack);
      const strict = await provider({});
      expect((await strict.send(`${t.url}/cb`)).status).toBe(binding.refused.status);
      const dev = await provider({ replyTo: { allowLoopback: true } });
      const id = await dev.accept(`${t.url}/cb`);
      expect(await dev.outcome(id)).toMatchObject({ state: 'delivered', status: 200, attempts: 1 });
      expect(t.hits).toHaveLength(1);
      expect(binding.correlationOf(t.hits[0])).toBe(id);
    });
  });

  describe('what step 1 answers when it cannot accept (push.ts: 503 may pass, 409 will not)', () => {
    // REST: 503 with Retry-After. SOAP: a Receiver fault (the provider's failure, worth trying
    // again), HTTP 500 as the SOAP processing rules allow for errors not the consumer's.
    const busy = binding.name === 'REST' ? { status: 503, code: '503' } : { status: 500, code: `{${SOAP12}}Receiver` };

    it('a resolver that fails for now: 503 with Retry-After (REST), nothing acknowledged or stored', async () => {
      const store = new MemoryStore();
      const lookup = async () => {
        throw Object.assign(new Error('getaddrinfo EAI_AGAIN cb.example'), { code: 'EAI_AGAIN' });
      };
      const p = await provider({ store, replyTo: { lookup } });
      const res = await p.send('https://cb.example/cb');
      if (binding.name === 'REST') expect(res.headers.get('retry-after')).toBe('5');
      expect(await binding.refusal(res)).toEqual({ ...busy, detail: 'X-ReplyTo host could not be resolved now; try again later' });
      expect(p.acknowledged()).toBe(0);
      expect(await store.listTasks()).toEqual([]);
    });

    it('a store that fails: 503, the request not accepted', async () => {
      const store = new MemoryStore();
      store.createTask = async () => {
        throw new Error('disk full');
      };
      const t = await target(() => binding.ack);
      const p = await provider({ store, replyTo: { allowLoopback: true } });
      const res = await p.send(`${t.url}/cb`);
      if (binding.name === 'REST') expect(res.headers.get('retry-after')).toBe('5');
      expect(await binding.refusal(res)).toEqual({ ...busy, detail: 'the request could not be taken in charge; try again later' });
      expect(t.hits).toEqual([]);
    });

    it('a CorrelationID the supplier gives twice: the second request is refused (409), the first delivered once', async () => {
      const t = await target(() => binding.ack);
      const p = await provider({ replyTo: { allowLoopback: true }, clock: virtualClock(), correlationId: (operation) => `fixed-${operation}` });
      const id = await p.accept(`${t.url}/cb`);
      expect(id).toMatch(/^fixed-(submit|MRequest)$/);
      const again = await p.send(`${t.url}/cb`);
      const refusal = await binding.refusal(again);
      expect(refusal).toEqual({
        status: binding.name === 'REST' ? 409 : 500,
        code: binding.name === 'REST' ? '409' : `{${SOAP12}}Sender`,
        detail: `a request with CorrelationID "${id}" was already accepted`,
      });
      expect(await p.outcome(id)).toMatchObject({ state: 'delivered', attempts: 1 });
      expect(t.hits).toHaveLength(1);
      expect(p.processed()).toBe(1);
    });

    it('without a supplier, each request gets a new UUID v7 carrying the time it was accepted', async () => {
      const t = await target(() => binding.ack);
      const p = await provider({ replyTo: { allowLoopback: true }, clock: virtualClock() });
      const before = Date.now();
      const ids = [await p.accept(`${t.url}/cb`), await p.accept(`${t.url}/cb`)];
      const after = Date.now();
      for (const id of ids) {
        expect(id).toMatch(UUID_V7);
        expect(uuidV7Time(id)).toBeGreaterThanOrEqual(before);
        expect(uuidV7Time(id)).toBeLessThanOrEqual(after);
      }
      // Time-ordered: the store's index takes them in order (src/runtime/ids.ts).
      expect(uuidV7Time(ids[0])).toBeLessThanOrEqual(uuidV7Time(ids[1]));
      expect(ids[0]).not.toBe(ids[1]);
    });
  });

  describe('retries (docs/delivery.md, "Which failures are retried"), on a clock that moves only when the worker waits', () => {
    const retried = { replyTo: { allowLoopback: true }, delivery: { pollMs: 1000 } };

    it('retries a temporary failure (503, then a dropped connection) until delivered, running the handler once', async () => {
      const t = await target((_hit, count) => (count === 1 ? { status: 503 } : count === 2 ? 'drop' : binding.ack));
      const p = await provider({ ...retried, clock: virtualClock() });
      const id = await p.accept(`${t.url}/cb`);
      expect(await p.outcome(id)).toMatchObject({ state: 'delivered', status: 200, attempts: 3 });
      expect(t.hits.map((h) => binding.correlationOf(h))).toEqual([id, id, id]);
      expect(p.processed()).toBe(1);
    });

    it('stops at maxAttempts: the last temporary failure is a dead letter', async () => {
      const t = await target(() => ({ status: 503 }));
      const p = await provider({ ...retried, clock: virtualClock(), retry: { maxAttempts: 3 } });
      const id = await p.accept(`${t.url}/cb`);
      expect(await p.outcome(id)).toMatchObject({ state: 'dead', status: 503, attempts: 3, reason: 'HTTP 503 (attempt 3, the last one allowed)' });
      expect(t.hits).toHaveLength(3);
    });

    it('backs off exponentially from baseDelayMs, with jitter in [cap/2, cap], up to maxDelayMs', async () => {
      // The waits the engine scheduled, read where they are kept: each failed attempt's `dueAt`.
      const store = new MemoryStore();
      const waits: number[] = [];
      const update = store.updateTask.bind(store);
      store.updateTask = (id, owner, patch, now) => {
        if (patch.dueAt !== undefined && patch.lastError) waits.push(patch.dueAt - now);
        return update(id, owner, patch, now);
      };
      const t = await target(() => ({ status: 503 }));
      const p = await provider({ ...retried, store, clock: virtualClock(), retry: { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 8000 } });
      const id = await p.accept(`${t.url}/cb`);
      expect(await p.outcome(id)).toMatchObject({ state: 'dead', attempts: 8 });
      expect(t.hits).toHaveLength(8);
      // The wait after attempt k is within [cap/2, cap], cap = min(maxDelayMs, baseDelayMs · 2^(k-1)).
      const caps = [1000, 2000, 4000, 8000, 8000, 8000, 8000];
      expect(waits).toHaveLength(caps.length);
      waits.forEach((wait, i) => {
        expect(wait, `wait after attempt ${i + 1}`).toBeGreaterThanOrEqual(caps[i] / 2);
        expect(wait, `wait after attempt ${i + 1}`).toBeLessThanOrEqual(caps[i]);
      });
    });

    it('treats an attempt that timed out as temporary: tried again, and delivered', async () => {
      const t = await target((_hit, count) => (count === 1 ? 'hang' : binding.ack));
      // timeoutMs is real time (the attempt's own timer); the hanging answer never comes. A loaded
      // machine may time out a later attempt too: what matters is that a timeout is tried again.
      const p = await provider({ ...retried, clock: virtualClock(), retry: { timeoutMs: 1000, maxAttempts: 5 } });
      const id = await p.accept(`${t.url}/cb`);
      const outcome = await p.outcome(id);
      expect(outcome).toMatchObject({ state: 'delivered', status: 200 });
      expect(outcome.attempts).toBeGreaterThanOrEqual(2);
      expect(t.hits.length).toBe(outcome.attempts);
    });

    it('a permanent failure (400) is tried once', async () => {
      const t = await target(() => ({ status: 400, body: { title: 'Bad Request' } }));
      const p = await provider({ ...retried, clock: virtualClock() });
      const id = await p.accept(`${t.url}/cb`);
      expect(await p.outcome(id)).toMatchObject({ state: 'dead', status: 400, attempts: 1 });
      expect(t.hits).toHaveLength(1);
    });
  });

  describe('retention (docs/delivery.md)', () => {
    it('forgets a delivered task once the retention period is over, not before', async () => {
      const store = new MemoryStore();
      cleanup.push(() => store.close());
      const t = await target(() => binding.ack);
      const retentionMs = 3_600_000;
      const clock = virtualClock();
      const p = await provider({ replyTo: { allowLoopback: true }, store, clock, retentionMs, delivery: { pollMs: 10_000, sweepMs: 60_000 } });
      const id = await p.accept(`${t.url}/cb`);
      expect(await p.outcome(id)).toMatchObject({ state: 'delivered' });
      const delivered = (await store.getTask(id))!;
      expect(delivered.state).toBe('delivered');
      expect(clock.now() - delivered.updatedAt).toBeLessThan(retentionMs);
      await until(async () => (await store.getTask(id)) === undefined, 20_000, 'the delivered task to be purged');
      // Purged by a sweep once the retention period was over, not before.
      expect(clock.now() - delivered.updatedAt).toBeGreaterThanOrEqual(retentionMs);
    });
  });
});

describe('SOAP callback answers', () => {
  const SOAP = BINDINGS[1];
  const fault = (code: string, status: number): Answer => ({
    status,
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    text: `<e:Envelope xmlns:e="${SOAP12}"><e:Body><e:Fault><e:Code><e:Value>e:${code}</e:Value></e:Code><e:Reason><e:Text xml:lang="en">${code} said no</e:Text></e:Reason></e:Fault></e:Body></e:Envelope>`,
  });

  it('a Receiver fault (503: the consumer is still handling the first copy) is temporary; a Sender fault is final', async () => {
    const t = await target((hit, count) => {
      if (hit.path === '/busy') return count === 1 ? fault('Receiver', 503) : SOAP.ack;
      return fault('Sender', 500);
    });
    const p = await SOAP.start({ replyTo: { allowLoopback: true }, clock: virtualClock() });
    cleanup.push(p.close);
    const busy = await p.accept(`${t.url}/busy`);
    expect(await p.outcome(busy)).toMatchObject({ state: 'delivered', attempts: 2 });
    const wrong = await p.accept(`${t.url}/wrong`);
    expect(await p.outcome(wrong)).toMatchObject({ state: 'dead', status: 500, attempts: 1, reason: 'SOAP Fault Sender: Sender said no' });
  });

  it('the SOAP consumer answers a copy that arrives while the first is handled with 503 + Receiver, and the provider tries again', async () => {
    // The first attempt times out while the consumer's handler still runs; the retry finds it
    // busy (503, a Receiver fault: temporary); the next one gets the stored ACK.
    const registry = new CorrelationRegistry();
    const statuses: number[] = [];
    let busyFault: { code: string; subcode?: string; reason: string } | undefined;
    let runs = 0;
    const consumer = await createConsumerServer(
      {
        mRequestResponse: async () => {
          runs++;
          await until(() => statuses.includes(503), 20_000, 'the consumer to answer a second copy with 503');
          return { return: { outcome: 'OK' } };
        },
      },
      registry,
    );
    consumer.addHook('onSend', async (_req, reply, payload) => {
      statuses.push(reply.statusCode);
      if (reply.statusCode === 503) busyFault = faultOf(String(payload));
      return payload;
    });
    cleanup.push(() => consumer.close());
    const consumerUrl = `${await consumer.listen({ host: '127.0.0.1', port: 0 })}/soap/nome-api/v1`;
    const p = await SOAP.start({ replyTo: { allowLoopback: true }, clock: virtualClock(), retry: { timeoutMs: 1000 } });
    cleanup.push(p.close);
    const id = await p.accept(consumerUrl);
    await registry.expect(id, 'MRequest');
    const outcome = await p.outcome(id);
    expect(outcome).toMatchObject({ state: 'delivered', status: 200, ack: { return: { outcome: 'OK' } } });
    expect(outcome.attempts).toBeGreaterThanOrEqual(3);
    expect(busyFault).toEqual({ code: `{${SOAP12}}Receiver`, subcode: '{urn:accordo:error}callback-in-progress', reason: `callback for CorrelationID "${id}" is being handled; try again later` });
    expect(runs).toBe(1);
  });
});
