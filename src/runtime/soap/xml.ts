import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';

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

/** Deeper nesting than any real message has: the codec recurses per level. */
const MAX_DEPTH = 256;

const NO_DTD = 'DTDs and entity declarations are not allowed';

/**
 * One saxes parser (strict, namespace-aware) for every message, its handlers attached once: they
 * build the tree of the document being parsed in `open` (parsing is synchronous, so one document at
 * a time). A DOCTYPE is refused as soon as saxes has read it, so no entity is ever declared: saxes
 * decodes only the five predefined entities and character references and refuses any other.
 */
const parser = new SaxesParser({ xmlns: true, position: true });
const open: XmlElement[] = [];
let root: XmlElement | undefined;

parser.on('doctype', () => {
  throw new XmlError(NO_DTD);
});
// The attributes of the tag being read (namespace declarations left out): saxes resolves their
// namespaces on these same objects before it reports the tag.
const attributes: SaxesAttributeNS[] = [];
parser.on('attribute', (a: SaxesAttributeNS) => {
  if (a.prefix !== 'xmlns' && a.name !== 'xmlns') attributes.push(a);
});
parser.on('opentag', (tag: SaxesTagNS) => {
  const attrs: XmlAttribute[] = [];
  if (attributes.length) {
    for (const a of attributes) attrs.push({ ns: a.uri, name: a.local, value: a.value });
    attributes.length = 0;
  }
  const el: XmlElement = { ns: tag.uri, name: tag.local, attrs, children: [], text: '' };
  const depth = open.length;
  if (depth) open[depth - 1].children.push(el);
  else root = el; // saxes refuses a second root
  if (depth >= MAX_DEPTH && !tag.isSelfClosing) throw new XmlError(`elements nested too deeply (more than ${MAX_DEPTH} levels)`);
  open.push(el);
});
const onText = (text: string) => {
  // Outside the root only whitespace gets here (saxes refuses anything else).
  if (open.length) open[open.length - 1].text += text;
};
parser.on('text', onText);
parser.on('cdata', onText);
parser.on('closetag', () => {
  open.pop();
});

/**
 * Parses an XML document into a namespace-resolved element tree in one pass: well-formedness,
 * namespaces (undeclared prefixes refused), at most one root, no DTD, at most MAX_DEPTH levels.
 */
export function parseXml(text: string): XmlElement {
  try {
    parser.write(text).close();
    return root!;
  } catch (e) {
    const error = e instanceof XmlError ? e : xmlError(e as Error, text);
    // A failed document leaves the parser mid-way: start it afresh for the next one.
    parser._init();
    throw error;
  } finally {
    open.length = 0;
    attributes.length = 0;
    root = undefined;
  }
}

/** A saxes error (`line:column: message`) as the sender should read it. */
function xmlError(e: Error, text: string): XmlError {
  const m = /^(\d+):(\d+): (.*)$/s.exec(e.message);
  if (!m) return new XmlError(`malformed XML: ${e.message}`);
  const [, line, column, message] = m;
  const at = `at line ${line}, column ${column}`;
  if (/doctype/i.test(message)) return new XmlError(NO_DTD);
  if (message === 'undefined entity.') {
    // The reference ends just before the parser's position.
    const end = parser.position - 1;
    const name = text.slice(text.lastIndexOf('&', end) + 1, end);
    return new XmlError(`undeclared entity &${name}; ${at}`);
  }
  const prefix = /^unbound namespace prefix: (".*")\.$/.exec(message);
  if (prefix) return new XmlError(`undeclared namespace prefix ${prefix[1]} ${at}`);
  return new XmlError(`malformed XML ${at}: ${message}`);
}

/**
 * Values by element name (namespace and local name), looked up once per element read. Names come
 * fresh from each message, so a lookup by a `ns|name` key would build and hash a string every time:
 * few entries are compared in place instead, many go through a map per namespace.
 */
export class QNameTable<T> {
  private readonly list: { ns: string; name: string; value: T }[] = [];
  private byNs?: Map<string, Map<string, T>>;

  set(ns: string, name: string, value: T): void {
    const at = this.list.findIndex((e) => e.ns === ns && e.name === name);
    if (at >= 0) this.list[at].value = value;
    else this.list.push({ ns, name, value });
    if (this.list.length > 8) {
      this.byNs = new Map();
      for (const e of this.list) {
        let names = this.byNs.get(e.ns);
        if (!names) this.byNs.set(e.ns, (names = new Map()));
        names.set(e.name, e.value);
      }
    }
  }

  get(ns: string, name: string): T | undefined {
    if (this.byNs) return this.byNs.get(ns)?.get(name);
    for (const e of this.list) if (e.name === name && e.ns === ns) return e.value;
    return undefined;
  }

  get size(): number {
    return this.list.length;
  }
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
