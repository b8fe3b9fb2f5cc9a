import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperationDescriptor } from '../src/runtime/descriptors.js';
import { registerProvider } from '../src/runtime/provider.js';
import type { PullDescriptor } from '../src/runtime/pull.js';
import { StorePullTaskStore } from '../src/runtime/engines/pull.js';
import { SqliteStore } from '../src/runtime/store/index.js';
import { defs, fastClock } from './support/push.js';

const dir = mkdtempSync(join(tmpdir(), 'accordo-pull-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const get = (path: string, responses: OperationDescriptor['responses']): OperationDescriptor => ({
  id: path,
  handler: path,
  method: 'GET',
  path,
  pattern: 'NONBLOCK_PULL_REST',
  parameters: { path: [{ name: 'id_task', required: true, schema: { type: 'string' } }], query: [], header: [] },
  responses,
});
const json = { mediaTypes: ['application/json'], headers: [] };
const pullOp: PullDescriptor = {
  id: 'start',
  handler: 'start',
  method: 'POST',
  path: '/tasks',
  pattern: 'NONBLOCK_PULL_REST',
  parameters: { path: [], query: [], header: [] },
  body: { required: true, mediaTypes: ['application/json'], schema: { $ref: '#/$defs/Request' } },
  responses: [{ status: '202', ...json }],
  pull: {
    status: get('/tasks/{id_task}', [
      { status: '200', ...json },
      { status: '303', ...json },
    ]),
    result: get('/tasks/{id_task}/result', [{ status: '200', ...json }]),
    taskParam: 'id_task',
  },
};

async function provider(file: string, process: (n: number) => unknown) {
  const store = await SqliteStore.open(file);
  const app = Fastify();
  await registerProvider(
    app,
    { defs, operations: [pullOp] },
    { start: { acknowledge: () => ({ outcome: 'accepted' }), process: (req: { body: { n: number } }) => process(req.body.n), status: (t: { state: string }) => ({ state: t.state }) } },
    { pull: { store: new StorePullTaskStore(store) } },
  );
  app.addHook('onClose', () => store.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, store };
}

describe('pull task state on the store', () => {
  it('keeps pull tasks and their results across a restart', async () => {
    const file = join(dir, 'pull.db');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = await provider(file, async (n) => (n === 2 ? gate.then(() => ({ n, doubled: 4 })) : { n, doubled: n * 2 }));
    const start = (n: number) => fetch(`${a.url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
    const done = await start(1);
    expect(done.status).toBe(202);
    const doneStatus = done.headers.get('location')!;
    const running = (await start(2)).headers.get('location')!;
    while ((await fetch(`${a.url}${doneStatus}`, { redirect: 'manual' })).status !== 303) await new Promise((r) => setTimeout(r, 10));
    expect(await (await fetch(`${a.url}${running}`, { redirect: 'manual' })).json()).toEqual({ state: 'running' });
    release();
    await a.app.close();

    const b = await provider(file, (n) => ({ n, doubled: n * 2 }));
    const status = await fetch(`${b.url}${doneStatus}`, { redirect: 'manual' });
    expect(status.status).toBe(303);
    expect(await (await fetch(`${b.url}${status.headers.get('location')}`)).json()).toEqual({ n: 1, doubled: 2 });
    // The task that finished while A closed is done too.
    expect((await fetch(`${b.url}${running}`, { redirect: 'manual' })).status).toBe(303);
    await b.app.close();
  });

  it('runs a task whose process died once more after its lease, with ctx.run 2, and fails one interrupted twice', async () => {
    const store = await SqliteStore.open(join(dir, 'died.db'));
    const clock = fastClock();
    // Two tasks accepted by processes that died in their handlers: t1 once, t2 twice (its lease lapsed each time).
    const request = (n: number) => ({ path: {}, query: {}, headers: {}, body: { n } });
    for (const [id, deaths] of [
      ['t1', 1],
      ['t2', 2],
    ] as const) {
      const now = clock.now();
      await store.createTask({
        id,
        kind: 'pull',
        operation: 'start',
        request: request(deaths),
        meta: { statusUrl: `/tasks/${id}`, resultUrl: `/tasks/${id}/result` },
        now,
        expiresAt: now + 86_400_000,
      });
      for (let i = 0; i < deaths; i++)
        await store.claimTasks({ kind: 'pull', id, operations: ['start'], states: ['pending'], owner: `dead-${i}`, now: clock.now() + i * 2000, leaseMs: 1000, limit: 1 });
    }
    const runs: [string, number][] = [];
    const app = Fastify();
    await registerProvider(
      app,
      { defs, operations: [pullOp] },
      {
        start: {
          acknowledge: () => ({}),
          process: (req: { body: { n: number } }, ctx: { taskId: string; run: number }) => (runs.push([ctx.taskId, ctx.run]), { n: req.body.n, doubled: req.body.n * 2 }),
          status: (t: { state: string }) => ({ state: t.state }),
        },
      },
      { store, clock, delivery: { pollMs: 100 } },
    );
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const statusOf = async (id: string) => (await fetch(`${url}/tasks/${id}`, { redirect: 'manual' })).status;
      const result = (id: string) => fetch(`${url}/tasks/${id}/result`);
      while ((await statusOf('t1')) !== 303 || (await result('t2')).status !== 422) await new Promise((r) => setTimeout(r, 10));
      expect(await (await result('t1')).json()).toEqual({ n: 1, doubled: 2 });
      expect((await (await result('t2')).json()).detail).toBe('task "t2" failed: the request could not be processed');
      expect(runs).toEqual([['t1', 2]]);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
