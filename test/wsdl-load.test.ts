// WSDL 1.1 + XSD loading into the agreement model: the ModI fixtures, the SOAP 1.1 variant of the
// seed pair, the XSD mapping, hostile input (the real-world WSDLs: test/corpus/wsdl-load.test.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassified } from '../src/classify/index.js';
/** The agreement model as the classify stage leaves it (patterns decided). */
const loadAgreement = async (sources: Parameters<typeof loadClassified>[0]) => (await loadClassified(sources)).agreement;
import type { Agreement, JsonSchema } from '../src/model/agreement.js';
import { op, specError, validator } from './support/agreement.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const LOCAL = FIXTURES;
const SEED = join(FIXTURES, 'seed/nonblock-push-soap');
const MODI = join(FIXTURES, 'modi');
const NS = 'http://ente.example/nome-api';

describe.each([
  { label: 'seed pair (SOAP 1.2)', dir: SEED, version: '1.2', mediaType: 'application/soap+xml' },
  { label: 'SOAP 1.1 variant of the seed pair', dir: join(LOCAL, 'soap11'), version: '1.1', mediaType: 'text/xml' },
])('NONBLOCK_PUSH_SOAP: $label', ({ dir, version, mediaType }) => {
  let agreement: Agreement;
  beforeAll(async () => {
    agreement = await loadAgreement({ spec: join(dir, 'server.wsdl'), callback: join(dir, 'callback.wsdl') });
  });

  it('loads MRequest as a push request with X-ReplyTo in and X-Correlation-ID out', () => {
    const { provider } = agreement;
    expect(provider.source).toMatchObject({ format: 'wsdl', version: '1.1' });
    expect(provider.operations.map((o) => o.id)).toEqual(['MRequest']);
    const m = op(provider, 'MRequest');
    expect(m).toMatchObject({ method: 'post', path: '/soap/nome-api/v1', parameters: [] });
    expect(m.pattern).toMatchObject({ pattern: 'NONBLOCK_PUSH_SOAP', decidedBy: 'shape' });
    expect(m.pattern.facts.join(' ')).toMatch(/X-ReplyTo.*X-Correlation-ID/);
    const soap = m.soap!;
    expect(soap).toMatchObject({
      version,
      style: 'document',
      soapAction: '',
      service: 'SOAPCallbackService',
      port: 'SOAPCallbackPort',
      address: 'https://api.ente.example/soap/nome-api/v1',
      portType: { namespace: NS, name: 'SOAPCallback' },
      binding: { namespace: NS, name: 'SOAPCallbackServiceSoapBinding' },
    });
    expect(soap.input.body.map((p) => [p.name, p.element])).toEqual([['parameters', { namespace: NS, name: 'MRequest' }]]);
    expect(soap.input.headers.map((p) => [p.name, p.element, p.nillable])).toEqual([['X-ReplyTo', { namespace: NS, name: 'X-ReplyTo' }, true]]);
    expect(soap.output!.body.map((p) => p.element.name)).toEqual(['MRequestResponse']);
    expect(soap.output!.headers.map((p) => p.element.name)).toEqual(['X-Correlation-ID']);
    expect(soap.faults.map((f) => [f.name, f.part.element.name])).toEqual([['ErrorMessageException', 'ErrorMessageFault']]);
    expect(m.requestBody!.contents.map((c) => c.mediaType)).toEqual([mediaType]);
    expect(m.responses.map((r) => r.status)).toEqual(['200', '500']);
    expect(m.responses.every((r) => r.contents[0].mediaType === mediaType)).toBe(true);
  });

  it('loads the callback receiver MRequestResponse and pairs it with MRequest', async () => {
    const cb = op(agreement.callback!, 'MRequestResponse');
    expect(cb.pattern.pattern).toBe('NONBLOCK_PUSH_SOAP');
    expect(cb.pattern.facts.join(' ')).toMatch(/callback WSDL.*X-Correlation-ID/);
    expect(cb.soap!.input.headers.map((h) => h.element.name)).toEqual(['X-Correlation-ID']);
    expect(cb.soap!.output!.headers).toEqual([]);
    expect(cb.soap!.address).toBe('https://api.indirizzoclient.it/soap/nome-api/v1');
    const classified = await loadClassified({ spec: join(dir, 'server.wsdl'), callback: join(dir, 'callback.wsdl') });
    const push = classified.interactions.find((i) => i.kind === 'push');
    expect(push?.kind === 'push' && push.receiver?.op.id).toBe('MRequestResponse');
  });

  it('gives every schema a unique identifier key and validates the four messages as JSON', () => {
    for (const key of agreement.schemas.keys()) expect(key).toMatch(/^[A-Za-z_$][A-Za-z0-9_$]*$/);
    // ackMessage is declared identically by both WSDLs: one schema; MRequestResponse differs: two.
    expect([...agreement.schemas.values()].filter((s) => s.specName === 'ackMessage')).toHaveLength(1);
    expect([...agreement.schemas.values()].filter((s) => s.specName === 'MRequestResponse').map((s) => s.key)).toEqual(['MRequestResponse', 'MRequestResponse2']);

    const valid = validator(agreement);
    const m = op(agreement.provider, 'MRequest');
    const cb = op(agreement.callback!, 'MRequestResponse');
    const request = { M: { o_id: 1234, a: { a1s: ['1'], a2: 'prova' }, b: 'prova' } };
    expect(valid(m.requestBody!.contents[0].schema, request)).toBe(true);
    expect(valid(m.requestBody!.contents[0].schema, { M: { o_id: 'x' } })).toBe(false);
    expect(valid(m.requestBody!.contents[0].schema, { M: { unknown: 1 } })).toBe(false);
    expect(valid(m.responses[0].contents[0].schema, { return: { outcome: 'ACCEPTED' } })).toBe(true);
    expect(valid(cb.requestBody!.contents[0].schema, { return: { c: 'OK' } })).toBe(true);
    expect(valid(cb.responses[0].contents[0].schema, { return: { outcome: 'OK' } })).toBe(true);
    expect(valid(m.soap!.input.headers[0].schema, 'https://api.indirizzoclient.it/soap/nome-api/v1')).toBe(true);
    expect(valid(m.soap!.input.headers[0].schema, null)).toBe(true); // nillable
  });

  it('annotates the XML facts: names, namespaces (unqualified children), order, nillable arrays', () => {
    const mType = agreement.schemas.get('MType')!.schema as { properties: Record<string, JsonSchema> };
    expect(Object.keys(mType.properties)).toEqual(['o_id', 'a', 'b']);
    expect(mType.properties.o_id).toEqual({ type: 'integer', format: 'int32', 'x-xml': { name: 'o_id', order: 0 } });
    expect(mType.properties.a).toEqual({ $ref: '#/$defs/AComplexType', 'x-xml': { name: 'a', order: 1 } });
    const a = agreement.schemas.get('AComplexType')!.schema as { properties: Record<string, JsonSchema> };
    expect(a.properties.a1s).toEqual({ type: 'array', items: { type: ['string', 'null'] }, 'x-xml': { name: 'a1s', order: 0, nillable: true } });
    const body = op(agreement.provider, 'MRequest').requestBody!.contents[0].schema;
    expect(body).toEqual({ $ref: '#/$defs/MRequest', 'x-xml': { name: 'MRequest', namespace: NS } });
  });
});

