/**
 * The declared security of each operation: the PDND voucher and the ModI security patterns
 * (ID_AUTH_REST_01/02, INTEGRITY_REST_01/02, AUDIT_REST_01/02). The only place that recognises the
 * security headers and decides an operation's profile, for every stage (lint, inspect, emit, gateway).
 *
 * Who decides, strongest first: the config file (`security:` by operation id), the operation's
 * `x-modi-security` extension, the spec itself: its `security` requirements (an `http` bearer or
 * `oauth2` scheme is the voucher in `Authorization`) and the headers it declares, as header
 * parameters or `apiKey` schemes (`Agid-JWT-Signature` + `Digest`: INTEGRITY; `Agid-JWT-TrackingEvidence`: AUDIT).
 */
import type { Interface, Operation, SourceLocation } from '../model/agreement.js';
import type { Severity } from '../model/finding.js';
import { namesCarrier } from './carriers.js';

export const SECURITY_EXTENSION = 'x-modi-security';
export const AUTHORIZATION_HEADER = 'Authorization';
export const SIGNATURE_HEADER = 'Agid-JWT-Signature';
export const DIGEST_HEADER = 'Digest';
export const CONTENT_DIGEST_HEADER = 'Content-Digest';
export const TRACKING_HEADER = 'Agid-JWT-TrackingEvidence';
/** The headers a security profile puts on a message, in the order a gateway passes them. */
export const SECURITY_HEADERS = [AUTHORIZATION_HEADER, SIGNATURE_HEADER, DIGEST_HEADER, TRACKING_HEADER] as const;

export const ID_AUTH_PATTERNS = ['ID_AUTH_REST_01', 'ID_AUTH_REST_02'] as const;
export const INTEGRITY_PATTERNS = ['INTEGRITY_REST_01', 'INTEGRITY_REST_02'] as const;
export const AUDIT_PATTERNS = ['AUDIT_REST_01', 'AUDIT_REST_02'] as const;
export type IdAuthPattern = (typeof ID_AUTH_PATTERNS)[number];
export type IntegrityPattern = (typeof INTEGRITY_PATTERNS)[number];
export type AuditPattern = (typeof AUDIT_PATTERNS)[number];
export type SecurityPattern = IdAuthPattern | IntegrityPattern | AuditPattern;
export const SECURITY_PATTERNS: readonly SecurityPattern[] = [...ID_AUTH_PATTERNS, ...INTEGRITY_PATTERNS, ...AUDIT_PATTERNS];

/**
 * What a message of an operation must carry. `idAuth`: a voucher in `Authorization: Bearer`
 * (ID_AUTH_REST_02: its `jti` used once, or the signature's when INTEGRITY is declared);
 * `integrity`: `Agid-JWT-Signature` over the `Digest` of the body and the signed headers;
 * `audit`: `Agid-JWT-TrackingEvidence` (AUDIT_REST_02: its hash in the voucher's `digest` claim).
 */
export interface SecurityProfile {
  idAuth: IdAuthPattern;
  integrity?: IntegrityPattern;
  audit?: AuditPattern;
}

export interface SecurityDecision extends SecurityProfile {
  decidedBy: 'spec' | 'extension' | 'config' | 'request';
  /** Why, in words (`accordo inspect` shows them). */
  facts: string[];
  /** The header parameters of the operation that the security runtime sets (a client does not pass them). */
  headers: string[];
}

/** accordo.config.yaml `security`: the patterns of an operation by its id, or `none`. */
export type SecurityOverride = SecurityPattern[] | 'none';

export const SECURITY_RULES = {
  'security/unknown-pattern': {
    severity: 'error',
    summary: `${SECURITY_EXTENSION} (or the config's security) names only known security patterns, at most one of each kind`,
    source: 'ModI security patterns (§8 of modi-patterns.md)',
  },
  'security/header-declared-twice': {
    severity: 'error',
    summary: 'a security header is declared once (as a header parameter or as an apiKey scheme, one of Digest and Content-Digest)',
    source: 'INTEGRITY_REST_01 (§8): one Digest and one Agid-JWT-Signature per message',
  },
  'security/digest-without-signature': {
    severity: 'error',
    summary: `a declared ${DIGEST_HEADER} comes with ${SIGNATURE_HEADER}, which signs it`,
    source: 'INTEGRITY_REST_01 (§8)',
  },
  'security/integrity-without-body': {
    severity: 'warning',
    summary: 'INTEGRITY is declared on an operation that takes a request body',
    source: 'INTEGRITY_REST_01 (§8): the Digest covers the body',
  },
} as const satisfies Record<string, { severity: Severity; summary: string; source: string }>;

export type SecurityRule = keyof typeof SECURITY_RULES;

