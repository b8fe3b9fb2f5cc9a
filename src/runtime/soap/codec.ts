import { TEXT_PROPERTY, XML_KEYWORD, type XmlFacts } from '../../model/xml-facts.js';
import type { JsonSchema } from '../descriptors.js';
import { SOAP11_ENCODING, SOAP12_ENCODING, XSD_NS, valueByXsiType, xsdTypeOf } from './encoded.js';
import { QNameTable, XmlError, attribute, escapeAttr, escapeText, isNil, type XmlElement } from './xml.js';

/**
 * JSON value ⇄ XML, driven by the part schemas and their `x-xml` facts (src/load/wsdl/README.md).
 * Schemas are compiled once into shapes; per message only the tree is walked.
 */

type ScalarType = 'string' | 'integer' | 'number' | 'boolean';

type QName = { namespace: string; name: string };
type Shape =
  | { kind: 'scalar'; types: ScalarType[]; list: boolean; /** the XSD built-in named in `xsi:type` when encoded */ xsd?: string }
  | { kind: 'object'; elements: QNameTable<Prop>; ordered: Prop[]; attrs: Prop[]; text?: Prop; any: boolean }
  | { kind: 'array'; items: JsonSchema; itemShape?: Shape; itemType: QName; type?: QName }
  | { kind: 'any' };

interface Prop {
  key: string;
  name: string;
  ns: string;
  array: boolean;
  nillable: boolean;
  schema: JsonSchema;
  shape?: Shape;
}

const REF = '#/$defs/';

/** Supplies the namespace prefixes of an output document. */
export interface Prefixes {
  prefix(ns: string): string;
}

export class XmlCodec {
  private readonly byKey = new Map<string, Shape>();

  constructor(private readonly defs: Record<string, JsonSchema>) {}

  /** The compiled shape of a schema (cached per named schema, so recursive types are fine). */
  shape(schema: JsonSchema): Shape {
    const ref = schema.$ref;
    if (typeof ref === 'string' && ref.startsWith(REF)) {
      const key = ref.slice(REF.length);
      let s = this.byKey.get(key);
      if (!s) {
        const target = this.defs[key];
        if (!target) throw new Error(`schema ${key} is not defined`);
        // Objects are registered before their properties are read: a type may contain itself.
        if (isObjectSchema(target)) {
          s = { kind: 'object', elements: new QNameTable(), ordered: [], attrs: [], any: false };
          this.byKey.set(key, s);
          this.fillObject(s, target);
        } else {
          s = this.shape(target);
          this.byKey.set(key, s);
        }
      }
      return s;
    }
    const facts = factsOf(schema);
    if (facts.encodedArray) return { kind: 'array', items: (schema.items as JsonSchema | undefined) ?? {}, itemType: facts.encodedArray.itemType, type: facts.encodedArray.type };
    if (facts.list) {
      const items = schema.items as JsonSchema | undefined;
      const inner = items ? this.shape(items) : undefined;
      return { kind: 'scalar', types: inner?.kind === 'scalar' ? inner.types : ['string'], list: true };
    }
    for (const k of ['anyOf', 'oneOf'] as const) {
      const branches = schema[k];
      if (Array.isArray(branches) && branches.some((b) => !isConstraintOnly(b))) {
        const typed = (branches as JsonSchema[]).filter((b) => !isNull(b) && !isConstraintOnly(b));
        if (typed.length === 1) return this.shape(typed[0]);
        const shapes = typed.map((b) => this.shape(b));
        if (shapes.every((s) => s.kind === 'scalar' && !s.list)) return { kind: 'scalar', types: [...new Set(shapes.flatMap((s) => (s as { types: ScalarType[] }).types))], list: false };
        return shapes.find((s) => s.kind === 'object') ?? { kind: 'any' };
      }
    }
    if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return this.shape(schema.allOf[0] as JsonSchema);
    if (isObjectSchema(schema)) {
      const s: Shape = { kind: 'object', elements: new QNameTable(), ordered: [], attrs: [], any: false };
      this.fillObject(s, schema);
      return s;
    }
    const types = scalarTypes(schema);
    return types.length ? { kind: 'scalar', types, list: false, xsd: xsdTypeOf(schema) } : { kind: 'any' };
  }

