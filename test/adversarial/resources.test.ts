// What one hostile peer or one stuck neighbour can cost a provider (issue 18 items 8 and 12): a
// SQLite write lock held by another process, request bodies held open, and a callback target that
// is down for 50,000 messages. Each case checks that the provider keeps serving and bounds the
// cost functionally (order of answers, connections opened, bytes held), not with timings.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/runtime/clock.js';
import type { Connector } from '../../src/runtime/reply-to.js';
import { SqliteStore } from '../../src/runtime/store/index.js';
import { startProvider } from '../support/provider.js';
import { killHard, startProvider as startChild } from '../support/child.js';
import { push, startTarget, until } from '../support/push.js';

const crashProvider = fileURLToPath(new URL('../support/crash-provider.ts', import.meta.url));
const resourceProvider = fileURLToPath(new URL('../support/resource-provider.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'accordo-resources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('a SQLite write lock held by another process (item 8)', () => {
  it('does not freeze the provider: other requests are served meanwhile, the push is answered 503 + Retry-After, and served again once the lock is gone', { timeout: 60_000 }, async () => {
    const file = join(dir, 'locked.db');
    const honest = await startTarget(() => ({ status: 200, body: { outcome: 'received' } }));
    cleanup.push(honest.close);
    // The provider in its own process, so that what its event loop does shows in the order of its answers.
    const provider = await startChild(crashProvider, [file, join(dir, 'handlers.log')]);
    cleanup.push(() => killHard(provider.child));
    const reader = await SqliteStore.open(file);
    cleanup.push(() => reader.close());
    // Another process's connection takes the write lock and keeps it.
    const other = new Database(file);
    cleanup.push(async () => void other.close());
    other.exec('BEGIN IMMEDIATE');
    other.prepare(`UPDATE accordo_tasks SET updated_at = updated_at WHERE id = 'none'`).run();

    let pushAnswered = false;
    const pushing = fetch(`${provider.url}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': `${honest.url}/cb` }, body: '{"n":1}' }).then(async (res) => {
      pushAnswered = true;
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    });
    // Let the push reach the provider and wait for the lock there (the order below is what tells a frozen loop).
    await new Promise((r) => setTimeout(r, 300));
    // While the push waits for the lock, the provider's event loop is free: a request that needs no store is answered first.
    const other404 = await fetch(`${provider.url}/nothing`);
    expect(other404.status).toBe(404);
    expect(pushAnswered).toBe(false);
    // Reads need no lock: the store answers them while the lock is held.
    expect(await reader.listTasks({ limit: 1 })).toEqual([]);

    const refused = await pushing;
    expect(refused).toMatchObject({ status: 503, retryAfter: '5', body: { status: 503, detail: 'the request could not be taken in charge; try again later' } });

    other.exec('COMMIT');
    const id = await push(provider.url, `${honest.url}/cb`, 2);
    await until(() => honest.hits.some((h) => h.headers['x-correlation-id'] === id), 20_000, 'the callback once the lock is gone');
  });
});

/** Resident memory of a process, in bytes (Linux). */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Opens a connection and sends the head of a POST and `body`, never the rest; resolves once written, or refused. */
function stalledBody(port: number, body: Buffer, declared: number): Promise<{ socket: Socket; closed: () => boolean; answer: () => string }> {
  return new Promise((resolve) => {
    let answer = '';
    let closed = false;
    const done = () => resolve({ socket, closed: () => closed, answer: () => answer });
    const socket = connectTcp(port, '127.0.0.1', () => {
      socket.write(`POST /requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-ReplyTo: http://127.0.0.1:9/cb\r\nContent-Length: ${declared}\r\n\r\n`);
      if (body.length) socket.write(body, done);
      else done();
    });
    socket.on('data', (d) => (answer += d.toString('latin1')));
    // A refused body is answered and closed; unread bytes make the close a reset, which may come first.
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      done();
    });
  });
}

