// INTEGRITY_REST_01 with an X.509 chain: the consumer signs with a key and its certificate chain
// read from PEM files (x5c in the JWS header, or x5t#S256 naming a certificate the provider has);
// the provider verifies the chain against its trust anchor (Node's X509Certificate), imports the
// leaf's key (jose) and verifies the signature with it. Certificates are made at test time with
// openssl (support/x509.ts). The hostile rows are refused with 401 and the provider keeps serving.
import { createPublicKey, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPKCS8, type JWK } from 'jose';
import { OutboundSecurity, signerFromFile, type FastifyInstance, type SignerOptions } from 'accordo/runtime';
import { generate } from '../src/generate.js';
import { ASSERTION_AUDIENCE, AuthorizationServer, ISSUER, type RegisteredClient } from './support/pdnd.js';
import { FIXTURES, tempDir } from './support/tmp.js';
import { testPki, type TestPki } from './support/x509.js';

const SERVICE = 'https://api.ente.example/rest/secured/v1';
const PROFILE = { idAuth: 'ID_AUTH_REST_01', integrity: 'INTEGRITY_REST_01', audit: 'AUDIT_REST_01' } as const;
const AUDIT = { userID: 'operator-7', userLocation: 'sportello-3', LoA: 'substantial' };

let as: AuthorizationServer;
let pki: TestPki;
let provider: FastifyInstance;
let base: string;
let client: any;
const seen: any[] = [];

