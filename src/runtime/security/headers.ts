/**
 * The headers of the ModI security patterns as the runtime reads and writes them (the classify
 * stage recognises their declarations: src/classify/security.ts), and the digests they carry.
 */
import { createHash } from 'node:crypto';

export const AUTHORIZATION = 'Authorization';
export const SIGNATURE = 'Agid-JWT-Signature';
export const DIGEST = 'Digest';
export const TRACKING = 'Agid-JWT-TrackingEvidence';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** The Node hash of an RFC 3230 algorithm name (`SHA-256`, `SHA-512`). */
export function digestAlgorithm(name: string): DigestAlgorithm {
  return name.toUpperCase() === 'SHA-512' ? 'sha512' : 'sha256';
}

/**
 * The value of a `Digest` header (RFC 3230: `SHA-256=<base64>`, possibly several, comma-separated)
 * the provider checks: SHA-256 first, then SHA-512; `undefined` when it has neither.
 */
export function parseDigest(header: string): { algorithm: string; value: string } | undefined {
  const found = new Map<string, string>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    found.set(part.slice(0, eq).trim().toUpperCase(), part.slice(eq + 1).trim());
  }
  for (const algorithm of ['SHA-256', 'SHA-512']) {
    const value = found.get(algorithm);
    if (value) return { algorithm, value };
  }
  return undefined;
}

/** The `Digest` header of exactly these bytes (what INTEGRITY_REST signs). */
export function digestHeader(body: string | Uint8Array = ''): string {
  return `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
}

/** AUDIT_REST_02: the voucher's `digest` claim for a tracking evidence, as PDND writes it (hex SHA-256 of the JWS). */
export function trackingDigest(token: string): { alg: 'SHA256'; value: string } {
  return { alg: 'SHA256', value: createHash('sha256').update(token).digest('hex') };
}
