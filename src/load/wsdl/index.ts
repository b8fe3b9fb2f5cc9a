/**
 * WSDL 1.1 + XML Schema loader: fills the same Interface as the OpenAPI loader. Each SOAP operation
 * becomes an Operation with `method: 'post'`, the path of its `soap:address`, the SOAP body as the
 * request body and the output (200, or 202 for one-way) and faults (500) as responses, and the full
 * SOAP binding (parts, headers, faults, action, version) in `Operation.soap`. Schemas are JSON Schema
 * 2020-12 with `x-xml` annotations (README.md in this folder).
 */
import { basename, resolve as resolvePath } from 'node:path';
import {
  UNCLASSIFIED,
  type Interface,
  type JsonSchema,
  type Operation,
  type Response,
  type SoapEndpoint,
  type SoapFault,
  type SoapMessage,
  type SoapPart,
  type SoapAddressing,
} from '../../model/agreement.js';

/** An operation as the loader reads it, before the classify stage decides its pattern. */
type SoapShape = Omit<Operation, 'pattern'> & { soap: NonNullable<Operation['soap']> };
import { camelCase } from '../../model/names.js';
import type { SchemaRegistry } from '../../model/schemas.js';
import { SpecError } from '../errors.js';
import { type Component, WSDL_NS, WsdlSet } from './documents.js';
import { type XmlElement, childOf, childrenOf, pathOf, qkey, resolveQName } from './xml.js';
import { XML_KEYWORD } from '../../model/xml-facts.js';
import { SOAP12_ENCODING_NS, SOAP_ENCODING_NS, XsdConverter } from './xsd.js';
import { addressingOf, explicitAction } from './addressing.js';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
export const SOAP12_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const SOAP_NS = [SOAP11_NS, SOAP12_NS];
/** The encodings `use="encoded"` may name (SOAP 1.1 section 5, SOAP 1.2 part 2 section 3). */
const SOAP_ENCODINGS = [SOAP_ENCODING_NS, SOAP12_ENCODING_NS];
const HTTP_TRANSPORTS = ['http://schemas.xmlsoap.org/soap/http', 'http://www.w3.org/2003/05/soap/bindings/HTTP/'];
const BINDING_KINDS: Record<string, string> = {
  'http://schemas.xmlsoap.org/wsdl/http/': 'HTTP GET/POST binding (http:binding)',
  'http://schemas.xmlsoap.org/wsdl/mime/': 'MIME binding',
};

/** Loads a WSDL 1.1 document (with its imports and schemas) into an Interface. Every input problem is a SpecError. */
export async function loadWsdl(file: string, registry: SchemaRegistry): Promise<Interface> {
  const path = resolvePath(file);
  const set = await WsdlSet.load(path);
  try {
    return new WsdlReader(set, new XsdConverter(set, registry)).read(path);
  } catch (e) {
    // Type references are followed recursively; a pathological chain must not crash the CLI.
    if (e instanceof RangeError) throw new SpecError(`the schemas nest too deeply to convert (${e.message})`, path);
    throw e;
  }
}

interface Endpoint extends SoapEndpoint {
  bindingEl: Component;
  /** `soap:binding@style`. */
  style?: string;
  addressing?: SoapAddressing;
}

const fail = (el: XmlElement, message: string): never => {
  throw new SpecError(message, el.doc.file, undefined, el.line);
};

class WsdlReader {
  /** portType operations by name, per portType (bindings look every operation up by name). */
  private readonly portTypeOps = new Map<XmlElement, Map<string, XmlElement[]>>();

  constructor(
    private readonly set: WsdlSet,
    private readonly xsd: XsdConverter,
  ) {}

