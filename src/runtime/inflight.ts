/**
 * A bound on the request bodies a server holds at once. The body limit bounds one request; many
 * requests that send their headers and most of their body, then stall (500 of 1 MiB took a
 * provider from 110 to 611 MB for the 30 s request timeout), need a bound on their sum: bytes
 * declared (`Content-Length`) or received (chunked) are counted from the moment a body starts until
 * its response is sent, and a body that would pass the bound is refused at once with a 503 and
 * `Retry-After`, its connection closed, before it is read.
 */
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { RuntimeProblemError } from './problem.js';

/** Bytes of request bodies held at once, default: 64 MiB (64 bodies at the default 1 MiB limit). */
export const DEFAULT_MAX_BODY_BYTES_IN_FLIGHT = 64 * 1024 * 1024;

export function installBodyBudget(app: FastifyInstance, maxBytes: number): void {
  let inFlight = 0;
  const refuse = (reply: FastifyReply) => {
    reply.header('connection', 'close');
    return new RuntimeProblemError('overloaded', 'too many requests are being received at once; try again later', { 'retry-after': '5' });
  };
  // A callback-style hook: an async one costs a promise and a microtask per request on the hot path.
  app.addHook('preParsing', (req, reply, payload, done) => {
    let held = 0;
    reply.raw.once('close', () => {
      inFlight -= held;
      held = 0;
    });
    const declared = Number(req.headers['content-length']);
    if (Number.isSafeInteger(declared) && declared >= 0 && req.headers['transfer-encoding'] === undefined) {
      if (inFlight + declared > maxBytes) return done(refuse(reply));
      inFlight += declared;
      held += declared;
      return done(null, payload);
    }
    // No length declared: counted as the chunks arrive.
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (inFlight + chunk.length > maxBytes) return callback(refuse(reply));
        inFlight += chunk.length;
        held += chunk.length;
        counted.receivedEncodedLength += chunk.length;
        callback(null, chunk);
      },
    }) as Transform & { receivedEncodedLength: number };
    counted.receivedEncodedLength = 0;
    payload.on('error', (e) => counted.destroy(e));
    done(null, payload.pipe(counted));
  });
}
