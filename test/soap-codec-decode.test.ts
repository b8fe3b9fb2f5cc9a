// The document/literal decoder of the SOAP runtime on its own: a complex type's children read into
// its properties, repeated elements gathered into their arrays however they are interleaved, plain
// simple values read in place and the others (nil, attributes, element content) by their shape.
import { describe, expect, it } from 'vitest';
import { XmlCodec } from '../src/runtime/soap/codec.js';
import { XmlError, parseXml } from '../src/runtime/soap/xml.js';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const defs = {
  Item: {
    type: 'object',
    properties: {
      code: { type: 'string', 'x-xml': { name: 'code', attribute: true } },
      $text: { type: 'integer', 'x-xml': { text: true } },
    },
  },
  Order: {
    type: 'object',
    properties: {
      qty: { type: 'array', items: { type: ['integer', 'null'] }, 'x-xml': { name: 'qty', order: 0, nillable: true } },
      note: { type: 'string', 'x-xml': { name: 'note', order: 1 } },
      flag: { type: 'boolean', 'x-xml': { name: 'flag', order: 2 } },
      item: { type: 'array', items: { $ref: '#/$defs/Item' }, 'x-xml': { name: 'item', order: 3 } },
    },
    additionalProperties: false,
  },
};
const codec = new XmlCodec(defs);
const order = codec.shape({ $ref: '#/$defs/Order' });
const decode = (inner: string) => codec.decode(parseXml(`<Order xmlns:xsi="${XSI}">${inner}</Order>`), order, false);

describe('XmlCodec.decode', () => {
  it('reads plain simple values by their type, and gathers a repeated element into one array in document order', () => {
    expect(decode('<qty>1</qty><qty> 2 </qty><qty>3</qty><note> kept as written </note><flag>1</flag>')).toEqual({ qty: [1, 2, 3], note: ' kept as written ', flag: true });
  });

  it('keeps one array per repeated element when other elements come between its occurrences', () => {
    expect(decode('<qty>1</qty><note>n</note><qty>2</qty><item>5</item><qty>3</qty><item code="x">6</item>')).toEqual({
      qty: [1, 2, 3],
      note: 'n',
      item: [{ $text: 5 }, { code: 'x', $text: 6 }],
    });
  });

  it('reads a nil item as null among the plain ones, and text that fits no type as text for the validator', () => {
    expect(decode('<qty>1</qty><qty xsi:nil="true"/><qty>two</qty>')).toEqual({ qty: [1, null, 'two'] });
  });

  it('still refuses element content where a simple value is declared, an undeclared element and a single element twice', () => {
    expect(() => decode('<qty>1</qty><qty><x>2</x></qty>')).toThrow(new XmlError('element qty must have simple content'));
    expect(() => decode('<qty>1</qty><other>2</other>')).toThrow(/unexpected element other in Order/);
    expect(() => decode('<note>a</note><qty>1</qty><note>b</note>')).toThrow(/element note may appear only once in Order/);
    expect(() => decode('<note>a</note><note>b</note>')).toThrow(/element note may appear only once in Order/);
  });
});