export interface SecurityFinding {
  rule: SecurityRule;
  at: SourceLocation;
  /** A pointer below `at.pointer` when the finding is about a part (the extension). */
  pointer?: string;
  message: string;
  fix: string;
}

/** A declared security header: the parameter or scheme that declares it. */
interface DeclaredHeader {
  header: (typeof SECURITY_HEADERS)[number] | typeof CONTENT_DIGEST_HEADER;
  by: string;
  /** The header parameter's name, when a parameter declares it. */
  parameter?: string;
}

const MODI_HEADERS = [SIGNATURE_HEADER, DIGEST_HEADER, CONTENT_DIGEST_HEADER, TRACKING_HEADER] as const;

/** The security headers an operation declares, once per declaration. */
function declaredHeaders(op: Operation, iface: Interface): DeclaredHeader[] {
  const out: DeclaredHeader[] = [];
  for (const p of op.parameters) {
    if (p.in !== 'header') continue;
    const header = MODI_HEADERS.find((h) => namesCarrier(p.name, h, 'rest'));
    if (header) out.push({ header, by: `header parameter ${p.name}`, parameter: p.name });
  }
  for (const name of schemeNames(op)) {
    const scheme = iface.securitySchemes?.[name];
    if (scheme?.type !== 'apiKey' || scheme.in !== 'header' || !scheme.name) continue;
    const header = MODI_HEADERS.find((h) => namesCarrier(scheme.name!, h, 'rest'));
    if (header) out.push({ header, by: `apiKey scheme ${name}` });
  }
  return out;
}

/** The scheme names of an operation's requirements (any of the alternatives). */
function schemeNames(op: Operation): string[] {
  return [...new Set((op.security ?? []).flatMap((r) => Object.keys(r)))];
}

/** The bearer scheme an operation requires, when it does (a voucher; a subscription's callback: the sink's credential). */
export function bearerScheme(op: Operation, iface: Interface): string | undefined {
  return schemeNames(op).find((name) => {
    const s = iface.securitySchemes?.[name];
    return !!s && ((s.type === 'http' && s.scheme?.toLowerCase() === 'bearer') || s.type === 'oauth2' || s.type === 'openIdConnect');
  });
}

/** Reads a declared list of patterns (extension or config); what is wrong with it, when something is. */
export function parseSecurityPatterns(value: unknown): { profile?: SecurityProfile; none?: true; facts: string[]; error?: string } {
  if (value === 'none' || value === false) return { none: true, facts: [] };
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) return { facts: [], error: `expected a list of security patterns or "none", got ${JSON.stringify(value)}` };
  const unknown = list.filter((p) => !(SECURITY_PATTERNS as readonly unknown[]).includes(p));
  if (unknown.length) return { facts: [], error: `${unknown.map((u) => JSON.stringify(u)).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a security pattern` };
  const of = <T extends string>(family: readonly T[]) => list.filter((p): p is T => (family as readonly unknown[]).includes(p));
  const [idAuth, integrity, audit] = [of(ID_AUTH_PATTERNS), of(INTEGRITY_PATTERNS), of(AUDIT_PATTERNS)];
  const twice = [idAuth, integrity, audit].find((f) => f.length > 1);
  if (twice) return { facts: [], error: `${twice.join(' and ')} are two patterns of one kind: an operation has one` };
  const facts: string[] = [];
  if (!idAuth[0]) facts.push('INTEGRITY and AUDIT extend ID_AUTH: ID_AUTH_REST_01 (the voucher) assumed');
  return { profile: { idAuth: idAuth[0] ?? 'ID_AUTH_REST_01', ...(integrity[0] ? { integrity: integrity[0] } : {}), ...(audit[0] ? { audit: audit[0] } : {}) }, facts };
}

/**
 * Decides one operation's security profile (`undefined`: none declared) and reports what is
 * wrong with its declaration.
 */
