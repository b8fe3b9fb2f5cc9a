// The hostile list of issue 16, table-driven: each forged or broken credential is refused with the
// right status and check, and the provider keeps serving. Two provider instances share one
// PostgreSQL store: a jti used on one is refused on the other. JWKS outages: bounded wait, cached
// keys still used, 503 only when no key can be had.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { OutboundSecurity, signerFromKey, type FastifyInstance, type InboundSecurityOptions } from 'accordo/runtime';
import { generate } from '../src/generate.js';
import { ASSERTION_AUDIENCE, AuthorizationServer, ISSUER, testKey, type RegisteredClient } from './support/pdnd.js';
import { startPostgres } from './support/postgres.js';
import { FIXTURES, tempDir } from './support/tmp.js';

const SERVICE = 'https://api.ente.example/rest/secured/v1';
const M_PROFILE = { idAuth: 'ID_AUTH_REST_02', integrity: 'INTEGRITY_REST_02', audit: 'AUDIT_REST_02' } as const;
const AUDIT = { userID: 'operator-7', userLocation: 'sportello-3', LoA: 'substantial' };
const KEYS_COOLDOWN_MS = 3000;

const pg = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'accordo-security-'));
let as: AuthorizationServer;
let consumer: RegisteredClient;
let gen: any;
let a: FastifyInstance;
let b: FastifyInstance;
let urlA: string;
let urlB: string;
let signer: OutboundSecurity;
const started: FastifyInstance[] = [];
const handled: string[] = [];

const handlers = {
  m: (req: any) => (handled.push('m'), { status: 200, body: { doubled: req.body.n * 2 } }),
  readOrder: (req: any) => (handled.push('readOrder'), { status: 200, body: { doubled: req.path.id } }),
  pushM: { acknowledge: () => ({ outcome: 'accepted' }), process: () => ({ doubled: 0 }) },
  submitTask: { acknowledge: () => ({ outcome: 'accepted' }), process: () => ({ doubled: 0 }), status: () => ({ outcome: 'running' }) },
  getStatus: () => ({ status: 200, body: { title: 'OK', status: 200 } }),
};

function security(keys: InboundSecurityOptions['voucher']['keys']): InboundSecurityOptions {
  return { voucher: { issuer: ISSUER, audience: SERVICE, keys, purposes: ['purpose-orders'] }, signatureKeys: as.clientKeysUrl };
}

async function startProvider(store: string, keys: InboundSecurityOptions['voucher']['keys'], settings: Partial<InboundSecurityOptions> = {}): Promise<string> {
  const app: FastifyInstance = await gen.createProviderServer(handlers, { prefix: '/api', store, replyTo: { allowLoopback: true }, security: { ...security(keys), ...settings } });
  started.push(app);
  return `${await app.listen({ host: '127.0.0.1', port: 0 })}/api`;
}

beforeAll(async () => {
  as = await AuthorizationServer.start();
  consumer = await as.register({ 'purpose-orders': SERVICE, 'purpose-other': SERVICE });
  const out = await tempDir('security-hostile');
  await generate({ spec: join(FIXTURES, 'security', 'secured.yaml'), out, side: 'provider' });
  gen = await import(join(out, 'generated', 'provider.ts'));
  const store = pg ? await pg.createDatabase('security') : `sqlite:${join(dir, 'shared.db')}`;
  const keys = { url: as.jwksUrl, cooldownMs: KEYS_COOLDOWN_MS };
  urlA = await startProvider(store, keys);
  urlB = await startProvider(store, keys);
  a = started[0];
  b = started[1];
  signer = new OutboundSecurity({
    clientId: consumer.clientId,
    purposeId: 'purpose-orders',
    tokenUrl: as.tokenUrl,
    assertionAudience: ASSERTION_AUDIENCE,
    signer: await signerFromKey(consumer.key.privateJwk, { kid: consumer.key.kid, alg: consumer.key.alg }),
    audience: SERVICE,
    audit: () => AUDIT,
  });
});

