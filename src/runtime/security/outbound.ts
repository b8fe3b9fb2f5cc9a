/**
 * The consumer side of the declared security (and the provider's, for the callbacks it sends):
 * obtains PDND vouchers and signs what each message must carry.
 *
 * - the voucher: a client assertion (RFC 7523: `iss`/`sub` the client id, `aud`, `purposeId`,
 *   `jti`, a short `exp`, signed with the deposited key and its `kid`) posted to the token
 *   endpoint (client_credentials + jwt-bearer assertion, PDND's `resource` when set); cached until
 *   shortly before it expires, dropped and fetched again once on a 401;
 * - INTEGRITY: `Digest` of the exact bytes sent and `Agid-JWT-Signature` over it and the content type;
 * - AUDIT: `Agid-JWT-TrackingEvidence` with the caller's audit claims; AUDIT_REST_02 asks for a
 *   voucher whose `digest` claim is the evidence's hash.
 *
 * Keys come from PEM or JWK files or values (jose imports them), or a signing callback (a KMS or
 * HSM that never hands out the private key).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { importJWK, importPKCS8, SignJWT, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { SecurityDescriptor } from '../descriptors.js';
import { DIGEST, SIGNATURE, TRACKING, digestHeader, trackingDigest } from './headers.js';
import { pemCertificates, x5cOf, x5tS256Of } from './x509.js';

/** Signs a JWT: jose with a key (signerFromKey), or a KMS/HSM callback returning the compact JWS. */
export interface JwtSigner {
  /** The key id registered with the authorization server (PDND: the kid of the deposited public key); none when a certificate identifies the key. */
  readonly kid?: string;
  readonly alg: string;
  sign(header: Omit<JWTHeaderParameters, 'alg' | 'kid'>, claims: JWTPayload): Promise<string>;
}

export interface SignerOptions {
  /** The key's id (PDND: the kid of the deposited public key). */
  kid?: string;
  alg?: string;
  /**
   * The signer's X.509 certificate chain, PEM, leaf first (ModI INTEGRITY_REST_01 / ID_AUTH_REST_01
   * outside PDND): every JWS then carries it as `x5c`, or only the leaf's `x5t#S256` when the
   * provider has the certificate configured (`certificateHeader`).
   */
  certificates?: string;
  certificateHeader?: 'x5c' | 'x5t#S256';
}

/** A signer over a private key: PEM (PKCS#8) text, a private JWK, or a CryptoKey. */
export async function signerFromKey(key: string | JWK | CryptoKey, options: SignerOptions): Promise<JwtSigner> {
  const alg = options.alg ?? (typeof key === 'object' && 'kty' in key && key.kty === 'EC' ? 'ES256' : 'RS256');
  const imported = typeof key === 'string' ? await importPKCS8(key, alg) : 'kty' in key ? await importJWK(key as JWK, alg) : key;
  const chain = options.certificates ? pemCertificates(options.certificates) : undefined;
  const certificate = chain ? (options.certificateHeader === 'x5t#S256' ? { 'x5t#S256': x5tS256Of(chain[0]) } : { x5c: x5cOf(chain) }) : {};
  if (!options.kid && !chain) throw new Error('a signer needs a kid or a certificate chain: nothing else tells the verifier which key to use');
  return {
    ...(options.kid ? { kid: options.kid } : {}),
    alg,
    sign: (header, claims) => new SignJWT(claims).setProtectedHeader({ ...header, alg, ...(options.kid ? { kid: options.kid } : {}), ...certificate }).sign(imported),
  };
}

/** A signer over a key file (a private JWK, JSON, or a PKCS#8 PEM) and, when given, a PEM file of its certificate chain. */
export async function signerFromFile(path: string, options: Omit<SignerOptions, 'certificates'> & { certificatesFile?: string }): Promise<JwtSigner> {
  const text = await readFile(path, 'utf8');
  const { certificatesFile, ...rest } = options;
  const certificates = certificatesFile ? await readFile(certificatesFile, 'utf8') : undefined;
  return signerFromKey(text.trimStart().startsWith('{') ? (JSON.parse(text) as JWK) : text, { ...rest, ...(certificates ? { certificates } : {}) });
}

export interface OutboundSecurityOptions {
  /** The client (PDND: the client id shown on the platform) and the purpose the voucher is for. */
  clientId: string;
  purposeId: string;
  /** The token endpoint (PDND: `https://auth.interop.pagopa.it/token.oauth2`). */
  tokenUrl: string;
  /** The client assertion's `aud` (PDND: `auth.interop.pagopa.it/client-assertion`). */
  assertionAudience: string;
  /** PDND's `resource` parameter, when the e-service asks for it. */
  resource?: string;
  /** Signs the client assertion, the signature and the tracking evidence (the key deposited on PDND). */
  signer: JwtSigner;
  /** The `aud` of `Agid-JWT-Signature` and of the tracking evidence: the provider's audience. */
  audience: string;
  /** AUDIT: the claims of the tracking evidence of a request (`userID`, `userLocation`, `LoA`, ...). */
  audit?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** A voucher is fetched again this long before it expires, seconds (default 30). */
  refreshBeforeSec?: number;
  /** Lifetime of the assertion and of the signatures, seconds (default 60). */
  tokenLifetimeSec?: number;
  /** Longest wait for the token endpoint, ms (default 10 s). */
  tokenTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** The token endpoint refused or failed: the status, and its OAuth error code when it sent one. */
export class VoucherError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly error?: string,
  ) {
    super(`the token endpoint did not issue a voucher${status ? `: HTTP ${status}` : ''}${error ? ` (${error})` : ''}`);
    this.name = 'VoucherError';
  }
}

