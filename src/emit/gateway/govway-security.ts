/**
 * GovWay's ModI message security (`sicurezza_messaggio`) from the security the agreement declares:
 * the API carries the profile most of its operations declare (or the config's `messageSecurity`
 * when it names one), an operation that declares another is `ridefinito`. The voucher comes from
 * PDND (`generazione_token: pdnd`); INTEGRITY signs in `Agid-JWT-Signature` with the request's
 * `Digest`; AUDIT names its pattern.
 */
import { securityPatterns, type SecurityProfile } from '../../classify/index.js';
import type { MESSAGE_SECURITY } from '../../config/gateway.js';
import type { GatewayApi, Route } from './topology.js';

type Pattern = (typeof MESSAGE_SECURITY)[number];

/** The body of GovWay's ApiModISicurezzaMessaggio. */
export interface GovWayMessageSecurity {
  pattern: Pattern;
  generazione_token?: 'pdnd';
  digest_richiesta?: boolean;
  rest_header?: 'agid';
  informazioni_utente?: boolean;
  pattern_audit?: 'audit-rest01' | 'audit-rest02';
}

/** A declared profile as GovWay writes it. */
export function govwayMessageSecurity(profile: SecurityProfile | undefined): GovWayMessageSecurity {
  if (!profile) return { pattern: 'disabilitato' };
  const auth = profile.idAuth === 'ID_AUTH_REST_02' ? 'auth02' : 'auth01';
  const integrity = profile.integrity === 'INTEGRITY_REST_01' ? 'integrity01' : profile.integrity === 'INTEGRITY_REST_02' ? 'integrity02' : undefined;
  return {
    pattern: integrity ? `${integrity}-${auth}` : auth,
    generazione_token: 'pdnd',
    ...(integrity ? { digest_richiesta: true, rest_header: 'agid' as const } : {}),
    ...(profile.audit ? { informazioni_utente: true, pattern_audit: profile.audit === 'AUDIT_REST_02' ? ('audit-rest02' as const) : ('audit-rest01' as const) } : {}),
  };
}

/**
 * The API's message security: the config's pattern when it names one (it then holds for every
 * operation), else the profile most of its operations declare (the first of them on a tie).
 */
export function apiMessageSecurity(api: GatewayApi, configured: Pattern): GovWayMessageSecurity {
  if (configured !== 'disabilitato') return { pattern: configured };
  const counts = new Map<string, { profile: SecurityProfile; n: number }>();
  for (const r of api.routes) {
    if (!r.security) continue;
    const key = securityPatterns(r.security).join('+');
    const c = counts.get(key) ?? { profile: r.security, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  let best: { profile: SecurityProfile; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return govwayMessageSecurity(best?.profile);
}

/** A resource's or action's `sicurezza_messaggio`: the API's, or its own when it declares another. */
export function routeMessageSecurity(route: Route, api: GovWayMessageSecurity, configured: Pattern): Record<string, unknown> {
  if (configured !== 'disabilitato') return { stato: 'api' };
  const own = govwayMessageSecurity(route.security);
  return JSON.stringify(own) === JSON.stringify(api) ? { stato: 'api' } : { stato: 'ridefinito', configurazione: own };
}