describe('ModI SOAP fixtures', () => {
  it('BLOCK_SOAP: one blocking operation with a fault', async () => {
    const { provider } = await loadAgreement({ spec: join(MODI, 'BLOCK_SOAP/server.wsdl') });
    const m = op(provider, 'MRequest');
    expect(m.pattern.pattern).toBe('BLOCK_SOAP');
    expect(m.soap!.input.headers).toEqual([]);
    expect(m.soap!.faults).toHaveLength(1);
    expect(m.responses[1].contents[0].schema).toMatchObject({ 'x-xml': { name: 'ErrorMessageFault', nillable: true } });
  });

  it('NONBLOCK_PULL_SOAP: MRequest, MProcessingStatus and MResponse, correlated by X-Correlation-ID', async () => {
    const { provider } = await loadAgreement({ spec: join(MODI, 'NONBLOCK_PULL_SOAP/server.wsdl') });
    expect(provider.operations.map((o) => [o.id, o.pattern.pattern])).toEqual([
      ['MRequest', 'NONBLOCK_PULL_SOAP'],
      ['MProcessingStatus', 'NONBLOCK_PULL_SOAP'],
      ['MResponse', 'NONBLOCK_PULL_SOAP'],
    ]);
    expect(op(provider, 'MRequest').soap!.output!.headers.map((h) => h.name)).toEqual(['X-Correlation-ID']);
    expect(op(provider, 'MRequest').pattern.facts[1]).toMatch(/MProcessingStatus, MResponse/);
    for (const id of ['MProcessingStatus', 'MResponse']) {
      const o = op(provider, id);
      expect(o.soap!.input.headers.map((h) => h.name)).toEqual(['X-Correlation-ID']);
      expect(o.soap!.input.body.map((p) => p.name)).toEqual(['parameters']);
    }
    // An empty complexType is an empty object.
    expect(provider.operations.length).toBe(3);
  });

  it('NONBLOCK_PUSH_SOAP: the guideline pair', async () => {
    const a = await loadAgreement({ spec: join(MODI, 'NONBLOCK_PUSH_SOAP/server.wsdl'), callback: join(MODI, 'NONBLOCK_PUSH_SOAP/callback.wsdl') });
    expect(op(a.provider, 'MRequest').pattern.pattern).toBe('NONBLOCK_PUSH_SOAP');
    expect(op(a.callback!, 'MRequestResponse').pattern.pattern).toBe('NONBLOCK_PUSH_SOAP');
  });

  it('honours the patterns override', async () => {
    const { provider } = await loadAgreement({ spec: join(MODI, 'NONBLOCK_PULL_SOAP/server.wsdl'), patterns: { MResponse: 'BLOCK_SOAP' } });
    expect(op(provider, 'MResponse').pattern).toEqual({ pattern: 'BLOCK_SOAP', decidedBy: 'config', facts: ['accordo.config.yaml sets BLOCK_SOAP'] });
    expect(op(provider, 'MRequest').pattern.decidedBy).toBe('shape');
  });
});