  private fillObject(s: Extract<Shape, { kind: 'object' }>, schema: JsonSchema): void {
    const facts = factsOf(schema);
    s.any = !!facts.any || (schema.additionalProperties !== undefined && schema.additionalProperties !== false);
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const entries = Object.entries(props).map(([key, prop], i) => ({ key, prop, f: factsOf(prop), i }));
    entries.sort((a, b) => (a.f.order ?? a.i) - (b.f.order ?? b.i));
    for (const { key, prop, f } of entries) {
      const array = !f.list && !f.attribute && !f.encodedArray && isArraySchema(prop);
      const p: Prop = { key, name: f.name ?? key, ns: f.namespace ?? '', array, nillable: !!f.nillable, schema: array ? ((prop.items as JsonSchema) ?? {}) : prop };
      if (f.text || key === TEXT_PROPERTY) s.text = p;
      else if (f.attribute) s.attrs.push(p);
      else {
        s.elements.set(p.ns, p.name, p);
        s.ordered.push(p);
      }
    }
  }

  private propShape(p: Prop): Shape {
    return (p.shape ??= this.shape(p.schema));
  }

  /** The JSON value of an element. */
  decode(el: XmlElement, shape: Shape, nillable: boolean): unknown {
    if (nillable && isNil(el)) return null;
    switch (shape.kind) {
      case 'scalar':
        if (el.children.length) throw new XmlError(`element ${el.name} must have simple content`);
        return scalar(el.text, shape.types, shape.list);
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const p of shape.attrs) {
          const v = attribute(el, p.ns, p.name);
          if (v !== undefined) out[p.key] = scalar(v, scalarOf(this.propShape(p)), listOf(this.propShape(p)));
        }
        // Simple content (with attributes): the text is the value, even when empty.
        if (shape.text && el.children.length === 0) {
          const t = this.propShape(shape.text);
          out[shape.text.key] = scalar(el.text, scalarOf(t), listOf(t));
        }
        // A repeated element comes in a run: its property and its array are looked up once per run.
        let last: Prop | undefined;
        let list: unknown[] | undefined;
        for (const child of el.children) {
          let p: Prop | undefined = last;
          if (p === undefined || child.name !== p.name || child.ns !== p.ns) {
            p = shape.elements.get(child.ns, child.name);
            if (!p) {
              if (shape.any) continue;
              throw new XmlError(`unexpected element ${describe(child)} in ${el.name}`);
            }
            last = p;
            list = undefined;
          }
          const s = this.propShape(p);
          // Most children are plain simple values (no attributes, so not nil): read in place.
          const v = s.kind === 'scalar' && child.attrs.length === 0 && child.children.length === 0 ? scalar(child.text, s.types, s.list) : this.decode(child, s, p.nillable);
          if (p.array) (list ??= (out[p.key] ??= []) as unknown[]).push(v);
          else if (p.key in out) throw new XmlError(`element ${describe(child)} may appear only once in ${el.name}`);
          else out[p.key] = v;
        }
        return out;
      }
      case 'array': {
        // An encoded array: every child is an item, whatever its name (SOAP 1.1 section 5.4.2).
        const item = (shape.itemShape ??= this.shape(shape.items));
        return el.children.map((c) => this.decode(c, item, true));
      }
      case 'any': {
        // Untyped in the schema: rpc/encoded values say their type in xsi:type.
        const typed = el.xsiType ? valueByXsiType(el, (c) => this.decode(c, shape, true)) : undefined;
        return typed !== undefined ? typed : anyValue(el);
      }
    }
  }

  /**
   * An element holding a JSON value, as XML text. With an `encoding` (rpc/encoded) scalars name
   * their type in `xsi:type` and encoded arrays carry their item type and length.
   */
  encode(value: unknown, shape: Shape, tag: string, nillable: boolean, px: Prefixes, encoding?: string): string {
    if (value === null || value === undefined) return nillable || value === null ? `<${tag} xsi:nil="true"/>` : '';
    switch (shape.kind) {
      case 'scalar':
        if (encoding && shape.xsd) return `<${tag} xsi:type="${px.prefix(XSD_NS)}:${shape.xsd}">${escapeText(text(value))}</${tag}>`;
        return `<${tag}>${escapeText(text(value))}</${tag}>`;
      case 'array': {
        const items = Array.isArray(value) ? value : [value];
        const item = (shape.itemShape ??= this.shape(shape.items));
        const enc = encoding ?? SOAP11_ENCODING;
        const itemType = qname(shape.itemType, px);
        const type = shape.type ? qname(shape.type, px) : `${px.prefix(enc)}:Array`;
        const attrs =
          enc === SOAP12_ENCODING
            ? ` xsi:type="${type}" ${px.prefix(enc)}:itemType="${itemType}" ${px.prefix(enc)}:arraySize="${items.length}"`
            : ` xsi:type="${type}" ${px.prefix(enc)}:arrayType="${itemType}[${items.length}]"`;
        let body = '';
        for (const x of items) body += this.encode(x, item, 'item', true, px, encoding);
        return body ? `<${tag}${attrs}>${body}</${tag}>` : `<${tag}${attrs}/>`;
      }
      case 'object': {
        if (typeof value !== 'object') return `<${tag}>${escapeText(text(value))}</${tag}>`;
        const v = value as Record<string, unknown>;
        let attrs = '';
        for (const p of shape.attrs) {
          const a = v[p.key];
          if (a !== undefined && a !== null) attrs += ` ${p.ns ? `${px.prefix(p.ns)}:${p.name}` : p.name}="${escapeAttr(text(a))}"`;
        }
        let body = '';
        if (shape.text) {
          const t = v[shape.text.key];
          if (t !== undefined && t !== null) body += escapeText(text(t));
        }
        for (const p of shape.ordered) {
          const item = v[p.key];
          if (item === undefined) continue;
          const childTag = p.ns ? `${px.prefix(p.ns)}:${p.name}` : p.name;
          const s = this.propShape(p);
          if (p.array && Array.isArray(item)) for (const x of item) body += this.encode(x, s, childTag, p.nillable, px, encoding);
          else body += this.encode(item, s, childTag, p.nillable, px, encoding);
        }
        return body ? `<${tag}${attrs}>${body}</${tag}>` : `<${tag}${attrs}/>`;
      }
      case 'any':
        return `<${tag}>${anyXml(value)}</${tag}>`;
    }
  }
}

