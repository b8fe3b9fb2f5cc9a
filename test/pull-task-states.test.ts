// How a stored task reads as a pull task (engines/pull.ts, docs/delivery.md): store states to
// running / done / failed, the failure text a client may see, and the deprecated task stores
// that older code may still pass (create, read, finish once, a taken id refused).
import { describe, expect, it } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { acceptPull, findPullTask, MemoryPullTaskStore, pullTaskOf, storeOfPullOption, StorePullTaskStore, type PullHandler, type PullTaskStore } from '../src/runtime/engines/pull.js';
import type { TaskRuntime } from '../src/runtime/engines/tasks.js';
import type { VerifiedSecurity } from '../src/runtime/security/inbound.js';
import { ProblemError } from '../src/runtime/problem.js';
import { MemoryStore, type TaskRecord } from '../src/runtime/store/index.js';

const T0 = 1_700_000_000_000;
const record = (extra: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 't1',
  kind: 'pull',
  operation: 'compute',
  state: 'pending',
  request: { n: 1 },
  runs: 0,
  attempts: 0,
  dueAt: T0,
  createdAt: T0,
  updatedAt: T0,
  expiresAt: T0 + 1000,
  meta: { statusUrl: '/tasks/t1', resultUrl: '/tasks/t1/result' },
  ...extra,
});
const urls = { id: 't1', operation: 'compute', statusUrl: '/tasks/t1', resultUrl: '/tasks/t1/result' };

describe('a stored task as a pull task', () => {
  it('pending is running until its expiry, then failed: it did not finish within the retention period', () => {
    expect(pullTaskOf(record(), T0 + 999)).toEqual({ ...urls, state: 'running' });
    expect(pullTaskOf(record(), T0 + 1000)).toEqual({ ...urls, state: 'failed', failure: 'the task did not finish within the retention period' });
  });

  it('delivered (and ready, as earlier versions wrote) is done with its result', () => {
    expect(pullTaskOf(record({ state: 'delivered', result: { v: 2 } }), T0)).toEqual({ ...urls, state: 'done', result: { v: 2 } });
    expect(pullTaskOf(record({ state: 'ready', result: 0 }), T0)).toEqual({ ...urls, state: 'done', result: 0 });
  });

  it('dead is failed with the handler failure kept, or a generic text; expired is failed for the retention period', () => {
    expect(pullTaskOf(record({ state: 'dead', lastError: 'the order is closed' }), T0)).toEqual({ ...urls, state: 'failed', failure: 'the order is closed' });
    expect(pullTaskOf(record({ state: 'dead' }), T0)).toEqual({ ...urls, state: 'failed', failure: 'the request could not be processed' });
    expect(pullTaskOf(record({ state: 'expired' }), T0)).toEqual({ ...urls, state: 'failed', failure: 'the task did not finish within the retention period' });
  });

  it('is none for no task or a push task; a task without URLs (SOAP) has empty ones', () => {
    expect(pullTaskOf(undefined, T0)).toBeUndefined();
    expect(pullTaskOf(record({ kind: 'push' }), T0)).toBeUndefined();
    const { meta: _urls, ...soap } = record();
    expect(pullTaskOf(soap, T0)).toEqual({ id: 't1', operation: 'compute', statusUrl: '', resultUrl: '', state: 'running' });
  });
});

describe('the deprecated pull task stores', () => {
  it('create a running task, refuse a taken id with 409, and finish it once with a result', async () => {
    const clock = { now: () => T0, sleep: async () => {} };
    const store = new MemoryStore();
    const tasks = new StorePullTaskStore(store, { clock, retentionMs: 1000 });
    await tasks.create({ ...urls, state: 'running', request: { n: 1 } });
    expect(await tasks.get('t1')).toEqual({ ...urls, state: 'running' });
    expect((await store.getTask('t1'))!.expiresAt).toBe(T0 + 1000);
    const taken = await tasks.create({ ...urls, state: 'running', request: { n: 2 } }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ProblemError);
    expect((taken as ProblemError).problem).toMatchObject({ status: 409, detail: 'a task with id "t1" exists already' });

    await tasks.finish('t1', { result: { v: 2 } });
    expect(await tasks.get('t1')).toEqual({ ...urls, state: 'done', result: { v: 2 } });
    // Finished already: a second outcome does not count.
    await tasks.finish('t1', { failure: 'late' });
    expect(await tasks.get('t1')).toEqual({ ...urls, state: 'done', result: { v: 2 } });
    expect((await store.getTask('t1'))!.leaseOwner).toBeUndefined();
  });

  it('finish a task with a failure, or with an undefined result kept as null (done, not running)', async () => {
    const tasks = new MemoryPullTaskStore();
    await tasks.create({ ...urls, state: 'running', request: {} });
    await tasks.finish('t1', { failure: 'the order is closed' });
    expect(await tasks.get('t1')).toEqual({ ...urls, state: 'failed', failure: 'the order is closed' });
    await tasks.create({ ...urls, id: 't2', state: 'running', request: {} });
    await tasks.finish('t2', { result: undefined });
    expect(await tasks.get('t2')).toMatchObject({ id: 't2', state: 'done', result: null });
    expect(await tasks.get('nope')).toBeUndefined();
    // A task with a default retention of five days is running well after it was created.
    expect((await tasks.store.getTask('t2'))!.expiresAt - (await tasks.store.getTask('t2'))!.createdAt).toBe(5 * 24 * 60 * 60 * 1000);
  });

  it('bring their store to the provider; any other PullTaskStore is refused, saying what to pass', () => {
    const store = new MemoryStore();
    expect(storeOfPullOption(new StorePullTaskStore(store))).toBe(store);
    expect(storeOfPullOption(undefined)).toBeUndefined();
    const own: PullTaskStore = { create: async () => {}, get: async () => undefined, finish: async () => {} };
    expect(() => storeOfPullOption(own)).toThrow('pull tasks are run from a Store: pass the `store` option (a StorePullTaskStore is accepted as the pull task store, no other PullTaskStore)');
  });
});

