// The push engine's accept step alone (engines/push.ts), on a memory store with no worker: the
// stored task, and the logger a handler and a store failure get, made only when something logs.
import { describe, expect, it } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { acceptPush, type PushHandler } from '../src/runtime/engines/push.js';
import type { TaskRuntime } from '../src/runtime/engines/tasks.js';
import { ProblemError } from '../src/runtime/problem.js';
import type { VerifiedSecurity } from '../src/runtime/security/inbound.js';
import { MemoryStore } from '../src/runtime/store/index.js';

const T0 = 1_700_000_000_000;
const REPLY_TO = 'http://127.0.0.1:9/cb';
const carrier = { name: 'X-ReplyTo', where: 'header', value: REPLY_TO };
const policy = { replyTo: { allowLoopback: true } };
const runtime = (store = new MemoryStore()): TaskRuntime => ({ store, clock: { now: () => T0, sleep: async () => {} }, retentionMs: 1000 });
const handler: PushHandler<unknown, unknown, unknown> = { acknowledge: () => ({ accepted: true }), process: () => 1 };

/** A logger that keeps each line with the bindings of the child logger that wrote it, and counts the child loggers made. */
function recorder() {
  const lines: { level: string; bindings: object; msg?: string }[] = [];
  let children = 0;
  const make = (bindings: object): FastifyBaseLogger => {
    const at = (level: string) => (fields: object | string, msg?: string) => lines.push({ level, bindings, msg: typeof fields === 'string' ? fields : msg });
    return {
      child: (more: object) => (children++, make({ ...bindings, ...more })),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      debug: at('debug'),
    } as unknown as FastifyBaseLogger;
  };
  return { log: make({}), lines, children: () => children };
}

describe('accepting a push request', () => {
  it('stores the request with its reply address, target and expiry, and makes no logger when nothing logs', async () => {
    const tasks = runtime();
    const { log, lines, children } = recorder();
    const accepted = await acceptPush(tasks, 'M', { n: 1 }, carrier, handler, log, { ...policy, correlationId: () => 'c1' });
    expect(accepted).toEqual({ correlationId: 'c1', ack: { accepted: true } });
    expect(await tasks.store.getTask('c1')).toMatchObject({
      kind: 'push',
      operation: 'M',
      state: 'pending',
      request: { n: 1 },
      replyTo: REPLY_TO,
      target: '127.0.0.1:9',
      expiresAt: T0 + 1000,
      runs: 0,
    });
    expect((await tasks.store.getTask('c1'))!.meta).toBeUndefined();
    expect(lines).toEqual([]);
    expect(children()).toBe(0);
  });

  it('gives acknowledge a log that names the CorrelationID, made once however often it is read', async () => {
    const { log, lines, children } = recorder();
    const noting: PushHandler<unknown, unknown, unknown> = { ...handler, acknowledge: (_req, ctx) => (ctx.log.info('acknowledging'), ctx.log.info('again'), { accepted: true }) };
    await acceptPush(runtime(), 'M', {}, carrier, noting, log, { ...policy, correlationId: () => 'c2' });
    expect(lines).toEqual([
      { level: 'info', bindings: { correlationId: 'c2' }, msg: 'acknowledging' },
      { level: 'info', bindings: { correlationId: 'c2' }, msg: 'again' },
    ]);
    expect(children()).toBe(1);
  });

  it('answers 503 with Retry-After when the store fails, and logs why under the CorrelationID', async () => {
    const failing = new MemoryStore();
    failing.createTask = async () => {
      throw new Error('disk full');
    };
    const { log, lines } = recorder();
    const refused = await acceptPush(runtime(failing), 'M', {}, carrier, handler, log, { ...policy, correlationId: () => 'c3' }).catch((e: unknown) => e);
    expect((refused as ProblemError).problem).toMatchObject({ status: 503, detail: 'the request could not be taken in charge; try again later' });
    expect((refused as ProblemError).headers).toMatchObject({ 'retry-after': '5' });
    expect(lines).toEqual([{ level: 'error', bindings: { correlationId: 'c3' }, msg: 'push request could not be stored; not accepted' }]);
  });

  it("gives acknowledge the request's verified security, and keeps it with the task for process", async () => {
    const security = { patterns: ['ID_AUTH_REST_02'], clientId: 'client-1', voucher: {} } as unknown as VerifiedSecurity;
    const seen: (VerifiedSecurity | undefined)[] = [];
    const checking: PushHandler<unknown, unknown, unknown> = { ...handler, acknowledge: (_req, ctx) => (seen.push(ctx.security), { accepted: true }) };
    const tasks = runtime();
    const { log } = recorder();
    await acceptPush(tasks, 'M', {}, carrier, checking, log, { ...policy, correlationId: () => 'c4', security });
    await acceptPush(tasks, 'M', {}, carrier, checking, log, { ...policy, correlationId: () => 'c5' });
    expect(seen).toEqual([security, undefined]);
    expect((await tasks.store.getTask('c4'))!.meta).toEqual({ security });
    expect((await tasks.store.getTask('c5'))!.meta).toBeUndefined();
  });
});
