import { RUNTIME_ACTOR, RUNTIME_ERRORS, RUNTIME_FAULT_NS, isRuntimeErrorCode, type RuntimeErrorCode } from '../errors.js';
import type { InputLimits } from '../limits.js';
import { BoundedMemo } from '../memo.js';
import { XmlError, XSI_NS, escapeAttr, escapeText, parseXml, type XmlElement } from './xml.js';

export type SoapVersion = '1.1' | '1.2';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP11_TYPE = 'text/xml';
export const SOAP12_TYPE = 'application/soap+xml';

export const envelopeNs = (version: SoapVersion) => (version === '1.1' ? SOAP11_NS : SOAP12_NS);

const SOAP11_CONTENT_TYPE = `${SOAP11_TYPE}; charset=utf-8`;
const SOAP12_CONTENT_TYPE = `${SOAP12_TYPE}; charset=utf-8`;

/** The Content-Type of a message without an action: that of every answer. */
export const contentTypeOf = (version: SoapVersion): string => (version === '1.1' ? SOAP11_CONTENT_TYPE : SOAP12_CONTENT_TYPE);

/** The Content-Type of a message (SOAP 1.2 carries the action in it) and the SOAP 1.1 `SOAPAction` header. */
export function soapHeaders(version: SoapVersion, action: string | undefined): Record<string, string> {
  if (version === '1.1') return { 'content-type': SOAP11_CONTENT_TYPE, ...(action !== undefined ? { soapaction: JSON.stringify(action) } : {}) };
  return { 'content-type': action ? `${SOAP12_CONTENT_TYPE}; action=${JSON.stringify(action)}` : SOAP12_CONTENT_TYPE };
}

const contentTypes = new BoundedMemo<{ version?: SoapVersion; action?: string }>(256);

/** The SOAP version a Content-Type announces, and the SOAP 1.2 `action` parameter (peers send few distinct values: they are cached). */
export function versionOfContentType(contentType: string | undefined): { version?: SoapVersion; action?: string } {
  return contentTypes.get(contentType ?? '', parseContentType);
}

function parseContentType(contentType: string): { version?: SoapVersion; action?: string } {
  const [type, ...params] = contentType.split(';');
  const media = type.trim().toLowerCase();
  const version = media === SOAP11_TYPE ? '1.1' : media === SOAP12_TYPE ? '1.2' : undefined;
  let action: string | undefined;
  for (const p of params) {
    const m = /^\s*action\s*=\s*(?:"([^"]*)"|([^\s;]*))\s*$/i.exec(p);
    if (m) action = m[1] ?? m[2];
  }
  return { version, action };
}

export interface ParsedEnvelope {
  version: SoapVersion;
  header?: XmlElement;
  body: XmlElement;
}

/** Parses an envelope (no DTD, no entity expansion) and finds its Header and Body. */
export function parseEnvelope(text: string, limits?: InputLimits): ParsedEnvelope {
  const root = parseXml(text, limits);
  const version: SoapVersion | undefined = root.ns === SOAP11_NS ? '1.1' : root.ns === SOAP12_NS ? '1.2' : undefined;
  if (root.name !== 'Envelope' || !version) throw new SoapVersionError(root.ns);
  let header: XmlElement | undefined;
  let body: XmlElement | undefined;
  for (const c of root.children) {
    if (c.ns !== root.ns) throw new XmlError(`unexpected element ${c.name} in the Envelope`);
    if (c.name === 'Header' && !header && !body) header = c;
    else if (c.name === 'Body' && !body) body = c;
    else throw new XmlError(`unexpected element ${c.name} in the Envelope`);
  }
  if (!body) throw new XmlError('the Envelope has no Body');
  return { version, header, body };
}

/** The root is not a SOAP 1.1 or 1.2 Envelope. */
export class SoapVersionError extends XmlError {
  constructor(readonly ns: string) {
    super(ns ? `not a SOAP 1.1 or 1.2 Envelope (namespace ${JSON.stringify(ns)})` : 'not a SOAP Envelope');
    this.name = 'SoapVersionError';
  }
}

