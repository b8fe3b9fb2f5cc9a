/**
 * What generated code hands the runtime: plain data describing each operation, taken from the
 * agreement model. Generated files hold these as literals; the runtime does the rest.
 */

export type JsonSchema = { [keyword: string]: unknown };

export interface ParameterDescriptor {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface ResponseDescriptor {
  /** `"200"`, `"2XX"` or `"default"`. */
  status: string;
  /** Declared media types; the first is used when sending. */
  mediaTypes: string[];
  schema?: JsonSchema;
  headers: ParameterDescriptor[];
}

export interface OperationDescriptor {
  /** The operation's id as the spec gives it. */
  id: string;
  /** The name of its handler (and client method) in generated code. */
  handler: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'TRACE';
  /** Path template as in the spec, e.g. `/resources/{id_resource}/M`. */
  path: string;
  pattern: string;
  parameters: { path: ParameterDescriptor[]; query: ParameterDescriptor[]; header: ParameterDescriptor[] };
  body?: { required: boolean; mediaTypes: string[]; schema?: JsonSchema };
  responses: ResponseDescriptor[];
  /** The declared security profile of its messages; absent: none declared. */
  security?: SecurityDescriptor;
}

/** A push operation: the provider's request operation and the callback it sends. */
export interface PushDescriptor extends OperationDescriptor {
  /** Request header carrying the callback URL (`X-ReplyTo`). */
  replyToHeader: string;
  /** The callback the provider POSTs the result to. */
  callback: OperationDescriptor & { name: string };
}

export const CORRELATION_HEADER = 'X-Correlation-ID';

/**
 * What a message of an operation must carry, as the agreement declares it (src/classify/security.ts):
 * a PDND voucher (`idAuth`; ID_AUTH_REST_02: a per-message `jti` used once), `Agid-JWT-Signature` +
 * `Digest` (`integrity`), `Agid-JWT-TrackingEvidence` (`audit`; AUDIT_REST_02: bound to the voucher).
 */
export interface SecurityDescriptor {
  idAuth: 'ID_AUTH_REST_01' | 'ID_AUTH_REST_02';
  integrity?: 'INTEGRITY_REST_01' | 'INTEGRITY_REST_02';
  audit?: 'AUDIT_REST_01' | 'AUDIT_REST_02';
}
