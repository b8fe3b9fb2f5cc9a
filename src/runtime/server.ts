import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { installErrorHandler } from './http.js';
import { DEFAULT_MAX_BODY_BYTES_IN_FLIGHT, installBodyBudget } from './inflight.js';
import { RUNTIME_ERRORS, type RuntimeErrorCode } from './errors.js';
import { PROBLEM_JSON, runtimeProblem } from './problem.js';

export interface ServerOptions {
  /** Largest accepted request body in bytes (default 1 MiB); larger ones get 413. */
  bodyLimit?: number;
  /** Fastify (pino) logger setting (default: off). Log lines carry `reqId`, the transaction id. */
  logger?: FastifyServerOptions['logger'];
  /** Time allowed to receive a whole request, in ms (default 30 s): slow bodies get 408. */
  requestTimeout?: number;
  /**
   * The response header that carries each request's transaction id (default `X-Transaction-ID`),
   * as CART asks: a client keeps it for support; no id means the request was not taken in charge.
   */
  transactionHeader?: string;
  /** Connections open at once (default 1024); more are closed as they arrive. */
  maxConnections?: number;
  /**
   * Bytes of request bodies held at once, over all connections (default 64 MiB): a body that
   * would pass it is refused with 503 + `Retry-After` before it is read (docs/security.md).
   */
  maxBodyBytesInFlight?: number;
}

export const DEFAULT_TRANSACTION_HEADER = 'X-Transaction-ID';
/** Connections a server keeps open at once by default. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/**
 * How the server writes the errors it answers outside any operation (malformed HTTP, 408, 431, a
 * badly encoded URL, 404, 405, shutting down): problem+json, unless the server hosts SOAP endpoints,
 * whose registration sets a format that writes SOAP faults.
 */
export interface ErrorFormat {
  /** The Content-Type and body of a runtime error; `requestContentType` is the request's, when it was read. */
  write(code: RuntimeErrorCode, detail: string, requestContentType?: string): { contentType: string; body: string };
}

const problemFormat: ErrorFormat = { write: (code, detail) => ({ contentType: PROBLEM_JSON, body: JSON.stringify(runtimeProblem(code, detail)) }) };

/** By HTTP server: plugins (SOAP) are registered in child contexts, and all of them share the one server. */
const formats = new WeakMap<Server, ErrorFormat>();

/** Makes the server answer its own errors in `format` (SOAP registration calls this). */
export function setErrorFormat(app: FastifyInstance, format: ErrorFormat): void {
  formats.set(app.server, format);
}

function formatOf(app: FastifyInstance): ErrorFormat {
  return formats.get(app.server) ?? problemFormat;
}

function sendError(reply: FastifyReply, code: RuntimeErrorCode, detail: string): FastifyReply {
  const { contentType, body } = formatOf(reply.server).write(code, detail, reply.request.headers['content-type']);
  return reply.code(RUNTIME_ERRORS[code].status).type(contentType).send(body);
}

/**
 * A Fastify instance with Accordo's defaults: problem+json errors, 404s and 405s (with `Allow`),
 * bounded bodies and request times, and a transaction id on every response (also the `reqId` of its
 * log lines), including those to requests that never reach a route.
 */
export function createServer(options: ServerOptions = {}): FastifyInstance {
  const header = options.transactionHeader ?? DEFAULT_TRANSACTION_HEADER;
  const requestTimeout = options.requestTimeout ?? 30_000;
  let closing = false;
  const app: FastifyInstance = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger: options.logger ?? false,
    // Node enforces request timeouts when it sweeps its connections, every 30 s by default: a
    // slow body would get up to 30 s more. Sweep at least once a second.
    serverFactory: (handler) => createHttpServer({ requestTimeout, headersTimeout: Math.min(requestTimeout, 60_000), connectionsCheckingInterval: Math.min(1000, requestTimeout) }, handler),
    // The id is ours: a client-sent value is never trusted as a transaction id.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    // Requests the HTTP parser refuses, and timeouts: Fastify's own answer is its JSON naming itself.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => answerClientError(app, header, error, socket),
    // A URL whose percent-encoding does not decode (`%zz`), or a path parameter over the router's length.
    frameworkErrors: (error, req, reply) => {
      reply.header(header, req.id);
      const code = (error as { code?: string }).code;
      if (code === 'FST_ERR_BAD_URL') return sendError(reply, 'request-invalid', 'the URL is not validly percent-encoded');
      if (code === 'FST_ERR_MAX_PARAM_LENGTH') return sendError(reply, 'uri-too-long', 'a path segment is too long');
      req.log.error({ err: error }, 'request failed before routing');
      return sendError(reply, 'internal-error', 'the request could not be processed');
    },
    // Answered below as problem+json: Fastify's own 503 while closing is its JSON.
    return503OnClosing: false,
  });
  // A callback-style hook: an async one costs a promise per request on the hot path.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header(header, req.id);
    if (closing) {
      reply.header('connection', 'close').header('retry-after', '5');
      sendError(reply, 'shutting-down', 'the server is shutting down; try again later');
      return;
    }
    done();
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // Which methods have routes, to tell a 405 from a 404.
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const m of [route.method].flat()) methods.add(m);
  });
  installErrorHandler(app);
  app.server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  installBodyBudget(app, options.maxBodyBytesInFlight ?? DEFAULT_MAX_BODY_BYTES_IN_FLIGHT);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = [...methods].filter((m) => m !== req.method && app.findRoute({ method: m, url: path }) !== null).sort();
    if (allowed.length) return sendError(reply.header('allow', allowed.join(', ')), 'method-not-allowed', `${req.method} is not allowed at ${path}; allowed: ${allowed.join(', ')}`);
    return sendError(reply, 'not-found', `no operation at ${req.method} ${path}`);
  });
  return app;
}

/** Runtime error and detail of a request the HTTP parser refused, by Node's error code. */
function clientErrorOf(code: string | undefined): [RuntimeErrorCode, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return ['request-timeout', 'the request was not received in time'];
  if (code === 'HPE_HEADER_OVERFLOW') return ['headers-too-large', 'the request headers are too large'];
  return ['request-invalid', 'the request is not valid HTTP'];
}

/**
 * Answers a request Node's HTTP parser refused (or that timed out) in the server's error format,
 * with a transaction id (logged with the parser's reason), then closes the connection. Nothing is
 * written once a response has begun on the connection.
 */
function answerClientError(app: FastifyInstance, header: string, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [errorCode, detail] = clientErrorOf(error.code);
  const { status } = RUNTIME_ERRORS[errorCode];
  const id = randomUUID();
  app.log.info({ reqId: id, code: error.code }, `request refused by the HTTP parser: ${status}`);
  // Node's own answer checks the same: no response of this connection has started.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const { contentType, body } = formatOf(app).write(errorCode, detail);
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, `Content-Type: ${contentType}`, `Content-Length: ${Buffer.byteLength(body)}`, `${header}: ${id}`, 'Connection: close'];
  socket.write(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}
