import type { JsonSchema } from '../../model/agreement.js';
import { refKey, schemaRef } from '../../model/agreement.js';
import type { SchemaRegistry } from '../../model/schemas.js';
import { TEXT_PROPERTY, XML_KEYWORD, type XmlFacts } from '../../model/xml-facts.js';
import { SpecError } from '../errors.js';
import { type Component, type SchemaDoc, type WsdlSet, type XsdKind, XSD_NS, schemaQName } from './documents.js';
import { type QName, type XmlElement, childOf, pathOf, qkey } from './xml.js';

export const SOAP_ENCODING_NS = 'http://schemas.xmlsoap.org/soap/encoding/';
export const SOAP12_ENCODING_NS = 'http://www.w3.org/2003/05/soap-encoding';

const isEncodingNs = (ns: string): boolean => ns === SOAP_ENCODING_NS || ns === SOAP12_ENCODING_NS;

const int = (min: number, max: number, format?: string): JsonSchema => ({ type: 'integer', ...(format ? { format } : {}), minimum: min, maximum: max });
const BUILTINS: Record<string, JsonSchema> = {
  string: { type: 'string' },
  normalizedString: { type: 'string' },
  token: { type: 'string' },
  language: { type: 'string' },
  Name: { type: 'string' },
  NCName: { type: 'string' },
  NMTOKEN: { type: 'string' },
  NMTOKENS: { type: 'string' },
  ID: { type: 'string' },
  IDREF: { type: 'string' },
  IDREFS: { type: 'string' },
  ENTITY: { type: 'string' },
  ENTITIES: { type: 'string' },
  QName: { type: 'string' },
  NOTATION: { type: 'string' },
  anyURI: { type: 'string' },
  anySimpleType: { type: 'string' },
  anyType: {},
  boolean: { type: 'boolean' },
  decimal: { type: 'number' },
  float: { type: 'number', format: 'float' },
  double: { type: 'number', format: 'double' },
  integer: { type: 'integer' },
  long: { type: 'integer', format: 'int64' },
  int: { type: 'integer', format: 'int32' },
  short: int(-32768, 32767),
  byte: int(-128, 127),
  nonNegativeInteger: { type: 'integer', minimum: 0 },
  positiveInteger: { type: 'integer', minimum: 1 },
  nonPositiveInteger: { type: 'integer', maximum: 0 },
  negativeInteger: { type: 'integer', maximum: -1 },
  unsignedLong: { type: 'integer', minimum: 0 },
  unsignedInt: int(0, 4294967295),
  unsignedShort: int(0, 65535),
  unsignedByte: int(0, 255),
  // XSD dates and times may omit the time zone (and xs:date may carry one), which the RFC 3339
  // formats `date-time`, `time` and `date` refuse: ajv-formats' iso-* formats and a pattern accept both.
  dateTime: { type: 'string', format: 'iso-date-time' },
  date: { type: 'string', pattern: '^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?$' },
  time: { type: 'string', format: 'iso-time' },
  duration: { type: 'string' },
  gYear: { type: 'string' },
  gYearMonth: { type: 'string' },
  gMonth: { type: 'string' },
  gMonthDay: { type: 'string' },
  gDay: { type: 'string' },
  base64Binary: { type: 'string', contentEncoding: 'base64' },
  hexBinary: { type: 'string', pattern: '^(?:[0-9a-fA-F]{2})*$' },
};

interface ElementParticle {
  kind: 'element';
  name: string;
  namespace: string;
  min: number;
  max: number;
  nillable: boolean;
  value: JsonSchema;
}
interface AnyParticle {
  kind: 'any';
  min: number;
  max: number;
}
interface Group {
  kind: 'sequence' | 'choice' | 'all';
  min: number;
  max: number;
  items: Particle[];
}
type Particle = ElementParticle | AnyParticle | Group;

interface Attribute {
  name: string;
  namespace: string;
  required: boolean;
  prohibited: boolean;
  schema: JsonSchema;
}

/** A complex type's content, kept apart from its JSON Schema so that extensions can build on it. */
interface Model {
  content?: Group;
  attributes: Attribute[];
  anyAttribute: boolean;
  /** Simple content: the schema of the character data. */
  text?: JsonSchema;
  mixed: boolean;
}

const EMPTY: Model = { attributes: [], anyAttribute: false, mixed: false };

