/**
 * Whether a WSDL binding asks for WS-Addressing 1.0: `wsaw:UsingAddressing` (WS-Addressing WSDL
 * Binding) on the binding or its port, or a WS-Policy `wsam:Addressing` assertion (WS-Addressing
 * Metadata) inline in the binding or named by a `wsp:PolicyReference` to a policy of the same
 * definitions. Also the explicit `wsam:Action` / `wsaw:Action` of a portType operation's messages.
 */
import type { SoapAddressing } from '../../model/agreement.js';
import { childrenOf, type XmlElement } from './xml.js';

const WSAW_NS = 'http://www.w3.org/2006/05/addressing/wsdl';
const WSAM_NS = 'http://www.w3.org/2007/05/addressing/metadata';
const WSP_NS = ['http://www.w3.org/ns/ws-policy', 'http://schemas.xmlsoap.org/ws/2004/09/policy'];

/** Every descendant of `el` (itself included), depth first. */
function* walk(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) yield* walk(c);
}

/** The element's policy id: `wsu:Id`, `xml:id` or `Id`, whatever prefix the document gave it. */
function policyId(el: XmlElement): string | undefined {
  for (const [name, value] of Object.entries(el.attrs)) if (name === 'Id' || name.endsWith(':Id') || name === 'xml:id') return value;
  return undefined;
}

/** What declares WS-Addressing on a binding (`wsaw:UsingAddressing`, `wsam:Addressing`), or `undefined`. */
export function addressingOf(binding: XmlElement, port: XmlElement | undefined, definitions: readonly XmlElement[]): SoapAddressing | undefined {
  const policies = new Map<string, XmlElement>();
  for (const d of definitions)
    for (const p of childrenOf(d, WSP_NS, 'Policy')) {
      const id = policyId(p);
      if (id !== undefined) policies.set(id, p);
    }
  const seen = new Set<XmlElement>();
  const inspect = (root: XmlElement): SoapAddressing | undefined => {
    if (seen.has(root)) return undefined;
    seen.add(root);
    for (const el of walk(root)) {
      // Operations carry their own policies; only the binding's own (and its port's) decide here.
      if (el !== root && el.local === 'operation') continue;
      if (el.ns === WSAW_NS && el.local === 'UsingAddressing')
        return {
          declaredBy: 'wsaw:UsingAddressing',
          line: el.line,
          required: el.attrs['wsdl:required'] === 'true' || Object.entries(el.attrs).some(([k, v]) => k.endsWith(':required') && v === 'true'),
        };
      if (el.ns === WSAM_NS && el.local === 'Addressing')
        return { declaredBy: 'wsam:Addressing', line: el.line, required: !Object.entries(el.attrs).some(([k, v]) => k.endsWith(':Optional') && v === 'true') };
      if (WSP_NS.includes(el.ns) && el.local === 'PolicyReference') {
        const uri = el.attrs.URI ?? '';
        const target = uri.startsWith('#') ? policies.get(uri.slice(1)) : undefined;
        const found = target && inspect(target);
        if (found) return found;
      }
    }
    return undefined;
  };
  return inspect(binding) ?? (port ? inspect(port) : undefined);
}

/** The explicit WS-Addressing action of a portType operation's input or output (`wsam:Action`, `wsaw:Action`). */
export function explicitAction(message: XmlElement | undefined): string | undefined {
  if (!message) return undefined;
  for (const [name, value] of Object.entries(message.attrs)) {
    if (!name.endsWith(':Action')) continue;
    const prefix = name.slice(0, -':Action'.length);
    const ns = message.scope.get(prefix);
    if (ns === WSAM_NS || ns === WSAW_NS) return value;
  }
  return undefined;
}