afterAll(async () => {
  for (const app of started) await app.close();
  await as?.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const now = () => Math.floor(Date.now() / 1000);
const voucherClaims = () => ({ aud: SERVICE, sub: consumer.clientId, client_id: consumer.clientId, purposeId: 'purpose-orders' });

async function read(base: string, authorization?: string): Promise<{ status: number; detail?: string; challenge: string | null }> {
  const res = await fetch(`${base}/orders/1`, { headers: authorization ? { authorization } : {} });
  const body = (await res.json()) as { detail?: string };
  return { status: res.status, detail: body.detail, challenge: res.headers.get('www-authenticate') };
}

/** The headers the real client sends for M with this body, and the body bytes. */
async function signedM(body = JSON.stringify({ n: 1 })) {
  const headers = await signer.headersFor({ method: 'POST', url: `${urlA}/orders/1/M`, contentType: 'application/json', body }, M_PROFILE);
  return { headers: { ...headers, 'content-type': 'application/json' } as Record<string, string>, body };
}

async function postM(base: string, headers: Record<string, string>, body: string) {
  const res = await fetch(`${base}/orders/1/M`, { method: 'POST', headers, body });
  return { status: res.status, detail: ((await res.json()) as { detail?: string }).detail, challenge: res.headers.get('www-authenticate') };
}

describe('forged and broken vouchers (ReadOrder, ID_AUTH_REST_01)', () => {
  const rows: [string, () => Promise<string | undefined>, number, string][] = [
    ['no Authorization', async () => undefined, 401, 'voucher: missing (Authorization: Bearer)'],
    ['expired', async () => `Bearer ${await as.voucher({ ...voucherClaims(), iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 })}`, 401, 'voucher: expired'],
    ['not yet valid', async () => `Bearer ${await as.voucher({ ...voucherClaims(), nbf: now() + 3600, exp: now() + 7200 })}`, 401, 'voucher: not yet valid'],
    ['iat in the future', async () => `Bearer ${await as.voucher({ ...voucherClaims(), iat: now() + 3600, nbf: now(), exp: now() + 7200 })}`, 401, 'voucher: issued in the future'],
    ['wrong aud', async () => `Bearer ${await as.voucher({ ...voucherClaims(), aud: 'https://other.example' })}`, 401, 'voucher: aud not accepted'],
    ['wrong iss', async () => `Bearer ${await as.voucher({ ...voucherClaims(), iss: 'evil.example' })}`, 401, 'voucher: iss not accepted'],
    ['wrong typ', async () => `Bearer ${await as.voucher(voucherClaims(), { typ: 'dpop+jwt' })}`, 401, 'voucher: typ not accepted'],
    ['alg none', async () => `Bearer ${new UnsecuredJWT({ iss: ISSUER, ...voucherClaims(), iat: now(), exp: now() + 600 }).encode()}`, 401, 'voucher: algorithm not allowed'],
    [
      'HS256 signed with the public key (algorithm confusion)',
      async () => {
        const publicPem = await exportSPKI((await import('node:crypto')).createPublicKey({ key: as.keys[0].publicJwk as never, format: 'jwk' }) as never);
        const forged = await new SignJWT({ iss: ISSUER, ...voucherClaims(), iat: now(), exp: now() + 600 })
          .setProtectedHeader({ alg: 'HS256', kid: as.keys[0].kid, typ: 'at+jwt' })
          .sign(new TextEncoder().encode(publicPem));
        return `Bearer ${forged}`;
      },
      401,
      'voucher: algorithm not allowed',
    ],
    ['a key the server never published', async () => `Bearer ${await as.voucher(voucherClaims(), {}, await testKey('RS256'))}`, 401, 'voucher: signed with an unknown key'],
    ['a signature that does not verify', async () => `Bearer ${(await as.voucher(voucherClaims())).slice(0, -6)}AAAAAA`, 401, 'voucher: signature does not verify'],
    ['oversized', async () => `Bearer ${await as.voucher({ ...voucherClaims(), pad: 'x'.repeat(10_000) })}`, 401, 'voucher: too large'],
    ['a voucher for another purpose', async () => `Bearer ${await as.voucher({ ...voucherClaims(), purposeId: 'purpose-other' })}`, 403, 'voucher: purpose not allowed'],
    ['not a JWT', async () => 'Bearer not.a.jwt', 401, 'voucher: malformed'],
  ];
  for (const [what, authorization, status, detail] of rows) {
    it(`${what}: ${status} "${detail}", and the next valid request is served`, async () => {
      const before = handled.length;
      const refused = await read(urlA, await authorization());
      expect(refused).toMatchObject({ status, detail });
      expect(refused.challenge).toMatch(/^Bearer realm="accordo"/);
      if (status === 403) expect(refused.challenge).toContain('error="insufficient_scope"');
      expect(handled.length).toBe(before);
      expect((await read(urlA, `Bearer ${await as.voucher(voucherClaims())}`)).status).toBe(200);
    });
  }

  it('problem bodies say which check failed and nothing of keys or internals', async () => {
    const refused = await read(urlA, `Bearer ${await as.voucher({ ...voucherClaims(), aud: 'x' })}`);
    expect(JSON.stringify(refused)).not.toMatch(/kid|jwks|"n":|claim timestamp|stack/i);
  });
});

describe('INTEGRITY and AUDIT (M, ID_AUTH_REST_02 + INTEGRITY_REST_02 + AUDIT_REST_02)', () => {
  const rows: [string, (m: { headers: Record<string, string>; body: string }) => { headers: Record<string, string>; body: string }, string][] = [
    ['the body tampered after signing', (m) => ({ ...m, body: JSON.stringify({ n: 2 }) }), 'Digest: does not match the body'],
    [
      'a signed header changed',
      (m) => ({ ...m, headers: { ...m.headers, 'content-type': 'application/json; charset=utf-8' } }),
      'Agid-JWT-Signature: signed header content-type differs from the one received',
    ],
    ['Digest missing', (m) => ({ ...m, headers: without(m.headers, 'digest') }), 'Digest: missing'],
    [
      'Digest of other bytes, re-declared',
      (m) => ({ ...m, headers: { ...m.headers, digest: 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' } }),
      'Agid-JWT-Signature: signed header digest differs from the one received',
    ],
    ['Agid-JWT-Signature missing', (m) => ({ ...m, headers: without(m.headers, 'agid-jwt-signature') }), 'Agid-JWT-Signature: missing'],
    ['Agid-JWT-TrackingEvidence missing', (m) => ({ ...m, headers: without(m.headers, 'agid-jwt-trackingevidence') }), 'Agid-JWT-TrackingEvidence: missing'],
  ];
  for (const [what, tamper, detail] of rows) {
    it(`${what}: 401 "${detail}"`, async () => {
      const before = handled.length;
      const { headers, body } = tamper(await signedM());
      const refused = await postM(urlA, headers, body);
      expect(refused).toMatchObject({ status: 401, detail });
      expect(refused.challenge).toMatch(/^Bearer realm="accordo", error="invalid_request"/);
      expect(handled.length).toBe(before);
      const ok = await signedM();
      expect((await postM(urlA, ok.headers, ok.body)).status).toBe(200);
    });
  }

  it('a tracking evidence other than the one the voucher was issued for (AUDIT_REST_02): 401', async () => {
    const first = await signedM();
    const second = await signedM();
    const refused = await postM(urlA, { ...first.headers, 'agid-jwt-trackingevidence': second.headers['agid-jwt-trackingevidence'] }, first.body);
    expect(refused).toMatchObject({ status: 401, detail: 'Agid-JWT-TrackingEvidence: not the one the voucher was issued for' });
  });

  it('a replayed jti is refused by the instance that saw it and by the other instance on the shared store', async () => {
    const { headers, body } = await signedM();
    expect((await postM(urlA, headers, body)).status).toBe(200);
    expect(await postM(urlA, headers, body)).toMatchObject({ status: 401, detail: 'jti: already used' });
    expect(await postM(urlB, headers, body)).toMatchObject({ status: 401, detail: 'jti: already used' });
    const fresh = await signedM();
    expect((await postM(urlB, fresh.headers, fresh.body)).status).toBe(200);
  });
});

describe('the authorization server rotates its keys', () => {
  it('an unknown kid makes one JWKS refresh (rate-limited), then the new key is used or the token refused', async () => {
    expect((await read(urlA, `Bearer ${await as.voucher(voucherClaims())}`)).status).toBe(200);
    await sleep(KEYS_COOLDOWN_MS + 100); // past the cool-down of the fetch above
    // Made before the refresh: generating RSA keys on a loaded machine can outlast the cool-down.
    const unknown = await Promise.all([0, 1, 2].map(async () => `Bearer ${await as.voucher(voucherClaims(), {}, await testKey('RS256'))}`));
    await as.rotate(true);
    const fetches = as.jwksFetches;
    // Signed with the new key: unknown to A's cache, found by the one refresh.
    expect((await read(urlA, `Bearer ${await as.voucher(voucherClaims())}`)).status).toBe(200);
    expect(as.jwksFetches - fetches).toBe(1);
    // Unknown kids right after: refused without another fetch.
    for (const voucher of unknown) expect((await read(urlA, voucher)).detail).toBe('voucher: signed with an unknown key');
    expect(as.jwksFetches - fetches).toBe(1);
  });
});

describe('a voucher kept verified (the client sends the same one with every message)', () => {
  it('is refused once it expires, though it verified before', async () => {
    const base = await startProvider('memory:', { url: as.jwksUrl }, { clockSkewSec: 0 });
    const voucher = `Bearer ${await as.voucher({ ...voucherClaims(), exp: now() + 2 })}`;
    expect((await read(base, voucher)).status).toBe(200);
    expect((await read(base, voucher)).status).toBe(200);
    let last = await read(base, voucher);
    for (let i = 0; i < 100 && last.status === 200; i++) {
      await sleep(100);
      last = await read(base, voucher);
    }
    expect(last, 'the voucher was still accepted 10 s after it expired').toMatchObject({ status: 401, detail: 'voucher: expired' });
  });

  it('is verified again, and refused, once the key that signed it is withdrawn', async () => {
    const base = await startProvider('memory:', { url: as.jwksUrl, maxAgeMs: 0, cooldownMs: 0 });
    const voucher = `Bearer ${await as.voucher(voucherClaims())}`;
    expect((await read(base, voucher)).status).toBe(200);
    expect((await read(base, voucher)).status).toBe(200);
    const kept = as.keys;
    await as.rotate(false);
    try {
      expect(await read(base, voucher)).toMatchObject({ status: 401, detail: 'voucher: signed with an unknown key' });
    } finally {
      as.keys = [...as.keys, ...kept]; // the other tests' vouchers stay verifiable
    }
  });

  it('is checked against the purposes on every request', async () => {
    const other = `Bearer ${await as.voucher({ ...voucherClaims(), purposeId: 'purpose-other' })}`;
    const open = await startProvider('memory:', { url: as.jwksUrl }, { voucher: { issuer: ISSUER, audience: SERVICE, keys: { url: as.jwksUrl } } });
    // Its own provider with a purpose list, fresh key cache: the tests before rotate the keys A has cached.
    const listed = await startProvider('memory:', { url: as.jwksUrl });
    expect((await read(open, other)).status).toBe(200);
    expect(await read(listed, other)).toMatchObject({ status: 403, detail: 'voucher: purpose not allowed' });
    expect(await read(listed, other)).toMatchObject({ status: 403, detail: 'voucher: purpose not allowed' });
  });
});

describe('the JWKS endpoint down or slow', () => {
  it('with keys cached: the refresh fails within its bounded wait and the cached keys are used', async () => {
    as.jwksMode = 'up';
    const base = await startProvider('memory:', { url: as.jwksUrl, timeoutMs: 300, maxAgeMs: 0, cooldownMs: 0 });
    expect((await read(base, `Bearer ${await as.voucher(voucherClaims())}`)).status).toBe(200);
    for (const mode of ['slow', 'down'] as const) {
      as.jwksMode = mode;
      const fetches = as.jwksFetches;
      expect((await read(base, `Bearer ${await as.voucher(voucherClaims())}`)).status).toBe(200);
      expect(as.jwksFetches).toBeGreaterThan(fetches); // it did try
    }
    as.jwksMode = 'up';
  });

  it('with no key cached: 503 with Retry-After, then served once the endpoint is back', async () => {
    for (const mode of ['down', 'slow'] as const) {
      as.jwksMode = mode;
      const base = await startProvider('memory:', { url: as.jwksUrl, timeoutMs: 300 });
      const res = await fetch(`${base}/orders/1`, { headers: { authorization: `Bearer ${await as.voucher(voucherClaims())}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { detail: string }).detail).toBe('the credentials cannot be checked now; try again later');
      as.jwksMode = 'up';
      expect((await read(base, `Bearer ${await as.voucher(voucherClaims())}`)).status).toBe(200);
    }
  });
});

function without(headers: Record<string, string>, name: string): Record<string, string> {
  const { [name]: _, ...rest } = headers;
  return rest;
}
