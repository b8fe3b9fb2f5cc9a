// The classify stage: the one place that decides patterns, roles and carriers. Lone callback specs
// serve callbacks (REST and SOAP), an unrelated provider + callback pair is one finding from lint and
// generate alike, and inspect, lint and the generated descriptors agree on every spec the
// repository holds.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, type FastifyInstance } from 'accordo/runtime';
import { loadClassified } from '../src/classify/index.js';
import { generate, LintFailure } from '../src/generate.js';
import { lintAgreement } from '../src/lint/index.js';
import { filesUnder } from './support/cli.js';
import { checkAgreement } from './support/consistency.js';
import { ROOT, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';

const EXAMPLES = join(ROOT, 'examples');
const specOf = (example: string, file: string) => join(EXAMPLES, example, 'specs', file);

const servers: FastifyInstance[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('a callback spec given alone is generated as callback endpoints', () => {
  it('REST (client.yaml): consumer files only, no X-ReplyTo, and a genuine callback is served', async () => {
    const spec = specOf('nonblock-push-rest', 'client.yaml');
    const classified = await loadClassified({ spec });
    expect(classified.specRole).toBe('callback');
    expect(classified.interactions).toEqual([]);
    expect(classified.receivers.map((r) => [r.op.id, r.path])).toEqual([['PushResponseMessage', '/MResponse']]);

    const out = await tempDir('lone-rest');
    await generate({ spec, out, side: 'both' });
    const files = await filesUnder(out);
    expect(Object.keys(files).sort()).toEqual([
      'consumer.handlers.ts',
      'generated/.accordo-agreement.json',
      'generated/consumer.ts',
      'generated/operations.ts',
      'generated/schemas.ts',
      'generated/types.ts',
    ]);
    expect(files['generated/operations.ts']).not.toMatch(/replyToHeader|X-ReplyTo/);
    expect(files['consumer.handlers.ts']).not.toMatch(/Step 2|ACK of the 202/);
    expect(typecheck([join(out, 'generated')])).toEqual([]);

    const { createConsumerServer, callbackBasePath } = await import(join(out, 'generated', 'consumer.ts'));
    const received: unknown[] = [];
    const registry = new CorrelationRegistry();
    const server: FastifyInstance = await createConsumerServer({ pushResponseMessage: async (result: unknown) => (received.push(result), { outcome: 'OK' }) }, registry);
    servers.push(server);
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    await registry.expect('69a445fe-2d84-4ae0-a5b4-d3c1bbd6d8a2', 'PushMessage');
    const res = await fetch(`${url}${callbackBasePath}/MResponse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': '69a445fe-2d84-4ae0-a5b4-d3c1bbd6d8a2' },
      body: JSON.stringify({ c: 'OK' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ outcome: 'OK' });
    expect(received).toEqual([{ c: 'OK' }]);
  });

  it('SOAP (callback.wsdl): consumer files only, and a genuine callback envelope is served', async () => {
    const spec = specOf('nonblock-push-soap', 'callback.wsdl');
    const classified = await loadClassified({ spec });
    expect(classified.specRole).toBe('callback');
    expect(classified.agreement.provider.operations.map((o) => [o.id, o.pattern.pattern, o.pattern.role])).toEqual([['MRequestResponse', 'NONBLOCK_PUSH_SOAP', 'callback']]);

    const out = await tempDir('lone-soap');
    await generate({ spec, out, side: 'both' });
    const files = await filesUnder(out);
    expect(Object.keys(files).sort()).toEqual([
      'consumer.handlers.ts',
      'generated/.accordo-agreement.json',
      'generated/consumer.ts',
      'generated/operations.ts',
      'generated/schemas.ts',
      'generated/types.ts',
    ]);
    expect(typecheck([join(out, 'generated')])).toEqual([]);

    const { createConsumerServer } = await import(join(out, 'generated', 'consumer.ts'));
    const received: unknown[] = [];
    const registry = new CorrelationRegistry();
    const server: FastifyInstance = await createConsumerServer({ mRequestResponse: async (result: unknown) => (received.push(result), { return: { outcome: 'OK' } }) }, registry);
    servers.push(server);
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    const id = 'b8268033-de67-4fa0-bf06-caebbfa5117a';
    await registry.expect(id, 'MRequest');
    const envelope = `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:m="http://ente.example/nome-api">
  <soap:Header><m:X-Correlation-ID>${id}</m:X-Correlation-ID></soap:Header>
  <soap:Body><m:MRequestResponse><return><c>OK</c></return></m:MRequestResponse></soap:Body>
</soap:Envelope>`;
    const path = new URL(classified.agreement.provider.operations[0].soap!.address!).pathname;
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body: envelope });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<[\w.-]+:MRequestResponseResponse|outcome/);
    expect(received).toEqual([{ return: { c: 'OK' } }]);
  });
});

describe('a provider spec whose operations push nothing, given with a callback spec', () => {
  const cases = [
    { label: 'REST: a pull spec with client.yaml', spec: specOf('nonblock-pull-rest', 'server.yaml'), callback: specOf('nonblock-push-rest', 'client.yaml') },
    { label: 'SOAP: a blocking WSDL with callback.wsdl', spec: specOf('block-soap', 'server.wsdl'), callback: specOf('nonblock-push-soap', 'callback.wsdl') },
  ];
  for (const c of cases) {
    it(`${c.label}: one finding, the same from lint and from generate`, async () => {
      const findings = lintAgreement(await loadClassified(c)).filter((f) => f.rule === 'agreement/callback-unused');
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'error', file: c.callback });
      expect(findings[0].message).toMatch(/callback spec .* is given, but no operation of .* is a push request/);
      const e = await generate({ ...c, out: await tempDir('unrelated'), side: 'both' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LintFailure);
      expect((e as LintFailure).findings.filter((f) => f.rule === 'agreement/callback-unused')).toEqual(findings);
    });
  }
});

/** Every spec (and spec pair) the repository holds: the examples' and the test fixtures'. */
function repositorySpecs(): { spec: string; callback?: string }[] {
  const out: { spec: string; callback?: string }[] = [];
  for (const example of readdirSync(EXAMPLES)) {
    const config = join(EXAMPLES, example, 'accordo.config.yaml');
    if (!existsSync(config)) continue;
    const text = readFileSync(config, 'utf8');
    const spec = /^spec:\s*(\S+)/m.exec(text)?.[1];
    const callback = /^callback:\s*(\S+)/m.exec(text)?.[1];
    if (spec) out.push({ spec: join(dirname(config), spec), ...(callback ? { callback: join(dirname(config), callback) } : {}) });
  }
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ya?ml|wsdl)$/.test(entry) && !entry.includes('.callback.')) {
        const callback = path.replace(/\.(ya?ml|wsdl)$/, '.callback.$1');
        out.push({ spec: path, ...(existsSync(callback) ? { callback } : {}) });
      }
    }
  };
  for (const dir of ['lint', 'inspect', 'hostile', 'soap11']) walk(join(ROOT, 'test', 'fixtures', dir));
  out.push(
    { spec: join(ROOT, 'test', 'fixtures', 'wsdl', 'features.wsdl') },
    { spec: join(ROOT, 'test', 'fixtures', 'soap11', 'server.wsdl'), callback: join(ROOT, 'test', 'fixtures', 'soap11', 'callback.wsdl') },
  );
  out.push({ spec: join(ROOT, 'test', 'fixtures', 'multifile', 'api.yaml') });
  return out;
}

describe('inspect, lint and the generated descriptors agree (one classify run)', () => {
  for (const { spec, callback } of repositorySpecs()) {
    it(`${spec.slice(ROOT.length)}${callback ? ` + ${callback.split('/').pop()}` : ''}`, async () => {
      const { operations } = await checkAgreement(spec, callback);
      expect(operations).toBeGreaterThan(0);
    });
  }
});

describe('the seed messages of a lone callback spec', () => {
  it('client.yaml alone declares what the consumer serves: lint judges its operations as callbacks', async () => {
    const text = await readFile(specOf('nonblock-push-rest', 'client.yaml'), 'utf8');
    expect(text).toMatch(/X-Correlation-ID/);
    const findings = lintAgreement(await loadClassified({ spec: specOf('nonblock-push-rest', 'client.yaml') }));
    expect(findings.filter((f) => f.rule.startsWith('push-rest/reply-to') || f.rule === 'push-rest/accepted-202')).toEqual([]);
  });
});
