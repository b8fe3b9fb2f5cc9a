/**
 * Public keys by `kid`, from a JWKS URL (the authorization server's, or PDND's keys of the
 * consumers' clients) or given: fetched with a bounded wait, cached, refetched when a token names
 * a `kid` the cache does not have (at most once per cool-down: a stream of unknown kids cannot make
 * the server hammer the endpoint), and kept when a refresh fails (a JWKS endpoint down or slow does
 * not stop the verification of tokens signed with keys already known). jose selects and imports
 * the keys (createLocalJWKSet caches each imported key): nothing here parses a key.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { X509Keys, type X509KeySource } from './x509.js';

/** Where the keys come from. */
export type KeySource =
  | string
  | URL
  | JSONWebKeySet
  /** Signers' X.509 certificates (`x5c` or `x5t#S256` in the header) trusted from these anchors (x509.ts). */
  | X509KeySource
  | {
      /** The JWKS URL. */
      url: string | URL;
      /** Longest wait for the endpoint, ms (default 2000). */
      timeoutMs?: number;
      /** Fewest ms between two fetches prompted by unknown kids (default 30 s). */
      cooldownMs?: number;
      /** How long a fetched set is used before it is refreshed, ms (default 10 min). */
      maxAgeMs?: number;
      /** The fetch used (default the global one). */
      fetch?: typeof fetch;
    };

/** No key can be had: the JWKS endpoint did not answer and nothing is cached. Answered 503. */
export class KeysUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the signing keys cannot be fetched', { cause });
    this.name = 'KeysUnavailableError';
  }
}

type Getter = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface KeyResolver {
  /** The key for a JWS header (jose's key-getter form). Throws jose's JWKSNoMatchingKey for an unknown kid. */
  readonly key: Getter;
  /**
   * The generation of the set in use, after refreshing it when its age is over: it changes
   * whenever the set's content does (a key added or withdrawn), so that what was verified with an
   * earlier set is verified again.
   */
  version(): Promise<number>;
  /** The generation of the set in use now, without refreshing it. */
  readonly generation: number;
}

export function keyResolver(source: KeySource): KeyResolver {
  if (typeof source === 'object' && 'trustAnchors' in source) return new X509Keys(source);
  if (typeof source === 'object' && 'keys' in source) {
    const local = createLocalJWKSet(source);
    return { key: (h, t) => local(h, t) as Promise<CryptoKey>, version: async () => 0, generation: 0 };
  }
  const options = typeof source === 'string' || source instanceof URL ? { url: source } : source;
  return new RemoteKeys(options);
}

class RemoteKeys implements KeyResolver {
  private set?: { jwks: Getter; at: number; text: string };
  private gen = 0;
  private lastFetch = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<void>;
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly fetch: typeof fetch;

  constructor(o: Exclude<KeySource, string | URL | JSONWebKeySet | X509KeySource>) {
    this.url = String(o.url);
    this.timeoutMs = o.timeoutMs ?? 2000;
    this.cooldownMs = o.cooldownMs ?? 30_000;
    this.maxAgeMs = o.maxAgeMs ?? 10 * 60_000;
    this.fetch = o.fetch ?? fetch;
  }

  get generation(): number {
    return this.gen;
  }

  async version(): Promise<number> {
    await this.fresh();
    return this.generation;
  }

  /** Fetches the set when there is none, or when its age is over (at most once per cool-down). */
  private async fresh(): Promise<void> {
    const now = Date.now();
    if (!this.set) await this.refresh(true);
    else if (now - this.set.at > this.maxAgeMs && now - this.lastFetch > this.cooldownMs) await this.refresh(false);
  }

  readonly key: Getter = async (header, token) => {
    await this.fresh();
    try {
      return await this.set!.jwks(header, token);
    } catch (e) {
      // A kid we do not know: the server may have rotated its keys. Look again, once per cool-down.
      if (!(e instanceof errors.JWKSNoMatchingKey) || Date.now() - this.lastFetch < this.cooldownMs) throw e;
      await this.refresh(false);
      return this.set!.jwks(header, token);
    }
  };

  /** Fetches the set (one fetch at a time); without a cached set a failure is KeysUnavailableError, with one it keeps it. */
  private async refresh(required: boolean): Promise<void> {
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    try {
      await this.inflight;
    } catch (e) {
      if (required || !this.set) throw new KeysUnavailableError(e);
    }
  }

  private async load(): Promise<void> {
    this.lastFetch = Date.now();
    const res = await this.fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' }, redirect: 'error' });
    if (!res.ok) throw new Error(`JWKS endpoint answered HTTP ${res.status}`);
    const text = await res.text();
    // The same set again: keep it, and the keys jose imported from it.
    if (this.set?.text === text) {
      this.set.at = Date.now();
      return;
    }
    const jwks = JSON.parse(text) as JSONWebKeySet;
    this.set = { jwks: createLocalJWKSet(jwks) as Getter, at: Date.now(), text };
    this.gen++;
  }
}
