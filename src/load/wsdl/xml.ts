import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SpecError } from '../errors.js';

/** An XML element with resolved namespaces and the line its start tag is on. */
export interface XmlElement {
  /** Qualified name as written, e.g. `xs:element`. */
  name: string;
  local: string;
  /** Namespace URI, `''` when none. */
  ns: string;
  /** Attributes by name as written (namespace declarations excluded), entity references decoded. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (trimmed pieces joined), entity references decoded. */
  text: string;
  /** 1-based line of the start tag. */
  line: number;
  parent?: XmlElement;
  /** In-scope prefix → namespace URI (`''` is the default namespace). */
  scope: Map<string, string>;
  doc: XmlDocument;
}

export interface XmlDocument {
  file: string;
  root: XmlElement;
}

export interface QName {
  namespace: string;
  name: string;
}

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** `{namespace}name`: the key of a QName in maps. */
export const qkey = (q: QName): string => `{${q.namespace}}${q.name}`;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // No entity processing at all: a DTD is refused before parsing, and the five predefined
  // entities and character references are decoded here, so nothing can expand.
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/**
 * Parses one XML file into an element tree with line numbers. fast-xml-parser has no positions,
 * so a scan of the raw text lists the start tags in document order (skipping comments, CDATA and
 * processing instructions); the n-th element of the parsed tree in pre-order is the n-th start tag.
 * The scan also refuses any DOCTYPE, which is where entities (and entity bombs or XXE) are declared.
 */
export function parseXml(file: string, text: string): XmlDocument {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = lineStarts(text);
  const tags = scanStartTags(file, text, lines);
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: true });
  if (valid !== true) throw new SpecError(`malformed XML: ${valid.err.msg}`, file, undefined, valid.err.line, valid.err.col);
  let raw: RawNode[];
  try {
    raw = parser.parse(text) as RawNode[];
  } catch (e) {
    // The parser's own limits (e.g. more than 100 nested elements) end here, as input errors.
    throw new SpecError(`unreadable XML: ${(e as Error).message}`, file);
  }
  const doc = { file } as XmlDocument;
  let index = 0;
  const build = (node: RawNode, parent: XmlElement | undefined): XmlElement => {
    const name = Object.keys(node).find((k) => k !== ':@')!;
    const tag = tags[index++];
    const line = tag && tag.name === name ? tag.line : (parent?.line ?? 1);
    const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
    let scope = parent?.scope ?? new Map([['xml', XML_NS]]);
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawAttrs)) {
      const value = decodeEntities(String(v));
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        if (scope === parent?.scope || !parent) scope = new Map(scope);
        scope.set(k === 'xmlns' ? '' : k.slice(6), value);
      } else attrs[k] = value;
    }
    const colon = name.indexOf(':');
    const prefix = colon >= 0 ? name.slice(0, colon) : '';
    const ns = scope.get(prefix);
    if (ns === undefined && prefix) throw new SpecError(`undeclared namespace prefix "${prefix}" on <${name}>`, file, undefined, line);
    const el: XmlElement = { name, local: colon >= 0 ? name.slice(colon + 1) : name, ns: ns ?? '', attrs, children: [], text: '', line, parent, scope, doc };
    const texts: string[] = [];
    for (const child of (node[name] as RawNode[]) ?? []) {
      if ('#text' in child) texts.push(decodeEntities(String(child['#text'])));
      else el.children.push(build(child, el));
    }
    el.text = texts.join(' ');
    return el;
  };
  const top = raw.filter((n) => !('#text' in n));
  if (top.length !== 1) throw new SpecError('malformed XML: expected exactly one root element', file, undefined, 1);
  doc.root = build(top[0], undefined);
  return doc;
}

type RawNode = Record<string, unknown>;

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Start tags in document order. `<` cannot occur raw in attribute values or text, so every `<` opens markup. */
function scanStartTags(file: string, text: string, starts: number[]): { name: string; line: number }[] {
  const tags: { name: string; line: number }[] = [];
  const nameRe = /[^\s/>]+/y;
  for (let i = text.indexOf('<'); i >= 0; i = text.indexOf('<', i + 1)) {
    const next = text[i + 1];
    if (next === '/') continue;
    if (next === '?') {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) break;
      i = end;
    } else if (next === '!') {
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) break;
        i = end;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (end < 0) break;
        i = end;
      } else {
        const what = /^<!DOCTYPE/i.test(text.slice(i, i + 9)) ? 'DOCTYPE' : text.slice(i, i + 9);
        throw new SpecError(`${what} declarations are refused (DTDs and entities are not processed)`, file, undefined, lineOf(starts, i));
      }
    } else {
      nameRe.lastIndex = i + 1;
      const m = nameRe.exec(text);
      if (m) tags.push({ name: m[0], line: lineOf(starts, i) });
    }
  }
  return tags;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five predefined entities and character references; anything else stays as written. */
export function decodeEntities(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (whole, ref: string) => {
    if (ref[0] !== '#') return PREDEFINED[ref];
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Resolves a QName-valued attribute (`tns:Foo`, or `Foo` in the default namespace). */
export function resolveQName(el: XmlElement, value: string): QName {
  const v = value.trim();
  const colon = v.indexOf(':');
  const prefix = colon >= 0 ? v.slice(0, colon) : '';
  const ns = el.scope.get(prefix);
  if (ns === undefined && prefix) {
    throw new SpecError(`undeclared namespace prefix "${prefix}" in "${v}" on <${el.name}>`, el.doc.file, undefined, el.line);
  }
  return { namespace: ns ?? '', name: colon >= 0 ? v.slice(colon + 1) : v };
}

export function childrenOf(el: XmlElement, ns: string | readonly string[], local?: string): XmlElement[] {
  const nss = typeof ns === 'string' ? [ns] : ns;
  return el.children.filter((c) => nss.includes(c.ns) && (local === undefined || c.local === local));
}

export function childOf(el: XmlElement, ns: string | readonly string[], local: string): XmlElement | undefined {
  return childrenOf(el, ns, local)[0];
}

/** An XPath-like description of where an element is, for SourceLocation.pointer. */
export function pathOf(el: XmlElement): string {
  const parts: string[] = [];
  for (let e: XmlElement | undefined = el; e; e = e.parent) {
    const name = e.attrs.name;
    parts.unshift(name !== undefined ? `${e.local}[@name='${name}']` : e.local);
  }
  return '/' + parts.join('/');
}

/** Decodes file bytes per the XML declaration's encoding (UTF-8 unless it says otherwise). */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const m = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  const label = m?.[1].toLowerCase();
  if (label && label !== 'utf-8' && label !== 'utf8') {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // Unknown label: fall back to UTF-8, which is what nearly every WSDL is anyway.
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}