export type { Shape };

function qname(q: QName, px: Prefixes): string {
  return q.namespace ? `${px.prefix(q.namespace)}:${q.name}` : q.name;
}

function factsOf(schema: JsonSchema): XmlFacts {
  return (schema[XML_KEYWORD] as XmlFacts | undefined) ?? {};
}

function typesOf(schema: JsonSchema): string[] {
  const t = schema.type;
  return Array.isArray(t) ? (t as string[]) : typeof t === 'string' ? [t] : [];
}

function isObjectSchema(schema: JsonSchema): boolean {
  return typesOf(schema).includes('object') || (!schema.type && !!schema.properties);
}

function isArraySchema(schema: JsonSchema): boolean {
  return typesOf(schema).includes('array');
}

function isNull(schema: unknown): boolean {
  return !!schema && typeof schema === 'object' && (schema as JsonSchema).type === 'null';
}

function isConstraintOnly(schema: unknown): boolean {
  return !!schema && typeof schema === 'object' && Object.keys(schema).every((k) => k === 'required' || k === 'not');
}

function scalarTypes(schema: JsonSchema): ScalarType[] {
  const out = typesOf(schema).filter((t): t is ScalarType => t === 'string' || t === 'integer' || t === 'number' || t === 'boolean');
  if (out.length) return out;
  const values = Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const] : [];
  return [...new Set(values.map((v) => (typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string') as ScalarType))];
}

function scalarOf(shape: Shape): ScalarType[] {
  return shape.kind === 'scalar' ? shape.types : ['string'];
}

function listOf(shape: Shape): boolean {
  return shape.kind === 'scalar' && shape.list;
}

/** `/^[+-]?\d+$/` as a scan: integers are short, and a regular expression costs a runtime call each. */
function isInteger(t: string): boolean {
  let i = t.charCodeAt(0) === 43 || t.charCodeAt(0) === 45 ? 1 : 0;
  if (i === t.length) return false;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Text to a JSON scalar of one of the types; text that fits none stays text, for the validator to name. */
function scalar(raw: string, types: ScalarType[], list: boolean): unknown {
  if (list)
    return raw
      .split(/\s+/)
      .filter(Boolean)
      .map((item) => scalar(item, types, false));
  if (types.length === 1 && types[0] === 'string') return raw;
  const t = raw.trim();
  for (const type of types) {
    if (type === 'integer' && isInteger(t)) return Number(t);
    if (type === 'number' && NUMBER.test(t)) return Number(t);
    if (type === 'boolean' && (t === 'true' || t === '1' || t === 'false' || t === '0')) return t === 'true' || t === '1';
  }
  return types.includes('string') ? raw : t;
}

function text(value: unknown): string {
  if (Array.isArray(value)) return value.map(text).join(' ');
  return typeof value === 'string' ? value : String(value);
}

function describe(el: XmlElement): string {
  return el.ns ? `{${el.ns}}${el.name}` : el.name;
}

/** `xs:anyType` content: text, or an object of the children by local name. */
function anyValue(el: XmlElement): unknown {
  if (el.children.length === 0) return el.text;
  const out: Record<string, unknown> = {};
  for (const c of el.children) {
    const v = anyValue(c);
    const prev = out[c.name];
    out[c.name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function anyXml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return escapeText(text(value));
  let out = '';
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!/^[A-Za-z_][\w.-]*$/.test(k)) continue;
    for (const item of Array.isArray(v) ? v : [v]) out += `<${k}>${anyXml(item)}</${k}>`;
  }
  return out;
}
