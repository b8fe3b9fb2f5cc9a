// XML infosets for comparing SOAP messages: expanded names, attributes (no namespace declarations),
// children in order, and text (trimmed, only where there are no child elements). Prefixes and
// formatting whitespace drop out. Independent of the runtime's parser on purpose.
import { XMLParser } from 'fast-xml-parser';

export interface Infoset {
  name: string;
  attrs: Record<string, string>;
  children: Infoset[];
  text?: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  processEntities: true,
});

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

export function infoset(xml: string): Infoset {
  const roots = (parser.parse(xml) as Node[]).filter((n) => tagOf(n));
  if (roots.length !== 1) throw new Error('expected one root element');
  return build(roots[0], { xml: 'http://www.w3.org/XML/1998/namespace' });
}

function tagOf(node: Node): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && !k.startsWith('#'));
}

function build(node: Node, scope: Record<string, string>): Infoset {
  const tag = tagOf(node)!;
  const raw = node[':@'] ?? {};
  const inner = { ...scope };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'xmlns') inner[''] = v;
    else if (k.startsWith('xmlns:')) inner[k.slice(6)] = v;
  }
  const expand = (qname: string, element: boolean) => {
    const i = qname.indexOf(':');
    const ns = i < 0 ? (element ? (inner[''] ?? '') : '') : inner[qname.slice(0, i)];
    if (ns === undefined) throw new Error(`undeclared prefix in ${qname}`);
    return ns ? `{${ns}}${qname.slice(i + 1)}` : qname.slice(i + 1);
  };
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (k !== 'xmlns' && !k.startsWith('xmlns:')) attrs[expand(k, false)] = v;
  const children: Infoset[] = [];
  let text = '';
  for (const c of node[tag] as Node[]) {
    if ('#text' in c) text += String(c['#text']);
    else if (tagOf(c)) children.push(build(c, inner));
  }
  return { name: expand(tag, true), attrs, children, ...(children.length === 0 ? { text: text.trim() } : {}) };
}