  read(path: string): Interface {
    const root = this.set.definitions[0];
    const shapes: SoapShape[] = [];
    const byPortTypeOp = new Map<string, SoapShape>();
    for (const endpoint of this.endpoints(root)) {
      for (const bop of childrenOf(endpoint.bindingEl.el, WSDL_NS, 'operation')) {
        const shape = this.operation(bop, endpoint);
        const key = `${qkey(shape.soap.portType)}#${shape.soap.name}`;
        const first = byPortTypeOp.get(key);
        if (first) first.soap.alsoExposedAt.push(publicEndpoint(endpoint));
        else {
          byPortTypeOp.set(key, shape);
          shapes.push(shape);
        }
      }
    }
    // Operation names are unique per portType; across portTypes the portType name disambiguates.
    const count = new Map<string, number>();
    for (const s of shapes) count.set(s.id, (count.get(s.id) ?? 0) + 1);
    for (const s of shapes) {
      if (count.get(s.id)! > 1) {
        s.id = camelCase(`${s.soap.portType.name} ${s.soap.name}`, 'operation');
        s.idDerived = true;
      }
    }
    const operations: Operation[] = shapes.map((s) => ({ ...s, pattern: UNCLASSIFIED }));
    const services = this.set.definitions.flatMap((d) => childrenOf(d, WSDL_NS, 'service'));
    return {
      title: root.attrs.name ?? services[0]?.attrs.name ?? basename(path).replace(/\.[^.]*$/, ''),
      version: '',
      description: documentation(root),
      source: { file: path, format: 'wsdl', version: '1.1' },
      documents: this.set.documents(path),
      basePath: '',
      operations,
    };
  }

  private wsdl(kind: 'message' | 'portType' | 'binding', from: XmlElement, attr: string): Component {
    const q = resolveQName(from, from.attrs[attr] ?? fail(from, `<${from.name}> without ${attr}`));
    const comp = this.set.wsdlComponent(kind, q);
    if (!comp) {
      const remote = this.set.remote.get(q.namespace);
      fail(from, `wsdl:${kind} ${attr}="${from.attrs[attr]}" ({${q.namespace}}${q.name}) is not defined${remote ? ` (its namespace is imported from "${remote}", which is not fetched)` : ''}`);
    }
    return comp!;
  }

  /** The SOAP ports of every service (the entry document's first), or the SOAP bindings when there is no service. */
  private endpoints(root: XmlElement): Endpoint[] {
    const out: Endpoint[] = [];
    const unsupported: { el: XmlElement; why: string }[] = [];
    const services = this.set.definitions.flatMap((d) => childrenOf(d, WSDL_NS, 'service'));
    const consider = (bindingEl: Component, port?: { service: string; port: string; el: XmlElement }) => {
      const soapBinding = bindingEl.el.children.find((c) => SOAP_NS.includes(c.ns) && c.local === 'binding');
      if (!soapBinding) {
        const ext = bindingEl.el.children.find((c) => c.ns !== WSDL_NS);
        const kind = ext ? (BINDING_KINDS[ext.ns] ?? `<${ext.name}> (namespace ${ext.ns})`) : 'no binding extension';
        unsupported.push({ el: bindingEl.el, why: `binding "${bindingEl.el.attrs.name}" is not a SOAP 1.1 or 1.2 binding: ${kind}` });
        return;
      }
      const transport = soapBinding.attrs.transport;
      if (transport !== undefined && !HTTP_TRANSPORTS.includes(transport)) {
        fail(soapBinding, `SOAP transport "${transport}" is not supported (only SOAP over HTTP)`);
      }
      const version = soapBinding.ns === SOAP12_NS ? '1.2' : '1.1';
      const address = port && port.el.children.find((c) => c.ns === soapBinding.ns && c.local === 'address')?.attrs.location;
      out.push({
        version,
        binding: { namespace: bindingEl.tns, name: bindingEl.el.attrs.name },
        service: port?.service,
        port: port?.port,
        address,
        bindingEl,
        addressing: addressingOf(bindingEl.el, port?.el, this.set.definitions),
        style: soapBinding.attrs.style,
      });
    };
    for (const service of services) {
      for (const port of childrenOf(service, WSDL_NS, 'port')) {
        consider(this.wsdl('binding', port, 'binding'), { service: service.attrs.name, port: port.attrs.name, el: port });
      }
    }
    if (services.length === 0) for (const b of this.set.wsdlComponents('binding')) consider(b);
    if (out.length === 0) {
      if (unsupported.length) fail(unsupported[0].el, `no SOAP port: ${unsupported[0].why}`);
      fail(root, services.length ? 'no SOAP port: the services have no ports' : 'no wsdl:binding: this WSDL only describes abstract portTypes (give the WSDL with the SOAP binding and service)');
    }
    return out;
  }

