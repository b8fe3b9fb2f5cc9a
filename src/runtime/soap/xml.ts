import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** An element with its names resolved: `ns` is `""` for no namespace. */
export interface XmlElement {
  ns: string;
  name: string;
  attrs: XmlAttribute[];
  children: XmlElement[];
  /** The character content (text and CDATA, entities decoded), concatenated. */
  text: string;
}

export interface XmlAttribute {
  ns: string;
  name: string;
  value: string;
}

/** Why a message is not acceptable XML: always the sender's fault. */
export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

// Entities are never expanded by the parser (processEntities: false): the five predefined ones and
// character references are decoded below, and a DTD, the only way to declare others, is refused first.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const DTD = /<!(?:DOCTYPE|ENTITY)/i;

/**
 * Parses an XML document into a namespace-resolved element tree. Refuses DTDs and entity
 * declarations before parsing, malformed XML, undeclared prefixes and unknown entities.
 */
export function parseXml(text: string): XmlElement {
  if (DTD.test(text)) throw new XmlError('DTDs and entity declarations are not allowed');
  checkDepth(text);
  const check = XMLValidator.validate(text);
  if (check !== true) throw new XmlError(`malformed XML at line ${check.err.line}, column ${check.err.col}: ${check.err.msg}`);
  const nodes = parser.parse(text) as Node[];
  const roots = nodes.filter((n) => elementName(n) !== undefined);
  if (roots.length !== 1) throw new XmlError('an XML document has exactly one root element');
  return build(roots[0], new Map([['xml', XML_NS]]), 0);
}

/** Deeper nesting than any real message has; a limit keeps hostile input off the parser's stack. */
export const MAX_DEPTH = 256;

/** One pass over the tags, before the (recursive) parser sees them. */
function checkDepth(text: string): void {
  let depth = 0;
  for (let i = text.indexOf('<'); i >= 0; i = text.indexOf('<', i + 1)) {
    const c = text.charCodeAt(i + 1);
    if (c === 47 /* </ */) depth--;
    else if (c !== 63 /* <? */ && c !== 33 /* <! */) {
      const end = text.indexOf('>', i);
      if (end < 0) return;
      if (text.charCodeAt(end - 1) !== 47 /* /> */ && ++depth > MAX_DEPTH) throw new XmlError(`elements nested too deeply (more than ${MAX_DEPTH} levels)`);
      i = end;
    }
  }
}

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

function elementName(node: Node): string | undefined {
  for (const k in node) if (k !== ':@' && k !== '#text' && k !== '#cdata' && k !== '#comment') return k;
  return undefined;
}

function build(node: Node, scope: Map<string, string>, depth: number): XmlElement {
  if (depth > MAX_DEPTH) throw new XmlError(`elements nested too deeply (more than ${MAX_DEPTH} levels)`);
  const qname = elementName(node)!;
  const raw = node[':@'];
  let own = scope;
  const pending: [string, string][] = [];
  if (raw) {
    for (const key in raw) {
      const value = decodeEntities(raw[key]);
      if (key === 'xmlns') {
        if (own === scope) own = new Map(scope);
        own.set('', value);
      } else if (key.startsWith('xmlns:')) {
        if (own === scope) own = new Map(scope);
        own.set(key.slice(6), value);
      } else pending.push([key, value]);
    }
  }
  const [ns, name] = resolve(qname, own, true);
  const attrs: XmlAttribute[] = pending.map(([key, value]) => {
    const [ans, aname] = resolve(key, own, false);
    return { ns: ans, name: aname, value };
  });
  const children: XmlElement[] = [];
  let text = '';
  for (const child of node[qname] as Node[]) {
    if ('#text' in child) text += decodeEntities(String(child['#text']));
    else if ('#cdata' in child) for (const c of child['#cdata'] as Node[]) text += String(c['#text'] ?? '');
    else if (elementName(child) !== undefined) children.push(build(child, own, depth + 1));
  }
  return { ns, name, attrs, children, text };
}

function resolve(qname: string, scope: Map<string, string>, isElement: boolean): [string, string] {
  const colon = qname.indexOf(':');
  if (colon < 0) return [isElement ? (scope.get('') ?? '') : '', qname];
  const prefix = qname.slice(0, colon);
  const ns = scope.get(prefix);
  if (ns === undefined) throw new XmlError(`undeclared namespace prefix ${JSON.stringify(prefix)}`);
  return [ns, qname.slice(colon + 1)];
}

const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*);/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (_, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!(code >= 1 && code <= 0x10ffff)) throw new XmlError(`invalid character reference &${ref};`);
      return String.fromCodePoint(code);
    }
    const v = NAMED[ref];
    if (v === undefined) throw new XmlError(`undeclared entity &${ref};`);
    return v;
  });
}

const TEXT_SPECIAL = /[&<>\r]/;
const ATTR_SPECIAL = /[&<>"\r\n\t]/;

/** Escapes character content. */
export function escapeText(text: string): string {
  if (!TEXT_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Escapes an attribute value (double-quoted). */
export function escapeAttr(text: string): string {
  if (!ATTR_SPECIAL.test(text)) return text;
  return escapeText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

export function attribute(el: XmlElement, ns: string, name: string): string | undefined {
  for (const a of el.attrs) if (a.name === name && a.ns === ns) return a.value;
  return undefined;
}

export function isNil(el: XmlElement): boolean {
  const v = attribute(el, XSI_NS, 'nil');
  return v === 'true' || v === '1';
}
