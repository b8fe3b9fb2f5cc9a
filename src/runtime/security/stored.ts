/**
 * The verified security of a request that is handled later, from the store (a push or pull
 * request's `process`, run by the worker, possibly in another instance or after a restart): it
 * is kept with the task, in its `meta`, and given back to the handler and its log lines as the
 * request's own handlers had it.
 */
import type { VerifiedSecurity } from './inbound.js';

/** What a task's `meta` keeps of the request's security (nothing when none was declared). */
export function withSecurity<M extends object>(meta: M, security: VerifiedSecurity | undefined): M | (M & { security: VerifiedSecurity }) {
  return security ? { ...meta, security } : meta;
}

/** The security a task was stored with, for its handler's `ctx.security`. */
export function storedSecurity(meta: unknown): VerifiedSecurity | undefined {
  const security = meta && typeof meta === 'object' ? (meta as { security?: unknown }).security : undefined;
  return security && typeof security === 'object' && typeof (security as VerifiedSecurity).clientId === 'string' ? (security as VerifiedSecurity) : undefined;
}

/** The fields a handler's log lines carry: who called, for which purpose, under which patterns. */
export function securityLogFields(security: VerifiedSecurity): { clientId: string; purposeId?: string; security: string } {
  return { clientId: security.clientId, ...(security.purposeId ? { purposeId: security.purposeId } : {}), security: security.patterns.join('+') };
}
