import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperationDescriptor } from '../src/runtime/descriptors.js';
import { registerProvider } from '../src/runtime/provider.js';
import type { PullDescriptor } from '../src/runtime/pull.js';
import { SqliteStore, StorePullTaskStore } from '../src/runtime/store/index.js';
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
  pull: { status: get('/tasks/{id_task}', [{ status: '200', ...json }, { status: '303', ...json }]), result: get('/tasks/{id_task}/result', [{ status: '200', ...json }]), taskParam: 'id_task' },
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

  it('reports a task whose process died as failed once its retention is over', async () => {
    const store = await SqliteStore.open(join(dir, 'dead.db'));
    const clock = fastClock();
    const died = new StorePullTaskStore(store, { clock, retentionMs: 60_000 });
    await died.create({ id: 't1', operation: 'start', state: 'running', statusUrl: '/tasks/t1', resultUrl: '/tasks/t1/result', request: { path: {}, query: {}, headers: {}, body: { n: 1 } } });
    await expect(died.create({ id: 't1', operation: 'start', state: 'running', statusUrl: '', resultUrl: '', request: { path: {}, query: {}, headers: {}, body: {} } })).rejects.toThrow(/exists already/);
    const other = new StorePullTaskStore(store, { clock });
    expect(await other.get('t1')).toMatchObject({ state: 'running', statusUrl: '/tasks/t1', resultUrl: '/tasks/t1/result' });
    await other.finish('t1', { result: 'stolen' });
    expect((await other.get('t1'))!.state).toBe('running');
    await clock.sleep(60_000);
    expect(await other.get('t1')).toMatchObject({ state: 'failed', failure: 'the task did not finish within the retention period' });
    expect(await other.get('nope')).toBeUndefined();
    await store.close();
  });
});
