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
  /**
   * When the callback URL travels elsewhere than in a header (a body field, a query parameter, a
   * template): the parts of its runtime expression; the provider resolves the URL from the request
   * by them, and `replyToHeader` is not read.
   */
  replyTo?: { address: AddressPart[]; expression: string };
  /** The callback the provider POSTs the result to. */
  callback: OperationDescriptor & { name: string };
  /** The query parameter of the callback that carries the CorrelationID, when not the `X-Correlation-ID` header (the ACK keeps the header). */
  correlationParameter?: string;
}

export const CORRELATION_HEADER = 'X-Correlation-ID';

/** One part of a callback URL's runtime expression (`{$request.body#/sink}`, literal text, `$url`...). */
export type AddressPart =
  | { kind: 'literal'; text: string }
  | { kind: 'header'; name: string }
  | { kind: 'query'; name: string }
  | { kind: 'path'; name: string }
  | { kind: 'body'; pointer: string }
  | { kind: 'url' }
  | { kind: 'method' };

/** A callback of a subscription: the operation the provider calls for each event, and where its URL comes from. */
export interface SubscriptionCallbackDescriptor extends OperationDescriptor {
  /** The `callbacks` key: what `emit` names. */
  name: string;
  /** The runtime expression of its URL, as parts; the URL is resolved from the request accepted. */
  address: AddressPart[];
  /** The spec's expression, for messages. */
  expression: string;
  /**
   * The request body field that carries a credential for the callback (CAMARA `sinkCredential`);
   * an `ACCESSTOKEN` credential is presented as `Authorization: Bearer` on every event.
   */
  credential?: { pointer: string };
}

/** An OpenAPI 3.1 webhook: the request the provider sends to the target its options name. */
export interface WebhookDescriptor extends OperationDescriptor {
  /** The `webhooks` key: what `send` names and `webhookTargets` is keyed by. */
  name: string;
}

/** A SUBSCRIPTION_REST request: its own answer (201 + body), then events to its callbacks over its life. */
export interface SubscriptionDescriptor extends OperationDescriptor {
  subscription: { callbacks: SubscriptionCallbackDescriptor[] };
}

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
