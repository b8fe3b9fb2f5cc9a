/**
 * The errors the runtime itself answers, told apart from the application's (the integration
 * guide's rule: a client must know whether the infrastructure refused or the service answered).
 * This table is their one home: the problem `type` (REST) and the fault code (SOAP) of each are
 * derived from its key, docs/errors.md is tested equal to it, and clients read codes back through
 * it. Errors a handler throws (a ProblemError it builds, a typed fault, a crash) never carry one.
 */

/** Problem `type` of a runtime error: this prefix, then its code (RFC 9457 allows a URN). */
export const RUNTIME_PROBLEM_TYPE_PREFIX = 'urn:accordo:error:';
/** Namespace of the SOAP fault codes of runtime errors (a SOAP 1.1 `faultcode`, a SOAP 1.2 `Subcode`). */
export const RUNTIME_FAULT_NS = 'urn:accordo:error';
/** The `faultactor` (SOAP 1.1) and `Role` (SOAP 1.2) of every runtime fault: the runtime, not the service. */
export const RUNTIME_ACTOR = 'urn:accordo:runtime';

/** A SOAP fault class (1.2 names; 1.1 `Client`/`Server` for Sender/Receiver). */
export type RuntimeFaultClass = 'Sender' | 'Receiver' | 'MustUnderstand' | 'VersionMismatch';

export interface RuntimeErrorEntry {
  /** The HTTP status of the problem (REST). SOAP answers Sender faults with 500 unless a status of its own applies (404, 405, 413, 415). */
  status: number;
  fault: RuntimeFaultClass;
  meaning: string;
}

export const RUNTIME_ERRORS = {
  'request-invalid': {
    status: 400,
    fault: 'Sender',
    meaning: 'the request breaks the agreement: a parameter, header or body fails its schema, the body is not valid JSON or XML, nests too deep or is not in a charset read',
  },
  'unsupported-media-type': { status: 415, fault: 'Sender', meaning: 'the request Content-Type (or its charset) is not one the operation takes' },
  'payload-too-large': { status: 413, fault: 'Sender', meaning: 'the request body is larger than the body limit' },
  'not-found': { status: 404, fault: 'Sender', meaning: 'no operation (or served document) at this path' },
  'method-not-allowed': { status: 405, fault: 'Sender', meaning: 'the path exists, not with this method (`Allow` lists those that do)' },
  'uri-too-long': { status: 414, fault: 'Sender', meaning: 'a path segment is longer than the router takes' },
  'request-timeout': { status: 408, fault: 'Sender', meaning: 'the request was not received within the request timeout' },
  'headers-too-large': { status: 431, fault: 'Sender', meaning: 'the request headers are larger than the HTTP parser takes' },
  'reply-address-missing': { status: 400, fault: 'Sender', meaning: 'a push request without its reply address (`X-ReplyTo` or the declared carrier)' },
  'reply-address-refused': { status: 400, fault: 'Sender', meaning: 'the reply address is not an absolute http(s) URL, or names a host the reply-address guard refuses or that does not resolve' },
  'reply-address-unverifiable': { status: 503, fault: 'Receiver', meaning: 'the reply address host could not be resolved now; try again later' },
  'correlation-missing': { status: 400, fault: 'Sender', meaning: 'a callback without its CorrelationID' },
  'correlation-unknown': { status: 404, fault: 'Sender', meaning: 'async response not correlated to any earlier request: no request of this consumer has the CorrelationID' },
  'correlation-pending': { status: 503, fault: 'Receiver', meaning: 'the CorrelationID is not known yet (the request that gets it is still being answered); try again later' },
  'callback-in-progress': { status: 503, fault: 'Receiver', meaning: 'a callback with this CorrelationID is being handled; try again later' },
  duplicate: { status: 409, fault: 'Sender', meaning: 'a request with this CorrelationID, task id or subscription id was already accepted' },
  unauthenticated: { status: 401, fault: 'Sender', meaning: 'a declared security check failed: voucher missing, invalid, expired or replayed; signature or digest wrong' },
  forbidden: { status: 403, fault: 'Sender', meaning: 'the voucher is valid but does not grant this operation (scope, audience)' },
  'security-unavailable': { status: 503, fault: 'Receiver', meaning: 'the credentials cannot be checked now (keys or replay store unreachable); try again later' },
  'credential-unsupported': { status: 400, fault: 'Sender', meaning: 'a subscription carries a callback credential of a type this provider cannot present' },
  'store-unavailable': { status: 503, fault: 'Receiver', meaning: 'the request could not be taken in charge: the store did not answer; try again later' },
  overloaded: { status: 503, fault: 'Receiver', meaning: 'too many request bodies are being received at once; try again later' },
  'shutting-down': { status: 503, fault: 'Receiver', meaning: 'the server is shutting down; try again later' },
  'task-not-found': { status: 404, fault: 'Sender', meaning: 'no pull task with this id' },
  'task-not-ready': { status: 409, fault: 'Sender', meaning: 'the pull task has no result yet' },
  'message-not-found': { status: 404, fault: 'Sender', meaning: 'no message in the message box with this id or reference' },
  'message-leased': { status: 409, fault: 'Sender', meaning: 'the message box message is leased to another drainer; it comes back to the box when that lease lapses' },
  'delivery-not-found': { status: 404, fault: 'Sender', meaning: 'admin: no delivery with this id' },
  'delivery-conflict': { status: 409, fault: 'Sender', meaning: 'admin: the delivery is not in a state that allows this (retry: dead or expired; purge: finished)' },
  'admin-unauthorized': { status: 401, fault: 'Sender', meaning: 'admin: a valid admin bearer token is required' },
  'response-invalid': { status: 500, fault: 'Receiver', meaning: 'the handler answered something the agreement does not declare (status or body); the log names the handler' },
  'internal-error': { status: 500, fault: 'Receiver', meaning: 'the runtime failed before any handler ran; the log says why' },
  'must-understand': { status: 500, fault: 'MustUnderstand', meaning: 'SOAP: a header block marked mustUnderstand that the operation does not declare' },
  'version-mismatch': { status: 500, fault: 'VersionMismatch', meaning: 'SOAP: the message is not a SOAP envelope of a version this endpoint speaks' },
} as const satisfies Record<string, RuntimeErrorEntry>;

/** The code of an error the runtime produced (a key of RUNTIME_ERRORS). */
export type RuntimeErrorCode = keyof typeof RUNTIME_ERRORS;

export const isRuntimeErrorCode = (code: unknown): code is RuntimeErrorCode => typeof code === 'string' && Object.hasOwn(RUNTIME_ERRORS, code);

export const runtimeProblemType = (code: RuntimeErrorCode): string => RUNTIME_PROBLEM_TYPE_PREFIX + code;

/** The runtime error code a problem `type` names, if it names one. */
export function runtimeCodeOfType(type: unknown): RuntimeErrorCode | undefined {
  if (typeof type !== 'string' || !type.startsWith(RUNTIME_PROBLEM_TYPE_PREFIX)) return undefined;
  const code = type.slice(RUNTIME_PROBLEM_TYPE_PREFIX.length);
  return isRuntimeErrorCode(code) ? code : undefined;
}

/** The runtime error code of a problem+json body a peer answered, if the runtime (not a handler) produced it. */
export function runtimeCodeOfProblem(body: unknown): RuntimeErrorCode | undefined {
  return body && typeof body === 'object' ? runtimeCodeOfType((body as { type?: unknown }).type) : undefined;
}
