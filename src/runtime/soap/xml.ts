import { XMLValidator } from 'fast-xml-parser';

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

const DTD = /<!(?:DOCTYPE|ENTITY)/i;

/** Deeper nesting than any real message has: the codec recurses per level. */
const MAX_DEPTH = 256;

/**
 * Parses an XML document into a namespace-resolved element tree. A DTD or entity declaration is
 * refused before anything else (so no entity is ever expanded: only the five predefined ones and
 * character references are decoded), then fast-xml-parser's validator checks well-formedness, and a
 * single non-recursive pass builds the tree; undeclared prefixes and unknown entities are refused.
 */
export function parseXml(text: string): XmlElement {
  if (DTD.test(text)) throw new XmlError('DTDs and entity declarations are not allowed');
  const check = XMLValidator.validate(text);
  if (check !== true) throw new XmlError(`malformed XML at line ${check.err.line}, column ${check.err.col}: ${check.err.msg}`);
  return scan(text);
}

interface Open {
  el: XmlElement;
  scope: Map<string, string>;
}

const ROOT_SCOPE = new Map([['xml', XML_NS]]);
const NAME_END = /[\s/>]/g;
const ATTR = /\s*([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;

/** One pass over well-formed XML (the validator ran first): elements, attributes, text, CDATA. */
function scan(text: string): XmlElement {
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  for (;;) {
    const lt = text.indexOf('<', i);
    const top = stack[stack.length - 1];
    if (top && lt !== i) top.el.text += decodeEntities(text.slice(i, lt < 0 ? text.length : lt));
    if (lt < 0) break;
    const c = text.charCodeAt(lt + 1);
    if (c === 63 /* <? */) {
      i = skipTo(text, '?>', lt);
    } else if (c === 33 /* <! */) {
      if (text.startsWith('<!--', lt)) i = skipTo(text, '-->', lt);
      else if (text.startsWith('<![CDATA[', lt)) {
        i = skipTo(text, ']]>', lt);
        if (top) top.el.text += text.slice(lt + 9, i - 3);
      } else throw new XmlError('DTDs and entity declarations are not allowed');
    } else if (c === 47 /* </ */) {
      i = skipTo(text, '>', lt);
      stack.pop();
    } else {
      NAME_END.lastIndex = lt + 1;
      if (!NAME_END.exec(text)) throw new XmlError('unterminated tag');
      const qname = text.slice(lt + 1, NAME_END.lastIndex - 1);
      let j = NAME_END.lastIndex - 1;
      const raw: [string, string][] = [];
      let scope = top?.scope ?? ROOT_SCOPE;
      let own = false;
      for (;;) {
        ATTR.lastIndex = j;
        const m = ATTR.exec(text);
        if (!m) break;
        j = ATTR.lastIndex;
        const key = m[1];
        const value = decodeEntities(normalize(m[2] ?? m[3]));
        if (key === 'xmlns' || key.startsWith('xmlns:')) {
          if (!own) scope = new Map(scope);
          own = true;
          scope.set(key === 'xmlns' ? '' : key.slice(6), value);
        } else raw.push([key, value]);
      }
      const close = text.indexOf('>', j);
      if (close < 0) throw new XmlError('unterminated tag');
      const selfClosing = text.charCodeAt(close - 1) === 47;
      i = close + 1;
      const [ns, name] = resolve(qname, scope, true);
      const attrs: XmlAttribute[] = raw.map(([key, value]) => {
        const [ans, aname] = resolve(key, scope, false);
        return { ns: ans, name: aname, value };
      });
      const el: XmlElement = { ns, name, attrs, children: [], text: '' };
      if (top) top.el.children.push(el);
      else if (root) throw new XmlError('an XML document has exactly one root element');
      else root = el;
      if (!selfClosing) {
        if (stack.length >= MAX_DEPTH) throw new XmlError(`elements nested too deeply (more than ${MAX_DEPTH} levels)`);
        stack.push({ el, scope });
      }
    }
  }
  if (!root) throw new XmlError('an XML document has exactly one root element');
  return root;
}

function skipTo(text: string, end: string, from: number): number {
  const at = text.indexOf(end, from);
  if (at < 0) throw new XmlError('unterminated markup');
  return at + end.length;
}

/** Attribute-value normalisation: literal whitespace characters become spaces. */
function normalize(value: string): string {
  return /[\t\n\r]/.test(value) ? value.replace(/[\t\n\r]/g, ' ') : value;
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

function decodeEntities(text: string): string {
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