/** An envelope of a SOAP version the endpoint's binding does not speak. */
export class SoapVersionMismatchError extends XmlError {
  constructor(
    readonly received: SoapVersion,
    readonly supported: SoapVersion[],
  ) {
    super(`this endpoint speaks SOAP ${supported.join(' and ')}, not SOAP ${received}`);
    this.name = 'SoapVersionMismatchError';
  }
}

/**
 * The answer to an envelope of a version the endpoint does not speak. SOAP 1.2 part 1, appendix A
 * and 5.4.7: a SOAP/1.1 VersionMismatch fault (a 1.1 node knows no other, and a 1.2 node answers a
 * 1.1 sender so it can read it), with an `Upgrade` header block listing the envelopes supported.
 */
export function versionMismatchEnvelope(error: SoapVersionMismatchError): string {
  const supported = error.supported.map((v, i) => `<env:SupportedEnvelope qname="v${i}:Envelope" xmlns:v${i}="${envelopeNs(v)}"/>`).join('');
  return buildEnvelope('1.1', `<env:Upgrade xmlns:env="${SOAP12_NS}">${supported}</env:Upgrade>`, faultBody('1.1', 'VersionMismatch', error.message, '', 'version-mismatch'), new PrefixMap());
}

/** Namespace prefixes of one output document: `soap`, `xsi`, then `ns0`, `ns1`... in order of first use. */
export class PrefixMap {
  private readonly map = new Map<string, string>();
  prefix(ns: string): string {
    let p = this.map.get(ns);
    if (p === undefined) {
      p = `ns${this.map.size}`;
      this.map.set(ns, p);
    }
    return p;
  }
  declarations(): string {
    let out = '';
    for (const [ns, p] of this.map) out += ` xmlns:${p}="${escapeAttr(ns)}"`;
    return out;
  }
}

export function buildEnvelope(version: SoapVersion, header: string, body: string, prefixes: PrefixMap): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${envelopeNs(version)}" xmlns:xsi="${XSI_NS}"${prefixes.declarations()}>` +
    (header ? `<soap:Header>${header}</soap:Header>` : '') +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

export type FaultCode = 'Sender' | 'Receiver' | 'MustUnderstand' | 'VersionMismatch';

const V11_CODES: Record<FaultCode, string> = { Sender: 'Client', Receiver: 'Server', MustUnderstand: 'MustUnderstand', VersionMismatch: 'VersionMismatch' };

/**
 * The `soap:Fault` element in the version's form; `detail` is XML already. A runtime error (the
 * integration guide's rule: the infrastructure's faults are told apart by code and actor) carries
 * its code in the runtime's namespace (SOAP 1.1 `faultcode`, except VersionMismatch and
 * MustUnderstand, whose standard codes a sender acts on; SOAP 1.2 `Subcode`) and names the runtime
 * as `faultactor` / `Role`. A handler's fault carries neither.
 */
export function faultBody(version: SoapVersion, code: FaultCode, reason: string, detail = '', runtime?: RuntimeErrorCode): string {
  const detailXml = detail ? (version === '1.1' ? `<detail>${detail}</detail>` : `<soap:Detail>${detail}</soap:Detail>`) : '';
  if (version === '1.1') {
    const standard = !runtime || code === 'VersionMismatch' || code === 'MustUnderstand';
    const faultcode = standard ? `<faultcode>soap:${V11_CODES[code]}</faultcode>` : `<faultcode xmlns:acc="${RUNTIME_FAULT_NS}">acc:${runtime}</faultcode>`;
    return `<soap:Fault>${faultcode}<faultstring>${escapeText(reason)}</faultstring>${runtime ? `<faultactor>${RUNTIME_ACTOR}</faultactor>` : ''}${detailXml}</soap:Fault>`;
  }
  const subcode = runtime ? `<soap:Subcode><soap:Value xmlns:acc="${RUNTIME_FAULT_NS}">acc:${runtime}</soap:Value></soap:Subcode>` : '';
  return (
    `<soap:Fault><soap:Code><soap:Value>soap:${code}</soap:Value>${subcode}</soap:Code>` +
    `<soap:Reason><soap:Text xml:lang="en">${escapeText(reason)}</soap:Text></soap:Reason>` +
    (runtime ? `<soap:Role>${RUNTIME_ACTOR}</soap:Role>` : '') +
    detailXml +
    '</soap:Fault>'
  );
}