describe('XSD mapping (test/fixtures/wsdl/features.wsdl)', () => {
  let agreement: Agreement;
  let schema: (key: string) => JsonSchema & { properties?: Record<string, JsonSchema> };
  beforeAll(async () => {
    agreement = await loadAgreement({ spec: join(LOCAL, 'wsdl/features.wsdl') });
    schema = (key) => {
      const s = agreement.schemas.get(key);
      if (!s) throw new Error(`no schema ${key} in ${[...agreement.schemas.keys()].join(', ')}`);
      return s.schema;
    };
  });

  it('keeps one operation per portType operation, skips the HTTP port, lists the other SOAP port', () => {
    const { provider } = agreement;
    expect(provider.title).toBe('Features');
    expect(provider.description).toBe('Every supported construct once.');
    expect(provider.operations.map((o) => [o.id, o.soap!.version, o.soap!.style, o.path, o.pattern.pattern])).toEqual([
      ['placeOrder', '1.1', 'document', '/shop/v1', 'BLOCK_SOAP'],
      ['sum', '1.1', 'rpc', '/calc', 'BLOCK_SOAP'],
    ]);
    const place = op(provider, 'placeOrder');
    expect(place.description).toBe('Places an order.');
    expect(place.soap!.soapAction).toBe('urn:placeOrder');
    expect(place.soap!.alsoExposedAt).toEqual([
      { version: '1.2', binding: { namespace: 'urn:example:features', name: 'ShopSoap12' }, service: 'ShopService', port: 'ShopPort12', address: 'http://127.0.0.1:8080/shop/v1.2' },
    ]);
    // Without soap:body parts=, the body is every part not bound as a header.
    expect(place.soap!.input.body.map((p) => p.name)).toEqual(['body']);
    expect(place.soap!.input.headers.map((p) => [p.name, p.element.name])).toEqual([['trace', 'Trace']]);
    expect(place.location.line).toBe(139);
  });

  it('maps rpc/literal parts into the operation wrapper element', () => {
    const sum = op(agreement.provider, 'sum');
    expect(sum.soap!.input.wrapper).toEqual({ namespace: 'urn:example:calc', name: 'sum' });
    expect(sum.soap!.output!.wrapper).toEqual({ namespace: 'urn:example:calc', name: 'sumResponse' });
    expect(sum.soap!.input.body.map((p) => [p.name, p.element, p.type])).toEqual([
      ['a', { namespace: '', name: 'a' }, { namespace: 'http://www.w3.org/2001/XMLSchema', name: 'int' }],
      ['b', { namespace: '', name: 'b' }, { namespace: 'urn:example:features', name: 'Small' }],
    ]);
    expect(sum.requestBody!.contents[0].schema).toEqual({
      type: 'object',
      properties: {
        a: { type: 'integer', format: 'int32', 'x-xml': { name: 'a', order: 0 } },
        b: { $ref: '#/$defs/Small', 'x-xml': { name: 'b', order: 1 } },
      },
      required: ['a', 'b'],
      additionalProperties: false,
      'x-xml': { name: 'sum', namespace: 'urn:example:calc' },
    });
    const valid = validator(agreement);
    expect(valid(sum.requestBody!.contents[0].schema, { a: 1, b: 9 })).toBe(true);
    expect(valid(sum.requestBody!.contents[0].schema, { a: 1, b: 10 })).toBe(false);
  });

  it('flattens extensions, maps choices, attributes, refs, groups, any and occurrences', () => {
    const d = schema('Derived');
    expect(Object.keys(d.properties!)).toEqual(['id', 'when', 'byName', 'byCode', 'tags', 'note', 'Stamp', 'extra', 'version', 'by']);
    expect(d.properties!.id).toEqual({ type: 'integer', format: 'int64', 'x-xml': { name: 'id', namespace: 'urn:example:features', order: 0 } });
    expect(d.properties!.when).toMatchObject({ type: 'string', format: 'iso-date-time' });
    expect(d.properties!.tags).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(d.properties!.note).toEqual({ type: ['string', 'null'], 'x-xml': { name: 'note', order: 5, nillable: true } });
    expect(d.properties!.Stamp).toEqual({ $ref: '#/$defs/Stamp', 'x-xml': { name: 'Stamp', namespace: 'urn:example:common', order: 6 } });
    expect(d.properties!.extra).toMatchObject({ $ref: '#/$defs/Sizes' });
    expect(d.properties!.version).toEqual({ type: 'integer', format: 'int32', 'x-xml': { name: 'version', attribute: true } });
    expect(d.properties!.by).toEqual({ type: 'string', 'x-xml': { name: 'by', attribute: true } });
    expect(d.required).toEqual(['id', 'note', 'Stamp', 'version']);
    expect(d['x-xml']).toEqual({ any: true });
    expect(d.additionalProperties).toBeUndefined();

    const valid = validator(agreement);
    const ref = { $ref: '#/$defs/Derived' };
    const base = { id: 1, note: null, Stamp: { at: '2024-01-01T10:00:00Z' }, version: 2 };
    expect(valid(ref, { ...base, byName: 'x' })).toBe(true);
    expect(valid(ref, { ...base, byCode: 'C' })).toBe(true);
    expect(valid(ref, { ...base, byCode: 'A & B', extra: [1, 2] })).toBe(true);
    expect(valid(ref, base)).toBe(false); // the choice is required
    expect(valid(ref, { ...base, byName: 'x', byCode: 'C' })).toBe(false); // only one branch
    expect(valid(ref, { ...base, byCode: 'D' })).toBe(false); // enumeration
  });

  it('maps simple content, facets, lists, unions, recursion, chameleon includes', () => {
    expect(schema('Amount')).toEqual({
      type: 'object',
      properties: {
        currency: { type: 'string', default: 'EUR', 'x-xml': { name: 'currency', attribute: true } },
        $value: { type: 'number', 'x-xml': { text: true } },
      },
      required: ['$value'],
      additionalProperties: false,
    });
    expect(schema('Code')).toEqual({ type: 'string', enum: ['A & B', 'C'] });
    expect(schema('Small')).toEqual({ type: 'integer', format: 'int32', minimum: 1, exclusiveMaximum: 10 });
    expect(schema('Digits')).toEqual({ type: 'integer', maximum: 999, minimum: -999 });
    expect(schema('Fiscal')).toEqual({ type: 'string', pattern: '^(?:[A-Z]{6}\\d{2}\\$)$' });
    expect(schema('Sizes')).toEqual({ type: 'array', items: { type: 'integer', format: 'int32' }, 'x-xml': { list: true } });
    expect(schema('IntOrCode')).toEqual({ anyOf: [{ type: 'integer', format: 'int32' }, { $ref: '#/$defs/Code' }] });
    expect(schema('Node').properties!.child).toMatchObject({ type: 'array', items: { $ref: '#/$defs/Node' } });
    // chameleon.xsd has no targetNamespace: its types join urn:example:features, its local element stays unqualified.
    expect(schema('LocalThing').properties!.value).toEqual({ $ref: '#/$defs/Word', 'x-xml': { name: 'value', order: 0 } });
    expect(schema('Word')).toEqual({ type: 'string', maxLength: 5 });
    const order = schema('Order');
    expect(order.required).toEqual(['item', 'price']);
    expect(order.properties!.blob).toMatchObject({ type: 'string', contentEncoding: 'base64' });
    expect(order.properties!.day).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(agreement.schemas.get('Order')!.location).toMatchObject({ line: 79 });

    const valid = validator(agreement);
    expect(valid({ $ref: '#/$defs/Fiscal' }, 'ABCDEF12$')).toBe(true);
    expect(valid({ $ref: '#/$defs/Fiscal' }, 'xABCDEF12$')).toBe(false);
    expect(valid({ $ref: '#/$defs/Amount' }, { $value: 12.5, currency: 'EUR' })).toBe(true);
    expect(valid({ $ref: '#/$defs/Node' }, { child: [{ child: [{}] }] })).toBe(true);
    // XSD date/time lexical forms: the time zone is optional.
    const day = order.properties!.day;
    expect(['2008-01-01', '2008-01-01Z', '2008-01-01+01:00'].map((v) => valid(day, v))).toEqual([true, true, true]);
    expect(['2008-1-01', '01/01/2008'].map((v) => valid(day, v))).toEqual([false, false]);
    const when = schema('Derived').properties!.when;
    expect(['2024-01-01T10:00:00', '2024-01-01T10:00:00.5Z', '2024-01-01T10:00:00+01:00'].map((v) => valid(when, v))).toEqual([true, true, true]);
    expect(valid(when, '2024-01-01')).toBe(false);
  });
});