  private operation(bop: XmlElement, endpoint: Endpoint): SoapShape {
    const name = bop.attrs.name ?? fail(bop, 'wsdl:operation without name');
    const binding = endpoint.bindingEl.el;
    const portType = this.wsdl('portType', binding, 'type');
    const candidates = this.operationsOf(portType.el).get(name) ?? [];
    if (candidates.length === 0) fail(bop, `binding "${binding.attrs.name}" operation "${name}" has no operation in portType "${portType.el.attrs.name}"`);
    if (candidates.length > 1) fail(candidates[1], `overloaded operation "${name}" (${candidates.length} operations with this name in portType "${portType.el.attrs.name}") is not supported`);
    const ptOp = candidates[0];
    const ios = ptOp.children.filter((c) => c.ns === WSDL_NS && (c.local === 'input' || c.local === 'output'));
    if (ios.length === 0) fail(ptOp, `portType operation "${name}" has no wsdl:input`);
    if (ios[0].local === 'output') {
      fail(ptOp, `${ios.length > 1 ? 'solicit-response' : 'notification'} operation "${name}" (output first) is not supported`);
    }

    const soapOp = bop.children.find((c) => SOAP_NS.includes(c.ns) && c.local === 'operation');
    const style = soapOp?.attrs.style ?? endpoint.style ?? 'document';
    if (style !== 'document' && style !== 'rpc') fail(soapOp ?? binding, `unknown SOAP style "${style}"`);
    const ns = { binding: endpoint.bindingEl.tns, op: name, style: style as 'document' | 'rpc' };
    const ptInput = childOf(ptOp, WSDL_NS, 'input')!;
    const ptOutput = childOf(ptOp, WSDL_NS, 'output');
    const input = this.message(ptInput, childOf(bop, WSDL_NS, 'input'), bop, 'input', ns);
    const output = ptOutput ? this.message(ptOutput, childOf(bop, WSDL_NS, 'output'), bop, 'output', ns) : undefined;
    const faults = childrenOf(ptOp, WSDL_NS, 'fault').map((f) => this.fault(f, bop));

    const mediaType = endpoint.version === '1.2' ? 'application/soap+xml' : 'text/xml';
    const responses: Response[] = [];
    const outSchema = output && bodySchema(output, ns.style);
    if (output) responses.push({ status: '200', description: 'SOAP response', headers: [], contents: [{ mediaType, schema: outSchema }] });
    else responses.push({ status: '202', description: 'one-way operation: accepted, no SOAP response', headers: [], contents: [] });
    const faultSchema = faults.length === 0 ? undefined : faults.length === 1 ? faults[0].part.schema : { anyOf: faults.map((f) => f.part.schema) };
    responses.push({ status: '500', description: 'SOAP Fault', headers: [], contents: [{ mediaType, schema: faultSchema }] });

    const doc = documentation(ptOp);
    return {
      id: name,
      idDerived: false,
      method: 'post',
      path: pathOfAddress(endpoint.address),
      summary: undefined,
      description: doc,
      parameters: [],
      requestBody: { required: true, contents: [{ mediaType, schema: bodySchema(input, ns.style) }] },
      responses,
      callbacks: [],
      extensions: {},
      location: { file: bop.doc.file, pointer: pathOf(bop), line: bop.line },
      soap: {
        ...publicEndpoint(endpoint),
        name,
        style: ns.style,
        soapAction: soapOp?.attrs.soapAction ?? '',
        portType: { namespace: portType.tns, name: portType.el.attrs.name },
        input,
        output,
        faults,
        alsoExposedAt: [],
        ...(endpoint.addressing ? { addressing: { ...endpoint.addressing, actions: wsaActions(portType, name, ptInput, ptOutput, soapOp?.attrs.soapAction) } } : {}),
      },
    };
  }

  private operationsOf(portType: XmlElement): Map<string, XmlElement[]> {
    let byName = this.portTypeOps.get(portType);
    if (!byName) {
      byName = new Map();
      for (const o of childrenOf(portType, WSDL_NS, 'operation')) byName.set(o.attrs.name, [...(byName.get(o.attrs.name) ?? []), o]);
      this.portTypeOps.set(portType, byName);
    }
    return byName;
  }

