// PDND vouchers and the ModI security patterns end to end over loopback: a generated provider and
// consumer of test/fixtures/security/secured.yaml, a loopback authorization server (support/pdnd.ts)
// that issues vouchers against client assertions, BLOCK (ID_AUTH_REST_02 + INTEGRITY_REST_02 +
// AUDIT_REST_02), PUSH in both directions (the provider's callback carries its own voucher and
// signature) and PULL (request signed, status and result read with the voucher).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, OutboundSecurity, signerFromKey, type FastifyInstance, type InboundSecurityOptions } from 'accordo/runtime';
import { generate } from '../src/generate.js';
import { ASSERTION_AUDIENCE, AuthorizationServer, ISSUER, type RegisteredClient } from './support/pdnd.js';
import { FIXTURES, ROOT, tempDir } from './support/tmp.js';

const SERVICE = 'https://api.ente.example/rest/secured/v1';
const CALLBACKS = 'https://consumer.example/callbacks';
const AUDIT = { userID: 'operator-7', userLocation: 'sportello-3', LoA: 'substantial' };

let as: AuthorizationServer;
let consumerClient: RegisteredClient;
let providerClient: RegisteredClient;
let provider: FastifyInstance;
let callbacks: FastifyInstance;
let client: any;
const seen: { handler: string; security: any; log?: unknown }[] = [];
const callbackSeen: any[] = [];
/** What the push and pull handlers were given as ctx.security, by handler and step. */
const laterSeen: { step: string; security: any }[] = [];
/** The provider's log lines (pino JSON). */
const logs: any[] = [];

function inbound(as: AuthorizationServer, audience: string, purposes?: string[]): InboundSecurityOptions {
  // The authorization server's keys are looked up again on every request here, so that a withdrawn key is seen at once.
  return { voucher: { issuer: ISSUER, audience, keys: { url: as.jwksUrl, maxAgeMs: 0, cooldownMs: 0 }, ...(purposes ? { purposes } : {}) }, signatureKeys: as.clientKeysUrl };
}

async function outbound(client: RegisteredClient, purposeId: string, audience: string, audit?: () => Record<string, unknown>) {
  return new OutboundSecurity({
    clientId: client.clientId,
    purposeId,
    tokenUrl: as.tokenUrl,
    assertionAudience: ASSERTION_AUDIENCE,
    signer: await signerFromKey(client.key.privateJwk, { kid: client.key.kid, alg: client.key.alg }),
    audience,
    ...(audit ? { audit } : {}),
  });
}

beforeAll(async () => {
  as = await AuthorizationServer.start();
  consumerClient = await as.register({ 'purpose-orders': SERVICE });
  providerClient = await as.register({ 'purpose-callbacks': CALLBACKS });
  const out = await tempDir('security');
  await generate({ spec: join(FIXTURES, 'security', 'secured.yaml'), out, side: 'both' });
  const gen = await import(join(out, 'generated', 'provider.ts'));
  const con = await import(join(out, 'generated', 'consumer.ts'));

  const registry = new CorrelationRegistry();
  callbacks = await con.createConsumerServer({ pushMResult: (result: unknown, ctx: any) => (callbackSeen.push({ result, security: ctx.security }), { outcome: 'received' }) }, registry, {
    prefix: '/cb',
    security: inbound(as, CALLBACKS),
  });
  const callbackBase = `${await callbacks.listen({ host: '127.0.0.1', port: 0 })}/cb`;

  provider = await gen.createProviderServer(
    {
      m: (req: any, ctx: any) => (seen.push({ handler: 'm', security: ctx.security }), { status: 200, body: { doubled: req.body.n * 2 } }),
      readOrder: (req: any, ctx: any) => (seen.push({ handler: 'readOrder', security: ctx.security }), { status: 200, body: { doubled: req.path.id } }),
      pushM: {
        acknowledge: (_req: any, ctx: any) => (laterSeen.push({ step: 'pushM.acknowledge', security: ctx.security }), { outcome: 'accepted' }),
        process: (req: any, ctx: any) => (laterSeen.push({ step: 'pushM.process', security: ctx.security }), ctx.log.info('pushM processing'), { doubled: req.body.n * 2 }),
      },
      submitTask: {
        acknowledge: (_req: any, ctx: any) => (laterSeen.push({ step: 'submitTask.acknowledge', security: ctx.security }), { outcome: 'accepted' }),
        process: (req: any, ctx: any) => (laterSeen.push({ step: 'submitTask.process', security: ctx.security }), ctx.log.info('submitTask processing'), { doubled: req.body.n * 2 }),
        status: (_task: any, ctx: any) => (laterSeen.push({ step: 'submitTask.status', security: ctx?.security }), { outcome: 'running' }),
      },
      getStatus: () => ({ status: 200, body: { title: 'OK', status: 200 } }),
    },
    {
      prefix: '/api',
      store: 'memory:',
      replyTo: { allowLoopback: true },
      security: inbound(as, SERVICE, ['purpose-orders']),
      server: { logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } },
      // The provider calls the consumer's callback e-service with a voucher of its own.
      outbound: { security: await outbound(providerClient, 'purpose-callbacks', CALLBACKS) },
    },
  );
  const base = `${await provider.listen({ host: '127.0.0.1', port: 0 })}/api`;
  client = new con.ProviderClient({ baseUrl: base, callbackUrl: callbackBase, registry, security: await outbound(consumerClient, 'purpose-orders', SERVICE, () => AUDIT) });
});

