/**
 * The provider side of the declared security (and the consumer's callback endpoints): every
 * request of an operation with a profile is checked before its handler runs.
 *
 * - voucher (ID_AUTH_REST_01/02): `Authorization: Bearer`, a JWT signed by the authorization
 *   server (its JWKS, keys.ts), `iss`, `aud`, `exp`/`nbf`/`iat` with a skew, `typ`, an algorithm
 *   allow-list, the `purposeId` allow-list or hook;
 * - INTEGRITY_REST_01/02: `Agid-JWT-Signature` verified with the consumer's key, its
 *   `signed_headers` equal to the headers received, `Digest` equal to the digest of the exact
 *   bytes received (hashed while they stream in, before any parsing);
 * - AUDIT_REST_01/02: `Agid-JWT-TrackingEvidence` verified, its audit claims present; 02: its
 *   hash equal to the voucher's `digest` claim;
 * - ID_AUTH_REST_02: the per-message `jti` (the signature's, else the voucher's) used once, in
 *   the store every instance shares, until the token expires.
 *
 * A failed check is a 401 with `WWW-Authenticate` (or 403 for a purpose not allowed, 503 when no
 * key can be had) whose problem says which check failed and nothing of keys or internals; the log
 * line says why. The verified claims reach the handler (`ctx.security`) and the request's log lines.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler, preHandlerAsyncHookHandler, preParsingAsyncHookHandler } from 'fastify';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { SecurityDescriptor } from '../descriptors.js';
import { ProblemError, RuntimeProblemError } from '../problem.js';
import type { Store } from '../store/types.js';
import { DIGEST, SIGNATURE, TRACKING, digestAlgorithm, parseDigest, trackingDigest, type DigestAlgorithm } from './headers.js';
import { keyResolver, KeysUnavailableError, type KeyResolver, type KeySource } from './keys.js';
import { securityLogFields } from './stored.js';
import { CertificateError } from './x509.js';

/** The claims of a verified PDND voucher. */
export interface VoucherClaims extends JWTPayload {
  client_id?: string;
  purposeId?: string;
  /** AUDIT_REST_02: the hash of the tracking evidence the voucher was issued for. */
  digest?: { alg: string; value: string };
}

/** The claims of a verified tracking evidence (AUDIT_REST_01/02). */
export interface TrackingEvidenceClaims extends JWTPayload {
  userID?: string;
  userLocation?: string;
  LoA?: string;
  purposeId?: string;
}

/** What the checks established about a request; handlers read it as `ctx.security`. */
export interface VerifiedSecurity {
  /** The patterns checked, e.g. `['ID_AUTH_REST_02', 'INTEGRITY_REST_02']`. */
  patterns: string[];
  /** The consumer's client id (`client_id`, else `sub`). */
  clientId: string;
  purposeId?: string;
  voucher: VoucherClaims;
  /** INTEGRITY: the claims of `Agid-JWT-Signature`. */
  signature?: JWTPayload;
  /** AUDIT: the claims of `Agid-JWT-TrackingEvidence`. */
  audit?: TrackingEvidenceClaims;
}

export interface InboundSecurityOptions {
  voucher: {
    /** The authorization server's `iss` (PDND: `interop.pagopa.it`; test: `uat.interop.pagopa.it`). */
    issuer: string | string[];
    /** This e-service's audience, as registered on PDND. */
    audience: string | string[];
    /** The authorization server's JWKS (PDND: `https://interop.pagopa.it/.well-known/jwks.json`). */
    keys: KeySource;
    /** Accepted `alg` values (default RS256, RS384, RS512, PS256, ES256, ES384): never `none`, never an HMAC. */
    algorithms?: string[];
    /** Accepted `typ` header values (default `at+jwt` and `JWT`, case-insensitive, `application/` optional). */
    types?: string[];
    /** The purposes admitted: a list of `purposeId`s, or a hook (default: any). */
    purposes?: string[] | ((purposeId: string | undefined, claims: VoucherClaims) => boolean | Promise<boolean>);
  };
  /**
   * The consumers' keys that sign `Agid-JWT-Signature` and `Agid-JWT-TrackingEvidence` (with a
   * voucher: the keys deposited on PDND, by kid). Required when an operation declares INTEGRITY or AUDIT.
   */
  signatureKeys?: KeySource;
  /** The `aud` the signature and the tracking evidence must carry (default: the voucher's audience). */
  audience?: string | string[];
  /** Accepted `alg` of the signature and tracking evidence (default: the voucher's). */
  signatureAlgorithms?: string[];
  /** Clock skew allowed on `exp`, `nbf` and `iat`, seconds (default 60). */
  clockSkewSec?: number;
  /** Oldest `iat` accepted, seconds (default 24 h); a future `iat` (beyond the skew) is refused. */
  maxTokenAgeSec?: number;
  /** Longest token read, bytes (default 8192): larger ones are refused before parsing. */
  maxTokenBytes?: number;
  /** Claims the tracking evidence must carry (default `userID`, `userLocation`, `LoA`). */
  auditClaims?: string[];
  /** `WWW-Authenticate` realm (default `accordo`). */
  realm?: string;
}

