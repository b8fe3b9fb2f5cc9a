import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RUNTIME_ERRORS, runtimeProblemType, type RuntimeErrorCode } from './errors.js';

/** An RFC 7807 problem: what every error of the runtime is sent as (`application/problem+json`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Field-level reasons for validation failures. */
  invalid_params?: { name: string; reason: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_JSON = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problem(status: number, detail?: string, extra: Partial<Problem> = {}): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, ...(detail ? { detail } : {}), ...extra };
}

/** A problem the runtime itself answers: its status is the code's, its `type` names the code (errors.ts). */
export function runtimeProblem(code: RuntimeErrorCode, detail?: string, extra: Partial<Problem> = {}): Problem {
  return problem(RUNTIME_ERRORS[code].status, detail, { ...extra, type: runtimeProblemType(code) });
}

/** Thrown by runtime or handler code to answer with a problem; only what it carries is sent. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(
    status: number,
    detail?: string,
    extra: Partial<Problem> = {},
    /** HTTP headers the answer carries besides the problem (e.g. `Retry-After` on a 503). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? TITLES[status] ?? 'Error');
    this.name = 'ProblemError';
    this.problem = problem(status, detail, extra);
  }
}

/** A refusal of the runtime (never of a handler): its problem `type` and, on SOAP, its fault code name `code`. */
export class RuntimeProblemError extends ProblemError {
  constructor(
    readonly code: RuntimeErrorCode,
    detail?: string,
    headers: Record<string, string> = {},
    extra: Partial<Problem> = {},
  ) {
    super(RUNTIME_ERRORS[code].status, detail, { ...extra, type: runtimeProblemType(code) }, headers);
    this.name = 'RuntimeProblemError';
  }
}

/** The runtime error code a thrown error carries, if the runtime produced it. */
export const runtimeCodeOf = (error: unknown): RuntimeErrorCode | undefined => (error instanceof RuntimeProblemError ? error.code : undefined);

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type(PROBLEM_JSON).send(p);
}

/** Maps Fastify's own errors (validation, parsing, size) to problems; anything else is a 500 that leaks nothing. */
export function toProblem(error: FastifyError | Error, request?: FastifyRequest): Problem {
  if (error instanceof ProblemError) return error.problem;
  const e = error as FastifyError & { validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[]; validationContext?: string };
  if (e.validation) {
    const where = e.validationContext ?? 'body';
    const invalid = e.validation.map((v) => ({ name: fieldName(where, v.instancePath, v.params), reason: v.message ?? 'is invalid' }));
    return runtimeProblem('request-invalid', invalid.map((i) => `${i.name} ${i.reason}`).join('; '), { invalid_params: invalid });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return runtimeProblem('unsupported-media-type', `unsupported Content-Type ${JSON.stringify(request?.headers['content-type'] ?? '')}`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return runtimeProblem('request-invalid', 'invalid Content-Length');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return runtimeProblem('payload-too-large', 'request body too large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return runtimeProblem('request-invalid', 'empty JSON body');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return runtimeProblem('request-invalid', 'body is not valid JSON');
  }
  if (e instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) return runtimeProblem('request-invalid', 'body is not valid JSON');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return runtimeProblem(runtimeCodeOfStatus(e.statusCode));
  // A handler's crash: the application's error, not the runtime's (it carries no runtime code).
  return problem(500, 'the request could not be processed');
}

/** The code of a client error Fastify or Node raised with only a status. */
export function runtimeCodeOfStatus(status: number): RuntimeErrorCode {
  const byStatus: Record<number, RuntimeErrorCode> = {
    404: 'not-found',
    405: 'method-not-allowed',
    408: 'request-timeout',
    413: 'payload-too-large',
    414: 'uri-too-long',
    415: 'unsupported-media-type',
    431: 'headers-too-large',
    503: 'shutting-down',
  };
  return byStatus[status] ?? 'request-invalid';
}

function fieldName(where: string, instancePath: string, params?: Record<string, unknown>): string {
  const missing = typeof params?.missingProperty === 'string' ? `/${params.missingProperty}` : '';
  const extra = typeof params?.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
  const path = (instancePath + missing + extra)
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [where, ...path].join('.');
}
