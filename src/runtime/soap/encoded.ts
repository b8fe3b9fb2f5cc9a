/**
 * rpc/encoded messages (SOAP 1.1 section 5, SOAP 1.2 part 2 section 3): what differs from literal
 * use once the XML is parsed. Values are still read by their schema (codec.ts): `xsi:type` names
 * the declared type in the messages peers send, and is followed where the schema leaves a value
 * untyped (`valueByXsiType`); an encoded array is one element whose children are
 * the items (codec.ts, shape `array`); and a value may be written once and referenced from several
 * accessors (multi-ref: `href="#id"` → `id="id"` in SOAP 1.1, `enc:ref` → `enc:id` in SOAP 1.2),
 * which `inlineMultiRefs` resolves before the codec reads the Body.
 */
import { XmlError, attribute, type XmlElement } from './xml.js';

export const SOAP11_ENCODING = 'http://schemas.xmlsoap.org/soap/encoding/';
export const SOAP12_ENCODING = 'http://www.w3.org/2003/05/soap-encoding';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';

/**
 * At most this many times the elements the Body holds may be produced by inlining references: a
 * graph that shares values (a referenced value that references two others, and so on) would
 * otherwise expand exponentially, the billion laughs of SOAP encoding.
 */
const EXPANSION_FACTOR = 8;

/**
 * The Body with every reference replaced by the value it names (the referring element keeps its
 * name, takes the value's attributes, text and children) and the independent elements that only
 * held referenced values (top-level elements with an id, SOAP 1.1 `root="0"`) dropped. A reference
 * to an unknown id, a cycle (a value that contains itself: graphs with cycles have no JSON form),
 * or an expansion past EXPANSION_FACTOR times the Body's size is the sender's fault.
 */
export function inlineMultiRefs(body: XmlElement, encoding: string): XmlElement {
  const soap12 = encoding === SOAP12_ENCODING;
  const idOf = (el: XmlElement) => (soap12 ? attribute(el, SOAP12_ENCODING, 'id') : attribute(el, '', 'id'));
  const refOf = (el: XmlElement): string | undefined => {
    if (soap12) return attribute(el, SOAP12_ENCODING, 'ref');
    const href = attribute(el, '', 'href');
    if (href === undefined) return undefined;
    if (!href.startsWith('#')) throw new XmlError(`href="${href}" does not name a value of this message (only "#id" references are read)`);
    return href.slice(1);
  };
  const ids = new Map<string, XmlElement>();
  let refs = 0;
  let size = 0;
  const index = (el: XmlElement) => {
    size++;
    const id = idOf(el);
    if (id !== undefined) {
      if (ids.has(id)) throw new XmlError(`two values have id="${id}"`);
      ids.set(id, el);
    }
    if (refOf(el) !== undefined) refs++;
    for (const c of el.children) index(c);
  };
  for (const c of body.children) index(c);
  if (refs === 0 && ids.size === 0) return body;

  let budget = size * EXPANSION_FACTOR;
  const inline = (el: XmlElement, within: readonly XmlElement[]): XmlElement => {
    if (--budget < 0) throw new XmlError(`the multi-ref values expand to more than ${EXPANSION_FACTOR} times the elements of the message`);
    const ref = refOf(el);
    if (ref === undefined) return el.children.length ? { ...el, children: el.children.map((c) => inline(c, within)) } : el;
    const target = ids.get(ref);
    if (!target) throw new XmlError(`reference "${ref}" on ${el.name} names no value with that id`);
    if (within.includes(target)) throw new XmlError(`value "${ref}" contains itself: multi-ref graphs with cycles are not supported`);
    const inner = [...within, target];
    const isRefAttr = (a: { ns: string; name: string }) => (soap12 ? a.ns === SOAP12_ENCODING && a.name === 'ref' : a.ns === '' && a.name === 'href');
    const isIdAttr = (a: { ns: string; name: string }) => (soap12 ? a.ns === SOAP12_ENCODING && a.name === 'id' : a.ns === '' && a.name === 'id');
    const xsiType = target.xsiType ?? el.xsiType;
    return {
      ns: el.ns,
      name: el.name,
      attrs: [...el.attrs.filter((a) => !isRefAttr(a)), ...target.attrs.filter((a) => !isIdAttr(a))],
      children: target.children.map((c) => inline(c, inner)),
      text: target.text,
      ...(xsiType ? { xsiType } : {}),
    };
  };
  // Serialization roots stay; independent elements (an id, or root="0") only held referenced values.
  const roots = body.children.filter((c) => {
    const root = attribute(c, encoding, 'root');
    return root === '1' || root === 'true' || (root === undefined && idOf(c) === undefined);
  });
  return { ...body, children: roots.map((c) => inline(c, [])) };
}

/**
 * The JSON value of an element the schema leaves untyped (`xs:anyType`, the items of a plain
 * `soapenc:Array`), as its `xsi:type` says: an XSD number or boolean, an encoded array (its
 * children, each read the same way), else undefined (the caller reads it as any content).
 */
export function valueByXsiType(el: XmlElement, untyped: (el: XmlElement) => unknown): unknown {
  const t = el.xsiType;
  if (!t || (el.children.length && t.ns === XSD_NS)) return undefined;
  if ((t.ns === SOAP11_ENCODING || t.ns === SOAP12_ENCODING) && t.name === 'Array') return el.children.map(untyped);
  if (t.ns !== XSD_NS) return undefined;
  const text = el.text.trim();
  if (t.name === 'boolean') return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : el.text;
  if (NUMERIC.has(t.name) && /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return Number(text);
  return el.text;
}

const NUMERIC = new Set([
  'int',
  'integer',
  'long',
  'short',
  'byte',
  'decimal',
  'float',
  'double',
  'nonNegativeInteger',
  'positiveInteger',
  'nonPositiveInteger',
  'negativeInteger',
  'unsignedLong',
  'unsignedInt',
  'unsignedShort',
  'unsignedByte',
]);

/** The XML Schema built-in an encoder names in `xsi:type` for a scalar schema of the agreement. */
export function xsdTypeOf(schema: Record<string, unknown>): string | undefined {
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
      return schema.format === 'int64' ? 'long' : schema.format === 'int32' ? 'int' : 'integer';
    case 'number':
      return schema.format === 'float' ? 'float' : schema.format === 'double' ? 'double' : 'decimal';
    case 'string':
      if (schema.contentEncoding === 'base64') return 'base64Binary';
      if (schema.format === 'iso-date-time') return 'dateTime';
      if (schema.format === 'iso-time') return 'time';
      return 'string';
    default:
      return undefined;
  }
}