const DEFAULT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'];
const DEFAULT_TYPES = ['at+jwt', 'jwt'];

/** Vouchers kept verified at once (a client reuses its voucher for every message until it expires). */
const VERIFIED_VOUCHERS = 1024;

const verifiedOf = new WeakMap<FastifyRequest, VerifiedSecurity>();

/** The verified security of a request (for the handler's context). */
export function verifiedSecurity(req: FastifyRequest): VerifiedSecurity | undefined {
  return verifiedOf.get(req);
}

/** What a request carries between the hooks. */
interface Pending {
  verified: VerifiedSecurity;
  /** INTEGRITY: the Digest value received, its algorithm, and the hash of the bytes as they arrive. */
  digest?: { algorithm: DigestAlgorithm; expected: string; hash?: Hash };
  /** ID_AUTH_REST_02: the value to record once everything else passed, and until when. */
  nonce?: { id: string; expiresAt: number };
}

const pendingOf = new WeakMap<FastifyRequest, Pending>();

/** A failed check: the status, which check, and (for the log only) why. */
class Refusal extends Error {
  constructor(
    readonly status: 401 | 403 | 503,
    readonly check: string,
    readonly why: string,
  ) {
    super(check);
  }
}

export interface RouteSecurityHooks {
  onRequest: onRequestAsyncHookHandler;
  preParsing: preParsingAsyncHookHandler;
  preHandler: preHandlerAsyncHookHandler;
}

/**
 * The checks of the providers and callback endpoints of one server: `hooksFor(profile)` gives
 * the route hooks of an operation. Keys are fetched and cached once per server.
 */
export class InboundSecurity {
  private readonly voucherKeys: KeyResolver;
  private readonly signatureKeys?: KeyResolver;
  private lastPurge = 0;
  /**
   * Vouchers already verified, by their exact text: a consumer sends the same voucher with every
   * message until it expires, and its signature verification is most of what a request costs.
   * An entry holds while the key set is the one that verified it and until the voucher expires
   * (or grows too old); the purpose and everything else of the request are checked every time.
   */
  private readonly verifiedVouchers = new Map<string, { claims: JWTPayload; keys: number; until: number }>();

  constructor(
    private readonly o: InboundSecurityOptions,
    private readonly store: Store | undefined,
  ) {
    this.voucherKeys = keyResolver(o.voucher.keys);
    if (o.signatureKeys) this.signatureKeys = keyResolver(o.signatureKeys);
  }

  /** Throws when the options cannot check what an operation declares (at registration, not per request). */
  check(operation: string, profile: SecurityDescriptor): void {
    if ((profile.integrity || profile.audit) && !this.signatureKeys) {
      throw new Error(`operation ${operation} declares ${profile.integrity ?? profile.audit}: set security.signatureKeys (the consumers' keys)`);
    }
    if (profile.idAuth === 'ID_AUTH_REST_02' && !this.store) throw new Error(`operation ${operation} declares ID_AUTH_REST_02: its jti checks need a store`);
  }

