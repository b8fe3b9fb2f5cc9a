// Where the reply address and the correlation id travel, as load reads the WSDL's WS-Addressing
// policies, classify decides the carriers (with the config's `carriers`), inspect prints them and
// lint judges them. The wire is shown by test/carriers-soap.e2e.test.ts and carriers-rest.e2e.test.ts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified, type PushInteraction } from '../src/classify/index.js';
import { formatInspect, inspectAgreement } from '../src/inspect/index.js';
import { lintAgreement } from '../src/lint/index.js';
import { generate } from '../src/generate.js';
import { FIXTURES, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';

const WSA = join(FIXTURES, 'carriers', 'wsa');
const pushOf = (classified: Awaited<ReturnType<typeof loadClassified>>) => classified.interactions.find((i): i is PushInteraction => i.kind === 'push');

describe('WS-Addressing read from the WSDL', () => {
  it('wsaw:UsingAddressing on the binding, a wsam:Addressing policy by wsp:PolicyReference: the push and its receiver speak it', async () => {
    const classified = await loadClassified({ spec: join(WSA, 'server.wsdl'), callback: join(WSA, 'callback.wsdl') });
    const [request] = classified.agreement.provider.operations;
    expect(request.soap?.addressing).toEqual({
      declaredBy: 'wsaw:UsingAddressing',
      line: expect.any(Number),
      required: true,
      actions: { input: 'http://ente.example/nome-api/SOAPCallback/MRequest', output: 'http://ente.example/nome-api/SOAPCallback/MRequestResponse' },
    });
    expect(classified.agreement.callback?.operations[0].soap?.addressing).toMatchObject({ declaredBy: 'wsam:Addressing', required: true });
    expect(request.pattern).toMatchObject({ pattern: 'NONBLOCK_PUSH_SOAP', role: 'request' });
    const push = pushOf(classified)!;
    expect(push.replyTo).toMatchObject({ in: 'ws-addressing', header: 'ReplyTo' });
    expect(push.correlation).toMatchObject({ in: 'ws-addressing', header: 'RelatesTo' });
    expect(push.receiver?.correlation).toMatchObject({ in: 'ws-addressing', header: 'RelatesTo', declaredBy: expect.stringContaining('wsam:Addressing') });
    expect(classified.findings).toEqual([]);
    expect(lintAgreement(classified)).toEqual([]);
    const text = formatInspect(inspectAgreement(classified), 'text');
    expect(text).toContain('reply address in WS-Addressing wsa:ReplyTo/wsa:Address, wsaw:UsingAddressing on binding SOAPCallbackServiceSoapBinding');
    expect(text).toContain("correlation id in WS-Addressing wsa:RelatesTo (= the request's wsa:MessageID), wsam:Addressing on binding SOAPCallbackClientServiceSoapBinding");
  });

  it('without a callback WSDL a WS-Addressing operation is blocking: WS-Addressing alone does not make a push', async () => {
    const classified = await loadClassified({ spec: join(WSA, 'server.wsdl') });
    expect(classified.agreement.provider.operations[0].pattern.pattern).toBe('BLOCK_SOAP');
  });

  it('the config asks for WS-Addressing on a WSDL that declares no policy; the actions are then the soapAction', async () => {
    const dir = await tempDir('carriers-config');
    for (const f of ['server.wsdl', 'callback.wsdl']) {
      const text = await readFile(join(WSA, f), 'utf8');
      await writeFile(join(dir, f), text.replace(/<wsaw:UsingAddressing[^>]*\/>/, '').replace(/<wsp:PolicyReference[^>]*\/>/, ''));
    }
    const plain = await loadClassified({ spec: join(dir, 'server.wsdl'), callback: join(dir, 'callback.wsdl') });
    expect(plain.agreement.provider.operations[0].soap?.addressing).toBeUndefined();
    expect(pushOf(plain)).toBeUndefined();
    const configured = await loadClassified({ spec: join(dir, 'server.wsdl'), callback: join(dir, 'callback.wsdl'), carriers: { addressing: true } });
    const push = pushOf(configured)!;
    expect(push.replyTo).toEqual({ in: 'ws-addressing', header: 'ReplyTo', declaredBy: 'accordo.config.yaml carriers.addressing' });
    expect(push.receiver?.correlation).toEqual({ in: 'ws-addressing', header: 'RelatesTo', declaredBy: 'accordo.config.yaml carriers.addressing' });
  });
});

describe('SOAP header elements of other names', () => {
  const dir = join(FIXTURES, 'carriers', 'declared-header');
  it('CorrelationID is recognised; IndirizzoRisposta only when the config names it', async () => {
    const unnamed = await loadClassified({ spec: join(dir, 'server.wsdl'), callback: join(dir, 'callback.wsdl') });
    expect(pushOf(unnamed)).toBeUndefined();
    // Without the config the request is not a push: it is served blocking, and the callback WSDL is left unused.
    expect(lintAgreement(unnamed).map((f) => f.rule)).toEqual(['agreement/callback-unused']);
    const named = await loadClassified({ spec: join(dir, 'server.wsdl'), callback: join(dir, 'callback.wsdl'), carriers: { replyTo: 'IndirizzoRisposta' } });
    const push = pushOf(named)!;
    expect(push.replyTo).toMatchObject({ in: 'soap-header', part: { name: 'IndirizzoRisposta' } });
    expect(push.correlation).toMatchObject({ in: 'soap-header', part: { name: 'CorrelationID' } });
    expect(push.receiver?.correlation).toMatchObject({ in: 'soap-header', part: { name: 'CorrelationID' } });
    expect(lintAgreement(named)).toEqual([]);
  });
});

describe('SOAP pull with the CorrelationID in an element of another name', () => {
  it('the request, status and result are tied by it, and lint asks for nothing more', async () => {
    const dir = await tempDir('carriers-pull');
    const text = await readFile(join(FIXTURES, 'modi', 'NONBLOCK_PULL_SOAP', 'server.wsdl'), 'utf8');
    await writeFile(join(dir, 'server.wsdl'), text.replaceAll('X-Correlation-ID', 'IdCorrelazione'));
    const unnamed = await loadClassified({ spec: join(dir, 'server.wsdl') });
    expect(unnamed.interactions.some((i) => i.kind === 'pull')).toBe(false);
    const named = await loadClassified({ spec: join(dir, 'server.wsdl'), carriers: { correlationId: 'IdCorrelazione' } });
    const pull = named.interactions.find((i) => i.kind === 'pull');
    expect(pull?.kind === 'pull' && pull.correlation).toMatchObject({ in: 'soap-header', part: { element: { name: 'IdCorrelazione' } } });
    expect(pull?.kind === 'pull' && [pull.statusCorrelation?.element.name, pull.resultCorrelation?.element.name]).toEqual(['IdCorrelazione', 'IdCorrelazione']);
    expect(lintAgreement(named).filter((f) => f.rule.startsWith('pull-soap/'))).toEqual([]);
  });
});

describe('REST: the config names the query parameter of the callback that carries the CorrelationID', () => {
  it('a callback declaring that query parameter carries it there', async () => {
    const dir = await tempDir('carriers-rest-config');
    const spec = (await readFile(join(FIXTURES, 'carriers', 'push-query.yaml'), 'utf8')).replace('name: correlationId', 'name: idCorrelazione');
    await writeFile(join(dir, 'spec.yaml'), spec);
    expect(pushOf(await loadClassified({ spec: join(dir, 'spec.yaml') }))?.correlation).toEqual({ in: 'header', name: 'X-Correlation-ID' });
    expect(pushOf(await loadClassified({ spec: join(dir, 'spec.yaml'), carriers: { correlationId: 'idCorrelazione' } }))?.correlation).toEqual({ in: 'query', name: 'idCorrelazione' });
  });
});

describe('lint push-soap/addressing-callback (test/fixtures/lint/push-soap/addressing-callback)', () => {
  const dir = join(FIXTURES, 'lint', 'push-soap', 'addressing-callback');
  it('pass.wsdl: its request/response operation has its callback: no finding', async () => {
    expect(lintAgreement(await loadClassified({ spec: join(dir, 'pass.wsdl'), callback: join(dir, 'callback.wsdl') }))).toEqual([]);
  });
  it('fail.wsdl: Ping has no PingResponse in the callback WSDL: one warning at the WS-Addressing declaration', async () => {
    const findings = lintAgreement(await loadClassified({ spec: join(dir, 'fail.wsdl'), callback: join(dir, 'callback.wsdl') }));
    expect(findings.map((f) => `${f.rule} ${f.severity} ${f.file.split('/').pop()}:${f.line}`)).toEqual(['push-soap/addressing-callback warning fail.wsdl:83']);
    expect(findings[0].message).toContain('has no PingResponse: Ping is served as blocking request/response');
    expect(findings[0].fix).toContain('patterns: {Ping: BLOCK_SOAP}');
  });
  it('fail.wsdl with Ping declared BLOCK_SOAP in the config: blocking is meant, no finding', async () => {
    expect(lintAgreement(await loadClassified({ spec: join(dir, 'fail.wsdl'), callback: join(dir, 'callback.wsdl'), patterns: { Ping: 'BLOCK_SOAP' } }))).toEqual([]);
  });
});

describe('generated code for each carrier', () => {
  it('type-checks under strict (WS-Addressing, declared SOAP elements, the REST query string)', async () => {
    const out = await tempDir('carriers-generated');
    const declared = join(FIXTURES, 'carriers', 'declared-header');
    await generate({ spec: join(WSA, 'server.wsdl'), callback: join(WSA, 'callback.wsdl'), out: join(out, 'wsa'), side: 'both' });
    await generate({ spec: join(declared, 'server.wsdl'), callback: join(declared, 'callback.wsdl'), out: join(out, 'declared'), side: 'both', carriers: { replyTo: 'IndirizzoRisposta' } });
    await generate({ spec: join(FIXTURES, 'carriers', 'push-query.yaml'), out: join(out, 'query'), side: 'both', ignoreLint: true });
    expect(typecheck([join(out, 'wsa', 'generated'), join(out, 'declared', 'generated'), join(out, 'query', 'generated')])).toEqual([]);
  }, 120_000);
});
