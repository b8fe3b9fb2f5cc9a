import { afterEach, describe, expect, it } from 'vitest';
import { listDeliveries, purgeDeliveries, retryDelivery } from '../src/runtime/admin.js';
import { MemoryStore } from '../src/runtime/store/index.js';
import { startProvider } from './support/provider.js';
import { push, startTarget } from './support/push.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const TOKEN = 'operator-token-0123456789';

describe('operator API for deliveries', () => {
  it('lists, inspects, retries and purges dead letters through the protected admin routes', async () => {
    let accept = false;
    const t = await startTarget((hit) => (hit.path === '/ok' || accept ? { status: 200, body: { outcome: 'received' } } : { status: 404, body: { title: 'Not Found' } }));
    cleanup.push(t.close);
    const store = new MemoryStore();
    const p = await startProvider({ store, admin: { token: TOKEN } });
    cleanup.push(p.close);
    const good = await push(p.url, `${t.url}/ok`, 1);
    const bad = await push(p.url, `${t.url}/missing`, 2);
    expect(await p.outcome(good)).toMatchObject({ state: 'delivered' });
    expect(await p.outcome(bad)).toMatchObject({ state: 'dead', status: 404 });

    const admin = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
      fetch(`${p.url}/_accordo${path}`, { ...init, headers: token === null ? {} : { authorization: `Bearer ${token}` } });

    for (const token of [null, 'wrong', `${TOKEN}x`]) {
      const res = await admin('/deliveries', {}, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="accordo-admin"');
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }

    const listed = (await (await admin('/deliveries?state=dead')).json()) as { items: Record<string, unknown>[] };
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ id: bad, state: 'dead', attempts: 1, lastStatus: 404, lastError: 'HTTP 404', operation: 'submit' });
    expect(listed.items[0]).not.toHaveProperty('request');
    expect(String(listed.items[0].createdAt)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(((await (await admin('/deliveries')).json()) as { items: unknown[] }).items).toHaveLength(2);
    expect((await admin('/deliveries?state=lost')).status).toBe(400);
    expect((await admin('/deliveries?limit=0')).status).toBe(400);

    const inspected = (await (await admin(`/deliveries/${bad}`)).json()) as Record<string, unknown>;
    expect(inspected).toMatchObject({ request: { body: { n: 2 } }, result: { n: 2, doubled: 4 }, lastResponse: { title: 'Not Found' } });
    expect((await admin('/deliveries/nope')).status).toBe(404);

    expect((await admin(`/deliveries/${good}/retry`, { method: 'POST' })).status).toBe(409);
    expect((await admin('/deliveries/nope/retry', { method: 'POST' })).status).toBe(404);
    accept = true;
    p.outcomes.delete(bad);
    const retried = await admin(`/deliveries/${bad}/retry`, { method: 'POST' });
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ state: 'ready', attempts: 0 });
    expect(await p.outcome(bad)).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(p.runs.get(bad)).toBe(1);

    expect((await admin('/deliveries?state=pending', { method: 'DELETE' })).status).toBe(400);
    expect((await admin(`/deliveries/${good}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin(`/deliveries/${good}`)).status).toBe(404);
    expect(await (await admin('/deliveries?state=delivered', { method: 'DELETE' })).json()).toEqual({ purged: 1 });
    expect(await store.listTasks()).toEqual([]);
  });

  it('is off unless configured, and refuses a weak token', async () => {
    const p = await startProvider();
    cleanup.push(p.close);
    expect((await fetch(`${p.url}/_accordo/deliveries`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    await expect(startProvider({ admin: { token: 'short' } })).rejects.toThrow(/at least 16 characters/);
  });

  it('offers the same operations as functions for the CLI', async () => {
    const store = new MemoryStore();
    const t = await startTarget(() => ({ status: 400 }));
    cleanup.push(t.close);
    const p = await startProvider({ store });
    cleanup.push(p.close);
    const id = await push(p.url, `${t.url}/cb`, 1);
    await p.outcome(id);
    expect((await listDeliveries(store, { states: ['dead'] })).map((d) => d.id)).toEqual([id]);
    await p.close();
    expect(await retryDelivery(store, id, { now: Date.now(), retentionMs: 1000 })).toMatchObject({ state: 'ready', attempts: 0 });
    expect(await retryDelivery(store, 'nope')).toBeUndefined();
    expect(() => purgeDeliveries(store, { states: ['ready'] })).toThrow(/unfinished work/);
    expect(await purgeDeliveries(store)).toBe(0);
  });
});
