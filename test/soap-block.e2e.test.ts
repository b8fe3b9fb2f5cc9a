// BLOCK_SOAP and rpc/literal over loopback with test/fixtures/wsdl/features.wsdl (every XSD construct
// the loader supports): the generated client's values reach the generated provider's handler
// unchanged, typed faults carry their detail, and ?wsdl serves the imported schemas too.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoapFaultError, type FastifyInstance } from 'accordo/runtime';
import { generate } from '../src/generate.js';
import { infoset } from './support/infoset.js';
import { ROOT, tempDir } from './support/tmp.js';

const WSDL = join(ROOT, 'test', 'fixtures', 'wsdl', 'features.wsdl');

const ORDER = {
  item: {
    id: 9007199254740,
    when: '2024-01-01T10:00:00',
    byCode: 'A & B',
    tags: ['x', '<y>'],
    note: null,
    Stamp: { at: '2024-01-01T10:00:00Z' },
    extra: [1, 2, 3],
    version: 2,
    by: 'me "quoted"',
  },
  price: { currency: 'USD', $value: 12.5 },
  small: 3,
  digits: -999,
  fiscal: 'ABCDEF12$', // `$` is literal in an XSD pattern
  either: 7,
  tree: { child: [{ child: [{}] }, {}] },
  local: { value: 'abc' },
  blob: 'aGVsbG8=',
  day: '2024-01-01+01:00',
  flag: false,
  ratio: 0.25,
};

describe('BLOCK_SOAP and rpc/literal', () => {
  let provider: FastifyInstance;
  let base: string;
  let client: any;
  const seen: unknown[] = [];

  beforeAll(async () => {
    const out = await tempDir('soap-block');
    await generate({ spec: WSDL, out, side: 'both' });
    const gen = await import(join(out, 'generated', 'provider.ts'));
    const con = await import(join(out, 'generated', 'consumer.ts'));
    provider = await gen.createProviderServer({
      placeOrder: async (req: { body: { small?: number } }) => {
        seen.push(req);
        if (req.body.small === 9) throw new SoapFaultError('Sender', 'too many', { fault: 'problem', value: { code: 9 } });
        return { body: { accepted: true } };
      },
      sum: async (req: { body: { a: number; b: number } }) => ({ body: { result: req.body.a + req.body.b } }),
    });
    base = await provider.listen({ host: '127.0.0.1', port: 0 });
    client = (path: string) => new con.ProviderClient({ endpoint: `${base}${path}` });
  });
  afterAll(() => provider.close());

  it('a document/literal call with a header part: every construct survives the round trip', async () => {
    const res = await client('/shop/v1').placeOrder({ body: ORDER, headers: { trace: 't-1' } });
    expect(res).toEqual({ body: { accepted: true }, headers: {} });
    expect(seen.at(-1)).toEqual({ body: ORDER, headers: { trace: 't-1' } });
  });

  it('the same operation at its SOAP 1.2 port', async () => {
    const res = await fetch(`${base}/shop/v1.2`, {
      method: 'POST',
      headers: { 'content-type': 'application/soap+xml; action="urn:placeOrder"' },
      body: `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:f="urn:example:features" xmlns:c="urn:example:common"><e:Body><f:Order>
        <f:item version="1"><f:id>1</f:id><f:byName>n</f:byName><note xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/><c:Stamp at="2024-01-01T00:00:00Z"/></f:item>
        <f:price>1.5</f:price></f:Order></e:Body></e:Envelope>`,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/soap\+xml/);
    const body = infoset(await res.text()).children[0].children[0];
    expect(body).toEqual({ name: '{urn:example:features}OrderResponse', attrs: {}, children: [{ name: '{urn:example:features}accepted', attrs: {}, children: [], text: 'true' }] });
    expect(seen.at(-1)).toEqual({ body: { item: { version: 1, id: 1, byName: 'n', note: null, Stamp: { at: '2024-01-01T00:00:00Z' } }, price: { $value: 1.5 } }, headers: {} });
  });

  it('a declared fault reaches the client as a SoapFaultError with its typed detail', async () => {
    const e = await client('/shop/v1')
      .placeOrder({ body: { ...ORDER, small: 9 } })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SoapFaultError);
    expect(e).toMatchObject({ code: 'Sender', reason: 'too many', detail: { fault: 'problem', value: { code: 9 } } });
  });

  it('an XSD facet violated (the choice, the enum): a Client fault, handler not called', async () => {
    const before = seen.length;
    const both = client('/shop/v1').placeOrder({ body: { ...ORDER, item: { ...ORDER.item, byName: 'x' } } });
    await expect(both).rejects.toMatchObject({ code: 'Sender', reason: expect.stringMatching(/body\.item/) });
    await expect(client('/shop/v1').placeOrder({ body: { ...ORDER, item: { ...ORDER.item, byCode: 'Z' } } })).rejects.toBeInstanceOf(SoapFaultError);
    expect(seen.length).toBe(before);
  });

  it('rpc/literal: parts inside the operation wrapper', async () => {
    expect(await client('/calc').sum({ body: { a: 40, b: 2 } })).toEqual({ body: { result: 42 }, headers: {} });
    await expect(client('/calc').sum({ body: { a: 1, b: 10 } })).rejects.toMatchObject({ reason: expect.stringMatching(/body\.b must be < 10/) });
  });

  it('?wsdl serves the imported schemas at ?xsd=<file> (and at ?wsdl=<file>, as earlier versions linked them)', async () => {
    const text = await (await fetch(`${base}/shop/v1?wsdl`)).text();
    expect(text).toContain(`<soap:address location="${base}/shop/v1"/>`);
    expect(text).toContain(`location="${base}/calc"/>`);
    expect(text).toContain(`schemaLocation="${base}/shop/v1?xsd=common.xsd"`);
    for (const query of ['xsd', 'wsdl']) {
      const xsd = await fetch(`${base}/shop/v1?${query}=common.xsd`);
      expect(xsd.status).toBe(200);
      expect(await xsd.text()).toContain('<xs:element name="Stamp">');
    }
    expect((await fetch(`${base}/shop/v1?wsdl=../../package.json`)).status).toBe(404);
  });
});