afterAll(async () => {
  await client?.registry.close?.();
  await provider?.close();
  await callbacks?.close();
  await as?.close();
});

describe('BLOCK_REST with ID_AUTH_REST_02 + INTEGRITY_REST_02 + AUDIT_REST_02', () => {
  it('the generated client obtains a voucher, signs the exact bytes, sends the tracking evidence; the handler gets the verified claims', async () => {
    const res = await client.m({ path: { id: 7 }, body: { n: 21 } });
    expect(res).toEqual({ status: 200, body: { doubled: 42 } });
    const { security } = seen.find((s) => s.handler === 'm')!;
    expect(security.patterns).toEqual(['ID_AUTH_REST_02', 'INTEGRITY_REST_02', 'AUDIT_REST_02']);
    expect(security.clientId).toBe(consumerClient.clientId);
    expect(security.purposeId).toBe('purpose-orders');
    expect(security.audit).toMatchObject(AUDIT);
    expect(security.signature.signed_headers.map((h: object) => Object.keys(h)[0])).toEqual(['digest', 'content-type']);
    // AUDIT_REST_02: the voucher was issued for this tracking evidence (its digest claim).
    expect(security.voucher.digest).toMatchObject({ alg: 'SHA256' });
  });

  it('each message has its own signature jti, so repeated calls pass; a voucher bound to no evidence is reused', async () => {
    const before = as.tokensIssued;
    await client.readOrder({ path: { id: 1 } });
    await client.readOrder({ path: { id: 2 } });
    await client.readOrder({ path: { id: 3 } });
    // ReadOrder (ID_AUTH_REST_01, no audit): at most one voucher for the three calls.
    expect(as.tokensIssued - before).toBeLessThanOrEqual(1);
    expect(seen.filter((s) => s.handler === 'readOrder').map((s) => s.security.patterns)).toEqual([['ID_AUTH_REST_01'], ['ID_AUTH_REST_01'], ['ID_AUTH_REST_01']]);
    for (let i = 0; i < 3; i++) expect((await client.m({ path: { id: i }, body: { n: i } })).status).toBe(200);
  });

  it('a refused voucher (401) is dropped and fetched again once: a rotated authorization server key is picked up', async () => {
    await client.readOrder({ path: { id: 4 } });
    await as.rotate(false); // the old key is withdrawn: the cached voucher no longer verifies
    const before = as.tokensIssued;
    const res = await client.readOrder({ path: { id: 5 } });
    expect(res.status).toBe(200);
    expect(as.tokensIssued - before).toBe(1);
  });

  it('/status needs nothing (security: [])', async () => {
    const res = await fetch(`${client.options.baseUrl}/status`);
    expect(res.status).toBe(200);
  });
});

