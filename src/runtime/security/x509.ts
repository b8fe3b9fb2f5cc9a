/**
 * Signing keys that travel as X.509 certificates (ModI INTEGRITY_REST_01 / ID_AUTH_REST_01 outside
 * PDND): the JWS's protected header carries the signer's chain (`x5c`, leaf first) or names one of
 * the configured certificates by its SHA-256 thumbprint (`x5t#S256`). The chain must lead to a
 * configured trust anchor: each certificate issued and signed by the next, every issuer a CA, every
 * certificate within its validity dates. Node's X509Certificate parses the certificates and checks
 * their signatures and issuers; jose imports the leaf's key (importX509), with which the JWS is then
 * verified: an `x5c` whose leaf is not the signer's key fails that verification.
 */
import { X509Certificate } from 'node:crypto';
import { importX509, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';

/** Where the signers' certificates are trusted from (`signatureKeys`). */
export interface X509KeySource {
  /** The CA certificates (PEM, one or several per text) a signer's chain must lead to. */
  trustAnchors: string | string[];
  /** Signers' certificates (PEM) a header may name by `x5t#S256` instead of carrying `x5c`. */
  certificates?: string | string[];
  /** Most certificates in an `x5c` (default 5). */
  maxChainLength?: number;
}

/** A certificate the provider does not accept: the check that failed, and (for the log) why. */
export class CertificateError extends Error {
  constructor(
    readonly check: 'certificate missing' | 'certificate malformed' | 'certificate expired' | 'certificate not yet valid' | 'certificate not trusted',
    why: string,
  ) {
    super(why);
    this.name = 'CertificateError';
  }
}

/** The certificates of a PEM text (a chain file holds several), in order. */
export function pemCertificates(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((block) => new X509Certificate(block));
}

/** The `x5c` header of a chain: each certificate's DER in standard base64 (RFC 7515 §4.1.6). */
export function x5cOf(chain: X509Certificate[]): string[] {
  return chain.map((c) => c.raw.toString('base64'));
}

/** The `x5t#S256` of a certificate: the base64url SHA-256 of its DER. */
export function x5tS256Of(cert: X509Certificate): string {
  return Buffer.from(cert.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url');
}

/** Chains already checked are kept this many at most (by their exact header value). */
const CHECKED_CHAINS = 256;

export class X509Keys {
  readonly generation = 0;
  private readonly anchors: X509Certificate[];
  private readonly byThumbprint = new Map<string, X509Certificate>();
  private readonly maxChain: number;
  /** Chains already checked: the leaf's keys by alg, and the dates between which every certificate of the chain is valid. */
  private readonly checked = new Map<string, { leaf: X509Certificate; keys: Map<string, Promise<CryptoKey>>; from: number; to: number }>();

  constructor(source: X509KeySource) {
    this.anchors = [source.trustAnchors].flat().flatMap(pemCertificates);
    for (const cert of [source.certificates ?? []].flat().flatMap(pemCertificates)) this.byThumbprint.set(x5tS256Of(cert), cert);
    this.maxChain = source.maxChainLength ?? 5;
  }

  async version(): Promise<number> {
    return 0;
  }

  /** jose's key-getter: the leaf's key once its chain is accepted; throws CertificateError otherwise. */
  readonly key = async (header: JWSHeaderParameters, _token: FlattenedJWSInput): Promise<CryptoKey> => {
    const id = chainId(header);
    let entry = this.checked.get(id);
    if (!entry) {
      const chain = this.chainOf(header);
      this.verifyChain(chain);
      entry = { leaf: chain[0], keys: new Map(), from: Math.max(...chain.map((c) => Date.parse(c.validFrom))), to: Math.min(...chain.map((c) => Date.parse(c.validTo))) };
      if (this.checked.size >= CHECKED_CHAINS) this.checked.delete(this.checked.keys().next().value!);
      this.checked.set(id, entry);
    }
    const now = Date.now();
    // Dates are checked on every use: a chain checked yesterday may have expired since.
    if (now > entry.to) throw new CertificateError('certificate expired', `a certificate of the chain expired at ${new Date(entry.to).toISOString()}`);
    if (now < entry.from) throw new CertificateError('certificate not yet valid', `a certificate of the chain is valid from ${new Date(entry.from).toISOString()}`);
    const alg = String(header.alg);
    let key = entry.keys.get(alg);
    if (!key) entry.keys.set(alg, (key = importX509(entry.leaf.toString(), alg)));
    return key;
  };

  private chainOf(header: JWSHeaderParameters): X509Certificate[] {
    if (Array.isArray(header.x5c)) {
      if (header.x5c.length === 0 || header.x5c.length > this.maxChain) throw new CertificateError('certificate malformed', `x5c holds ${header.x5c.length} certificates`);
      return header.x5c.map((der, i) => {
        try {
          if (typeof der !== 'string') throw new TypeError('not a string');
          return new X509Certificate(Buffer.from(der, 'base64'));
        } catch (e) {
          throw new CertificateError('certificate malformed', `x5c[${i}]: ${(e as Error).message}`);
        }
      });
    }
    const thumbprint = header['x5t#S256'];
    if (typeof thumbprint === 'string') {
      const cert = this.byThumbprint.get(thumbprint);
      if (!cert) throw new CertificateError('certificate not trusted', `x5t#S256 ${thumbprint.slice(0, 64)} names no configured certificate`);
      return [cert];
    }
    throw new CertificateError('certificate missing', 'the header has neither x5c nor x5t#S256');
  }

  /** Each certificate issued and signed by the next, which is a CA; the last one a trust anchor or issued by one. */
  private verifyChain(chain: X509Certificate[]): void {
    const now = Date.now();
    for (const cert of chain) {
      if (now > Date.parse(cert.validTo)) throw new CertificateError('certificate expired', `${cert.subject} expired at ${cert.validTo}`);
      if (now < Date.parse(cert.validFrom)) throw new CertificateError('certificate not yet valid', `${cert.subject} is valid from ${cert.validFrom}`);
    }
    for (let i = 0; i + 1 < chain.length; i++) {
      const [cert, issuer] = [chain[i], chain[i + 1]];
      if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey))
        throw new CertificateError('certificate not trusted', `${cert.subject} is not issued by ${issuer.subject} of the chain`);
    }
    const last = chain[chain.length - 1];
    const trusted = this.anchors.some(
      (anchor) => anchor.fingerprint256 === last.fingerprint256 || (anchor.ca && now <= Date.parse(anchor.validTo) && last.checkIssued(anchor) && last.verify(anchor.publicKey)),
    );
    if (!trusted) throw new CertificateError('certificate not trusted', `${last.subject} (issuer ${last.issuer}) leads to no trust anchor`);
  }
}

/** What identifies a chain in a header: the x5c array, or the thumbprint. */
function chainId(header: JWSHeaderParameters): string {
  return Array.isArray(header.x5c) ? `x5c ${header.x5c.join(',')}` : `x5t ${String(header['x5t#S256'] ?? '')}`;
}