/**
 * Converts XML Schema components into JSON Schema 2020-12 with `x-xml` annotations, on demand:
 * only what the operations reach is converted (and registered as named schemas), so broken or
 * unsupported corners of a large schema that no operation uses cannot stop a load.
 */
export class XsdConverter {
  private readonly models = new Map<string, Model>();
  /** Resolved simple types by declaring element and target namespace (chameleon includes can give one declaration two). */
  private readonly simples = new Map<XmlElement, Map<string, JsonSchema>>();
  private readonly inProgress = new Set<unknown>();

  constructor(
    private readonly set: WsdlSet,
    private readonly registry: SchemaRegistry,
  ) {}

  /** A global element as a message part: its value schema, annotated with its name. */
  element(q: QName, from: XmlElement, attr: string): { schema: JsonSchema; nillable: boolean } {
    const comp = this.lookup('element', q, from, attr);
    const nillable = comp.el.attrs.nillable === 'true';
    const value = this.globalElementValue(comp);
    return { schema: annotate(nillable ? nullable(value) : value, { name: q.name, ...(q.namespace ? { namespace: q.namespace } : {}), ...(nillable ? { nillable: true } : {}) }), nillable };
  }

  /** A named or built-in type (an rpc part's `type=`). */
  type(q: QName, from: XmlElement, attr: string): JsonSchema {
    return this.typeRef(q, from, attr);
  }

  private fail(el: XmlElement, message: string): never {
    throw new SpecError(message, el.doc.file, undefined, el.line);
  }

  private lookup(kind: XsdKind, q: QName, from: XmlElement, attr: string): Component {
    const comp = this.set.xsdComponent(kind, q);
    if (comp) return comp;
    const what = kind === 'type' ? 'type' : kind;
    const remote = this.set.remote.get(q.namespace);
    const hint = remote ? ` (its namespace is imported from "${remote}", which is not fetched: save it next to the WSDL and use a relative location)` : '';
    this.fail(from, `XSD ${what} ${attr}="${from.attrs[attr]}" ({${q.namespace}}${q.name}) is not defined${hint}`);
  }

  private origin(kind: string, comp: Component): string {
    return `${comp.el.doc.file}|${kind}${qkey({ namespace: comp.tns, name: comp.el.attrs.name })}`;
  }

  private location(el: XmlElement) {
    return { file: el.doc.file, pointer: pathOf(el), line: el.line };
  }

  /** A `type=` reference: a built-in's schema, or a `$ref` to the registered named type. */
  private typeRef(q: QName, from: XmlElement, attr: string): JsonSchema {
    if (q.namespace === XSD_NS) {
      const builtin = BUILTINS[q.name];
      if (!builtin) this.fail(from, `unknown XML Schema built-in type ${attr}="${from.attrs[attr]}"`);
      return structuredClone(builtin);
    }
    if (isEncodingNs(q.namespace)) return this.encodingType(q, from, attr);
    const comp = this.lookup('type', q, from, attr);
    const { key, fresh } = this.registry.reserve(this.origin('type', comp), comp.el.attrs.name);
    if (!fresh) return schemaRef(key);
    const schema =
      comp.el.local === 'complexType'
        ? (this.encodedArray(comp.el, comp.schema!, { namespace: comp.tns, name: comp.el.attrs.name }) ?? this.modelSchema(this.namedModel(comp, from)))
        : this.simpleSchema(comp.el, comp.schema!);
    return schemaRef(this.registry.define(key, comp.el.attrs.name, schema, this.location(comp.el), documentation(comp.el)));
  }

  private globalElementValue(comp: Component): JsonSchema {
    const el = comp.el;
    const inline = el.children.find((c) => c.ns === XSD_NS && (c.local === 'complexType' || c.local === 'simpleType'));
    if (!inline) return this.elementValue(el, comp.schema!);
    // An anonymous type of a global element becomes a named schema called after the element.
    const { key, fresh } = this.registry.reserve(this.origin('element', comp), el.attrs.name);
    if (!fresh) return schemaRef(key);
    return schemaRef(this.registry.define(key, el.attrs.name, this.elementValue(el, comp.schema!), this.location(el), documentation(el)));
  }