export function decideSecurity(op: Operation, iface: Interface, override: SecurityOverride | undefined, report: (f: SecurityFinding) => void): SecurityDecision | undefined {
  if (iface.source.format !== 'openapi') return undefined;
  const declared = declaredHeaders(op, iface);
  checkDeclaredHeaders(op, declared, report);

  const ext = op.extensions[SECURITY_EXTENSION];
  let decision: SecurityDecision | undefined;
  let none = false;
  if (override !== undefined) {
    const parsed = parseSecurityPatterns(override);
    none = !!parsed.none;
    if (parsed.profile) decision = { ...parsed.profile, decidedBy: 'config', facts: [`accordo.config.yaml security: ${override}`, ...parsed.facts], headers: [] };
  } else if (ext !== undefined) {
    const parsed = parseSecurityPatterns(ext);
    if (parsed.error) {
      report({
        rule: 'security/unknown-pattern',
        at: op.location,
        pointer: `${op.location.pointer}/${SECURITY_EXTENSION}`,
        message: `${SECURITY_EXTENSION} of ${op.id}: ${parsed.error}, so the security is read from the spec's headers and schemes`,
        fix: `list at most one of each: ${ID_AUTH_PATTERNS.join(', ')}; ${INTEGRITY_PATTERNS.join(', ')}; ${AUDIT_PATTERNS.join(', ')} (or write none)`,
      });
    }
    none = !!parsed.none;
    if (parsed.profile) decision = { ...parsed.profile, decidedBy: 'extension', facts: [`${SECURITY_EXTENSION}: ${JSON.stringify(ext)}`, ...parsed.facts], headers: [] };
  }
  if (!decision && !none) decision = fromSpec(op, iface, declared);
  if (decision) decision.headers = declared.flatMap((d) => (d.parameter ? [d.parameter] : []));
  if (decision?.integrity && !op.requestBody && (decision.decidedBy !== 'spec' || declared.some((d) => d.header === SIGNATURE_HEADER))) {
    report({
      rule: 'security/integrity-without-body',
      at: op.location,
      message: `${op.id} declares ${decision.integrity} but takes no request body: ${SIGNATURE_HEADER} signs only its headers, there is no ${DIGEST_HEADER} to check`,
      fix: `declare ${decision.idAuth} alone for ${op.id}, or give it the request body the signature should cover`,
    });
  }
  return decision;
}

function fromSpec(op: Operation, iface: Interface, declared: DeclaredHeader[]): SecurityDecision | undefined {
  const bearer = bearerScheme(op, iface);
  const has = (h: DeclaredHeader['header']) => declared.find((d) => d.header === h);
  const signature = has(SIGNATURE_HEADER);
  const tracking = has(TRACKING_HEADER);
  if (!bearer && !signature && !tracking) return undefined;
  const facts: string[] = [];
  if (bearer) facts.push(`security scheme ${bearer} (bearer): the voucher in ${AUTHORIZATION_HEADER}, ID_AUTH_REST_01`);
  else facts.push(`${signature ? SIGNATURE_HEADER : TRACKING_HEADER} extends ID_AUTH: the voucher in ${AUTHORIZATION_HEADER}, ID_AUTH_REST_01, assumed`);
  const decision: SecurityDecision = { idAuth: 'ID_AUTH_REST_01', decidedBy: 'spec', facts, headers: [] };
  if (signature) {
    // With a voucher the signing key is the one the client deposited on PDND (its kid): the 02 variant.
    decision.integrity = bearer ? 'INTEGRITY_REST_02' : 'INTEGRITY_REST_01';
    facts.push(`${signature.by}: ${decision.integrity}`);
  }
  if (tracking) {
    decision.audit = bearer ? 'AUDIT_REST_02' : 'AUDIT_REST_01';
    facts.push(`${tracking.by}: ${decision.audit}${bearer ? ' (bound to the voucher; x-modi-security: [AUDIT_REST_01] to not bind it)' : ''}`);
  }
  return decision;
}

function checkDeclaredHeaders(op: Operation, declared: DeclaredHeader[], report: (f: SecurityFinding) => void): void {
  const digests = declared.filter((d) => d.header === DIGEST_HEADER || d.header === CONTENT_DIGEST_HEADER);
  for (const header of [SIGNATURE_HEADER, TRACKING_HEADER] as const) {
    const same = declared.filter((d) => d.header === header);
    if (same.length > 1) {
      report({
        rule: 'security/header-declared-twice',
        at: op.location,
        message: `${op.id} declares ${header} ${same.length} times (${same.map((d) => d.by).join(', ')})`,
        fix: `keep one declaration of ${header}`,
      });
    }
  }
  if (digests.length > 1) {
    report({
      rule: 'security/header-declared-twice',
      at: op.location,
      message: `${op.id} declares the body digest ${digests.length} times (${digests.map((d) => d.by).join(', ')})`,
      fix: `keep one ${DIGEST_HEADER} header (the one INTEGRITY_REST signs)`,
    });
  }
  if (digests.length > 0 && !declared.some((d) => d.header === SIGNATURE_HEADER)) {
    report({
      rule: 'security/digest-without-signature',
      at: op.location,
      message: `${op.id} declares ${digests[0].by} without ${SIGNATURE_HEADER}: an unsigned digest proves nothing about who sent the body`,
      fix: `declare the ${SIGNATURE_HEADER} header too (INTEGRITY_REST_01/02), or drop the digest`,
    });
  }
}

/** The security patterns of a profile as a list (logs, inspect, gateway). */
export function securityPatterns(profile: SecurityProfile): SecurityPattern[] {
  return [profile.idAuth, ...(profile.integrity ? [profile.integrity] : []), ...(profile.audit ? [profile.audit] : [])];
}
