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
