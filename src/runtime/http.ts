import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CharsetError, charsetOf, decodeBody } from './charset.js';
import type { OperationDescriptor, ParameterDescriptor, ResponseDescriptor } from './descriptors.js';
import { jsonNestsDeeper, type InputLimits } from './limits.js';
import { ProblemError, RuntimeProblemError, runtimeProblem, sendProblem, toProblem } from './problem.js';
import type { Validators } from './validation.js';
import { BoundedMemo } from './memo.js';

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
  return new RuntimeProblemError('request-invalid', p.detail, {}, { invalid_params: p.invalid_params });
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
      if (accepted.length === 0) throw new RuntimeProblemError('unsupported-media-type', 'this operation takes no request body');
      if (!accepted.includes(type)) throw new RuntimeProblemError('unsupported-media-type', `unsupported Content-Type ${JSON.stringify(type)}; expected ${accepted.join(' or ')}`);
      if (body && !body(req.body)) throw validationProblem('body', body.errors ?? []);
    } else if (op.body?.required) {
      throw new RuntimeProblemError('request-invalid', 'request body is required');
    }
    return { path: pathValues, query: queryValues, headers: headerValues, body: hasBody ? req.body : undefined };
  };
}

const mediaTypes = new BoundedMemo<string>(256);

/** The media type of a Content-Type, lower-cased (peers send few distinct values: they are cached). */
function mediaTypeOf(contentType: string | undefined): string {
  return mediaTypes.get(contentType ?? '', (key) => key.split(';')[0].trim().toLowerCase());
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

/**
 * Registers the JSON body parser for application/json and the `+json` media types an agreement
 * declares: the body is decoded in the charset it declares (UTF-8 by default; undecodable bytes are
 * a 400, an encoding not read a 415), refused when it nests deeper than `limits.depth` (400), then
 * parsed with prototype poisoning refused.
 */
export function installJsonParsers(app: FastifyInstance, ops: OperationDescriptor[], limits: InputLimits): void {
  const types = new Set(['application/json']);
  for (const op of ops) for (const m of op.body?.mediaTypes ?? []) if (isJsonMediaType(m)) types.add(m.toLowerCase());
  const parse = app.getDefaultJsonParser('error', 'error');
  const tooDeep = `body nests deeper than ${limits.depth} levels (the limit)`;
  const parser = (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    let text: string;
    try {
      text = decodeBody(body as Buffer, charsetOf(req.headers['content-type']) ?? 'utf-8');
    } catch (e) {
      if (!(e instanceof CharsetError)) throw e;
      return done(new RuntimeProblemError(e.unsupported ? 'unsupported-media-type' : 'request-invalid', e.message));
    }
    if (jsonNestsDeeper(text, limits.depth)) return done(new RuntimeProblemError('request-invalid', tooDeep));
    parse(req, text, done);
  };
  for (const m of types) {
    // Replaces Fastify's own parser in this plugin's scope: it reads every body as UTF-8.
    if (app.hasContentTypeParser(m)) app.removeContentTypeParser(m);
    app.addContentTypeParser(m, { parseAs: 'buffer' }, parser);
  }
}

/**
 * What a handler's response is checked against: a declared status always (there is nothing else to
 * send it as), the declared body schema when `checkBodies` (response validation is on). A success
 * status must be declared as such (exactly or as `2XX`): `default` describes the error responses.
 * Returns why a response breaks the spec, or `undefined`.
 */
export function responseChecker(validators: Validators, responses: ResponseDescriptor[], checkBodies: boolean): (status: number, body: unknown) => string | undefined {
  const bodies = new Map<number, ((body: unknown) => string | undefined) | null>();
  return (status, body) => {
    let check = bodies.get(status);
    if (check === undefined) {
      const declared = declaredResponse(responses, status);
      if (!declared || (declared.status === 'default' && status >= 200 && status < 300)) check = () => `status ${status} is not declared`;
      else if (!checkBodies) check = () => undefined;
      else if (!declared.schema) check = (b) => (b === undefined ? undefined : `status ${status} declares no body`);
      else {
        const validate = validators.compile(declared.schema);
        check = (b) => (validate(b) ? undefined : validationProblem('response body', validate.errors ?? []).problem.detail);
      }
      bodies.set(status, check);
    }
    return check!(body);
  };
}

/**
 * Answers a response the handler got wrong: the client gets a 500 problem that says no more, the
 * log names the handler and what it got wrong.
 */
export function sendBrokenResponse(req: FastifyRequest, reply: FastifyReply, op: Pick<OperationDescriptor, 'id' | 'handler'>, why: string): FastifyReply {
  req.log.error({ handler: op.handler, operation: op.id }, `handler ${op.handler} returned a response the spec does not declare: ${why}`);
  return sendProblem(reply, runtimeProblem('response-invalid', 'the request could not be processed'));
}

export function sendJson(reply: FastifyReply, status: number, body: unknown, headers?: Record<string, string>, mediaType = 'application/json', json = isJsonMediaType(mediaType)): FastifyReply {
  reply.code(status);
  if (headers) reply.headers(headers);
  if (body === undefined) return reply.send();
  return reply.type(mediaType).send(json ? JSON.stringify(body) : body);
}