  /** One direction of an operation: its message's parts split into body and header parts per the binding. */
  private message(ptIo: XmlElement, bio: XmlElement | undefined, bop: XmlElement, direction: 'input' | 'output', ctx: { binding: string; op: string; style: 'document' | 'rpc' }): SoapMessage {
    if (!bio) fail(bop, `binding operation "${ctx.op}" has no wsdl:${direction} although its portType operation has one`);
    const msg = this.wsdl('message', ptIo, 'message');
    const parts = childrenOf(msg.el, WSDL_NS, 'part');
    this.checkExtensions(bio!);
    const body = bio!.children.find((c) => SOAP_NS.includes(c.ns) && c.local === 'body');
    const headers: SoapPart[] = [];
    const headerPartsOfThisMessage = new Set<string>();
    for (const h of bio!.children.filter((c) => SOAP_NS.includes(c.ns) && c.local === 'header')) {
      this.checkUse(h, ctx.style);
      const hmsg = h.attrs.message !== undefined ? this.wsdl('message', h, 'message') : msg;
      const partName = h.attrs.part ?? fail(h, 'soap:header without part');
      const part = childrenOf(hmsg.el, WSDL_NS, 'part').find((p) => p.attrs.name === partName);
      if (!part) fail(h, `soap:header part "${partName}" is not a part of message "${hmsg.el.attrs.name}"`);
      if (hmsg === msg) headerPartsOfThisMessage.add(partName);
      headers.push(this.part(part!, 'header'));
    }
    let bodyParts: XmlElement[] = [];
    const encoded = !!body && this.checkUse(body, ctx.style, true);
    // The encoding the binding names, else the one of its SOAP version.
    const encoding = encoded ? ((body!.attrs.encodingStyle ?? '').split(/\s+/).find(Boolean) ?? (body!.ns === SOAP12_NS ? SOAP12_ENCODING_NS : SOAP_ENCODING_NS)) : undefined;
    if (body) {
      if (body.attrs.parts !== undefined) {
        bodyParts = body.attrs.parts
          .split(/\s+/)
          .filter(Boolean)
          .map((n) => parts.find((p) => p.attrs.name === n) ?? fail(body, `soap:body parts="${body.attrs.parts}": message "${msg.el.attrs.name}" has no part "${n}"`));
      } else bodyParts = parts.filter((p) => !headerPartsOfThisMessage.has(p.attrs.name));
    }
    const out: SoapMessage = {
      message: { namespace: msg.tns, name: msg.el.attrs.name },
      body: bodyParts.map((p) => this.part(p, ctx.style)),
      headers,
      ...(encoding ? { encoding } : {}),
    };
    if (ctx.style === 'rpc') out.wrapper = { namespace: body?.attrs.namespace ?? ctx.binding, name: direction === 'input' ? ctx.op : `${ctx.op}Response` };
    return out;
  }

  /** A part as written in the envelope; only rpc body parts may be typed accessors (`type=`). */
  private part(p: XmlElement, where: 'document' | 'rpc' | 'header' | 'fault'): SoapPart {
    const name = p.attrs.name ?? fail(p, 'wsdl:part without name');
    if (p.attrs.element !== undefined) {
      const q = resolveQName(p, p.attrs.element);
      const { schema, nillable } = this.xsd.element(q, p, 'element');
      return { name, element: q, schema, nillable };
    }
    if (p.attrs.type !== undefined) {
      if (where !== 'rpc') {
        const what = where === 'document' ? 'in a document-style body' : `as a ${where === 'header' ? 'soap:header' : 'fault'} part`;
        fail(p, `part "${name}" uses type= ${what}: it must reference an element (element=)`);
      }
      const q = resolveQName(p, p.attrs.type);
      const schema = this.xsd.type(q, p, 'type');
      return { name, element: { namespace: '', name }, type: q, schema: { ...schema, [XML_KEYWORD]: { name } }, nillable: false };
    }
    return fail(p, `part "${name}" has neither element= nor type=`);
  }

  private fault(ptFault: XmlElement, bop: XmlElement): SoapFault {
    const name = ptFault.attrs.name ?? fail(ptFault, 'wsdl:fault without name');
    const bFault = childrenOf(bop, WSDL_NS, 'fault').find((f) => f.attrs.name === name);
    const soapFault = bFault?.children.find((c) => SOAP_NS.includes(c.ns) && c.local === 'fault');
    // An encoded fault's detail is read like a literal one (its xsi:type attributes name the declared types).
    if (soapFault) this.checkUse(soapFault, 'document', true);
    const msg = this.wsdl('message', ptFault, 'message');
    const parts = childrenOf(msg.el, WSDL_NS, 'part');
    if (parts.length !== 1) fail(msg.el, `fault message "${msg.el.attrs.name}" must have exactly one part (it has ${parts.length})`);
    return { name, message: { namespace: msg.tns, name: msg.el.attrs.name }, part: this.part(parts[0], 'fault') };
  }

