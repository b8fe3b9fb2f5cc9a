/**
 * A bound on the request bodies a server holds at once. The body limit bounds one request; many
 * requests that send their headers and most of their body, then stall (500 of 1 MiB took a
 * provider from 110 to 611 MB for the 30 s request timeout), need a bound on their sum: bytes
 * declared (`Content-Length`) or received (chunked) are counted from the moment a body starts until
 * its response is sent, and a body that would pass the bound is refused at once with a 503 and
 * `Retry-After`, its connection closed, before it is read.
 */
import type { ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { RuntimeProblemError } from './problem.js';

/** Bytes of request bodies held at once, default: 64 MiB (64 bodies at the default 1 MiB limit). */
export const DEFAULT_MAX_BODY_BYTES_IN_FLIGHT = 64 * 1024 * 1024;

/** Bytes a response's request body holds against the budget, on the response (one shared release listener, no closure per request). */
const HELD = Symbol('accordo.bodyBytesHeld');
type Holding = ServerResponse & { [HELD]?: number };

export function installBodyBudget(app: FastifyInstance, maxBytes: number): void {
  let inFlight = 0;
  const refuse = (reply: FastifyReply) => {
    reply.header('connection', 'close');
    return new RuntimeProblemError('overloaded', 'too many requests are being received at once; try again later', { 'retry-after': '5' });
  };
  function release(this: Holding) {
    inFlight -= this[HELD] ?? 0;
    this[HELD] = 0;
  }
  const hold = (res: Holding, bytes: number) => {
    inFlight += bytes;
    if (res[HELD] === undefined) res.on('close', release); // a response closes once
    res[HELD] = (res[HELD] ?? 0) + bytes;
  };
  // A callback-style hook: an async one costs a promise and a turn of the microtask queue per request.
  app.addHook('preParsing', (req, reply, payload, done) => {
    const length = req.headers['content-length'];
    if (req.headers['transfer-encoding'] === undefined) {
      // Neither header: the request has no body (RFC 9112 6.3), nothing to hold.
      if (length === undefined) return done(null, payload);
      const declared = Number(length);
      if (Number.isSafeInteger(declared) && declared >= 0) {
        if (inFlight + declared > maxBytes) return done(refuse(reply));
        hold(reply.raw, declared);
        return done(null, payload);
      }
    }
    // No length declared: counted as the chunks arrive.
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (inFlight + chunk.length > maxBytes) return callback(refuse(reply));
        hold(reply.raw, chunk.length);
        counted.receivedEncodedLength += chunk.length;
        callback(null, chunk);
      },
    }) as Transform & { receivedEncodedLength: number };
    counted.receivedEncodedLength = 0;
    payload.on('error', (e) => counted.destroy(e));
    done(null, payload.pipe(counted));
  });
}
