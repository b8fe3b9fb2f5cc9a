/**
 * ONEWAY, whatever the binding: the sender gets its answer at once (REST: 202 or the 2xx the
 * spec declares; SOAP: 202), then the handler runs; its failures are logged, never sent.
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { verifiedSecurity, type VerifiedSecurity } from '../security/inbound.js';

/** What every handler of a request gets besides the request. */
export interface RequestContext {
  log: FastifyBaseLogger;
  /** The raw Fastify request, for what the spec or WSDL does not describe (auth, tracing). */
  raw: FastifyRequest;
  /** What the operation's declared security established: client, purpose, voucher, signature and audit claims. */
  security?: VerifiedSecurity;
}

/** The context of a request's handler. */
export function requestContext(req: FastifyRequest): RequestContext {
  const security = verifiedSecurity(req);
  return security ? { log: req.log, raw: req, security } : { log: req.log, raw: req };
}

/** A one-way operation's handler: it runs after the provider has answered. */
export type OneWayHandler<Req> = (request: Req, ctx: RequestContext) => void | Promise<void>;

/** Work a provider waits for on close (one-way handlers still running). */
export class PendingWork {
  private readonly jobs = new Set<Promise<unknown>>();

  get size(): number {
    return this.jobs.size;
  }

  track(job: Promise<unknown>): void {
    this.jobs.add(job);
    void job.finally(() => this.jobs.delete(job));
  }

  /** Waits for the work in progress, at most `graceMs`: a hung handler must not hold the shutdown forever. */
  async settle(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.jobs]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }
}

/** Runs a one-way handler once `answer` has sent the binding's acknowledgement (a FastifyReply, awaited: it is thenable). */
export async function runOneWay<Req>(answer: () => unknown, handler: OneWayHandler<Req>, request: Req, req: FastifyRequest, pending: PendingWork): Promise<void> {
  await answer();
  pending.track(
    (async () => {
      try {
        await handler(request, requestContext(req));
      } catch (e) {
        req.log.error({ err: e }, 'one-way handler failed');
      }
    })(),
  );
}