/** What an outgoing message is, for the headers that secure it. */
export interface OutgoingMessage {
  method: string;
  url: string;
  contentType?: string;
  /** The exact bytes that are sent. */
  body?: string | Uint8Array;
}

export class OutboundSecurity {
  private readonly vouchers = new Map<string, { token: string; expiresAt: number } | Promise<{ token: string; expiresAt: number }>>();

  constructor(private readonly o: OutboundSecurityOptions) {}

  /** The headers a message of an operation with `profile` carries. */
  async headersFor(message: OutgoingMessage, profile: SecurityDescriptor): Promise<Record<string, string>> {
    const o = this.o;
    const headers: Record<string, string> = {};
    let bound: string | undefined;
    if (profile.audit) {
      const claims = (await o.audit?.()) ?? {};
      const evidence = await this.sign({ ...claims, ...(claims.purposeId ? {} : { purposeId: o.purposeId }) });
      headers[TRACKING.toLowerCase()] = evidence;
      if (profile.audit === 'AUDIT_REST_02') bound = evidence;
    }
    // ID_AUTH_REST_02 without a signature: the voucher's own jti is the one used once, so a voucher per message.
    const perMessage = profile.idAuth === 'ID_AUTH_REST_02' && !profile.integrity;
    headers.authorization = `Bearer ${await this.voucher(bound, perMessage)}`;
    if (profile.integrity) {
      const digest = digestHeader(message.body);
      const signed: Record<string, string>[] = [{ digest }];
      if (message.body !== undefined && message.contentType) signed.push({ 'content-type': message.contentType });
      headers[DIGEST.toLowerCase()] = digest;
      headers[SIGNATURE.toLowerCase()] = await this.sign({ signed_headers: signed });
    }
    return headers;
  }

  /** Drops the cached vouchers (the provider answered 401): `true` when there was one to drop. */
  renew(): boolean {
    const had = this.vouchers.size > 0;
    this.vouchers.clear();
    return had;
  }

  /** A JWT the provider verifies with the client's key: `iss`/`sub` the client, `aud` the provider, a fresh `jti`. */
  private sign(claims: JWTPayload): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const { clientId, audience } = this.o;
    return this.o.signer.sign({ typ: 'JWT' }, { iss: clientId, sub: clientId, aud: audience, iat: now, nbf: now, exp: now + (this.o.tokenLifetimeSec ?? 60), jti: randomUUID(), ...claims });
  }

  private async voucher(evidence: string | undefined, perMessage: boolean): Promise<string> {
    const digest = evidence ? trackingDigest(evidence) : undefined;
    if (perMessage) return (await this.fetchVoucher(digest)).token;
    const key = digest?.value ?? '';
    const cached = this.vouchers.get(key);
    const margin = (this.o.refreshBeforeSec ?? 30) * 1000;
    if (cached && !(cached instanceof Promise) && cached.expiresAt - margin > Date.now()) return cached.token;
    if (cached instanceof Promise) return (await cached).token;
    // One request to the token endpoint for all the messages waiting on it.
    const pending = this.fetchVoucher(digest);
    this.vouchers.set(key, pending);
    try {
      const got = await pending;
      if (this.vouchers.get(key) === pending) this.vouchers.set(key, got);
      return got.token;
    } catch (e) {
      if (this.vouchers.get(key) === pending) this.vouchers.delete(key);
      throw e;
    }
  }

  private async fetchVoucher(digest: { alg: string; value: string } | undefined): Promise<{ token: string; expiresAt: number }> {
    const o = this.o;
    const now = Math.floor(Date.now() / 1000);
    const assertion = await o.signer.sign(
      { typ: 'JWT' },
      { iss: o.clientId, sub: o.clientId, aud: o.assertionAudience, purposeId: o.purposeId, jti: randomUUID(), iat: now, exp: now + (o.tokenLifetimeSec ?? 60), ...(digest ? { digest } : {}) },
    );
    const form = new URLSearchParams({
      client_id: o.clientId,
      client_assertion: assertion,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      grant_type: 'client_credentials',
      ...(o.resource ? { resource: o.resource } : {}),
    });
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(o.tokenUrl, { method: 'POST', body: form, headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(o.tokenTimeoutMs ?? 10_000) });
    } catch (e) {
      throw Object.assign(new VoucherError(undefined), { cause: e });
    }
    const body = (await res.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown; error?: unknown } | undefined;
    if (!res.ok || typeof body?.access_token !== 'string') throw new VoucherError(res.status, typeof body?.error === 'string' ? body.error : undefined);
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 60;
    return { token: body.access_token, expiresAt: Date.now() + lifetime * 1000 };
  }
}
