// `accordo messages`: an operator reads a consumer's message box, filled by a real callback, from the store the config names.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CorrelationRegistry, MessageBox } from 'accordo/runtime';
import { createConsumerServer, ProviderClient } from '../examples/message-box-rest/generated/consumer.js';
import { createProviderServer } from '../examples/message-box-rest/generated/provider.js';
import { handlers } from '../examples/message-box-rest/provider.handlers.js';
import { runCli } from './support/cli.js';
import { until } from './support/push.js';
import { tempDir } from './support/tmp.js';

describe('accordo messages', () => {
  it('lists, gets (by id and by reference) and deletes the messages of the box in the store of accordo.config.yaml', async () => {
    const dir = await tempDir('messages');
    const config = join(dir, 'accordo.config.yaml');
    writeFileSync(config, 'store: sqlite:./consumer.db\n');
    const setting = `sqlite:${join(dir, 'consumer.db')}`;
    const registry = await CorrelationRegistry.open(setting);
    const box = new MessageBox(registry.store, { operations: ['PushResponseMessage'] });
    const provider = await createProviderServer(handlers, { store: 'memory:', replyTo: { allowLoopback: true } });
    const consumer = await createConsumerServer({}, registry, { prefix: '/cb', messageBox: box });
    let references: string[] = [];
    try {
      const providerUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
      const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
      const api = new ProviderClient({ baseUrl: providerUrl, callbackUrl: `${consumerUrl}/cb`, registry });
      references = (await Promise.all([1, 2, 3].map((n) => api.pushMessage({ path: { id_resource: n }, body: { b: `m${n}` } })))).map((s) => s.correlationId);
      await until(async () => (await box.list()).length === 3, 20_000, 'three messages in the box');
    } finally {
      await provider.close();
      await consumer.close();
      await registry.close();
    }

    const list = await runCli(['messages', 'list', '--config', config]);
    expect(list.code).toBe(0);
    const lines = list.out.split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^[0-9a-f-]{36}  PushResponseMessage  reference [0-9a-f-]{36}  received \d{4}-/);
    const json = JSON.parse((await runCli(['messages', 'list', '--config', config, '--format', 'json'])).out) as { id: string; reference: string }[];
    expect(json.map((m) => m.reference).sort()).toEqual([...references].sort());

    const byRef = await runCli(['messages', 'get', '--reference', references[0], '--config', config]);
    const message = JSON.parse(byRef.out) as { id: string; body: unknown };
    expect(message).toMatchObject({ operation: 'PushResponseMessage', reference: references[0], body: { c: 'OK' } });
    expect(JSON.parse((await runCli(['messages', 'get', message.id, '--config', config])).out)).toEqual(message);

    expect(await runCli(['messages', 'delete', message.id, '--config', config])).toMatchObject({ code: 0, out: `deleted message ${message.id}` });
    expect(await runCli(['messages', 'get', message.id, '--config', config])).toMatchObject({ code: 1, err: `error: no message "${message.id}"` });
    expect((await runCli(['messages', 'delete', '--config', config])).code).toBe(2);
    expect(await runCli(['messages', 'delete', '--all', '--config', config])).toMatchObject({ code: 0, out: 'deleted 2 messages' });
    expect(await runCli(['messages', 'list', '--store', setting])).toMatchObject({ code: 0, out: 'no messages' });
  });

  it('refuses to generate when messageBox names no callback operation that receives push results', async () => {
    const dir = await tempDir('messagebox-config');
    const examples = join(fileURLToPath(new URL('../examples/message-box-rest/specs/', import.meta.url)));
    const config = join(dir, 'accordo.config.yaml');
    writeFileSync(config, `spec: ${join(examples, 'server.yaml')}\ncallback: ${join(examples, 'client.yaml')}\nout: ${dir}\nmessageBox: [PushMessage]\n`);
    const run = await runCli(['generate', '--config', config]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('agreement/message-box');
    expect(run.err).toContain('messageBox names "PushMessage", which is not a callback operation that receives push results (those are: PushResponseMessage)');
  });
});