  hooksFor(profile: SecurityDescriptor): RouteSecurityHooks {
    const patterns = [profile.idAuth, ...(profile.integrity ? [profile.integrity] : []), ...(profile.audit ? [profile.audit] : [])];
    return {
      onRequest: async (req, reply) => {
        try {
          pendingOf.set(req, await this.verifyHeaders(req, profile, patterns));
        } catch (e) {
          throw this.answer(req, reply, e);
        }
      },
      preParsing: async (req, _reply, payload) => {
        const digest = pendingOf.get(req)?.digest;
        if (!digest) return payload;
        const hash = (digest.hash = createHash(digest.algorithm));
        // The exact bytes received, as they stream in: what the Digest was computed over.
        return payload.pipe(
          new Transform({
            transform(chunk: Buffer, _enc, done) {
              hash.update(chunk);
              done(null, chunk);
            },
          }),
        );
      },
      preHandler: async (req, reply) => {
        const pending = pendingOf.get(req);
        if (!pending) return;
        try {
          if (pending.digest) {
            const actual = (pending.digest.hash ?? createHash(pending.digest.algorithm)).digest('base64');
            if (actual !== pending.digest.expected) throw new Refusal(401, `${DIGEST}: does not match the body`, 'digest mismatch');
          }
          if (pending.nonce) await this.useOnce(pending.nonce);
        } catch (e) {
          throw this.answer(req, reply, e);
        }
        verifiedOf.set(req, pending.verified);
        const { clientId, purposeId } = pending.verified;
        req.log = reply.log = req.log.child(securityLogFields(pending.verified));
        req.log.info({ clientId, purposeId, audit: pending.verified.audit ? auditSummary(pending.verified.audit) : undefined }, 'request authenticated');
      },
    };
  }

  private async verifyHeaders(req: FastifyRequest, profile: SecurityDescriptor, patterns: string[]): Promise<Pending> {
    const o = this.o;
    const skew = o.clockSkewSec ?? 60;
    const common: JWTVerifyOptions = { clockTolerance: skew, maxTokenAge: o.maxTokenAgeSec ?? 86_400, requiredClaims: ['exp', 'iat'] };
    const replay = profile.idAuth === 'ID_AUTH_REST_02';

    // The voucher.
    const auth = single(req.headers.authorization);
    const bearer = auth && /^Bearer +(\S+)\s*$/i.exec(auth);
    if (!bearer) throw new Refusal(401, 'voucher: missing (Authorization: Bearer)', 'no bearer token');
    const voucherToken = this.sized('voucher', bearer[1]);
    const needsJti = replay && !profile.integrity;
    const voucher = await this.verifiedVoucher(voucherToken, needsJti, () =>
      this.verifyJwt(
        'voucher',
        voucherToken,
        this.voucherKeys,
        {
          ...common,
          issuer: o.voucher.issuer,
          audience: o.voucher.audience,
          algorithms: o.voucher.algorithms ?? DEFAULT_ALGORITHMS,
          requiredClaims: needsJti ? ['exp', 'iat', 'jti'] : ['exp', 'iat'],
        },
        o.voucher.types ?? DEFAULT_TYPES,
      ),
    );
    const claims = voucher as VoucherClaims;
    const clientId = String(claims.client_id ?? claims.sub ?? '');
    if (!clientId) throw new Refusal(401, 'voucher: no client_id', 'no client_id or sub');
    const purposes = o.voucher.purposes;
    if (purposes) {
      const allowed = Array.isArray(purposes) ? claims.purposeId !== undefined && purposes.includes(claims.purposeId) : await purposes(claims.purposeId, claims);
      if (!allowed) throw new Refusal(403, 'voucher: purpose not allowed', `purposeId ${JSON.stringify(claims.purposeId)}`);
    }
    const verified: VerifiedSecurity = { patterns, clientId, ...(claims.purposeId ? { purposeId: claims.purposeId } : {}), voucher: claims };
    const pending: Pending = { verified };
    const signed = { ...common, audience: o.audience ?? o.voucher.audience, algorithms: o.signatureAlgorithms ?? o.voucher.algorithms ?? DEFAULT_ALGORITHMS };

    // INTEGRITY: the signature, the headers it signs, the Digest it vouches for.
    if (profile.integrity) {
      const token = single(req.headers[SIGNATURE.toLowerCase()]);
      if (!token) throw new Refusal(401, `${SIGNATURE}: missing`, 'header absent');
      const signature = await this.verifyJwt(SIGNATURE, this.sized(SIGNATURE, token), this.signatureKeys!, { ...signed, requiredClaims: replay ? ['exp', 'iat', 'jti'] : ['exp', 'iat'] });
      verified.signature = signature;
      const listed = signedHeaders(signature.signed_headers);
      if (!listed) throw new Refusal(401, `${SIGNATURE}: signed_headers malformed`, 'signed_headers is not a list of single-header objects');
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      const digestHeader = single(req.headers.digest);
      if (hasBody && !digestHeader) throw new Refusal(401, `${DIGEST}: missing`, 'body without Digest');
      for (const [name, value] of listed) {
        if (single(req.headers[name]) !== value) throw new Refusal(401, `${SIGNATURE}: signed header ${name} differs from the one received`, name);
      }
      for (const name of hasBody ? ['digest', 'content-type'] : digestHeader ? ['digest'] : []) {
        if (!listed.has(name)) throw new Refusal(401, `${SIGNATURE}: ${name} is not among the signed headers`, name);
      }
      if (digestHeader) {
        const parsed = parseDigest(digestHeader);
        if (!parsed) throw new Refusal(401, `${DIGEST}: no SHA-256 or SHA-512 value`, digestHeader.slice(0, 64));
        pending.digest = { algorithm: digestAlgorithm(parsed.algorithm), expected: parsed.value };
      }
      if (replay) pending.nonce = { id: `sig:${String(signature.iss ?? clientId)}:${String(signature.jti)}`, expiresAt: (signature.exp! + skew) * 1000 };
    } else if (replay) {
      pending.nonce = { id: `voucher:${String(claims.iss)}:${String(claims.jti)}`, expiresAt: (claims.exp! + skew) * 1000 };
    }

    // AUDIT: the tracking evidence, and (02) its binding to the voucher.
    if (profile.audit) {
      const token = single(req.headers[TRACKING.toLowerCase()]);
      if (!token) throw new Refusal(401, `${TRACKING}: missing`, 'header absent');
      const evidence = (await this.verifyJwt(TRACKING, this.sized(TRACKING, token), this.signatureKeys!, signed)) as TrackingEvidenceClaims;
      const missing = (o.auditClaims ?? ['userID', 'userLocation', 'LoA']).filter((c) => evidence[c] === undefined || evidence[c] === '');
      if (missing.length) throw new Refusal(401, `${TRACKING}: missing claim ${missing.join(', ')}`, missing.join(','));
      if (profile.audit === 'AUDIT_REST_02') {
        const bound = claims.digest;
        if (!bound || typeof bound.value !== 'string' || bound.value.toLowerCase() !== trackingDigest(token).value) {
          throw new Refusal(401, `${TRACKING}: not the one the voucher was issued for`, 'voucher digest claim differs');
        }
      }
      verified.audit = evidence;
    }
    return pending;
  }

