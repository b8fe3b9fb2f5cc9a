// npx tsx bench/store-ids.ts: what the format of stored ids costs the SQLite store (issue 19).
// Durable inserts (createTask, synchronous=FULL, 50 callers at once as under the push benchmark's
// 50 connections, so commits are grouped) with the ids the runtime makes (UUID v7, src/runtime/ids.ts)
// against random UUID v4 ids, in the same run: into an empty store, and into one already holding
// 200,000 tasks (about 5 days, the default retention, of 0.5 req/s; a busier service holds more).
// Random keys scatter each commit's inserts over the primary-key index, so a commit writes and syncs
// pages all over it; time-ordered keys append to its last pages.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newStoredId } from '../src/runtime/ids.js';
import { SqliteStore } from '../src/runtime/store/sqlite.js';

const request = { path: { id_resource: 1234 }, query: {}, headers: {}, body: { a: { a1s: [1, 2], a2: 'RGFuJ3MgVG9vbHMgYXJlIGNvb2wh' }, b: 'Stringa di esempio' } };
const CALLERS = 50;
const ROWS = 20_000;

async function insertsPerSecond(id: () => string, prefill: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'accordo-ids-'));
  const store = await SqliteStore.open(join(dir, 'tasks.db'));
  const insert = async (count: number) => {
    let started = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (started < count) {
          started++;
          const now = Date.now();
          await store.createTask({ id: id(), kind: 'push', operation: 'M', request, replyTo: 'http://127.0.0.1:9/MResponse', target: '127.0.0.1:9', now, expiresAt: now + 86_400_000 });
        }
      }),
    );
  };
  try {
    await insert(prefill);
    const t0 = performance.now();
    await insert(ROWS);
    return ROWS / ((performance.now() - t0) / 1000);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const prefill of [0, 200_000]) {
  // Alternated, two rounds each: the disk's pace drifts over a run.
  const v4: number[] = [];
  const v7: number[] = [];
  for (let round = 0; round < 2; round++) {
    v4.push(await insertsPerSecond(() => randomUUID(), prefill));
    v7.push(await insertsPerSecond(newStoredId, prefill));
  }
  const best = (xs: number[]) => Math.max(...xs);
  console.log(
    `${prefill.toLocaleString('en')} tasks stored before: UUID v7 ${v7.map((x) => x.toFixed(0)).join(', ')} inserts/s, v4 ${v4.map((x) => x.toFixed(0)).join(', ')}: ${(best(v7) / best(v4)).toFixed(2)}x`,
  );
}
