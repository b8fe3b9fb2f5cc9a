// The gateway outputs of a secured agreement: GovWay's ModI message security per API and per
// resource comes from the declared profiles (PDND vouchers, INTEGRITY, AUDIT); nginx passes the
// security headers through unchanged.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { govwaySteps } from './support/govway-steps.js';
import { FIXTURES } from './support/tmp.js';

const ORDERS = join(FIXTURES, 'security', 'orders.yaml');

describe('GovWay: the declared security', () => {
  it('the API carries the profile most operations declare; an operation that declares another is ridefinito', async () => {
    const { steps, readme } = await govwaySteps('security', ORDERS);
    const api = steps.provider.find((s) => s.operation === 'createApi')!;
    // M declares the full profile, ReadOrder the voucher alone, GetStatus nothing: one each, the first (M) is the API's.
    expect(api.body.modi.sicurezza_messaggio).toEqual({
      pattern: 'integrity02-auth02',
      generazione_token: 'pdnd',
      digest_richiesta: true,
      rest_header: 'agid',
      informazioni_utente: true,
      pattern_audit: 'audit-rest02',
    });
    const resource = (name: string) => steps.provider.find((s) => s.path.endsWith(`/risorse/${name}`))!.body.modi.sicurezza_messaggio;
    expect(resource('POST_orders.id.M')).toEqual({ stato: 'api' });
    expect(resource('GET_orders.id')).toEqual({ stato: 'ridefinito', configurazione: { pattern: 'auth01', generazione_token: 'pdnd' } });
    expect(resource('GET_status')).toEqual({ stato: 'ridefinito', configurazione: { pattern: 'disabilitato' } });
    expect(readme).toContain('PDND vouchers: the agreement declares them');
  });

  it("the config's messageSecurity, when it names a pattern, holds for the API and every operation", async () => {
    const { steps } = await govwaySteps('security-config', ORDERS, undefined, '  govway:\n    messageSecurity: integrity01-auth01\n');
    const api = steps.provider.find((s) => s.operation === 'createApi')!;
    expect(api.body.modi.sicurezza_messaggio).toEqual({ pattern: 'integrity01-auth01' });
    for (const s of steps.provider.filter((s) => s.operation === 'updateApiRisorsa')) expect(s.body.modi.sicurezza_messaggio).toEqual({ stato: 'api' });
  });
});

describe('nginx: the security headers pass unchanged', () => {
  it('the generated configuration neither drops nor rewrites Authorization, Agid-JWT-Signature, Digest, Agid-JWT-TrackingEvidence', async () => {
    const { out } = await govwaySteps('security-nginx', ORDERS, undefined, '');
    expect(out).toBeTruthy();
    const { generate } = await import('../src/generate.js');
    const { loadConfig } = await import('../src/config/index.js');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(out, 'accordo.config.yaml'), (await readFile(join(out, 'accordo.config.yaml'), 'utf8')).replace('targets: [govway]', 'targets: [nginx]'));
    const config = await loadConfig(join(out, 'accordo.config.yaml'));
    await generate({ spec: ORDERS, out, side: 'provider', gateway: config.gateway });
    const conf = await readFile(join(out, 'gateway', 'nginx', 'provider.conf'), 'utf8');
    expect(conf).not.toMatch(/proxy_set_header\s+(Authorization|Agid-JWT-Signature|Digest|Agid-JWT-TrackingEvidence)\b/i);
    expect(conf).not.toMatch(/proxy_pass_request_headers\s+off/);
    expect(conf).not.toMatch(/underscores_in_headers\s+off|ignore_invalid_headers\s+on/);
  });
});