  /** A voucher verified with the current key set and not expired since: its claims; else `verify` runs and its result is kept. */
  private async verifiedVoucher(token: string, needsJti: boolean, verify: () => Promise<JWTPayload>): Promise<JWTPayload> {
    // What was required of it is part of what was verified.
    const key = needsJti ? `jti ${token}` : token;
    const known = this.verifiedVouchers.get(key);
    if (known) {
      let keys: number;
      try {
        keys = await this.voucherKeys.version();
      } catch (e) {
        throw refusalOf('voucher', e);
      }
      if (known.keys === keys && Date.now() < known.until) return known.claims;
      this.verifiedVouchers.delete(key);
    }
    // Read before verifying: a set refreshed meanwhile makes the entry one to verify again, never the reverse.
    const keys = this.voucherKeys.generation;
    const claims = await verify();
    const skew = this.o.clockSkewSec ?? 60;
    // Valid until jose would call it expired, or too old: exp and iat were required, so both are numbers.
    const until = Math.min(claims.exp! + skew, claims.iat! + (this.o.maxTokenAgeSec ?? 86_400) + skew) * 1000;
    if (this.verifiedVouchers.size >= VERIFIED_VOUCHERS) this.verifiedVouchers.delete(this.verifiedVouchers.keys().next().value!);
    this.verifiedVouchers.set(key, { claims, keys, until });
    return claims;
  }

  private sized(what: string, token: string): string {
    if (Buffer.byteLength(token) > (this.o.maxTokenBytes ?? 8192)) throw new Refusal(401, `${what}: too large`, `${Buffer.byteLength(token)} bytes`);
    return token;
  }