  /** The value schema of an element declaration (type reference, inline type or anyType). */
  private elementValue(el: XmlElement, sd: SchemaDoc): JsonSchema {
    let schema: JsonSchema;
    const ct = childOf(el, XSD_NS, 'complexType');
    const st = childOf(el, XSD_NS, 'simpleType');
    if (el.attrs.type !== undefined) schema = this.typeRef(schemaQName(el, el.attrs.type, sd), el, 'type');
    else if (ct) schema = this.encodedArray(ct, sd) ?? this.modelSchema(this.complexModel(ct, sd));
    else if (st) schema = this.simpleSchema(st, sd);
    else {
      const stray = el.children.find((c) => c.ns === XSD_NS && ['sequence', 'choice', 'all'].includes(c.local));
      if (stray) this.fail(stray, `invalid XSD: xs:${stray.local} directly inside xs:element "${el.attrs.name}" (it belongs in an xs:complexType)`);
      schema = {};
    }
    if (el.attrs.fixed !== undefined) schema = { ...schema, const: this.literal(schema, el.attrs.fixed) };
    else if (el.attrs.default !== undefined) schema = { ...schema, default: this.literal(schema, el.attrs.default) };
    return schema;
  }

  /**
   * A type of the SOAP encoding namespace itself: `soapenc:Array` (items of any type), or one of
   * its wrappers of the XSD built-ins (`soapenc:string`, ...), which carry the same values.
   */
  private encodingType(q: QName, from: XmlElement, attr: string): JsonSchema {
    if (q.name === 'Array') return { type: 'array', items: {}, [XML_KEYWORD]: { encodedArray: { itemType: { namespace: XSD_NS, name: 'anyType' } } } };
    const builtin = BUILTINS[q.name];
    if (!builtin) this.fail(from, `SOAP encoding type ${attr}="${from.attrs[attr]}" ({${q.namespace}}${q.name}) is not supported (only Array and the wrappers of the XML Schema built-ins)`);
    return structuredClone(builtin);
  }

  /**
   * A complex type derived from `soapenc:Array` (SOAP 1.1 section 5.4.2): a JSON array whose item
   * type is the `wsdl:arrayType` of its `soapenc:arrayType` attribute (`xsd:string[]`), or else
   * the type of the element its content declares; undefined when the type is not such an array.
   */
  private encodedArray(ct: XmlElement, sd: SchemaDoc, type?: QName): JsonSchema | undefined {
    const content = childOf(ct, XSD_NS, 'complexContent');
    const d = content?.children.find((c) => c.ns === XSD_NS && (c.local === 'restriction' || c.local === 'extension'));
    if (!d || d.attrs.base === undefined) return undefined;
    const base = schemaQName(d, d.attrs.base, sd);
    if (!isEncodingNs(base.namespace) || base.name !== 'Array') return undefined;
    let itemType: QName | undefined;
    let from: XmlElement = d;
    for (const a of d.children.filter((c) => c.ns === XSD_NS && c.local === 'attribute')) {
      const declared = Object.entries(a.attrs).find(([k]) => k === 'arrayType' || k.endsWith(':arrayType'));
      if (!declared) continue;
      const m = /^\s*([^\s[]+)\s*((?:\[[^\]]*\]\s*)+)$/.exec(declared[1]);
      if (!m) this.fail(a, `wsdl:arrayType="${declared[1]}" is not a type followed by [] (SOAP 1.1 section 5.4.2)`);
      if (m![2].replace(/\s/g, '') !== '[]' && !/^\[\d*\]$/.test(m![2].trim())) {
        this.fail(a, `wsdl:arrayType="${declared[1]}": arrays of arrays and multi-dimensional SOAP arrays are not supported`);
      }
      itemType = schemaQName(a, m![1], sd);
      from = a;
    }
    if (!itemType) {
      const element = d.children.find((c) => c.ns === XSD_NS && c.local === 'sequence')?.children.find((c) => c.ns === XSD_NS && c.local === 'element' && c.attrs.type !== undefined);
      if (element) {
        itemType = schemaQName(element, element.attrs.type!, sd);
        from = element;
      }
    }
    itemType ??= { namespace: XSD_NS, name: 'anyType' };
    return { type: 'array', items: this.typeRefOf(itemType, from), [XML_KEYWORD]: { encodedArray: { itemType, ...(type ? { type } : {}) } } };
  }

  /** `typeRef` for a QName not read from one attribute (an array's item type). */
  private typeRefOf(q: QName, from: XmlElement): JsonSchema {
    const attr = Object.keys(from.attrs).find((k) => k === 'type' || k.endsWith(':arrayType')) ?? 'type';
    return this.typeRef(q, from, attr);
  }

