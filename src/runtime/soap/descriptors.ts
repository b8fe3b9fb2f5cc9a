import type { JsonSchema } from '../descriptors.js';
import type { SoapVersion } from './envelope.js';

/** What generated SOAP code hands the runtime: plain data taken from the WSDL's agreement model. */

export interface QNameDescriptor {
  namespace: string;
  name: string;
}

export interface SoapPartDescriptor {
  name: string;
  element: QNameDescriptor;
  schema: JsonSchema;
  nillable: boolean;
}

export interface SoapMessageDescriptor {
  /** rpc style: the wrapper element of the body parts. */
  wrapper?: QNameDescriptor;
  body: SoapPartDescriptor[];
  headers: SoapPartDescriptor[];
  /** The schema of the body as one value (one document part's value, or an object keyed by part name). */
  schema?: JsonSchema;
  /** rpc/encoded: the encoding's URI (SOAP 1.1 section 5, or the SOAP 1.2 encoding). */
  encoding?: string;
}

export interface SoapOperationDescriptor {
  id: string;
  /** Handler (and client method) name in generated code. */
  handler: string;
  pattern: string;
  version: SoapVersion;
  style: 'document' | 'rpc';
  soapAction: string;
  /** The path of the port's `soap:address` (the endpoint, relative to the plugin prefix). */
  path: string;
  /** The port's `soap:address` as the WSDL gives it. */
  address?: string;
  /** Paths of other ports binding the same operation (a SOAP 1.2 port next to a 1.1 one, say): served too. */
  alsoAt?: string[];
  input: SoapMessageDescriptor;
  /** Absent for one-way operations. */
  output?: SoapMessageDescriptor;
  faults: { name: string; part: SoapPartDescriptor }[];
  /**
   * Present when the operation's carriers are WS-Addressing 1.0 (soap/addressing.ts): the
   * `wsa:Action` of its input and output. A push's `replyToPart`/`correlationPart` are then `""`.
   */
  addressing?: { input: string; output?: string };
}

/** A NONBLOCK_PUSH_SOAP operation: the header parts the pattern uses and the callback operation it calls. */
export interface SoapPushDescriptor extends SoapOperationDescriptor {
  /** Input header part carrying the callback URL (`X-ReplyTo`). */
  replyToPart: string;
  /** Output header part carrying the CorrelationID (`X-Correlation-ID`). */
  correlationPart: string;
  callback: SoapOperationDescriptor & { correlationPart: string };
}

/**
 * A NONBLOCK_PULL_SOAP request operation: it answers the ACK with a CorrelationID in the output
 * header part `correlationPart`; its status and result operations (served by the runtime, not by
 * handlers) take that id in their input header parts.
 */
export interface SoapPullDescriptor extends SoapOperationDescriptor {
  correlationPart: string;
  pull: { status: SoapPullStep; result: SoapPullStep };
}

/** The status or result operation of a pull: its handler name and the input header part with the CorrelationID. */
export interface SoapPullStep {
  handler: string;
  correlationPart: string;
}

/** The WSDL documents served at `?wsdl`: the main file and those it imports, by relative location. */
export interface WsdlDocuments {
  main: string;
  files: Record<string, string>;
}

export interface SoapServiceDefinition {
  defs: Record<string, JsonSchema>;
  operations: (SoapOperationDescriptor | SoapPushDescriptor | SoapPullDescriptor)[];
  wsdl?: WsdlDocuments;
}

export const isSoapPush = (op: SoapOperationDescriptor): op is SoapPushDescriptor => 'callback' in op;
export const isSoapPull = (op: SoapOperationDescriptor): op is SoapPullDescriptor => 'pull' in op;