describe('hostile and broken input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'accordo-wsdl-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const wsdl = (inner: string, extraNs = '') =>
    `<?xml version="1.0"?>\n<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:t" targetNamespace="urn:t"${extraNs}>\n${inner}\n</wsdl:definitions>\n`;
  const write = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const service = (binding: string, op = 'op', body = '<soap:body use="literal"/>') => `
  <wsdl:message name="In"><wsdl:part name="p" element="tns:E"/></wsdl:message>
  <wsdl:portType name="PT"><wsdl:operation name="${op}"><wsdl:input message="tns:In"/></wsdl:operation></wsdl:portType>
  ${
    binding ||
    `<wsdl:binding name="B" type="tns:PT"><soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="${op}"><wsdl:input>${body}</wsdl:input></wsdl:operation></wsdl:binding>`
  }
  <wsdl:service name="S"><wsdl:port name="P" binding="tns:B"><soap:address location="http://127.0.0.1/x"/></wsdl:port></wsdl:service>`;
  const types = '<wsdl:types><xs:schema targetNamespace="urn:t"><xs:element name="E" type="xs:string"/></xs:schema></wsdl:types>';

  it('reads WS-Addressing imported by its published address from the copy it carries, and keeps that copy among the documents', async () => {
    const withWsa = wsdl(
      `<wsdl:types><xs:schema targetNamespace="urn:t" xmlns:wsa="http://www.w3.org/2005/08/addressing">
<xs:import namespace="http://www.w3.org/2005/08/addressing" schemaLocation="http://www.w3.org/2006/03/addressing/ws-addr.xsd"/>
<xs:element name="E"><xs:complexType><xs:sequence><xs:element ref="wsa:EndpointReference"/></xs:sequence></xs:complexType></xs:element></xs:schema></wsdl:types>` + service(''),
    );
    const { provider, schemas } = await loadAgreement({ spec: await write('wsa.wsdl', withWsa) });
    expect(Object.keys(provider.documents!.files)).toEqual(['accordo-well-known/ws-addr.xsd']);
    expect(provider.documents!.files['accordo-well-known/ws-addr.xsd']).toContain('targetNamespace="http://www.w3.org/2005/08/addressing"');
    expect(schemas.get('EndpointReferenceType')!.schema).toMatchObject({ type: 'object', properties: { Address: expect.anything() } });
  });

  it('does not fetch another remote location: a component it would define is an error naming it, at the reference', async () => {
    const remote = wsdl(
      `<wsdl:types><xs:schema targetNamespace="urn:t" xmlns:r="urn:remote">
<xs:import namespace="urn:remote" schemaLocation="http://203.0.113.9/remote.xsd"/>
<xs:element name="E"><xs:complexType><xs:sequence>\n<xs:element name="x" type="r:T"/></xs:sequence></xs:complexType></xs:element></xs:schema></wsdl:types>` + service(''),
    );
    const path = await write('remote.wsdl', remote);
    const e = await specError(loadAgreement({ spec: path }));
    expect(e.message).toMatch(/type="r:T" \(\{urn:remote\}T\) is not defined \(its namespace is imported from "http:\/\/203.0.113.9\/remote.xsd", which is not fetched/);
    expect([e.file, e.line]).toEqual([path, 6]);
  });

  it('refuses a DOCTYPE with an entity bomb before any expansion', async () => {
    const bomb = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n${wsdl(`<wsdl:documentation>&lol3;</wsdl:documentation>${types}${service('')}`)}`;
    const e = await specError(loadAgreement({ spec: await write('bomb.wsdl', bomb) }));
    expect(e.message).toMatch(/DOCTYPE declarations are refused/);
    expect(e.line).toBe(2);
  });

  it('refuses an external entity (XXE) naming a local file', async () => {
    const secret = await write('secret.txt', 'TOP-SECRET');
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://${secret}">]>\n${wsdl(`<wsdl:documentation>&x;</wsdl:documentation>${types}${service('')}`)}`;
    const e = await specError(loadAgreement({ spec: await write('xxe.wsdl', xxe) }));
    expect(e.message).toMatch(/DOCTYPE/);
    expect(e.message).not.toMatch(/TOP-SECRET/);
  });

  it('stops at absurd nesting with a SpecError, not a crash', async () => {
    const deep = `<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</wsdl:definitions>`;
    const e = await specError(loadAgreement({ spec: await write('deep.wsdl', deep) }));
    expect(e.message).toBe('unreadable XML: Maximum nested tags exceeded');
  });

  it('names a missing import file and the importing line', async () => {
    const path = await write('imports.wsdl', wsdl(`\n\n  <wsdl:import namespace="urn:other" location="missing/other.wsdl"/>${types}${service('')}`));
    const e = await specError(loadAgreement({ spec: path }));
    expect(e.file).toBe(path);
    expect(e.line).toBe(5);
    expect(e.message).toBe(`cannot read location="missing/other.wsdl" (${join(dir, 'missing/other.wsdl')}): file not found`);
    const xsdPath = await write('xsdimport.wsdl', wsdl(`<wsdl:types><xs:schema targetNamespace="urn:t">\n<xs:include schemaLocation="nope.xsd"/></xs:schema></wsdl:types>${service('')}`));
    const e2 = await specError(loadAgreement({ spec: xsdPath }));
    expect([e2.file, e2.line, e2.message]).toEqual([xsdPath, 4, `cannot read schemaLocation="nope.xsd" (${join(dir, 'nope.xsd')}): file not found`]);
  });

  it('reports malformed XML with its line, and a missing spec file', async () => {
    const e = await specError(loadAgreement({ spec: await write('bad.wsdl', '<a>\n<b>\n</a>') }));
    expect(e.message).toMatch(/^malformed XML: /);
    expect(e.line).toBe(3);
    const missing = await specError(loadAgreement({ spec: join(dir, 'absent.wsdl') }));
    expect([missing.message, missing.file]).toEqual(['file not found', join(dir, 'absent.wsdl')]);
  });

  it.each([
    ['not-wsdl.wsdl', '<root/>', /^not a WSDL 1.1 document: the root element is <root>/, 1],
    [
      'encoded.wsdl',
      wsdl(types + service('', 'op', '<soap:body\n use="encoded"/>')),
      /^document\/encoded is not supported for soap:body \(use="encoded"\); only rpc\/encoded bodies and faults are/,
      7,
    ],
    [
      'http-only.wsdl',
      wsdl(
        types +
          service(`<wsdl:binding name="B" type="tns:PT">\n<http:binding xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" verb="POST"/></wsdl:binding>`).replace(
            '<soap:address location="http://127.0.0.1/x"/>',
            '',
          ),
      ),
      /^no SOAP port: binding "B" is not a SOAP 1.1 or 1.2 binding: HTTP GET\/POST binding \(http:binding\)/,
      6,
    ],
    [
      'overloaded.wsdl',
      wsdl(types + service('').replace('</wsdl:portType>', '\n<wsdl:operation name="op"><wsdl:input message="tns:In"/></wsdl:operation></wsdl:portType>')),
      /^overloaded operation "op" \(2 operations with this name in portType "PT"\) is not supported/,
      6,
    ],
    [
      'undefined-type.wsdl',
      wsdl('<wsdl:types><xs:schema targetNamespace="urn:t">\n<xs:element name="E" type="tns:Nope"/></xs:schema></wsdl:types>' + service('')),
      /^XSD type type="tns:Nope" \(\{urn:t\}Nope\) is not defined/,
      4,
    ],
    ['typed-doc-part.wsdl', wsdl(types + service('').replace('element="tns:E"', 'type="xs:string"')), /^part "p" uses type= in a document-style body: it must reference an element/, 4],
    [
      'typed-header.wsdl',
      wsdl(
        types +
          service('', 'op', '<soap:header message="tns:H" part="h" use="literal"/><soap:body use="literal"/>').replace(
            '<wsdl:portType',
            '<wsdl:message name="H">\n<wsdl:part name="h" type="xs:string"/></wsdl:message><wsdl:portType',
          ),
      ),
      /^part "h" uses type= as a soap:header part/,
      6,
    ],
    ['bad-prefix.wsdl', wsdl(types + service('').replace('element="tns:E"', 'element="zz:E"')), /^undeclared namespace prefix "zz" in "zz:E"/, 4],
    [
      'soapenc-array.wsdl',
      wsdl(
        `<wsdl:types><xs:schema targetNamespace="urn:t" xmlns:enc="http://schemas.xmlsoap.org/soap/encoding/"><xs:element name="E"><xs:complexType><xs:complexContent><xs:restriction base="enc:Array">\n<xs:attribute ref="enc:arrayType" wsdl:arrayType="xs:string[,]"/></xs:restriction></xs:complexContent></xs:complexType></xs:element></xs:schema></wsdl:types>` +
          service(''),
      ),
      /^wsdl:arrayType="xs:string\[,\]": arrays of arrays and multi-dimensional SOAP arrays are not supported/,
      4,
    ],
  ])('%s fails with a SpecError naming the construct and line', async (name, text, message, line) => {
    const path = await write(name, text);
    const e = await specError(loadAgreement({ spec: path }));
    expect(e.message).toMatch(message);
    expect([e.file, e.line]).toEqual([path, line]);
  });

  it('loads rpc/literal parts that reference elements (the element is the accessor)', async () => {
    const binding = `<wsdl:binding name="B" type="tns:PT"><soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="op"><wsdl:input><soap:body use="literal"/></wsdl:input></wsdl:operation></wsdl:binding>`;
    const { provider } = await loadAgreement({ spec: await write('rpc-element.wsdl', wsdl(types + service(binding))) });
    const soap = provider.operations[0].soap!;
    expect(soap.style).toBe('rpc');
    // No soap:body namespace: the wrapper takes the binding's target namespace.
    expect(soap.input.wrapper).toEqual({ namespace: 'urn:t', name: 'op' });
    expect(soap.input.body.map((p) => [p.name, p.element, p.type])).toEqual([['p', { namespace: 'urn:t', name: 'E' }, undefined]]);
    expect(provider.operations[0].requestBody!.contents[0].schema).toMatchObject({
      properties: { p: { type: 'string', 'x-xml': { name: 'E', namespace: 'urn:t', order: 0 } } },
      'x-xml': { name: 'op', namespace: 'urn:t' },
    });
  });

  it('reads ISO-8859-1 documents and decodes character references without expanding anything else', async () => {
    const text = wsdl(`<wsdl:documentation>Caff\xe8 &#x263A; &amp;unknown;</wsdl:documentation>${types}${service('')}`).replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>');
    const path = join(dir, 'latin1.wsdl');
    await writeFile(path, Buffer.from(text, 'latin1'));
    const { provider } = await loadAgreement({ spec: path });
    expect(provider.description).toBe('Caffè ☺ &unknown;');
    expect(provider.operations.map((o) => o.pattern.pattern)).toEqual(['ONEWAY']);
  });
});
