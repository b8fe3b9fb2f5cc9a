// A real WSDL of the development corpus (Apache CXF's hello world, SOAP 1.2) over loopback: the
// generated client calls the generated provider, blocking, one-way and with a declared fault.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoapFaultError, type FastifyInstance } from 'accordo/runtime';
import { generate } from '../../src/generate.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';
import { tempDir } from '../support/tmp.js';

describe.skipIf(corpusMissing())('a real WSDL (CXF hello world, SOAP 1.2): blocking, one-way and a declared fault', () => {
  let provider: FastifyInstance;
  let api: any;
  let heard!: (v: unknown) => void;
  const oneWay = new Promise((resolve) => (heard = resolve));

  beforeAll(async () => {
    const out = await tempDir('soap-cxf');
    await generate({ spec: join(CORPUS, 'real', 'wsdl', 'cxf-hello-world-soap12.wsdl'), out, side: 'both' });
    const gen = await import(join(out, 'generated', 'provider.ts'));
    const con = await import(join(out, 'generated', 'consumer.ts'));
    provider = await gen.createProviderServer({
      sayHi: async () => ({ body: { responseType: 'hi' } }),
      greetMe: async (req: { body: { requestType: string } }) => ({ body: { responseType: `hello ${req.body.requestType}` } }),
      greetMeOneWay: async (req: { body: unknown }) => heard(req.body),
      pingMe: async () => {
        throw new SoapFaultError('Receiver', 'pong', { fault: 'pingMeFault', value: { minor: 1, major: 2 } });
      },
    });
    const base = await provider.listen({ host: '127.0.0.1', port: 0 });
    api = new con.ProviderClient({ endpoint: `${base}/SoapContext/SoapPort` });
  });
  afterAll(() => provider.close());

  it('calls each operation with its pattern', async () => {
    expect(await api.sayHi({ body: {} })).toEqual({ body: { responseType: 'hi' }, headers: {} });
    expect(await api.greetMe({ body: { requestType: 'Anna' } })).toEqual({ body: { responseType: 'hello Anna' }, headers: {} });
    await expect(api.greetMe({ body: { requestType: 'x'.repeat(31) } })).rejects.toMatchObject({
      code: 'Sender',
      reason: expect.stringMatching(/body\.requestType must NOT have more than 30 characters/),
    });
    await expect(api.greetMeOneWay({ body: { requestType: 'async' } })).resolves.toBeUndefined();
    expect(await oneWay).toEqual({ requestType: 'async' });
    await expect(api.pingMe({ body: {} })).rejects.toMatchObject({ code: 'Receiver', reason: 'pong', detail: { fault: 'pingMeFault', value: { minor: 1, major: 2 } } });
  });
});
