/**
 * How the routes of a provider (or of a consumer's callback endpoints) get the checks their
 * operations declare: one InboundSecurity per registration, its hooks on each secured route.
 */
import type { RouteShorthandOptions } from 'fastify';
import type { SecurityDescriptor } from '../descriptors.js';
import type { Store } from '../store/types.js';
import { InboundSecurity, type InboundSecurityOptions } from './inbound.js';

/** The hooks of a route: spread into `app.route({...})`. */
type StepLike = { id: string; security?: SecurityDescriptor };

export type SecuredRoute = (profile: SecurityDescriptor | undefined) => Pick<RouteShorthandOptions, 'onRequest' | 'preParsing' | 'preHandler'>;

/**
 * Checks the setting against what the operations declare and returns the hooks per profile.
 * An operation that declares security needs `security` set: the checks (docs/security.md), or
 * `false` when a gateway in front (GovWay) makes them. A store is opened only for ID_AUTH_REST_02.
 */
export async function securedRoutes(
  operations: { id: string; security?: SecurityDescriptor }[],
  setting: InboundSecurityOptions | false | undefined,
  store: () => Promise<Store>,
): Promise<SecuredRoute> {
  // A pull operation's status and result reads have their own profile.
  const steps = operations.flatMap((op) =>
    'pull' in op ? [op, (op as { pull: { status: StepLike; result: StepLike } }).pull.status, (op as { pull: { status: StepLike; result: StepLike } }).pull.result] : [op],
  );
  const declared = steps.filter((op) => op.security);
  if (declared.length === 0 || setting === false) return () => ({});
  if (!setting) {
    const op = declared[0];
    throw new Error(
      `operation ${op.id} declares ${op.security!.idAuth}: set the security option (the voucher's issuer, audience and keys; docs/security.md), or security: false when a gateway in front checks it`,
    );
  }
  const replay = declared.some((op) => op.security!.idAuth === 'ID_AUTH_REST_02');
  const inbound = new InboundSecurity(setting, replay ? await store() : undefined);
  for (const op of declared) inbound.check(op.id, op.security!);
  const hooks = new Map<string, ReturnType<SecuredRoute>>();
  return (profile) => {
    if (!profile) return {};
    const key = JSON.stringify(profile);
    let h = hooks.get(key);
    if (!h) hooks.set(key, (h = inbound.hooksFor(profile)));
    return h;
  };
}