  /**
   * Whether `use="encoded"`: allowed (with the SOAP 1.1 or 1.2 encoding) where `encodedAllowed`,
   * for an rpc body or a fault; document/encoded and encoded headers are refused.
   */
  private checkUse(el: XmlElement, style: string, encodedAllowed = false): boolean {
    if (el.attrs.use !== 'encoded') return false;
    if (!encodedAllowed || (style !== 'rpc' && el.local === 'body')) fail(el, `${style}/encoded is not supported for soap:${el.local} (use="encoded"); only rpc/encoded bodies and faults are`);
    const styles = (el.attrs.encodingStyle ?? '').split(/\s+/).filter(Boolean);
    const unknown = styles.find((s) => !SOAP_ENCODINGS.includes(s));
    if (unknown) fail(el, `encodingStyle="${unknown}" is not supported (only the SOAP 1.1 and 1.2 encodings: ${SOAP_ENCODINGS.join(', ')})`);
    return true;
  }

  /** Binding extensions we cannot honour: attachments, and anything marked wsdl:required. */
  private checkExtensions(bio: XmlElement): void {
    for (const c of bio.children) {
      if (SOAP_NS.includes(c.ns) || c.ns === WSDL_NS) continue;
      if (c.ns === 'http://schemas.xmlsoap.org/wsdl/mime/') fail(c, `MIME binding <${c.name}> (SOAP with attachments) is not supported`);
      if (Object.entries(c.attrs).some(([k, v]) => k.endsWith(':required') && v === 'true')) fail(c, `required extension <${c.name}> is not supported`);
    }
  }
}

function publicEndpoint(e: Endpoint): SoapEndpoint {
  return { version: e.version, binding: e.binding, service: e.service, port: e.port, address: e.address };
}

/**
 * The request/response body as one value: a document-style message with one part is that part's
 * value; otherwise (rpc, or several parts) an object keyed by part name whose properties are the
 * body's (or rpc wrapper's) child elements. No schema when the body is empty.
 */
function bodySchema(message: SoapMessage, style: 'document' | 'rpc'): JsonSchema | undefined {
  if (style === 'document' && message.body.length === 1) return message.body[0].schema;
  if (style === 'document' && message.body.length === 0) return undefined;
  const properties = Object.fromEntries(message.body.map((p, i) => [p.name, withOrder(p.schema, i)]));
  const schema: JsonSchema = { type: 'object', properties, additionalProperties: false };
  if (message.body.length) schema.required = message.body.map((p) => p.name);
  if (message.wrapper) schema[XML_KEYWORD] = { name: message.wrapper.name, ...(message.wrapper.namespace ? { namespace: message.wrapper.namespace } : {}) };
  return schema;
}

function withOrder(schema: JsonSchema, order: number): JsonSchema {
  return { ...schema, [XML_KEYWORD]: { ...(schema[XML_KEYWORD] as object), order } };
}

function pathOfAddress(address: string | undefined): string {
  if (!address) return '/';
  try {
    return new URL(address).pathname || '/';
  } catch {
    return '/';
  }
}

function documentation(el: XmlElement): string | undefined {
  return childOf(el, WSDL_NS, 'documentation')?.text || undefined;
}

/**
 * The WS-Addressing actions of an operation's messages: the explicit `wsam:Action`, else the
 * binding's `soapAction`, else the default of the WS-Addressing WSDL Binding (§4.4.4):
 * `<targetNamespace>/<portType>/<message name>`, the message name defaulting to `<op>Request`/`<op>Response`.
 */
function wsaActions(portType: Component, op: string, input: XmlElement, output: XmlElement | undefined, soapAction: string | undefined) {
  const delimiter = portType.tns.startsWith('urn:') ? ':' : '/';
  const base = `${portType.tns.replace(/\/$/, '')}${delimiter}${portType.el.attrs.name}${delimiter}`;
  const action = (el: XmlElement | undefined, suffix: string) => explicitAction(el) ?? (soapAction || `${base}${el?.attrs.name ?? op + suffix}`);
  return { input: action(input, 'Request'), ...(output ? { output: explicitAction(output) ?? `${base}${output.attrs.name ?? op + 'Response'}` } : {}) };
}
