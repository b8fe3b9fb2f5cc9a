// A spec whose names and descriptions try to break out of identifiers, strings and comments:
// the generated code must type-check and run, and nothing in the spec may execute.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, type FastifyInstance } from 'accordo/runtime';
import { generate } from '../src/generate.js';
import { ROOT, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';

const SPEC = join(ROOT, 'test', 'fixtures', 'hostile', 'server.yaml');

describe('hostile names', () => {
  let out: string;
  let provider: FastifyInstance;
  let consumer: FastifyInstance;
  let client: Record<string, (...args: unknown[]) => Promise<any>>;
  const received: unknown[] = [];

  beforeAll(async () => {
    out = await tempDir('hostile');
    await generate({ spec: SPEC, out, side: 'both' });
    const gen = await import(join(out, 'generated', 'provider.ts'));
    const con = await import(join(out, 'generated', 'consumer.ts'));
    const names = gen.definition.operations.map((o: { handler: string }) => o.handler);
    expect(names).toEqual(['delete_', 'getThingX', 'constructor_', 'cafe']);
    provider = await gen.createProviderServer(
      {
        delete_: async (req: unknown) => (received.push(req), { status: 200, body: { "ok'": true } }),
        getThingX: async () => ({ status: 204 }),
        constructor_: async () => ({ status: 200, body: { 日本: 'はい', self: { 日本: 'x' } } }),
        cafe: { acknowledge: () => ({ "ok'": true }), process: () => ({ 日本: 'fatto' }) },
      },
      { store: 'memory:', replyTo: { allowLoopback: true } },
    );
    const registry = new CorrelationRegistry();
    consumer = await con.createConsumerServer({ cafeOnDonePost: async () => undefined }, registry);
    const providerUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
    const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    client = new con.ProviderClient({ baseUrl: providerUrl, callbackUrl: consumerUrl, registry });
  });
  afterAll(async () => {
    await provider?.close();
    await consumer?.close();
  });

  it('generates code that type-checks under strict', () => {
    expect(typecheck([out])).toEqual([]);
  });

  it('runs: names with quotes, */, backticks, ${}, spaces and unicode travel as data', async () => {
    const body = { '*/': 'a', 'a b': 1, '`${x}`': '${x}', constructor: true, 日本: null };
    const res = await client.delete_({ path: { 'thing id': 'x y/z' }, query: { 'q\'"*/': 7 }, headers: { "X-`$x`'*|~-Header": '`${x}` */' }, body });
    expect(res).toMatchObject({ status: 200, body: { "ok'": true } });
    expect(received[0]).toEqual({ path: { 'thing id': 'x y/z' }, query: { 'q\'"*/': 7 }, headers: { "x-`$x`'*|~-header": '`${x}` */' }, body });
    expect((await client.getThingX()).status).toBe(204);
    expect((await client.constructor_()).body).toEqual({ 日本: 'はい', self: { 日本: 'x' } });
    const { correlationId } = await client.cafe({ path: { ünïcödé: 'é' }, body: 'x' });
    await expect(client.cafeResult(correlationId, { timeoutMs: 5000 })).resolves.toEqual({ 日本: 'fatto' });
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
  });

  it('validates enums and required names with hostile spelling', async () => {
    await expect(client.delete_({ path: { 'thing id': 'x' }, body: { '*/': 'a', 'a b': 1, '`${x}`': 'nope' } })).rejects.toThrow(/400/);
    await expect(client.delete_({ path: { 'thing id': 'x' }, body: { 'a b': 1 } })).rejects.toThrow(/400/);
  });

  it('keeps a schema property named __proto__ a property, not a prototype', async () => {
    const { defs } = await import(join(out, 'generated', 'schemas.ts'));
    const properties = defs.MyType.properties;
    expect(Object.prototype.hasOwnProperty.call(properties, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
  });
});
