import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { installErrorHandler, installNotFoundHandler } from './http.js';

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
}

export const DEFAULT_TRANSACTION_HEADER = 'X-Transaction-ID';

/**
 * A Fastify instance with Accordo's defaults: problem+json errors and 404s, bounded bodies and
 * request times, and a transaction id on every response (also the `reqId` of its log lines).
 */
export function createServer(options: ServerOptions = {}): FastifyInstance {
  const header = options.transactionHeader ?? DEFAULT_TRANSACTION_HEADER;
  const requestTimeout = options.requestTimeout ?? 30_000;
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger: options.logger ?? false,
    // Node enforces request timeouts when it sweeps its connections, every 30 s by default: a
    // slow body would get up to 30 s more. Sweep at least once a second.
    serverFactory: (handler) =>
      createHttpServer({ requestTimeout, headersTimeout: Math.min(requestTimeout, 60_000), connectionsCheckingInterval: Math.min(1000, requestTimeout) }, handler),
    // The id is ours: a client-sent value is never trusted as a transaction id.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
  });
  // A callback-style hook: an async one costs a promise per request on the hot path.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header(header, req.id);
    done();
  });
  installErrorHandler(app);
  installNotFoundHandler(app);
  return app;
}
