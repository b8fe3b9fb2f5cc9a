/**
 * A loopback authorization server speaking PDND's token-endpoint contract, for the security tests:
 * clients register their public keys (by kid); `POST /token.oauth2` takes a form with
 * `client_credentials` and a jwt-bearer client assertion, checks the assertion against the
 * registered key (iss/sub, aud, exp, purposeId allowed for the client), and issues a voucher
 * (`typ: at+jwt`) signed with the server's own key; `/.well-known/jwks.json` serves the server's
 * keys, `/keys` the clients' (PDND's key endpoint, which providers read to verify
 * `Agid-JWT-Signature`). Keys are generated at start and can be rotated; the JWKS endpoint can be
 * made to fail or stall.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, createLocalJWKSet, SignJWT, type JWK, type JWTPayload, type JSONWebKeySet } from 'jose';

export const ISSUER = 'uat.interop.pagopa.it';
export const ASSERTION_AUDIENCE = 'auth.uat.interop.pagopa.it/client-assertion';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

export async function testKey(alg = 'RS256', kid = randomUUID()): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  return { kid, alg, privateKey, publicJwk, privateJwk };
}

export interface RegisteredClient {
  clientId: string;
  key: TestKey;
  /** The purposes this client may ask vouchers for, each for one e-service audience. */
  purposes: Record<string, string>;
}

export class AuthorizationServer {
  url = '';
  /** The server's signing keys; the first signs. */
  keys: TestKey[] = [];
  readonly clients = new Map<string, RegisteredClient>();
  jwksFetches = 0;
  tokensIssued = 0;
  /** `down`: the JWKS endpoint answers 503; `slow`: it never answers. */
  jwksMode: 'up' | 'down' | 'slow' = 'up';
  voucherLifetimeSec = 600;
  private server?: Server;

  static async start(): Promise<AuthorizationServer> {
    const as = new AuthorizationServer();
    as.keys = [await testKey('RS256')];
    as.server = createServer((req, res) => void as.handle(req, res));
    await new Promise<void>((resolve) => as.server!.listen(0, '127.0.0.1', resolve));
    as.url = `http://127.0.0.1:${(as.server.address() as AddressInfo).port}`;
    return as;
  }

  get tokenUrl(): string {
    return `${this.url}/token.oauth2`;
  }
  get jwksUrl(): string {
    return `${this.url}/.well-known/jwks.json`;
  }
  get clientKeysUrl(): string {
    return `${this.url}/keys`;
  }

  async register(purposes: Record<string, string>, alg = 'ES256'): Promise<RegisteredClient> {
    const client = { clientId: randomUUID(), key: await testKey(alg), purposes };
    this.clients.set(client.clientId, client);
    return client;
  }

  /** A new signing key; `keepOld`: the old one stays published (a rotation overlap) or is withdrawn. */
  async rotate(keepOld = true): Promise<void> {
    const next = await testKey('RS256');
    this.keys = keepOld ? [next, ...this.keys] : [next];
  }

  /** A voucher as this server issues it, with claims and header overridable (the hostile tests forge with it). */
  async voucher(claims: JWTPayload, header: Record<string, unknown> = {}, key: TestKey = this.keys[0]): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: ISSUER, iat: now, nbf: now, exp: now + this.voucherLifetimeSec, jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
      .sign(key.privateKey);
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      this.jwksFetches++;
      if (this.jwksMode === 'slow') return; // never answers: the verifier's bounded wait ends it
      if (this.jwksMode === 'down') return json(503, { error: 'unavailable' });
      return json(200, { keys: this.keys.map((k) => k.publicJwk) });
    }
    if (req.method === 'GET' && req.url === '/keys') return json(200, { keys: [...this.clients.values()].map((c) => c.key.publicJwk) });
    if (req.method !== 'POST' || req.url !== '/token.oauth2') return json(404, { error: 'not_found' });
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return json(400, { error: 'invalid_request' });
    let text = '';
    for await (const chunk of req) text += chunk;
    const form = new URLSearchParams(text);
    if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return json(400, { error: 'invalid_request' });
    const client = this.clients.get(form.get('client_id') ?? '');
    if (!client) return json(401, { error: 'invalid_client' });
    let claims: JWTPayload;
    try {
      const jwks: JSONWebKeySet = { keys: [client.key.publicJwk] };
      ({ payload: claims } = await jwtVerify(form.get('client_assertion') ?? '', createLocalJWKSet(jwks), {
        issuer: client.clientId,
        subject: client.clientId,
        audience: ASSERTION_AUDIENCE,
        requiredClaims: ['jti', 'iat', 'exp'],
        maxTokenAge: 300,
      }));
    } catch {
      return json(401, { error: 'invalid_client' });
    }
    const purposeId = String(claims.purposeId ?? '');
    const audience = client.purposes[purposeId];
    if (!audience) return json(400, { error: 'invalid_grant' });
    this.tokensIssued++;
    const voucher = await this.voucher({ aud: audience, sub: client.clientId, client_id: client.clientId, purposeId, ...(claims.digest ? { digest: claims.digest } : {}) });
    return json(200, { access_token: voucher, token_type: 'Bearer', expires_in: this.voucherLifetimeSec });
  }
}
