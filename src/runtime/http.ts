import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OperationDescriptor, ParameterDescriptor, ResponseDescriptor } from './descriptors.js';
import { ProblemError, sendProblem, toProblem, problem } from './problem.js';
import type { Validators } from './validation.js';

/** The validated parts of an incoming request, as typed handlers receive them. */
export interface IncomingRequest {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  body: unknown;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

export function isJsonMediaType(mediaType: string): boolean {
  return JSON_TYPE.test(mediaType.split(';')[0].trim());
}

/** `/resources/{id_resource}/M` → `/resources/:p0/M`: positional names keep any spec name safe in the router. */
export function routePath(path: string): { url: string; names: string[] } {
  const names: string[] = [];
  const url = path
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (!m) return part.replace(/:/g, '::');
      names.push(m[1]);
      return `:p${names.length - 1}`;
    })
    .join('');
  return { url, names };
}

type Check = (value: Record<string, unknown>) => ProblemError | undefined;

function objectSchema(params: ParameterDescriptor[], lower: boolean) {
  return {
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [lower ? p.name.toLowerCase() : p.name, p.schema])),
    required: params.filter((p) => p.required).map((p) => (lower ? p.name.toLowerCase() : p.name)),
  };
}

function checker(validators: Validators, params: ParameterDescriptor[], where: string, lower: boolean): Check {
  if (params.length === 0) return () => undefined;
  const validate = validators.compile(objectSchema(params, lower), true);
  return (value) => (validate(value) ? undefined : validationProblem(where, validate.errors ?? []));
}

export function validationProblem(where: string, errors: { instancePath: string; message?: string; params?: Record<string, unknown> }[]): ProblemError {
  const p = toProblem(Object.assign(new Error('validation'), { validation: errors, validationContext: where }));
  return new ProblemError(p.status, p.detail, { invalid_params: p.invalid_params });
}

/**
 * Builds the request parser of one operation: Content-Type check (415), then path, query,
 * header and body validation (400), each against the spec's schemas.
 */
export function requestParser(validators: Validators, op: OperationDescriptor): (req: FastifyRequest) => IncomingRequest {
  const { names } = routePath(op.path);
  const path = checker(validators, op.parameters.path, 'path', false);
  const query = checker(validators, op.parameters.query, 'query', false);
  const headers = checker(validators, op.parameters.header, 'headers', true);
  const bodySchema = op.body?.schema;
  const body = bodySchema ? validators.compile(bodySchema) : undefined;
  const accepted = op.body?.mediaTypes.map((m) => m.toLowerCase()) ?? [];
  // Worked out once: this runs on every request.
  const params = names.map((name, i) => [name, `p${i}`] as const);
  const headerNames = op.parameters.header.map((p) => p.name.toLowerCase());

  return (req) => {
    const raw = (req.params ?? {}) as Record<string, string>;
    const pathValues: Record<string, unknown> = {};
    for (const [name, key] of params) pathValues[name] = raw[key];
    const queryValues = { ...(req.query as Record<string, unknown>) };
    const headerValues: Record<string, unknown> = {};
    for (const name of headerNames) {
      const v = req.headers[name];
      if (v !== undefined) headerValues[name] = v;
    }
    const failure = path(pathValues) ?? query(queryValues) ?? headers(headerValues);
    if (failure) throw failure;

    const hasBody = req.body !== undefined && req.body !== null;
    if (hasBody) {
      const type = mediaTypeOf(req.headers['content-type']);
      if (accepted.length === 0) throw new ProblemError(415, 'this operation takes no request body');
      if (!accepted.includes(type))
        throw new ProblemError(415, `unsupported Content-Type ${JSON.stringify(type)}; expected ${accepted.join(' or ')}`);
      if (body && !body(req.body)) throw validationProblem('body', body.errors ?? []);
    } else if (op.body?.required) {
      throw new ProblemError(400, 'request body is required');
    }
    return { path: pathValues, query: queryValues, headers: headerValues, body: hasBody ? req.body : undefined };
  };
}

const mediaTypes = new Map<string, string>();

/** The media type of a Content-Type, lower-cased (peers send few distinct values: they are cached). */
function mediaTypeOf(contentType: string | undefined): string {
  const key = contentType ?? '';
  let type = mediaTypes.get(key);
  if (type === undefined) {
    type = key.split(';')[0].trim().toLowerCase();
    if (mediaTypes.size >= 256) mediaTypes.clear();
    mediaTypes.set(key, type);
  }
  return type;
}

/** The declared response for a status: exact, then `2XX`-style range, then `default`. */
export function declaredResponse(responses: ResponseDescriptor[], status: number): ResponseDescriptor | undefined {
  const s = String(status);
  return responses.find((r) => r.status === s) ?? responses.find((r) => r.status === `${s[0]}XX`) ?? responses.find((r) => r.status === 'default');
}

/** Error handling shared by every Accordo route: problem+json, no internals leaked. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const p = toProblem(error as Error, request);
    if (p.status >= 500) request.log.error({ err: error }, 'request failed');
    if (error instanceof ProblemError) reply.headers(error.headers);
    return sendProblem(reply, p);
  });
}

/** Unknown routes answer 404 problem+json too (set once, on the root instance). */
export function installNotFoundHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, `no operation at ${request.method} ${request.url.split('?')[0]}`)));
}

/** Registers JSON parsing for the `+json` media types an agreement declares besides application/json. */
export function installJsonParsers(app: FastifyInstance, ops: OperationDescriptor[]): void {
  const extra = new Set<string>();
  for (const op of ops) for (const m of op.body?.mediaTypes ?? []) if (isJsonMediaType(m) && m.toLowerCase() !== 'application/json') extra.add(m.toLowerCase());
  for (const m of extra) if (!app.hasContentTypeParser(m)) app.addContentTypeParser(m, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
}

export function sendJson(reply: FastifyReply, status: number, body: unknown, headers?: Record<string, string>, mediaType = 'application/json', json = isJsonMediaType(mediaType)): FastifyReply {
  reply.code(status);
  if (headers) reply.headers(headers);
  if (body === undefined) return reply.send();
  return reply.type(mediaType).send(json ? JSON.stringify(body) : body);
}