  private namedModel(comp: Component, from: XmlElement): Model {
    const key = this.origin('type', comp);
    const known = this.models.get(key);
    if (known) return known;
    if (this.inProgress.has(key)) this.fail(from, `circular type derivation through "${comp.el.attrs.name}"`);
    this.inProgress.add(key);
    const model = comp.el.local === 'complexType' ? this.complexModel(comp.el, comp.schema!) : { ...EMPTY, text: this.simpleSchema(comp.el, comp.schema!) };
    this.inProgress.delete(key);
    this.models.set(key, model);
    return model;
  }

  /** The model of a base type for extension/restriction. */
  private baseModel(derivation: XmlElement, sd: SchemaDoc): Model {
    const base = derivation.attrs.base;
    if (base === undefined) this.fail(derivation, `xs:${derivation.local} without base`);
    const q = schemaQName(derivation, base, sd);
    if (isEncodingNs(q.namespace) && q.name === 'Array') {
      this.fail(derivation, `a type derived from a SOAP-encoded array (xs:${derivation.local} of soapenc:Array) with content of its own is not supported`);
    }
    if (q.namespace === XSD_NS) {
      if (q.name === 'anyType') return EMPTY;
      return { ...EMPTY, text: this.typeRef(q, derivation, 'base') };
    }
    const comp = this.lookup('type', q, derivation, 'base');
    if (comp.el.local === 'simpleType') return { ...EMPTY, text: this.typeRef(q, derivation, 'base') };
    return this.namedModel(comp, derivation);
  }

  private complexModel(ct: XmlElement, sd: SchemaDoc): Model {
    let model: Model = { attributes: [], anyAttribute: false, mixed: ct.attrs.mixed === 'true' };
    for (const child of ct.children) {
      if (child.ns !== XSD_NS) continue;
      switch (child.local) {
        case 'sequence':
        case 'choice':
        case 'all':
        case 'group':
          model.content = this.group(child, sd);
          break;
        case 'attribute':
        case 'attributeGroup':
        case 'anyAttribute':
          this.attributes(child, sd, model);
          break;
        case 'complexContent':
        case 'simpleContent': {
          const derivation = child.children.find((c) => c.ns === XSD_NS && (c.local === 'extension' || c.local === 'restriction'));
          if (!derivation) this.fail(child, `xs:${child.local} without xs:extension or xs:restriction`);
          model = this.derive(child.local === 'simpleContent', derivation, sd, model.mixed || child.attrs.mixed === 'true');
          break;
        }
      }
    }
    return model;
  }

  private derive(simple: boolean, d: XmlElement, sd: SchemaDoc, mixed: boolean): Model {
    const base = this.baseModel(d, sd);
    const own: Model = { attributes: [], anyAttribute: false, mixed };
    for (const child of d.children) {
      if (child.ns !== XSD_NS) continue;
      if (['sequence', 'choice', 'all', 'group'].includes(child.local)) own.content = this.group(child, sd);
      else if (['attribute', 'attributeGroup', 'anyAttribute'].includes(child.local)) this.attributes(child, sd, own);
    }
    const attributes = mergeAttributes(base.attributes, own.attributes);
    const anyAttribute = base.anyAttribute || own.anyAttribute;
    if (simple) {
      let text = base.text ?? { type: 'string' };
      if (d.local === 'restriction') {
        const inline = childOf(d, XSD_NS, 'simpleType');
        text = this.facets(inline ? this.simpleSchema(inline, sd) : text, d);
      }
      return { attributes, anyAttribute, text, mixed: false };
    }
    if (d.local === 'restriction') return { content: own.content, attributes, anyAttribute, mixed };
    const parts = [base.content, own.content].filter((g): g is Group => !!g);
    const content = parts.length > 1 ? { kind: 'sequence' as const, min: 1, max: 1, items: parts } : parts[0];
    return { content, attributes, anyAttribute, mixed: mixed || base.mixed, text: base.text };
  }

  private occurs(el: XmlElement): { min: number; max: number } {
    const min = el.attrs.minOccurs === undefined ? 1 : Number(el.attrs.minOccurs);
    const max = el.attrs.maxOccurs === undefined ? 1 : el.attrs.maxOccurs === 'unbounded' ? Infinity : Number(el.attrs.maxOccurs);
    if (!Number.isInteger(min) || min < 0 || !(max === Infinity || (Number.isInteger(max) && max >= 0))) {
      this.fail(el, `invalid minOccurs/maxOccurs on xs:${el.local}`);
    }
    return { min, max };
  }