  /** jose verifies; its errors become the check that failed. */
  private async verifyJwt(what: string, token: string, keys: KeyResolver, options: JWTVerifyOptions, types?: string[]): Promise<JWTPayload> {
    let result;
    try {
      result = await jwtVerify(token, keys.key, options);
    } catch (e) {
      throw refusalOf(what, e);
    }
    if (types) {
      const typ = String(result.protectedHeader.typ ?? '')
        .toLowerCase()
        .replace(/^application\//, '');
      if (!types.some((t) => t.toLowerCase().replace(/^application\//, '') === typ)) throw new Refusal(401, `${what}: typ not accepted`, `typ ${typ}`);
    }
    return result.payload;
  }

  private async useOnce(nonce: { id: string; expiresAt: number }): Promise<void> {
    const now = Date.now();
    let fresh: boolean;
    try {
      fresh = await this.store!.recordNonce(nonce.id, nonce.expiresAt, now);
    } catch (e) {
      throw new Refusal(503, 'jti: cannot be checked now', (e as Error).message);
    }
    if (!fresh) throw new Refusal(401, 'jti: already used', nonce.id);
    if (now - this.lastPurge > 10 * 60_000) {
      this.lastPurge = now;
      void this.store!.purgeNonces(now).catch(() => {});
    }
  }

  /** The problem a refusal is answered with; the log line says why. */
  private answer(req: FastifyRequest, _reply: FastifyReply, e: unknown): ProblemError {
    if (!(e instanceof Refusal)) throw e;
    req.log.info({ check: e.check, why: e.why }, `request refused: ${e.check}`);
    const realm = this.o.realm ?? 'accordo';
    if (e.status === 503) return new RuntimeProblemError('security-unavailable', 'the credentials cannot be checked now; try again later', { 'retry-after': '5' });
    const error = e.status === 403 ? 'insufficient_scope' : e.check.startsWith('voucher: missing') ? undefined : e.check.startsWith('voucher') ? 'invalid_token' : 'invalid_request';
    const challenge = `Bearer realm="${realm}"${error ? `, error="${error}", error_description="${e.check.replace(/["\\]/g, '')}"` : ''}`;
    return new RuntimeProblemError(e.status === 403 ? 'forbidden' : 'unauthenticated', e.check, { 'www-authenticate': challenge });
  }
}

/** What jose's error means, in the words of the check. */
function refusalOf(what: string, e: unknown): Refusal {
  const why = (e as Error).message;
  if (e instanceof CertificateError) return new Refusal(401, `${what}: ${e.check}`, e.message);
  if (e instanceof KeysUnavailableError) return new Refusal(503, `${what}: keys unavailable`, String((e.cause as Error)?.message ?? why));
  if (e instanceof errors.JWTExpired) return new Refusal(401, e.claim === 'iat' ? `${what}: issued too long ago` : `${what}: expired`, why);
  if (e instanceof errors.JWTClaimValidationFailed) {
    const claim = e.claim;
    const check = claim === 'nbf' ? 'not yet valid' : claim === 'iat' ? 'issued in the future' : `${claim} not accepted`;
    return new Refusal(401, `${what}: ${check}`, why);
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return new Refusal(401, `${what}: algorithm not allowed`, why);
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) return new Refusal(401, `${what}: signed with an unknown key`, why);
  if (e instanceof errors.JWSSignatureVerificationFailed) return new Refusal(401, `${what}: signature does not verify`, why);
  if (e instanceof errors.JOSEError) return new Refusal(401, `${what}: malformed`, why);
  if (e instanceof TypeError) return new Refusal(401, `${what}: malformed`, why);
  throw e;
}

/** `signed_headers` ([{digest: "…"}, {"content-type": "…"}]) as lower-cased name → value; undefined when malformed. */
function signedHeaders(value: unknown): Map<string, string> | undefined {
  if (!Array.isArray(value)) return undefined;
  const out = new Map<string, string>();
  for (const item of value) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return undefined;
    const entries = Object.entries(item as Record<string, unknown>);
    if (entries.length !== 1 || typeof entries[0][1] !== 'string') return undefined;
    out.set(entries[0][0].toLowerCase(), entries[0][1]);
  }
  return out;
}

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v);

const auditSummary = (a: TrackingEvidenceClaims) => ({ userID: a.userID, userLocation: a.userLocation, LoA: a.LoA });
