/**
 * The ModI carriers of an asynchronous interaction: the header that carries the consumer's
 * callback address (`X-ReplyTo`) and the one that carries the CorrelationID
 * (`X-Correlation-ID`). The only place that recognises them, for every stage and both bindings.
 */
import type { Operation, SoapMessage, SoapPart } from '../model/agreement.js';

export const REPLY_TO = 'X-ReplyTo';
export const CORRELATION_ID = 'X-Correlation-ID';

/**
 * Whether `name` names the carrier `carrier`. HTTP header names compare case-insensitively
 * (RFC 9110); XML element and part names also without their hyphens (`XCorrelationID`,
 * `X_Correlation_ID`), as WSDLs in use spell them.
 */
export function namesCarrier(name: string, carrier: string, binding: 'rest' | 'soap'): boolean {
  if (binding === 'rest') return name.toLowerCase() === carrier.toLowerCase();
  const loose = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  return loose(name) === loose(carrier);
}

type OperationShape = Omit<Operation, 'pattern'>;

/** The header parameter of a REST operation that is `carrier`. */
export const headerParameter = (op: OperationShape, carrier: string) => op.parameters.find((p) => p.in === 'header' && namesCarrier(p.name, carrier, 'rest'));
export const hasHeaderParameter = (op: OperationShape, carrier: string) => !!headerParameter(op, carrier);
export const responseOf = (op: OperationShape, status: string) => op.responses.find((r) => r.status === status);
/** The response header `carrier` (or any header name, e.g. `Location`) of the response `status`. */
export const responseHeader = (op: OperationShape, status: string, name: string) => responseOf(op, status)?.headers.find((h) => namesCarrier(h.name, name, 'rest'));
export const responseHasHeader = (op: OperationShape, status: string, name: string) => !!responseHeader(op, status, name);

/** The SOAP header part of `message` that is `carrier` (by element name, or by part name). */
export function soapHeader(message: SoapMessage | undefined, carrier: string): SoapPart | undefined {
  return message?.headers.find((h) => namesCarrier(h.element.name, carrier, 'soap') || namesCarrier(h.name, carrier, 'soap'));
}

/**
 * The config's say on carriers (accordo.config.yaml `carriers`): the name of the query parameter
 * or SOAP header element that carries the reply address and the correlation id when the spec
 * names them otherwise, and WS-Addressing for a WSDL that declares no policy.
 */
export interface CarrierSettings {
  replyTo?: string;
  correlationId?: string;
  addressing?: boolean;
}

/** Other names a declared SOAP header element carrying them goes by (compared as `namesCarrier` does). */
const REPLY_TO_ELEMENTS = [REPLY_TO, 'ReplyTo'];
const CORRELATION_ELEMENTS = [CORRELATION_ID, 'CorrelationID'];

/** The WS-Addressing 1.0 namespace: its elements are never a declared header part's carrier. */
export const WSA_NS = 'http://www.w3.org/2005/08/addressing';

function declaredHeader(message: SoapMessage | undefined, names: string[]): SoapPart | undefined {
  for (const name of names) {
    const part = soapHeader(message, name);
    if (part && part.element.namespace !== WSA_NS) return part;
  }
  return undefined;
}

/** The SOAP header part that carries the reply address: `X-ReplyTo`, a `ReplyTo` element, or the one the config names. */
export const replyToHeader = (message: SoapMessage | undefined, settings: CarrierSettings = {}) =>
  declaredHeader(message, settings.replyTo ? [settings.replyTo, ...REPLY_TO_ELEMENTS] : REPLY_TO_ELEMENTS);
/** The SOAP header part that carries the correlation id: `X-Correlation-ID`, a `CorrelationID` element, or the one the config names. */
export const correlationHeader = (message: SoapMessage | undefined, settings: CarrierSettings = {}) =>
  declaredHeader(message, settings.correlationId ? [settings.correlationId, ...CORRELATION_ELEMENTS] : CORRELATION_ELEMENTS);

/**
 * What makes a SOAP operation speak WS-Addressing 1.0, in words (its binding's policy, or the
 * config); `undefined` when nothing does.
 */
export function addressingDeclaration(op: OperationShape, settings: CarrierSettings = {}): string | undefined {
  const declared = op.soap?.addressing;
  if (declared) return `${declared.declaredBy} on binding ${op.soap!.binding.name} (line ${declared.line})`;
  if (settings.addressing && op.soap) return 'accordo.config.yaml carriers.addressing';
  return undefined;
}

/** The REST query parameter of `op` named `name` (exactly: query names are case-sensitive). */
export const queryParameter = (op: OperationShape, name: string) => op.parameters.find((p) => p.in === 'query' && p.name === name);
