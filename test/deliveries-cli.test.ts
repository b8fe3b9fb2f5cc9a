// `accordo deliveries`: an operator finds a dead letter left by a real provider, retries it, purges.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeliveryOutcome } from 'accordo/runtime';
import { createProviderServer } from '../examples/nonblock-push-rest/generated/provider.js';
import { runCli } from './support/cli.js';
import { tempDir } from './support/tmp.js';

describe('accordo deliveries', () => {
  it('lists, inspects, retries and purges the deliveries of a provider store', async () => {
    const store = `sqlite:${join(await tempDir('deliveries'), 'accordo.db')}`;
    // A consumer endpoint that does not know the CorrelationID: 404, a dead letter after one try.
    const target = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"status":404,"title":"Not Found"}'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const port = (target.address() as { port: number }).port;
    let settled: (o: DeliveryOutcome) => void;
    const outcome = new Promise<DeliveryOutcome>((r) => (settled = r));
    const provider = await createProviderServer(
      { pushMessage: { acknowledge: () => ({ outcome: 'ACK' }), process: () => ({ c: 'OK' }) } },
      { store, replyTo: { allowLoopback: true }, onDelivery: (_op, _id, o) => settled(o) },
    );
    try {
      const url = await provider.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${url}/resources/1/M`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': `http://127.0.0.1:${port}/cb` }, body: '{}' });
      const id = res.headers.get('x-correlation-id')!;
      expect(await outcome).toMatchObject({ state: 'dead', status: 404 });
      await provider.close();

      const list = await runCli(['deliveries', 'list', '--store', store, '--state', 'dead']);
      expect(list.code).toBe(0);
      expect(list.out).toMatch(new RegExp(`^${id}  PushMessage  dead  attempts 1 last HTTP 404`));
      const inspect = await runCli(['deliveries', 'inspect', id, '--store', store, '--format', 'json']);
      expect(JSON.parse(inspect.out)).toMatchObject({ id, state: 'dead', lastStatus: 404, result: { c: 'OK' } });
      const retry = await runCli(['deliveries', 'retry', id, '--store', store]);
      expect(retry.out).toMatch(/^queued again: .* ready /);
      expect((await runCli(['deliveries', 'purge', '--store', store, '--state', 'ready'])).code).toBe(2);
      const none = await runCli(['deliveries', 'retry', 'no-such-id', '--store', store]);
      expect(none).toMatchObject({ code: 1, err: 'error: no dead or expired delivery "no-such-id"' });
      const purged = await runCli(['deliveries', 'purge', '--store', store, '--format', 'json']);
      expect(JSON.parse(purged.out)).toEqual({ purged: 0 });
      expect((await runCli(['deliveries', 'list', '--store', store, '--state', 'nope'])).code).toBe(2);
    } finally {
      await provider.close();
      target.close();
    }
  });
});
