// The integration guide's rule over loopback: what the runtime refuses carries its code (problem
// `type`, SOAP fault code and actor) and the generated clients read it back; what a handler answers
// (a ProblemError, a declared fault, a crash) never carries one. Codes: docs/errors.md.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, createServer, registerSoapProvider, SoapFaultError, UnexpectedResponseError, type FastifyInstance, type SoapServiceDefinition } from 'accordo/runtime';
import { createProviderServer as createBlockingServer } from '../examples/block-rest/generated/provider.js';
import { handlers as blockingHandlers } from '../examples/block-rest/provider.handlers.js';
import { definition as soapDefinition } from '../examples/block-soap/generated/provider.js';
import { ProviderClient as SoapClient } from '../examples/block-soap/generated/consumer.js';
import { createConsumerServer, ProviderClient as PushClient } from '../examples/nonblock-push-rest/generated/consumer.js';
import { createProviderServer as createPushServer } from '../examples/nonblock-push-rest/generated/provider.js';
import { handlers as pushHandlers } from '../examples/nonblock-push-rest/provider.handlers.js';
import { parseEnvelope, readFault } from '../src/runtime/soap/envelope.js';
import { skipWithout } from './support/ci.js';
import { tempDir } from './support/tmp.js';

const RUNTIME_ACTOR = 'urn:accordo:runtime';
const PATH = '/soap/nome-api/v1';

