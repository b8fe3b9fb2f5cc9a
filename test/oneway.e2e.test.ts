// ONEWAY over loopback (engines/oneway.ts, through the REST provider): the sender gets its answer
// before the handler runs, a failing handler is logged and never sent, and closing the server
// waits for handlers still running, at most shutdownTimeoutMs.
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { OperationDescriptor } from '../src/runtime/descriptors.js';
import { registerProvider, type RequestContext } from '../src/runtime/provider.js';
import { within } from './support/wait.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const json = { mediaTypes: ['application/json'], schema: { $ref: '#/$defs/Note' } };
const op = (id: string, responses: string[]): OperationDescriptor => ({
  id,
  handler: id,
  method: 'POST',
  path: `/${id}`,
  pattern: 'ONEWAY',
  parameters: { path: [], query: [], header: [] },
  body: { required: true, ...json },
  responses: responses.map((status) => ({ status, headers: [], mediaTypes: [] })),
});
const defs = { Note: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } };

/** A gate a handler waits at until the test opens it. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function start(handlers: Record<string, (request: { body: unknown }, ctx: RequestContext) => Promise<void>>, shutdownTimeoutMs = 10_000) {
  const logs: { level: number; msg: string; unfinished?: number; err?: { message: string } }[] = [];
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } });
  await registerProvider(app, { defs, operations: [op('notify', []), op('record', ['204'])] }, handlers, { shutdownTimeoutMs });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { app, logs, post };
}

describe('ONEWAY (REST)', () => {
  it('answers 202 with no body (or the 2xx the spec declares) before its handler runs, which then gets the request', async () => {
    const release = gate();
    const heard: unknown[] = [];
    const done = gate();
    const { app, post } = await start({
      notify: async (request, ctx) => {
        await release.opened;
        heard.push(request.body);
        expect(ctx.raw.url).toBe('/notify');
        ctx.log.info('noted');
        done.open();
      },
      record: async (request) => void heard.push(request.body),
    });
    cleanup.push(() => app.close());
    const res = await post('/notify', { text: 'first' });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect(heard).toEqual([]);
    release.open();
    await within(done.opened, 10_000, () => 'the one-way handler to run after its answer');
    expect(heard).toEqual([{ text: 'first' }]);

    const declared = await post('/record', { text: 'second' });
    expect(declared.status).toBe(204);
    expect(await post('/record', { nope: 1 }).then((r) => r.status)).toBe(400);
  });

  it('logs a failing handler and never sends its failure: the sender already has its answer', async () => {
    const failed = gate();
    const { app, logs, post } = await start({
      notify: async () => {
        setImmediate(failed.open);
        throw new Error('backend down');
      },
      record: async () => {},
    });
    cleanup.push(() => app.close());
    expect((await post('/notify', { text: 'x' })).status).toBe(202);
    await within(failed.opened, 10_000, () => 'the one-way handler to fail');
    await within(
      (async () => {
        while (!logs.some((l) => l.msg === 'one-way handler failed')) await new Promise((r) => setImmediate(r));
      })(),
      10_000,
      () => 'the failure to be logged',
    );
    expect(logs.find((l) => l.msg === 'one-way handler failed')).toMatchObject({ level: 50, err: { message: 'backend down' } });
    expect((await post('/notify', { text: 'again' })).status).toBe(202);
  });

  it('closing waits for a running handler; one that hangs is left after shutdownTimeoutMs, and the log says so', async () => {
    const started = gate();
    const release = gate();
    const events: string[] = [];
    const finishing = await start({
      notify: async () => {
        started.open();
        await release.opened;
        events.push('handler done');
      },
      record: async () => {},
    });
    expect((await finishing.post('/notify', { text: 'x' })).status).toBe(202);
    await within(started.opened, 10_000, () => 'the one-way handler to start');
    const closed = finishing.app.close().then(() => events.push('closed'));
    await new Promise((r) => setTimeout(r, 50));
    release.open();
    await within(closed, 20_000, () => 'the server to close once its handler finished');
    expect(events).toEqual(['handler done', 'closed']);
    expect(finishing.logs.some((l) => l.msg === 'shut down with work still in progress')).toBe(false);

    const hung = gate();
    const hanging = await start(
      {
        notify: async () => {
          hung.open();
          await new Promise(() => {});
        },
        record: async () => {},
      },
      100,
    );
    expect((await hanging.post('/notify', { text: 'x' })).status).toBe(202);
    await within(hung.opened, 10_000, () => 'the hanging handler to start');
    await within(hanging.app.close(), 20_000, () => 'the server to close despite a handler that never ends');
    expect(hanging.logs.find((l) => l.msg === 'shut down with work still in progress')).toMatchObject({ level: 40, unfinished: 1 });
  });
});
