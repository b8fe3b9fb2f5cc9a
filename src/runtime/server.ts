import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { installErrorHandler, installNotFoundHandler } from './http.js';

export interface ServerOptions {
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Fastify logger setting (default: off). */
  logger?: FastifyServerOptions['logger'];
  /** Request timeout in ms (default 30 s). */
  requestTimeout?: number;
}

/** A Fastify instance with Accordo's defaults: problem+json errors and 404s, bounded bodies. */
export function createServer(options: ServerOptions = {}): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger: options.logger ?? false,
    requestTimeout: options.requestTimeout ?? 30_000,
  });
  installErrorHandler(app);
  installNotFoundHandler(app);
  return app;
}