  private group(el: XmlElement, sd: SchemaDoc): Group {
    const { min, max } = this.occurs(el);
    if (el.local === 'group') {
      if (el.attrs.ref === undefined) this.fail(el, 'xs:group without ref inside a content model');
      const comp = this.lookup('group', schemaQName(el, el.attrs.ref, sd), el, 'ref');
      const inner = comp.el.children.find((c) => c.ns === XSD_NS && ['sequence', 'choice', 'all'].includes(c.local));
      if (!inner) return { kind: 'sequence', min, max, items: [] };
      const g = this.group(inner, comp.schema!);
      return { kind: 'sequence', min, max, items: [g] };
    }
    const items: Particle[] = [];
    for (const child of el.children) {
      if (child.ns !== XSD_NS) continue;
      if (child.local === 'element') items.push(this.elementParticle(child, sd));
      else if (['sequence', 'choice', 'all', 'group'].includes(child.local)) items.push(this.group(child, sd));
      else if (child.local === 'any') items.push({ kind: 'any', ...this.occurs(child) });
    }
    return { kind: el.local as Group['kind'], min, max, items };
  }

  private elementParticle(el: XmlElement, sd: SchemaDoc): ElementParticle {
    const { min, max } = this.occurs(el);
    if (el.attrs.ref !== undefined) {
      const q = schemaQName(el, el.attrs.ref, sd);
      const comp = this.lookup('element', q, el, 'ref');
      return { kind: 'element', name: q.name, namespace: q.namespace, min, max, nillable: comp.el.attrs.nillable === 'true', value: this.globalElementValue(comp) };
    }
    if (el.attrs.name === undefined) this.fail(el, 'xs:element without name or ref');
    const qualified = el.attrs.form ? el.attrs.form === 'qualified' : sd.elementQualified;
    return {
      kind: 'element',
      name: el.attrs.name,
      namespace: qualified ? sd.tns : '',
      min,
      max,
      nillable: el.attrs.nillable === 'true',
      value: this.elementValue(el, sd),
    };
  }

  private attributes(el: XmlElement, sd: SchemaDoc, into: Model): void {
    if (el.local === 'anyAttribute') {
      into.anyAttribute = true;
      return;
    }
    if (el.local === 'attributeGroup') {
      if (el.attrs.ref === undefined) return;
      const comp = this.lookup('attributeGroup', schemaQName(el, el.attrs.ref, sd), el, 'ref');
      for (const child of comp.el.children) if (child.ns === XSD_NS) this.attributes(child, comp.schema!, into);
      return;
    }
    if (el.local !== 'attribute') return;
    let decl = el;
    let declSd = sd;
    let name = el.attrs.name;
    let namespace = '';
    if (el.attrs.ref !== undefined) {
      const q = schemaQName(el, el.attrs.ref, sd);
      if (q.namespace === 'http://www.w3.org/XML/1998/namespace') {
        into.attributes.push({ name: q.name, namespace: q.namespace, required: el.attrs.use === 'required', prohibited: false, schema: { type: 'string' } });
        return;
      }
      const comp = this.lookup('attribute', q, el, 'ref');
      decl = comp.el;
      declSd = comp.schema!;
      name = q.name;
      namespace = q.namespace;
    } else {
      if (name === undefined) this.fail(el, 'xs:attribute without name or ref');
      const qualified = el.attrs.form ? el.attrs.form === 'qualified' : sd.attributeQualified;
      namespace = qualified ? sd.tns : '';
    }
    const st = childOf(decl, XSD_NS, 'simpleType');
    let schema: JsonSchema = decl.attrs.type !== undefined ? this.typeRef(schemaQName(decl, decl.attrs.type, declSd), decl, 'type') : st ? this.simpleSchema(st, declSd) : { type: 'string' };
    const fixed = el.attrs.fixed ?? decl.attrs.fixed;
    const dflt = el.attrs.default ?? decl.attrs.default;
    if (fixed !== undefined) schema = { ...schema, const: this.literal(schema, fixed) };
    else if (dflt !== undefined) schema = { ...schema, default: this.literal(schema, dflt) };
    into.attributes.push({ name, namespace, required: el.attrs.use === 'required', prohibited: el.attrs.use === 'prohibited', schema });
  }