/** The Fault of a runtime error: its class and code from the table in errors.ts. */
export const runtimeFaultBody = (version: SoapVersion, runtime: RuntimeErrorCode, reason: string): string => faultBody(version, RUNTIME_ERRORS[runtime].fault, reason, '', runtime);

export interface ParsedFault {
  /** The fault class: Sender, Receiver (SOAP 1.1 Client, Server), MustUnderstand, VersionMismatch, or another peer's own code. */
  code: string;
  /** The runtime error code, when the fault names an Accordo runtime as its actor/role (never a handler's fault). */
  runtimeCode?: RuntimeErrorCode;
  reason: string;
  /** The children of `detail` / `soap:Detail`. */
  detail: XmlElement[];
}

/** The Fault in a Body, if it holds one. */
export function readFault(env: ParsedEnvelope): ParsedFault | undefined {
  const fault = env.body.children[0];
  const ns = envelopeNs(env.version);
  if (!fault || fault.ns !== ns || fault.name !== 'Fault') return undefined;
  const child = (el: XmlElement | undefined, name: string, inNs: string) => el?.children.find((c) => c.name === name && c.ns === inNs);
  if (env.version === '1.1') {
    const faultcode = localPart(child(fault, 'faultcode', '')?.text.trim() ?? '');
    const runtimeCode = child(fault, 'faultactor', '')?.text.trim() === RUNTIME_ACTOR ? runtimeCodeOf(faultcode) : undefined;
    return {
      code: runtimeCode ? RUNTIME_ERRORS[runtimeCode].fault : faultcode,
      ...(runtimeCode ? { runtimeCode } : {}),
      reason: child(fault, 'faultstring', '')?.text ?? '',
      detail: child(fault, 'detail', '')?.children ?? [],
    };
  }
  const code = child(fault, 'Code', ns);
  const runtimeCode = child(fault, 'Role', ns)?.text.trim() === RUNTIME_ACTOR ? runtimeCodeOf(localPart(child(child(code, 'Subcode', ns), 'Value', ns)?.text.trim() ?? '')) : undefined;
  return {
    code: localPart(child(code, 'Value', ns)?.text.trim() ?? ''),
    ...(runtimeCode ? { runtimeCode } : {}),
    reason: child(child(fault, 'Reason', ns), 'Text', ns)?.text ?? '',
    detail: child(fault, 'Detail', ns)?.children ?? [],
  };
}

/** A 1.1 VersionMismatch/MustUnderstand fault of the runtime keeps the standard code: the actor tells it apart. */
function runtimeCodeOf(code: string): RuntimeErrorCode | undefined {
  if (code === 'VersionMismatch') return 'version-mismatch';
  if (code === 'MustUnderstand') return 'must-understand';
  return isRuntimeErrorCode(code) ? code : undefined;
}

function localPart(qname: string): string {
  const code = qname.slice(qname.indexOf(':') + 1);
  return code === 'Client' ? 'Sender' : code === 'Server' ? 'Receiver' : code;
}

/**
 * Thrown by handlers to answer with a SOAP Fault (HTTP 500). `detail` names one of the
 * operation's declared faults and carries its value; only what it carries is sent.
 */
export class SoapFaultError extends Error {
  constructor(
    readonly code: 'Sender' | 'Receiver',
    readonly reason: string,
    readonly detail?: { fault: string; value: unknown },
    /**
     * Set by clients on a Fault an Accordo runtime answered (its actor/role is the runtime's): the
     * infrastructure refused, the service did not answer. `code` stays the fault class.
     */
    readonly runtimeCode?: RuntimeErrorCode,
  ) {
    super(reason);
    this.name = 'SoapFaultError';
  }
}