/** A client of the authorization server whose deposited key is the one in `keyFile` (so the voucher can be had with it). */
async function registerPemClient(keyFile: string): Promise<RegisteredClient> {
  const pem = await readFile(keyFile, 'utf8');
  const kid = randomUUID();
  const publicJwk = { ...(createPublicKey(pem).export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' };
  const registered = { clientId: randomUUID(), key: { kid, alg: 'RS256', privateKey: await importPKCS8(pem, 'RS256'), publicJwk, privateJwk: {} }, purposes: { 'purpose-orders': SERVICE } };
  as.clients.set(registered.clientId, registered);
  return registered;
}

/** What the consumer sends: the voucher, Digest and Agid-JWT-Signature signed by `keyFile` with `options`' certificates. */
async function outbound(keyFile: string, options: Omit<SignerOptions, 'certificates' | 'kid'> & { certificatesFile?: string }) {
  const registered = await registerPemClient(keyFile);
  return new OutboundSecurity({
    clientId: registered.clientId,
    purposeId: 'purpose-orders',
    tokenUrl: as.tokenUrl,
    assertionAudience: ASSERTION_AUDIENCE,
    signer: await signerFromFile(keyFile, { kid: registered.key.kid, ...options }),
    audience: SERVICE,
    audit: () => AUDIT,
  });
}

async function postM(security: OutboundSecurity) {
  const body = JSON.stringify({ n: 5 });
  const headers = await security.headersFor({ method: 'POST', url: `${base}/orders/1/M`, contentType: 'application/json', body }, PROFILE);
  const res = await fetch(`${base}/orders/1/M`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  return { status: res.status, detail: ((await res.json()) as { detail?: string }).detail, challenge: res.headers.get('www-authenticate') };
}

beforeAll(async () => {
  as = await AuthorizationServer.start();
  const out = await tempDir('security-x509');
  pki = await testPki(out);
  // M as INTEGRITY_REST_01 (the X.509 signature) and AUDIT_REST_01 (signed the same way) with the voucher; the rest as the fixture declares.
  await generate({ spec: join(FIXTURES, 'security', 'secured.yaml'), out, side: 'both', security: { M: ['ID_AUTH_REST_01', 'INTEGRITY_REST_01', 'AUDIT_REST_01'] } });
  const gen = await import(join(out, 'generated', 'provider.ts'));
  const con = await import(join(out, 'generated', 'consumer.ts'));
  provider = await gen.createProviderServer(
    {
      m: (req: any, ctx: any) => (seen.push(ctx.security), { status: 200, body: { doubled: req.body.n * 2 } }),
      readOrder: () => ({ status: 200, body: { doubled: 0 } }),
      pushM: { acknowledge: () => ({ outcome: 'accepted' }), process: () => ({ doubled: 0 }) },
      submitTask: { acknowledge: () => ({ outcome: 'accepted' }), process: () => ({ doubled: 0 }), status: () => ({ outcome: 'running' }) },
      getStatus: () => ({ status: 200, body: { title: 'OK', status: 200 } }),
    },
    {
      prefix: '/api',
      store: 'memory:',
      security: {
        voucher: { issuer: ISSUER, audience: SERVICE, keys: as.jwksUrl },
        // The signers' certificates: trusted from the CA; the consumer's also configured, for x5t#S256.
        signatureKeys: { trustAnchors: pki.ca, certificates: await readFile(pki.chainFile, 'utf8') },
      },
    },
  );
  base = `${await provider.listen({ host: '127.0.0.1', port: 0 })}/api`;
  client = new con.ProviderClient({ baseUrl: base, security: await outbound(pki.keyFile, { certificatesFile: pki.chainFile }) });
});

afterAll(async () => {
  await provider?.close();
  await as?.close();
});

describe('INTEGRITY_REST_01 with an X.509 chain', () => {
  it('the generated client signs with the key and chain of PEM files (x5c); the provider verifies the chain and the signature', async () => {
    expect(await client.m({ path: { id: 1 }, body: { n: 21 } })).toEqual({ status: 200, body: { doubled: 42 } });
    const security = seen.at(-1);
    expect(security.patterns).toEqual(['ID_AUTH_REST_01', 'INTEGRITY_REST_01', 'AUDIT_REST_01']);
    expect(security.audit).toMatchObject(AUDIT);
    expect(security.signature.signed_headers.map((h: object) => Object.keys(h)[0])).toEqual(['digest', 'content-type']);
  });

  it('x5t#S256 naming a certificate the provider has configured is enough', async () => {
    expect((await postM(await outbound(pki.keyFile, { certificatesFile: pki.chainFile, certificateHeader: 'x5t#S256' }))).status).toBe(200);
  });

  const rows: [string, () => Promise<OutboundSecurity>, string][] = [
    ['a self-signed certificate no trust anchor vouches for', () => outbound(pki.selfSignedKeyFile, { certificatesFile: pki.selfSignedFile }), 'Agid-JWT-Signature: certificate not trusted'],
    [
      'x5t#S256 of a certificate the provider does not have',
      () => outbound(pki.selfSignedKeyFile, { certificatesFile: pki.selfSignedFile, certificateHeader: 'x5t#S256' }),
      'Agid-JWT-Signature: certificate not trusted',
    ],
    ['an expired certificate (issued by the trust anchor)', () => outbound(pki.keyFile, { certificatesFile: pki.expiredChainFile }), 'Agid-JWT-Signature: certificate expired'],
    ["an x5c whose leaf is not the signing key's certificate", () => outbound(pki.otherKeyFile, { certificatesFile: pki.chainFile }), 'Agid-JWT-Signature: signature does not verify'],
  ];
  for (const [what, security, detail] of rows) {
    it(`${what}: 401 "${detail}", and the next valid request is served`, async () => {
      const before = seen.length;
      const refused = await postM(await security());
      expect(refused).toMatchObject({ status: 401, detail });
      expect(refused.challenge).toMatch(/^Bearer realm="accordo", error="invalid_request"/);
      expect(seen.length).toBe(before);
      expect((await client.m({ path: { id: 2 }, body: { n: 1 } })).status).toBe(200);
    });
  }

  it('a signature with neither x5c nor x5t#S256 (only a kid): 401 "Agid-JWT-Signature: certificate missing"', async () => {
    const registered = await registerPemClient(pki.keyFile);
    const bare = new OutboundSecurity({
      clientId: registered.clientId,
      purposeId: 'purpose-orders',
      tokenUrl: as.tokenUrl,
      assertionAudience: ASSERTION_AUDIENCE,
      signer: await signerFromFile(pki.keyFile, { kid: registered.key.kid }),
      audience: SERVICE,
      audit: () => AUDIT,
    });
    expect(await postM(bare)).toMatchObject({ status: 401, detail: 'Agid-JWT-Signature: certificate missing' });
  });
});