  /** The JSON Schema of a complex type's model: an object whose properties are its children, attributes and text. */
  private modelSchema(model: Model): JsonSchema {
    const attributes = model.attributes.filter((a) => !a.prohibited);
    if (model.text && !model.content && attributes.length === 0 && !model.anyAttribute) return model.text;
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const constraints: JsonSchema[] = [];
    const byName = new Map<string, string>();
    const facts: XmlFacts = {};
    let order = 0;
    const claim = (name: string) => {
      let key = name;
      for (let i = 2; key in properties; i++) key = `${name}${i}`;
      return key;
    };

    const addElement = (p: ElementParticle, repeated: boolean): string => {
      const id = qkey({ namespace: p.namespace, name: p.name });
      const existing = byName.get(id);
      const value = p.nillable ? nullable(p.value) : p.value;
      if (existing) {
        // The same element twice in one content model (a, b, a): one array property.
        const prop = properties[existing];
        if (prop.type !== 'array') {
          const { [XML_KEYWORD]: xml, ...item } = prop;
          properties[existing] = { type: 'array', items: item, [XML_KEYWORD]: xml };
        }
        return existing;
      }
      const key = claim(p.name);
      byName.set(id, key);
      const xml: XmlFacts = { name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}), order: order++, ...(p.nillable ? { nillable: true } : {}) };
      if (p.max > 1 || repeated) {
        const array: JsonSchema = { type: 'array', items: value };
        if (!repeated && p.min > 1) array.minItems = p.min;
        if (!repeated && p.max !== Infinity) array.maxItems = p.max;
        properties[key] = annotate(array, xml);
      } else properties[key] = annotate(value, xml);
      return key;
    };

    /** Adds a particle's properties; returns its keys and the keys required whenever it is present. */
    const walk = (p: Particle, repeated: boolean, optional: boolean): { keys: string[]; req: string[] } => {
      if (p.kind === 'element') {
        const key = addElement(p, repeated);
        return { keys: [key], req: p.min >= 1 ? [key] : [] };
      }
      if (p.kind === 'any') {
        facts.any = true;
        return { keys: [], req: [] };
      }
      const rep = repeated || p.max > 1;
      const opt = optional || p.min === 0;
      if (p.kind === 'choice') {
        const branches = p.items.map((item) => walk(item, rep, true));
        const keys = [...new Set(branches.flatMap((b) => b.keys))];
        if (!rep && keys.length > 0) {
          const options: JsonSchema[] = branches.map((b) => {
            const others = keys.filter((k) => !b.keys.includes(k));
            const branch: JsonSchema = {};
            if (b.req.length) branch.required = [...new Set(b.req)];
            if (others.length) branch.not = { anyOf: others.map((k) => ({ required: [k] })) };
            return branch;
          });
          if (opt) options.push({ not: { anyOf: keys.map((k) => ({ required: [k] })) } });
          if (!options.some((o) => Object.keys(o).length === 0)) constraints.push({ anyOf: options });
        }
        return { keys, req: [] };
      }
      const results = p.items.map((item) => walk(item, rep, opt));
      return { keys: results.flatMap((r) => r.keys), req: p.min >= 1 && !rep ? results.flatMap((r) => r.req) : [] };
    };

    if (model.content) required.push(...walk(model.content, false, false).req);
    for (const a of attributes) {
      const key = claim(a.name);
      properties[key] = annotate(a.schema, { name: a.name, ...(a.namespace ? { namespace: a.namespace } : {}), attribute: true });
      if (a.required) required.push(key);
    }
    if (model.text) {
      properties[TEXT_PROPERTY] = annotate(model.text, { text: true });
      required.push(TEXT_PROPERTY);
    } else if (model.mixed) properties[TEXT_PROPERTY] = annotate({ type: 'string' }, { text: true });
    if (model.anyAttribute) facts.anyAttribute = true;

    const schema: JsonSchema = { type: 'object', properties };
    const req = [...new Set(required)];
    if (req.length) schema.required = req;
    if (!facts.any && !facts.anyAttribute) schema.additionalProperties = false;
    if (constraints.length === 1) schema.anyOf = constraints[0].anyOf;
    else if (constraints.length > 1) schema.allOf = constraints;
    if (Object.keys(facts).length) schema[XML_KEYWORD] = facts;
    return schema;
  }

  /** A simple type's schema, resolved (not a `$ref`), cached by the declaring element. */
  private simpleSchema(st: XmlElement, sd: SchemaDoc): JsonSchema {
    const byTns = this.simples.get(st) ?? new Map<string, JsonSchema>();
    this.simples.set(st, byTns);
    const known = byTns.get(sd.tns);
    if (known) return structuredClone(known);
    if (this.inProgress.has(st)) this.fail(st, 'circular simple type derivation');
    this.inProgress.add(st);
    const schema = this.simpleSchemaUncached(st, sd);
    this.inProgress.delete(st);
    byTns.set(sd.tns, schema);
    return structuredClone(schema);
  }

  private simpleSchemaUncached(st: XmlElement, sd: SchemaDoc): JsonSchema {
    const restriction = childOf(st, XSD_NS, 'restriction');
    if (restriction) {
      const inline = childOf(restriction, XSD_NS, 'simpleType');
      let base: JsonSchema;
      if (inline) base = this.simpleSchema(inline, sd);
      else if (restriction.attrs.base !== undefined) base = this.resolvedSimple(schemaQName(restriction, restriction.attrs.base, sd), restriction);
      else this.fail(restriction, 'xs:restriction without base');
      return this.facets(base, restriction);
    }
    const list = childOf(st, XSD_NS, 'list');
    if (list) {
      const inline = childOf(list, XSD_NS, 'simpleType');
      const items = inline ? this.simpleSchema(inline, sd) : list.attrs.itemType !== undefined ? this.typeRef(schemaQName(list, list.attrs.itemType, sd), list, 'itemType') : { type: 'string' };
      return { type: 'array', items, [XML_KEYWORD]: { list: true } satisfies XmlFacts };
    }
    const union = childOf(st, XSD_NS, 'union');
    if (union) {
      const members: JsonSchema[] = (union.attrs.memberTypes ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((m) => this.typeRef(schemaQName(union, m, sd), union, 'memberTypes'));
      for (const inline of union.children) if (inline.ns === XSD_NS && inline.local === 'simpleType') members.push(this.simpleSchema(inline, sd));
      return members.length === 1 ? members[0] : { anyOf: members };
    }
    this.fail(st, 'xs:simpleType without xs:restriction, xs:list or xs:union');
  }

  /** A simple base as a plain schema (facets of a restriction are merged into it). */
  private resolvedSimple(q: QName, from: XmlElement): JsonSchema {
    if (q.namespace === XSD_NS) return this.typeRef(q, from, 'base');
    const comp = this.lookup('type', q, from, 'base');
    if (comp.el.local !== 'simpleType') {
      const model = this.namedModel(comp, from);
      if (model.text) return structuredClone(model.text);
      this.fail(from, `simple type restricts complex type "${comp.el.attrs.name}"`);
    }
    return this.simpleSchema(comp.el, comp.schema!);
  }

  private facets(base: JsonSchema, restriction: XmlElement): JsonSchema {
    const out: JsonSchema = { ...base };
    const isList = (base[XML_KEYWORD] as XmlFacts | undefined)?.list === true;
    const kind = this.kind(base);
    const enums: unknown[] = [];
    const patterns: string[] = [];
    const unenforced: string[] = [];
    for (const f of restriction.children) {
      if (f.ns !== XSD_NS) continue;
      const v = f.attrs.value;
      if (v === undefined) continue;
      const n = Number(v);
      switch (f.local) {
        case 'enumeration':
          enums.push(this.literal(base, v));
          break;
        case 'pattern':
          patterns.push(v);
          break;
        case 'length':
          if (isList) out.minItems = out.maxItems = n;
          else out.minLength = out.maxLength = n;
          break;
        case 'minLength':
          out[isList ? 'minItems' : 'minLength'] = n;
          break;
        case 'maxLength':
          out[isList ? 'maxItems' : 'maxLength'] = n;
          break;
        case 'minInclusive':
        case 'maxInclusive':
        case 'minExclusive':
        case 'maxExclusive': {
          const keyword = { minInclusive: 'minimum', maxInclusive: 'maximum', minExclusive: 'exclusiveMinimum', maxExclusive: 'exclusiveMaximum' }[f.local]!;
          if ((kind === 'integer' || kind === 'number') && Number.isFinite(n)) out[keyword] = n;
          else unenforced.push(`${f.local}=${v}`);
          break;
        }
        case 'totalDigits':
          if (kind === 'integer' && Number.isInteger(n) && n < 16) {
            const limit = 10 ** n - 1;
            out.maximum = Math.min(typeof out.maximum === 'number' ? out.maximum : limit, limit);
            out.minimum = Math.max(typeof out.minimum === 'number' ? out.minimum : -limit, -limit);
          } else unenforced.push(`totalDigits=${v}`);
          break;
        case 'fractionDigits':
          if (n === 0 && kind === 'number') out.type = 'integer';
          else if (n !== 0) unenforced.push(`fractionDigits=${v}`);
          break;
      }
    }
    if (enums.length) out.enum = enums;
    if (patterns.length && !isList) {
      const source = patterns.length === 1 ? xsdPattern(patterns[0]) : joinPatterns(patterns);
      if (source === undefined) unenforced.push(`pattern=${patterns.join(' | ')}`);
      else if (typeof out.pattern === 'string') out.allOf = [...((out.allOf as JsonSchema[]) ?? []), { pattern: source }];
      else out.pattern = source;
    }
    if (unenforced.length) out.$comment = `XSD facets not enforced: ${unenforced.join(', ')}`;
    return out;
  }

  /** The JSON type a simple schema's values have, following `$ref`s to registered schemas. */
  private kind(schema: JsonSchema): string {
    for (let s: JsonSchema | undefined = schema, depth = 0; s && depth < 20; depth++) {
      if (typeof s.type === 'string') return s.type;
      const key = refKey(s);
      s = key ? this.registry.schemas.get(key)?.schema : undefined;
    }
    return 'string';
  }

  /** An XML literal (enumeration, default, fixed) as the JSON value of the schema's type. */
  private literal(schema: JsonSchema, text: string): unknown {
    switch (this.kind(schema)) {
      case 'integer':
      case 'number': {
        const n = Number(text.trim());
        return Number.isFinite(n) ? n : text;
      }
      case 'boolean':
        return text.trim() === 'true' || text.trim() === '1';
      default:
        return text;
    }
  }
}