describe('NONBLOCK_PUSH_REST: secured in both directions', () => {
  it('the request carries the consumer voucher + signature; the callback the provider voucher + signature, checked by the callback endpoint', async () => {
    const { correlationId } = await client.pushM({ path: { id: 9 }, body: { n: 5 } });
    const result = await client.pushMResult(correlationId, { timeoutMs: 30_000 });
    expect(result).toEqual({ doubled: 10 });
    const cb = callbackSeen.at(-1);
    expect(cb.security.patterns).toEqual(['ID_AUTH_REST_01', 'INTEGRITY_REST_02']);
    expect(cb.security.clientId).toBe(providerClient.clientId);
    expect(cb.security.purposeId).toBe('purpose-callbacks');
  });

  it('acknowledge and process (run later by the worker, from the store) get the verified claims, and process logs them', async () => {
    const { correlationId } = await client.pushM({ path: { id: 11 }, body: { n: 2 } });
    expect(await client.pushMResult(correlationId, { timeoutMs: 30_000 })).toEqual({ doubled: 4 });
    for (const step of ['pushM.acknowledge', 'pushM.process']) {
      const { security } = laterSeen.filter((s) => s.step === step).at(-1)!;
      expect(security.patterns).toEqual(['ID_AUTH_REST_01', 'INTEGRITY_REST_02']);
      expect(security.clientId).toBe(consumerClient.clientId);
      expect(security.purposeId).toBe('purpose-orders');
      expect(security.signature.signed_headers.map((h: object) => Object.keys(h)[0])).toEqual(['digest', 'content-type']);
    }
    const line = logs.filter((l) => l.msg === 'pushM processing' && l.correlationId === correlationId).at(-1);
    expect(line).toMatchObject({ clientId: consumerClient.clientId, purposeId: 'purpose-orders', security: 'ID_AUTH_REST_01+INTEGRITY_REST_02' });
  });

  it('a callback without the provider voucher is refused by the consumer with 401', async () => {
    const res = await fetch(`${callbacks.listeningOrigin}/cb/callbacks/pushM/completion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'whatever' },
      body: JSON.stringify({ doubled: 1 }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  });
});

describe('NONBLOCK_PULL_REST: the request signed, status and result read with the voucher', () => {
  it('submits, polls and fetches the result through the checks', async () => {
    const result = await client.submitTaskAwait({ body: { n: 4 } }, { initialDelayMs: 20 });
    expect(result).toEqual({ doubled: 8 });
  });

  it('acknowledge, process (from the store) and status get the verified claims; process logs them', async () => {
    laterSeen.length = 0;
    expect(await client.submitTaskAwait({ body: { n: 3 } }, { initialDelayMs: 20 })).toEqual({ doubled: 6 });
    const steps = laterSeen.map((s) => s.step);
    expect(steps).toContain('submitTask.acknowledge');
    expect(steps).toContain('submitTask.process');
    for (const { step, security } of laterSeen) {
      expect(security?.clientId, step).toBe(consumerClient.clientId);
      expect(security.purposeId, step).toBe('purpose-orders');
    }
    expect(laterSeen.find((s) => s.step === 'submitTask.process')!.security.patterns).toEqual(['ID_AUTH_REST_01', 'INTEGRITY_REST_02']);
    const line = logs.filter((l) => l.msg === 'submitTask processing').at(-1);
    expect(line).toMatchObject({ clientId: consumerClient.clientId, purposeId: 'purpose-orders' });
  });

  it('a status read without a voucher is 401', async () => {
    const { statusUrl } = await client.submitTask({ body: { n: 1 } });
    const res = await fetch(statusUrl);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toBe('voucher: missing (Authorization: Bearer)');
  });
});

describe('SUBSCRIPTION_REST: the subscription handler gets the verified claims', () => {
  it('createSession (declared ID_AUTH_REST_01 in the config) is refused without a voucher and sees ctx.security with one', async () => {
    const out = await tempDir('security-subscription');
    // The QoD example's spec; the security comes from the config (its notifications keep their own declaration out of this test).
    await generate({ spec: join(ROOT, 'examples', 'subscription-rest', 'specs', 'qod.yaml'), out, side: 'provider', security: { createSession: ['ID_AUTH_REST_01'], postNotification: 'none' } });
    const gen = await import(join(out, 'generated', 'provider.ts'));
    const subscribed: any[] = [];
    const app: FastifyInstance = await gen.createProviderServer(
      {
        createSession: (req: any, ctx: any) => (
          subscribed.push(ctx.security),
          { status: 201, body: { sessionId: ctx.subscriptionId, qosProfile: req.body.qosProfile, duration: req.body.duration, qosStatus: 'REQUESTED' } }
        ),
        getSession: () => ({ status: 404, body: { status: 404, code: 'NOT_FOUND', message: 'none' } }),
        deleteSession: () => ({ status: 204 }),
      },
      { prefix: '/api', store: 'memory:', security: inbound(as, SERVICE, ['purpose-orders']) },
    );
    try {
      const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/sessions`;
      const body = JSON.stringify({ applicationServer: { ipv4Address: '198.51.100.10' }, qosProfile: 'QOS_L', duration: 60 });
      const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(refused.status).toBe(401);
      const security = await outbound(consumerClient, 'purpose-orders', SERVICE);
      const headers = await security.headersFor({ method: 'POST', url, contentType: 'application/json', body }, { idAuth: 'ID_AUTH_REST_01' });
      const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
      expect(res.status).toBe(201);
      expect(subscribed).toHaveLength(1);
      expect(subscribed[0]).toMatchObject({ patterns: ['ID_AUTH_REST_01'], clientId: consumerClient.clientId, purposeId: 'purpose-orders' });
    } finally {
      await app.close();
    }
  });
});