describe('REST: the runtime says when it refused', () => {
  const apps: FastifyInstance[] = [];
  let blockingUrl: string;
  afterAll(async () => {
    for (const app of apps) await app.close();
  });
  beforeAll(async () => {
    const crash = {
      m: async (request: { path: { id_resource: number } }, ctx: unknown) =>
        request.path.id_resource === 666 ? Promise.reject(new Error('database on fire')) : blockingHandlers.m(request as never, ctx as never),
    };
    const app = await createBlockingServer(crash as never);
    apps.push(app);
    blockingUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  const post = (id: number, body: unknown) => fetch(`${blockingUrl}/resources/${id}/M`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('a handler ProblemError keeps its own type; a handler crash is about:blank; neither names the runtime', async () => {
    const missing = await post(9, { b: 'x' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: 'about:blank', title: 'Risorsa non trovata.' });
    const invalid = await post(1234, { b: 'x'.repeat(40) });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).type).toBe('https://apidoc.ente.example/probs/invalid-a');
    const crashed = await post(666, { b: 'x' });
    expect(crashed.status).toBe(500);
    expect(await crashed.json()).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'the request could not be processed' });
  });

  it('a request that breaks the spec is refused by the runtime: request-invalid', async () => {
    const res = await post(1234, { b: 5 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'urn:accordo:error:request-invalid', status: 400, detail: 'body.b must be string' });
  });

  it('the push client exposes the code of a refused reply address, without dialling it', async () => {
    // The default reply-address policy: a private literal is refused before anything is sent to it.
    const provider = await createPushServer(pushHandlers, { store: 'memory:' });
    apps.push(provider);
    const baseUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
    const client = new PushClient({ baseUrl, callbackUrl: 'http://10.1.2.3/cb' });
    const error = await client.pushMessage({ path: { id_resource: 1 }, body: { b: 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error).toMatchObject({ status: 400, code: 'reply-address-refused', body: { type: 'urn:accordo:error:reply-address-refused' } });
    const noReply = await fetch(`${baseUrl}/resources/1/M`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"b":"x"}' });
    expect(await noReply.json()).toMatchObject({ status: 400, type: 'urn:accordo:error:reply-address-missing' });
  });

  it('a callback not correlated to any earlier request is its own error: correlation-unknown (and correlation-missing)', async () => {
    const consumer = await createConsumerServer({ pushResponseMessage: async () => ({ outcome: 'OK' }) } as never, new CorrelationRegistry(), { unknownGraceMs: 0 });
    apps.push(consumer);
    const url = await consumer.listen({ host: '127.0.0.1', port: 0 });
    const unknown = await fetch(`${url}/MResponse`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': 'never-sent' }, body: '{"c":"x"}' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'urn:accordo:error:correlation-unknown', detail: 'unknown CorrelationID "never-sent"' });
    const missing = await fetch(`${url}/MResponse`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"c":"x"}' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ type: 'urn:accordo:error:correlation-missing' });
  });
});

describe('SOAP: the runtime names itself as faultactor / Role and gives its code', () => {
  const apps: FastifyInstance[] = [];
  const origins: Record<'1.1' | '1.2', string> = { '1.1': '', '1.2': '' };
  const handlers = {
    mRequest: async (request: { body: { M?: { oId?: number } } }) => {
      if (request.body.M?.oId === 0) throw new SoapFaultError('Receiver', 'Error', { fault: 'ErrorMessageException', value: { customFaultCode: '1234' } });
      return { body: { return: { c: 'OK' } } };
    },
  };
  beforeAll(async () => {
    for (const version of ['1.1', '1.2'] as const) {
      const def: SoapServiceDefinition = { ...soapDefinition, operations: soapDefinition.operations.map((op) => ({ ...op, version })) };
      const app = createServer();
      await app.register(async (scope) => registerSoapProvider(scope, def, handlers as never));
      apps.push(app);
      origins[version] = await app.listen({ host: '127.0.0.1', port: 0 });
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });
  const envelope = (version: '1.1' | '1.2', body: string) =>
    `<s:Envelope xmlns:s="${version === '1.1' ? 'http://schemas.xmlsoap.org/soap/envelope/' : 'http://www.w3.org/2003/05/soap-envelope'}" xmlns:m="http://ente.example/nome-api"><s:Body>${body}</s:Body></s:Envelope>`;
  const post = async (version: '1.1' | '1.2', body: string) => {
    const res = await fetch(`${origins[version]}${PATH}`, {
      method: 'POST',
      headers: version === '1.1' ? { 'content-type': 'text/xml', soapaction: '""' } : { 'content-type': 'application/soap+xml' },
      body: envelope(version, body),
    });
    return { status: res.status, text: await res.text() };
  };

  it('SOAP 1.1: faultcode acc:<code> in urn:accordo:error and faultactor urn:accordo:runtime; a handler fault has neither', async () => {
    const refused = await post('1.1', '<m:MRequest><M><oId>not a number</oId></M></m:MRequest>');
    expect(refused.status).toBe(500);
    expect(refused.text).toContain('<faultcode xmlns:acc="urn:accordo:error">acc:request-invalid</faultcode>');
    expect(refused.text).toContain(`<faultactor>${RUNTIME_ACTOR}</faultactor>`);
    expect(readFault(parseEnvelope(refused.text))).toMatchObject({ code: 'Sender', runtimeCode: 'request-invalid' });
    const answered = await post('1.1', '<m:MRequest><M><oId>0</oId></M></m:MRequest>');
    expect(answered.status).toBe(500);
    expect(answered.text).toContain('<faultcode>soap:Server</faultcode>');
    expect(answered.text).not.toContain('faultactor');
    const fault = readFault(parseEnvelope(answered.text));
    expect(fault).toMatchObject({ code: 'Receiver', reason: 'Error' });
    expect(fault?.runtimeCode).toBeUndefined();
  });

  it('SOAP 1.2: Sender + Subcode acc:<code> and Role urn:accordo:runtime; a handler fault has neither', async () => {
    const refused = await post('1.2', '<m:Nope/>');
    expect(refused.text).toContain(
      '<soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value xmlns:acc="urn:accordo:error">acc:request-invalid</soap:Value></soap:Subcode></soap:Code>',
    );
    expect(refused.text).toContain(`<soap:Role>${RUNTIME_ACTOR}</soap:Role>`);
    const answered = await post('1.2', '<m:MRequest><M><oId>0</oId></M></m:MRequest>');
    expect(answered.text).not.toContain('Subcode');
    expect(answered.text).not.toContain('Role');
  });

  it("the generated SOAP client's SoapFaultError carries runtimeCode for the runtime's faults only", async () => {
    const lost = await new SoapClient({ endpoint: `${origins['1.2']}/soap/elsewhere` }).mRequest({ body: { M: { oId: 1 } } }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(SoapFaultError);
    expect(lost).toMatchObject({ code: 'Sender', runtimeCode: 'not-found' });
    const declared = await new SoapClient({ endpoint: `${origins['1.2']}${PATH}` }).mRequest({ body: { M: { oId: 0 } } }).catch((e: unknown) => e);
    expect(declared).toBeInstanceOf(SoapFaultError);
    expect(declared).toMatchObject({ code: 'Receiver', detail: { fault: 'ErrorMessageException', value: { customFaultCode: '1234' } } });
    expect((declared as SoapFaultError).runtimeCode).toBeUndefined();
  });
});

const run = promisify(execFile);
const zeep = await run('/usr/bin/python3', ['-c', 'import zeep']).then(
  () => '/usr/bin/python3',
  () => undefined,
);

describe.skipIf(!zeep && skipWithout('python3 with zeep is not installed', 'the zeep fault test', 'apt-get install python3-zeep'))('python3-zeep reads the runtime fault', () => {
  const apps: FastifyInstance[] = [];
  const wsdlUrls: Record<'1.1' | '1.2', string> = { '1.1': '', '1.2': '' };
  beforeAll(async () => {
    for (const version of ['1.1', '1.2'] as const) {
      // The example WSDL binds SOAP 1.2; for 1.1 its binding namespace is swapped, so zeep speaks 1.1.
      const main = version === '1.1' ? soapDefinition.wsdl!.main.replace('http://schemas.xmlsoap.org/wsdl/soap12/', 'http://schemas.xmlsoap.org/wsdl/soap/') : soapDefinition.wsdl!.main;
      const def: SoapServiceDefinition = { ...soapDefinition, wsdl: { ...soapDefinition.wsdl!, main }, operations: soapDefinition.operations.map((op) => ({ ...op, version })) };
      const app = createServer();
      await app.register(async (scope) => registerSoapProvider(scope, def, { mRequest: async () => ({ body: { return: { c: 'OK' } } }) }));
      apps.push(app);
      wsdlUrls[version] = `${await app.listen({ host: '127.0.0.1', port: 0 })}${PATH}?wsdl`;
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  /** zeep calls MRequest at `address` (the runtime answers with a Fault of its own there) and prints what its Fault holds. */
  async function zeepFault(wsdlUrl: string, address: string): Promise<{ code: string; actor: string | null; subcodes: string[] }> {
    const dir = await tempDir('zeep-fault');
    const script = join(dir, 'fault.py');
    await writeFile(
      script,
      [
        'import json, sys',
        'import zeep',
        'client = zeep.Client(sys.argv[1])',
        'service = client.create_service(next(iter(client.wsdl.bindings)), sys.argv[2])',
        'try:',
        '    service.MRequest(M={"oId": 1})',
        '    print(json.dumps(None))',
        'except zeep.exceptions.Fault as f:',
        '    print(json.dumps({"code": f.code, "actor": f.actor, "subcodes": [str(q) for q in (f.subcodes or [])]}))',
      ].join('\n'),
    );
    const { stdout } = await run(zeep!, [script, wsdlUrl, address]);
    return JSON.parse(stdout);
  }

  it('SOAP 1.1: zeep.exceptions.Fault has the code and the runtime as actor, as the guide tells an application to test them', async () => {
    const fault = await zeepFault(wsdlUrls['1.1'], wsdlUrls['1.1'].replace(`${PATH}?wsdl`, '/soap/nowhere'));
    expect(fault).toEqual({ code: 'acc:not-found', actor: RUNTIME_ACTOR, subcodes: [] });
  });

  it('SOAP 1.2: zeep reads the class as the code and the runtime code as a qualified subcode', async () => {
    const fault = await zeepFault(wsdlUrls['1.2'], wsdlUrls['1.2'].replace(`${PATH}?wsdl`, '/soap/nowhere'));
    // zeep does not read a SOAP 1.2 Role (its actor is always None); the Subcode is what it gives.
    expect(fault).toEqual({ code: 'soap:Sender', actor: null, subcodes: ['{urn:accordo:error}not-found'] });
  });
});