function annotate(schema: JsonSchema, facts: XmlFacts): JsonSchema {
  const own = schema[XML_KEYWORD] as XmlFacts | undefined;
  return { ...schema, [XML_KEYWORD]: { ...own, ...facts } };
}

export function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string' && schema.$ref === undefined) {
    const out: JsonSchema = { ...schema, type: [schema.type, 'null'] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    if ('const' in schema) {
      delete out.const;
      out.enum = [schema.const, null];
    }
    return out;
  }
  return { anyOf: [schema, { type: 'null' }] };
}

function mergeAttributes(base: Attribute[], own: Attribute[]): Attribute[] {
  const out = [...base];
  for (const a of own) {
    const i = out.findIndex((b) => b.name === a.name && b.namespace === a.namespace);
    if (i >= 0) out[i] = a;
    else out.push(a);
  }
  return out;
}

function documentation(el: XmlElement): string | undefined {
  const ann = childOf(el, XSD_NS, 'annotation');
  const doc = ann && childOf(ann, XSD_NS, 'documentation');
  return doc?.text || undefined;
}

function joinPatterns(patterns: string[]): string | undefined {
  const parts = patterns.map((p) => xsdPattern(p));
  if (parts.some((p) => p === undefined)) return undefined;
  return `^(?:${parts.map((p) => p!.slice(1, -1)).join('|')})$`;
}