describe('bodies held open and connections (item 12)', () => {
  it('500 bodies of 1 MiB held open without their last byte do not raise the provider by 500 MB; the rest are refused 503 and it keeps serving', { timeout: 120_000 }, async () => {
    const provider = await startChild(resourceProvider, []);
    cleanup.push(() => killHard(provider.child));
    const port = Number(new URL(provider.url).port);
    const before = rssOf(provider.child.pid!);
    const MiB = 1024 * 1024;
    const body = Buffer.alloc(MiB - 1, 0x20);
    const held: Awaited<ReturnType<typeof stalledBody>>[] = [];
    cleanup.push(async () => held.forEach((h) => h.socket.destroy()));
    for (let i = 0; i < 500; i += 50) held.push(...(await Promise.all(Array.from({ length: 50 }, () => stalledBody(port, body, MiB)))));
    // 64 MiB in flight at most (the default): 64 bodies are held, the others refused and closed.
    await until(() => held.filter((h) => h.closed()).length >= 500 - 64, 30_000, 'the bodies over the bound to be refused');
    const grown = rssOf(provider.child.pid!) - before;
    const open = held.filter((h) => !h.closed()).length;
    console.info(`item 12: 500 stalled 1 MiB bodies: provider RSS grew ${(grown / MiB).toFixed(0)} MB; ${open} held, ${500 - open} refused at once`);
    expect(grown).toBeLessThan(200 * MiB);
    expect(open).toBeLessThanOrEqual(64);
    // One more is answered 503 + Retry-After before a byte of its body is read, while the 64 still stall.
    const probe = await stalledBody(port, Buffer.alloc(0), MiB);
    await until(() => probe.closed(), 10_000, 'the probe to be answered');
    expect(probe.answer()).toMatch(/^HTTP\/1.1 503 /);
    expect(probe.answer()).toMatch(/\r\nretry-after: 5\r\n/i);
    expect(probe.answer()).toMatch(/\r\nconnection: close\r\n/i);
    expect(probe.answer()).toMatch(/too many requests are being received at once/);
    expect((await fetch(`${provider.url}/nothing`)).status).toBe(404);
  });

  it('connections over the cap are closed as they arrive; the provider keeps serving', { timeout: 60_000 }, async () => {
    const provider = await startChild(resourceProvider, [JSON.stringify({ maxConnections: 20 })]);
    cleanup.push(() => killHard(provider.child));
    const port = Number(new URL(provider.url).port);
    const sockets = await Promise.all(
      Array.from(
        { length: 30 },
        () =>
          new Promise<{ socket: Socket; closed: Promise<void> }>((resolve) => {
            const socket = connectTcp(port, '127.0.0.1', () => resolve({ socket, closed }));
            const closed = new Promise<void>((done) => socket.once('close', () => done()));
            socket.on('error', () => {});
          }),
      ),
    );
    cleanup.push(async () => sockets.forEach((s) => s.socket.destroy()));
    // The 10 over the cap are closed by the provider; the 20 stay open.
    const closedCount = async () => (await Promise.all(sockets.map((s) => Promise.race([s.closed.then(() => 1), new Promise<number>((r) => setTimeout(r, 200, 0))])))).reduce((a, b) => a + b, 0);
    await until(async () => (await closedCount()) >= 10, 10_000, 'the connections over the cap to be closed');
    expect(await closedCount()).toBe(10);
    sockets.forEach((s) => s.socket.destroy());
    await until(async () => (await fetch(`${provider.url}/nothing`).catch(() => undefined))?.status === 404, 10_000, 'serving again');
  });
});

describe('a callback target that is down (item 12)', () => {
  it('50,000 callbacks waiting for it cost nothing while they wait: no connection attempts past the circuit, no busy core', { timeout: 120_000 }, async () => {
    const file = join(dir, 'down.db');
    await (await SqliteStore.open(file)).close();
    const now = Date.now();
    const db = new Database(file);
    const insert = db.prepare(
      `INSERT INTO accordo_tasks (id, kind, operation, state, request, result, reply_to, target, due_at, created_at, updated_at, expires_at)
       VALUES (?, 'push', 'submit', 'ready', '{"body":{"n":1}}', '{"n":1,"doubled":2}', 'http://127.0.0.1:65000/cb', '127.0.0.1:65000', ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < 50_000; i++) insert.run(`down-${i}`, now, now, now, now + 5 * 86_400_000);
    })();
    db.close();
    // The target is down: every connection is refused (recorded, never dialled).
    let dials = 0;
    const connect: Connector = (_options, callback) => {
      dials++;
      callback(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:65000'), { code: 'ECONNREFUSED' }), null);
    };
    const p = await startProvider({ store: `sqlite:${file}`, clock: systemClock, delivery: { connect, shutdownGraceMs: 100 } });
    cleanup.push(() => p.close());
    await until(() => p.logs.some((l) => l.msg === 'callback target failing: its callbacks are parked until a trial attempt succeeds'), 30_000, 'the circuit to open');
    const dialsAtOpen = dials;
    // A window shorter than the circuit's 30 s: the worker only polls the store (once a second).
    const cpu = process.cpuUsage();
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const used = process.cpuUsage(cpu);
    const share = (used.user + used.system) / 1000 / (Date.now() - started);
    console.info(
      `item 12: 50,000 callbacks to a down target: ${dialsAtOpen} connection attempts before the circuit opened, ${dials - dialsAtOpen} in the 3 s after; CPU ${(share * 100).toFixed(1)} % of a core`,
    );
    expect(dialsAtOpen).toBeLessThanOrEqual(5 + 2);
    expect(dials).toBe(dialsAtOpen);
    expect(share).toBeLessThan(0.5);
  });
});
