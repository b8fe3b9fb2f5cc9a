// The rpc/encoded parts of the SOAP runtime on their own: multi-ref values put in place in SOAP 1.1
// (href/id) and SOAP 1.2 (enc:ref/enc:id), a sharing graph that would expand exponentially refused
// before it does, and encoded arrays written the way each encoding says.
import { describe, expect, it } from 'vitest';
import { XmlCodec } from '../src/runtime/soap/codec.js';
import { SOAP11_ENCODING, SOAP12_ENCODING, inlineMultiRefs } from '../src/runtime/soap/encoded.js';
import { PrefixMap } from '../src/runtime/soap/envelope.js';
import { rewriteWsdl } from '../src/runtime/soap/wsdl.js';
import { XmlError, parseXml, type XmlElement } from '../src/runtime/soap/xml.js';

const body = (inner: string, encNs: string) => parseXml(`<Body xmlns:enc="${encNs}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${inner}</Body>`);
const names = (el: XmlElement): unknown => (el.children.length ? { [el.name]: el.children.map(names) } : `${el.name}=${el.text}`);

const STRINGS = { type: 'array', items: { type: 'string' }, 'x-xml': { encodedArray: { itemType: { namespace: 'http://www.w3.org/2001/XMLSchema', name: 'string' } } } };

describe('multi-ref values', () => {
  it('SOAP 1.1: href="#id" takes the value of the top-level id element, which is dropped; a value shared twice is copied twice', () => {
    const out = inlineMultiRefs(body('<op><a href="#v"/><b href="#v"/></op><multiRef id="v" enc:root="0"><x>1</x></multiRef>', SOAP11_ENCODING), SOAP11_ENCODING);
    expect(out.children.map(names)).toEqual([{ op: [{ a: ['x=1'] }, { b: ['x=1'] }] }]);
  });

  it('SOAP 1.2: enc:ref names an enc:id anywhere in the graph', () => {
    const out = inlineMultiRefs(body('<op><a enc:id="v"><x>2</x></a><b enc:ref="v"/></op>', SOAP12_ENCODING), SOAP12_ENCODING);
    expect(out.children.map(names)).toEqual([{ op: [{ a: ['x=2'] }, { b: ['x=2'] }] }]);
  });

  it('refuses a graph whose shared values would expand exponentially, before expanding it', () => {
    // v0 refers to v1 twice, v1 to v2 twice... 2^40 elements once expanded.
    const levels = Array.from({ length: 40 }, (_, i) => `<multiRef id="v${i}" enc:root="0"><l href="#v${i + 1}"/><r href="#v${i + 1}"/></multiRef>`).join('');
    const xml = body(`<op><a href="#v0"/></op>${levels}<multiRef id="v40" enc:root="0">leaf</multiRef>`, SOAP11_ENCODING);
    expect(() => inlineMultiRefs(xml, SOAP11_ENCODING)).toThrow(XmlError);
    expect(() => inlineMultiRefs(xml, SOAP11_ENCODING)).toThrow(/expand to more than 8 times the elements of the message/);
  });

  it('refuses a reference outside the message and two values with one id', () => {
    expect(() => inlineMultiRefs(body('<op><a href="http://203.0.113.9/x"/></op>', SOAP11_ENCODING), SOAP11_ENCODING)).toThrow(/only "#id" references are read/);
    expect(() => inlineMultiRefs(body('<op><a id="d"/><b id="d"/></op>', SOAP11_ENCODING), SOAP11_ENCODING)).toThrow(/two values have id="d"/);
  });
});

describe('encoded arrays', () => {
  const codec = new XmlCodec({});
  const shape = codec.shape(STRINGS);

  it('reads every child as an item, whatever its name', () => {
    const el = parseXml('<codici><item>a</item><x:s xmlns:x="urn:x">b</x:s><v>c</v></codici>');
    expect(codec.decode(el, shape, false)).toEqual(['a', 'b', 'c']);
  });

  it('reads the items of an untyped array (plain soapenc:Array) by their xsi:type, prefixes resolved where they are declared', () => {
    const untyped = codec.shape({ type: 'array', items: {}, 'x-xml': { encodedArray: { itemType: { namespace: 'http://www.w3.org/2001/XMLSchema', name: 'anyType' } } } });
    const el = parseXml(
      '<v xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:s="http://www.w3.org/2001/XMLSchema"><i xsi:type="s:int">3</i><i xsi:type="s:boolean">true</i>' +
        '<i xmlns:q="http://www.w3.org/2001/XMLSchema" xsi:type="q:double">2.5</i><i xsi:type="s:string">007</i><i xmlns:e="http://schemas.xmlsoap.org/soap/encoding/" xsi:type="e:Array"><j xsi:type="s:long">9</j></i><i>plain</i></v>',
    );
    expect(codec.decode(el, untyped, false)).toEqual([3, true, 2.5, '007', [9], 'plain']);
  });

  it('writes SOAP 1.1 soapenc:arrayType with the length, SOAP 1.2 enc:itemType and enc:arraySize', () => {
    const px11 = new PrefixMap();
    expect(codec.encode(['a', 'b'], shape, 'codici', false, px11, SOAP11_ENCODING)).toBe(
      '<codici xsi:type="ns1:Array" ns1:arrayType="ns0:string[2]"><item xsi:type="ns0:string">a</item><item xsi:type="ns0:string">b</item></codici>',
    );
    expect(px11.declarations()).toBe(` xmlns:ns0="http://www.w3.org/2001/XMLSchema" xmlns:ns1="${SOAP11_ENCODING}"`);
    const px12 = new PrefixMap();
    expect(codec.encode(['a'], shape, 'codici', false, px12, SOAP12_ENCODING)).toBe(
      '<codici xsi:type="ns1:Array" ns1:itemType="ns0:string" ns1:arraySize="1"><item xsi:type="ns0:string">a</item></codici>',
    );
  });
});

describe('?wsdl and the well-known copies', () => {
  const docs = { main: '', files: { 'accordo-well-known/soap-encoding.xsd': '<xs:schema/>' } };
  const self = 'http://127.0.0.1:8080/x';
  const served = `${self}?xsd=accordo-well-known%2Fsoap-encoding.xsd`;

  it('points an import by the published address, or by namespace alone, at the served copy; leaves other imports alone', () => {
    const text =
      '<xsd:import namespace="http://schemas.xmlsoap.org/soap/encoding/" schemaLocation="http://schemas.xmlsoap.org/soap/encoding/"/>' +
      '<import namespace="http://schemas.xmlsoap.org/soap/encoding/"/>' +
      '<xsd:import namespace="urn:other" schemaLocation="http://203.0.113.9/other.xsd"/>';
    expect(rewriteWsdl(text, '', self, self, docs)).toBe(
      `<xsd:import namespace="http://schemas.xmlsoap.org/soap/encoding/" schemaLocation="${served}"/>` +
        `<import namespace="http://schemas.xmlsoap.org/soap/encoding/" schemaLocation="${served}"/>` +
        '<xsd:import namespace="urn:other" schemaLocation="http://203.0.113.9/other.xsd"/>',
    );
  });

  it('adds nothing when the documents carry no copy', () => {
    const text = '<import namespace="http://schemas.xmlsoap.org/soap/encoding/"/>';
    expect(rewriteWsdl(text, '', self, self, { main: '', files: {} })).toBe(text);
  });
});
