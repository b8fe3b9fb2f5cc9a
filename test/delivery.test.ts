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
    for (const [name, status] of [['bad-request', 400], ['not-found', 404], ['unauthorized', 401], ['conflict', 409], ['limit-exceeded', 429], ['server-error', 500], ['moved', 302]] as const) {
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