/** A logger that keeps each line with the bindings of its child loggers. */
function recorder() {
  const lines: { level: string; bindings: object; fields?: object; msg?: string }[] = [];
  const at = (level: string, bindings: object) => (fields: object | string, msg?: string) =>
    lines.push(typeof fields === 'string' ? { level, bindings, fields: undefined, msg: fields } : { level, bindings, fields, msg });
  const make = (bindings: object): FastifyBaseLogger =>
    ({
      child: (more: object) => make({ ...bindings, ...more }),
      info: at('info', bindings),
      warn: at('warn', bindings),
      error: at('error', bindings),
      debug: at('debug', bindings),
    }) as unknown as FastifyBaseLogger;
  return { log: make({}), lines };
}

describe('accepting a pull request, and finding its task', () => {
  const log = { child: () => log, info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as unknown as FastifyBaseLogger;
  const handler: PullHandler<unknown, unknown, unknown, unknown> = { acknowledge: () => ({ accepted: true }), process: () => 1, status: () => ({}) };
  const runtime = (store = new MemoryStore()): TaskRuntime => ({ store, clock: { now: () => T0, sleep: async () => {} }, retentionMs: 1000 });

  it('stores the task with empty URLs when the binding has none (SOAP), and refuses a taken id with 409', async () => {
    const tasks = runtime();
    const accepted = await acceptPull(tasks, 'compute', { n: 1 }, handler, log, { taskId: () => 't1' });
    expect(accepted).toEqual({ taskId: 't1', ack: { accepted: true }, statusUrl: '' });
    expect(await findPullTask(tasks, 'compute', 't1')).toEqual({ id: 't1', operation: 'compute', statusUrl: '', resultUrl: '', state: 'running' });
    const taken = await acceptPull(tasks, 'compute', { n: 2 }, handler, log, { taskId: () => 't1' }).catch((e: unknown) => e);
    expect((taken as ProblemError).problem).toMatchObject({ status: 409, detail: 'a task with id "t1" exists already' });
  });

  it('answers 503 with Retry-After when the store fails, and logs why under the task id', async () => {
    const failing = new MemoryStore();
    const disk = new Error('disk full');
    failing.createTask = async () => {
      throw disk;
    };
    const { log: recording, lines } = recorder();
    const refused = await acceptPull(runtime(failing), 'compute', {}, handler, recording, { taskId: () => 't5' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).problem).toMatchObject({ status: 503, detail: 'the request could not be taken in charge; try again later' });
    expect((refused as ProblemError).headers).toMatchObject({ 'retry-after': '5' });
    expect(lines).toEqual([{ level: 'error', bindings: { taskId: 't5' }, fields: { err: disk }, msg: 'pull request could not be stored; not accepted' }]);
  });

  it('gives acknowledge a log that names the task id', async () => {
    const { log: recording, lines } = recorder();
    const noting: PullHandler<unknown, unknown, unknown, unknown> = { ...handler, acknowledge: (_req, ctx) => (ctx.log.info('acknowledging'), { accepted: true }) };
    await acceptPull(runtime(), 'compute', {}, noting, recording, { taskId: () => 't6' });
    expect(lines).toEqual([{ level: 'info', bindings: { taskId: 't6' }, fields: undefined, msg: 'acknowledging' }]);
  });

  it("gives acknowledge the request's verified security, and keeps it with the task for process", async () => {
    const security = { patterns: ['ID_AUTH_REST_02'], clientId: 'client-1', voucher: {} } as unknown as VerifiedSecurity;
    const seen: (VerifiedSecurity | undefined)[] = [];
    const checking: PullHandler<unknown, unknown, unknown, unknown> = { ...handler, acknowledge: (_req, ctx) => (seen.push(ctx.security), { accepted: true }) };
    const tasks = runtime();
    await acceptPull(tasks, 'compute', {}, checking, log, { taskId: () => 't7', security });
    await acceptPull(tasks, 'compute', {}, checking, log, { taskId: () => 't8' });
    expect(seen).toEqual([security, undefined]);
    expect((await tasks.store.getTask('t7'))!.meta).toEqual({ statusUrl: '', resultUrl: '', security });
  });

  it('finds a task only through its own operation', async () => {
    const tasks = runtime();
    await acceptPull(tasks, 'compute', {}, handler, log, { taskId: () => 't9', urls: (id) => ({ statusUrl: `/s/${id}`, resultUrl: `/r/${id}` }) });
    expect(await findPullTask(tasks, 'compute', 't9')).toMatchObject({ id: 't9', statusUrl: '/s/t9', resultUrl: '/r/t9' });
    expect(await findPullTask(tasks, 'other', 't9')).toBeUndefined();
  });
});
