import { SaxesParser } from 'saxes';
import { CharsetError, decodeBody } from '../charset.js';
import { DEFAULT_LIMITS, type InputLimits } from '../limits.js';

/** An element with its names resolved: `ns` is `""` for no namespace. */
export interface XmlElement {
  ns: string;
  name: string;
  attrs: XmlAttribute[];
  children: XmlElement[];
  /** The character content (text and CDATA, entities decoded), concatenated. */
  text: string;
  /** Its `xsi:type`, the QName resolved in the element's scope (rpc/encoded values name their type). */
  xsiType?: { ns: string; name: string };
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

const NO_DTD = 'DTDs and entity declarations are not allowed';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** The namespace declarations in scope, innermost first: one link per declaration; `size` counts the declared ones. */
interface Scope {
  prefix: string;
  uri: string;
  up: Scope | undefined;
  size: number;
  /** The default namespace here (`""`: none), kept on every link so unprefixed names need no walk. */
  defaultNs: string;
}
const XML_SCOPE: Scope = { prefix: 'xml', uri: XML_NS, up: undefined, size: 0, defaultNs: '' };

/**
 * One saxes parser (strict: well-formedness, the five predefined entities and character
 * references only) for every message, its handlers attached once: they build the tree of the
 * document being parsed (parsing is synchronous, so one document at a time). A DOCTYPE is refused
 * as soon as saxes has read it, so no entity is ever declared. Names are resolved here, not by
 * saxes' namespace mode, which costs a sixth of the parse (an object per tag for its declarations,
 * a lookup through every open tag per name): most elements declare nothing and see two or three
 * declarations, a short chain to walk.
 */
const parser = new SaxesParser({ position: true });
const open: XmlElement[] = [];
const scopes: Scope[] = [];
let root: XmlElement | undefined;
/** The children and attributes of the elements that have none: one frozen empty array shared by all. */
const NONE = Object.freeze([]) as unknown as never[];
/** The attributes of the tag being read, as saxes reports them before the tag. */
const pending: { name: string; value: string }[] = [];
/** The limits of the document being parsed (the codec recurses per level; names are looked up through the scope). */
let limits: InputLimits = DEFAULT_LIMITS;

parser.on('doctype', () => {
  throw new XmlError(NO_DTD);
});
parser.on('attribute', (a) => {
  // Refused as soon as one too many is read, before saxes or the name checks below spend time on them.
  if (pending.length >= limits.xmlAttributes) throw failure(`more than ${limits.xmlAttributes} attributes on one element (the limit)`);
  pending.push(a);
});
parser.on('opentag', (tag) => {
  const depth = open.length;
  let scope = depth ? scopes[depth - 1] : XML_SCOPE;
  let attrs: XmlAttribute[];
  if (pending.length) {
    // Declarations first: they apply to the tag's own name and attributes.
    for (const a of pending) if (a.name.startsWith('xmlns') && (a.name.length === 5 || a.name.charCodeAt(5) === 58)) scope = declare(a.name, a.value, scope);
    attrs = attributesOf(scope);
    pending.length = 0;
  } else attrs = NONE;
  const name = tag.name;
  const colon = qnameColon(name);
  const el: XmlElement =
    colon < 0 ? { ns: scope.defaultNs, name, attrs, children: NONE, text: '' } : { ns: prefixedIn(name, colon, scope), name: name.slice(colon + 1), attrs, children: NONE, text: '' };
  if (attrs.length) {
    const xsiType = resolvedXsiType(attrs, scope);
    if (xsiType) el.xsiType = xsiType;
  }
  if (depth) {
    const parent = open[depth - 1];
    // Most elements are leaves: their children array is made by the first child.
    if (parent.children === NONE) parent.children = [el];
    else parent.children.push(el);
  } else root = el; // saxes refuses a second root
  if (depth >= limits.depth && !tag.isSelfClosing) throw new XmlError(`elements nested too deeply (more than ${limits.depth} levels, the limit)`);
  open.push(el);
  scopes.push(scope);
});
const onText = (text: string) => {
  // Outside the root only whitespace gets here (saxes refuses anything else).
  if (open.length) open[open.length - 1].text += text;
};
parser.on('text', onText);
parser.on('cdata', onText);
parser.on('closetag', () => {
  open.pop();
  scopes.pop();
});

/** A namespace declaration (`xmlns` or `xmlns:p`), checked as Namespaces in XML 1.0 asks. */
function declare(name: string, uri: string, up: Scope): Scope {
  const prefix = name.length === 5 ? '' : name.slice(6);
  if (prefix) {
    qnameColon(prefix, true);
    if (prefix === 'xmlns') throw failure('the xmlns prefix may not be declared');
    if (uri === '') throw failure(`the prefix ${JSON.stringify(prefix)} may not be undeclared`);
  }
  if ((prefix === 'xml') !== (uri === XML_NS)) throw failure(`the xml prefix and only it is bound to ${XML_NS}`);
  if (uri === XMLNS_NS) throw failure(`no prefix may be bound to ${XMLNS_NS}`);
  if (up.size >= limits.xmlNamespaces) throw failure(`more than ${limits.xmlNamespaces} namespace declarations in scope (the limit)`);
  return { prefix, uri, up, size: up.size + 1, defaultNs: prefix === '' ? uri : up.defaultNs };
}

/** The tag's attributes other than namespace declarations, their names resolved (no default namespace). */
function attributesOf(scope: Scope): XmlAttribute[] {
  const attrs: XmlAttribute[] = [];
  let prefixedCount = 0;
  for (const { name, value } of pending) {
    const colon = qnameColon(name);
    if (colon < 0) {
      if (name !== 'xmlns') attrs.push({ ns: '', name, value });
      continue;
    }
    const prefix = name.slice(0, colon);
    if (prefix === 'xmlns') continue;
    attrs.push({ ns: prefixed(prefix, scope), name: name.slice(colon + 1), value });
    prefixedCount++;
  }
  // saxes compares attribute names as written; two prefixes may name the same namespace. One set
  // of expanded names: linear in the attributes (a pairwise check was quadratic).
  if (prefixedCount > 1) {
    const seen = new Set<string>();
    for (const a of attrs) {
      if (a.ns === '') continue; // unprefixed: saxes compared them already
      const key = a.ns + '\u0000' + a.name; // U+0000 cannot occur in XML
      if (seen.has(key)) throw failure(`duplicate attribute {${a.ns}}${a.name}`);
      seen.add(key);
    }
  }
  return attrs;
}

/** The QName an `xsi:type` attribute names, resolved in the tag's scope (an unprefixed name is in the default namespace). */
function resolvedXsiType(attrs: XmlAttribute[], scope: Scope): { ns: string; name: string } | undefined {
  for (const a of attrs) {
    if (a.name !== 'type' || a.ns !== XSI_NS) continue;
    const value = a.value.trim();
    const colon = qnameColon(value);
    return colon < 0 ? { ns: scope.defaultNs, name: value } : { ns: prefixed(value.slice(0, colon), scope), name: value.slice(colon + 1) };
  }
  return undefined;
}

function lookup(prefix: string, scope: Scope | undefined): string | undefined {
  for (; scope; scope = scope.up) if (scope.prefix === prefix) return scope.uri;
  return undefined;
}

/** The namespace of the prefix of `name` (before `colon`), compared in place: no string made for the prefix. */
function prefixedIn(name: string, colon: number, scope: Scope): string {
  for (let s: Scope | undefined = scope; s; s = s.up) if (s.prefix.length === colon && name.startsWith(s.prefix)) return s.uri;
  return prefixed(name.slice(0, colon), scope);
}

function prefixed(prefix: string, scope: Scope): string {
  const uri = lookup(prefix, scope);
  // An empty URI is the default namespace undeclared, never a prefix (refused above).
  if (uri === undefined) throw new XmlError(`undeclared namespace prefix ${JSON.stringify(prefix)} ${at()}`);
  return uri;
}

/** Where the colon of a qualified name is (-1: none); `p:` , `:x` and `a:b:c` are refused. */
function qnameColon(name: string, ncname = false): number {
  const colon = name.indexOf(':');
  if (colon >= 0 && (ncname || colon === 0 || colon === name.length - 1 || name.indexOf(':', colon + 1) >= 0)) throw failure(`malformed name ${JSON.stringify(name)}`);
  return colon;
}

function at(): string {
  return `at line ${parser.line}, column ${parser.column}`;
}

function failure(message: string): XmlError {
  return new XmlError(`malformed XML ${at()}: ${message}`);
}

/**
 * Parses an XML document into a namespace-resolved element tree in one pass: well-formedness,
 * namespaces (undeclared prefixes refused), at most one root, no DTD, and the input limits (depth,
 * attributes per element, namespace declarations in scope).
 */
export function parseXml(text: string, documentLimits: InputLimits = DEFAULT_LIMITS): XmlElement {
  limits = documentLimits;
  try {
    parser.write(text).close();
    return root!;
  } catch (e) {
    const error = e instanceof XmlError ? e : xmlError(e as Error, text);
    // A failed document leaves the parser mid-way: start it afresh for the next one.
    parser._init();
    open.length = 0;
    scopes.length = 0;
    pending.length = 0;
    throw error;
  } finally {
    // A complete document has closed every element: only the root is left to drop.
    root = undefined;
  }
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const XML_DECLARATION_ENCODING = /^<\?xml\s[^?>]*?\bencoding\s*=\s*(["'])([A-Za-z][\w.-]*)\1/;

/**
 * The text of an XML document received as bytes, in the encoding it declares (RFC 7303): a byte
 * order mark first, then the Content-Type's charset, then the XML declaration's `encoding`, else
 * UTF-8. Read: UTF-8, ISO-8859-1, US-ASCII, UTF-16 (with a byte order mark, or a charset naming
 * its byte order). Undecodable bytes and other encodings are refused (XmlError: a Sender fault).
 */
export function decodeXml(bytes: Buffer, charset?: string): string {
  let encoding: string;
  if (UTF8_BOM.every((b, i) => bytes[i] === b)) encoding = 'utf-8';
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = 'utf-16be';
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = 'utf-16le';
  else if (charset !== undefined) encoding = charset;
  else {
    // The declaration is ASCII in every encoding read without a byte order mark.
    const declared = XML_DECLARATION_ENCODING.exec(bytes.subarray(0, 256).toString('latin1'))?.[2];
    if (declared && /^utf-?16$/i.test(declared)) throw new XmlError('a UTF-16 document must start with a byte order mark');
    encoding = declared ?? 'utf-8';
  }
  try {
    return decodeBody(bytes, encoding);
  } catch (e) {
    if (e instanceof CharsetError) throw new XmlError(e.message);
    throw e;
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

/**
 * Whether character content needs escaping. Most values are short: a scan is cheaper there than a
 * regular expression, which goes through V8's runtime per call (the server profile shows it).
 */
function hasTextSpecial(text: string): boolean {
  if (text.length > 64) return TEXT_SPECIAL.test(text);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 62 && (c === 38 || c === 60 || c === 62 || c === 13)) return true;
  }
  return false;
}

/** Escapes character content. */
export function escapeText(text: string): string {
  if (!hasTextSpecial(text)) return text;
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