/**
 * Translates an XSD regular expression into an anchored ECMAScript one (Ajv compiles with the
 * `u` flag). XSD patterns match the whole value, treat `^` and `$` as ordinary characters, and
 * have the `\i`/`\c` name classes; character-class subtraction and Unicode block names have no
 * ECMAScript form, so such patterns return undefined and are reported as not enforced.
 */
export function xsdPattern(pattern: string): string | undefined {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      i++;
      if (n === undefined) return undefined;
      if ((n === 'I' || n === 'C') && inClass) return undefined;
      if (n === 'i') out += inClass ? 'A-Za-z_:' : '[A-Za-z_:]';
      else if (n === 'I') out += '[^A-Za-z_:]';
      else if (n === 'c') out += inClass ? '\\-.0-9A-Za-z_:' : '[\\-.0-9A-Za-z_:]';
      else if (n === 'C') out += '[^\\-.0-9A-Za-z_:]';
      else if (n === '-' && !inClass) out += '-';
      else out += '\\' + n;
      continue;
    }
    if (inClass) {
      if (c === '[') return undefined; // class subtraction -[...]
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      continue;
    }
    out += c === '^' || c === '$' ? '\\' + c : c;
  }
  const source = `^(?:${out})$`;
  try {
    new RegExp(source, 'u');
  } catch {
    return undefined;
  }
  return source;
}
