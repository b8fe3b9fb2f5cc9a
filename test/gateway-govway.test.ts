// GovWay Config API requests: the objects of each pattern present and correlated, the apply script
// run against a loopback Config API (each body valid against the Config API's own OpenAPI: test/corpus/).
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadConfig } from '../src/config/index.js';
import { generate } from '../src/generate.js';
import { SpecError } from '../src/load/errors.js';
import { emitGateway } from '../src/emit/gateway/index.js';
import { loadAgreement } from '../src/load/index.js';
import { GATEWAY_YAML, govwaySteps, type Step } from './support/govway-steps.js';
import { FIXTURES, ROOT, tempDir } from './support/tmp.js';

const SEED = join(FIXTURES, 'seed', 'nonblock-push-rest');
const MODI = join(FIXTURES, 'modi');

/** The ModI profile on every request. Each body valid against GovWay's own Config API: test/corpus/gateway-govway.test.ts. */
function expectModiProfile(steps: Step[]) {
  for (const s of steps) expect(s.query).toMatchObject({ profilo: 'ModI' });
}

const ops = (steps: Step[]) => steps.map((s) => `${s.method} ${s.path}`);
const interazione = (steps: Step[], resource: string) => steps.find((s) => s.path.endsWith(`/risorse/${resource}`))?.body.modi.interazione;

describe('GovWay Config API requests', () => {
  it('REST push pair: in order, the four objects over two gateways, the correlation', async () => {
    const { steps } = await govwaySteps('push', join(SEED, 'server.yaml'), join(SEED, 'client.yaml'));
    expectModiProfile([...steps.provider, ...steps.consumer]);
    expect(steps.provider.every((s) => s.query.soggetto === 'ENTE')).toBe(true);
    expect(steps.consumer.every((s) => s.query.soggetto === 'Comune-Demo')).toBe(true);

    // APIs first, then resources, then erogazioni/fruizioni, then applications.
    expect(ops(steps.provider)).toEqual([
      'POST /api',
      'POST /api',
      'PUT /api/RESTCallbackServer/1/risorse/POST_resources.id_resource.M',
      'PUT /api/RESTCallbackClient/1/risorse/POST_MResponse',
      'POST /erogazioni',
      'POST /fruizioni',
      'POST /applicativi',
    ]);
    expect(ops(steps.consumer)).toEqual([
      'POST /api',
      'POST /api',
      'PUT /api/RESTCallbackServer/1/risorse/POST_resources.id_resource.M',
      'PUT /api/RESTCallbackClient/1/risorse/POST_MResponse',
      'POST /fruizioni',
      'POST /erogazioni',
      'POST /applicativi',
    ]);

    const [api] = steps.provider;
    expect(api.body).toMatchObject({ nome: 'RESTCallbackServer', versione: 1, referente: 'ENTE', tipo_interfaccia: { protocollo: 'rest', formato: 'OpenApi3.0' } });
    expect(Buffer.from(api.body.interfaccia, 'base64').toString('utf8')).toBe(await readFile(join(SEED, 'server.yaml'), 'utf8'));

    expect(interazione(steps.provider, 'POST_resources.id_resource.M')).toEqual({ pattern: 'non-bloccante', tipo: 'push', funzione: 'richiesta' });
    expect(interazione(steps.consumer, 'POST_MResponse')).toEqual({
      pattern: 'non-bloccante',
      tipo: 'push',
      funzione: 'risposta',
      risorsa_correlata: { api_nome: 'RESTCallbackServer', api_versione: 1, risorsa_http_method: 'POST', risorsa_path: '/resources/{id_resource}/M' },
    });

    // Provider gateway: erogazione of the request API to the backend, fruizione of the callback API to the consumer's gateway.
    const by = (list: Step[], op: string) => list.filter((s) => s.operation === op).map((s) => s.body);
    expect(by(steps.provider, 'createErogazione')).toEqual([
      { api_nome: 'RESTCallbackServer', api_versione: 1, api_referente: 'ENTE', connettore: { endpoint: 'http://10.0.0.5:8080/rest/nome-api/v1' } },
    ]);
    expect(by(steps.provider, 'createFruizione')).toEqual([
      { api_nome: 'RESTCallbackClient', api_versione: 1, api_referente: 'ENTE', erogatore: 'Comune-Demo', connettore: { endpoint: 'https://gw.comune.example/govway/rest/in/Comune-Demo/RESTCallbackClient/v1' } },
    ]);
    // Consumer gateway: fruizione of the request API to the provider's gateway, erogazione of the callback API to the consumer's backend.
    expect(by(steps.consumer, 'createFruizione')).toEqual([
      { api_nome: 'RESTCallbackServer', api_versione: 1, api_referente: 'ENTE', erogatore: 'ENTE', connettore: { endpoint: 'https://gw.ente.example/govway/rest/in/ENTE/RESTCallbackServer/v1' } },
    ]);
    expect(by(steps.consumer, 'createErogazione')).toEqual([
      { api_nome: 'RESTCallbackClient', api_versione: 1, api_referente: 'ENTE', connettore: { endpoint: 'http://10.1.0.7:8081/rest/v1/client' } },
    ]);
    expect(by(steps.consumer, 'createApplicativo')).toEqual([{ nome: 'ClientApp', modi: { dominio: 'interno' } }]);
    expect(by(steps.provider, 'createApplicativo')).toEqual([{ nome: 'EnteBackend', modi: { dominio: 'interno' } }]);
  });

  it('BLOCK_REST: a blocking resource, an erogazione and a fruizione, no callback API', async () => {
    const { steps } = await govwaySteps('block', join(MODI, 'BLOCK_REST', 'server.yaml'));
    expectModiProfile([...steps.provider, ...steps.consumer]);
    expect(ops(steps.provider)).toEqual(['POST /api', 'PUT /api/RESTblocking/1/risorse/POST_resources.id_resource.M', 'POST /erogazioni', 'POST /applicativi']);
    expect(ops(steps.consumer)).toEqual(['POST /api', 'PUT /api/RESTblocking/1/risorse/POST_resources.id_resource.M', 'POST /fruizioni', 'POST /applicativi']);
    expect(interazione(steps.provider, 'POST_resources.id_resource.M')).toEqual({ pattern: 'bloccante' });
  });

  it('NONBLOCK_PULL_REST: request, status and result correlated; the README says what to set in the console', async () => {
    const { out, steps } = await govwaySteps('pull', join(MODI, 'NONBLOCK_PULL_REST', 'server.yaml'));
    expectModiProfile([...steps.provider, ...steps.consumer]);
    const correlated = { api_nome: 'RESTbusywaiting', api_versione: 1, risorsa_http_method: 'POST', risorsa_path: '/tasks/queue' };
    expect(interazione(steps.provider, 'POST_tasks.queue')).toEqual({ pattern: 'non-bloccante', tipo: 'pull', funzione: 'richiesta' });
    // The Config API has no "Richiesta Stato": written as risposta, then fixed in the console.
    expect(interazione(steps.provider, 'GET_tasks.queue.id_task')).toEqual({ pattern: 'non-bloccante', tipo: 'pull', funzione: 'risposta', risorsa_correlata: correlated });
    expect(interazione(steps.provider, 'GET_tasks.result.id_task')).toEqual({ pattern: 'non-bloccante', tipo: 'pull', funzione: 'risposta', risorsa_correlata: correlated });
    const readme = await readFile(join(out, 'gateway', 'govway', 'README.md'), 'utf8');
    expect(readme).toMatch(/GET_tasks\.queue\.id_task \(CheckStatus\): set \*Funzione\* to "Richiesta Stato"/);
    expect(readme).not.toMatch(/GET_tasks\.result\.id_task \(RetriveResource\): set/);
  });

  it('apply.mjs: a dry run lists the requests; a run sends them in order to a Config API that checks the profile, and a rerun skips what exists', async () => {
    const { out, steps } = await govwaySteps('apply', join(SEED, 'server.yaml'), join(SEED, 'client.yaml'));
    const script = join(out, 'gateway', 'govway', 'apply.mjs');
    const dry = await run(script, ['consumer', '--dry-run'], {});
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n').map((l) => l.split('  ')[0])).toEqual(
      steps.consumer.map((s) => `${s.method} ${s.path}?profilo=ModI&soggetto=Comune-Demo`),
    );

    const seen: { method: string; path: string; auth?: string; errors: string[] }[] = [];
    const created = new Set<string>();
    const server: Server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x');
        const path = url.pathname.replace(/^\/govway\/api-config\/v1/, '');
        JSON.parse(text); // a body that is not JSON fails the test here
        const errors = url.searchParams.get('profilo') === 'ModI' ? [] : ['profilo is not ModI'];
        seen.push({ method: req.method!, path, auth: req.headers.authorization, errors });
        const key = `${req.method} ${path} ${text}`;
        const status = errors.length ? 400 : req.method === 'POST' && created.has(key) ? 409 : req.method === 'POST' ? 201 : 204;
        created.add(key);
        res.writeHead(status, { 'content-type': 'application/problem+json' }).end(status >= 400 ? JSON.stringify({ status, detail: errors.join('; ') || 'exists' }) : undefined);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const env = { GOVWAY_CONFIG_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}/govway/api-config/v1`, GOVWAY_CONFIG_USER: 'admin', GOVWAY_CONFIG_PASSWORD: 'secret' };
      const first = await run(script, ['provider'], env);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(ops(steps.provider));
      expect(seen.every((s) => s.errors.length === 0 && s.auth === `Basic ${Buffer.from('admin:secret').toString('base64')}`)).toBe(true);
      const again = await run(script, ['provider'], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/exists, skipped: POST \/api/);
    } finally {
      server.close();
    }
  });
});

describe('GovWay Config API requests for SOAP', () => {
  it('SOAP push pair: APIs as WSDL, actions with their correlation, one erogazione/fruizione per port-type', async () => {
    const soap = join(FIXTURES, 'seed', 'nonblock-push-soap');
    const agreement = await loadAgreement({ spec: join(soap, 'server.wsdl'), callback: join(soap, 'callback.wsdl') });
    const dir = await tempDir('govway-soap');
    await writeFile(join(dir, 'accordo.config.yaml'), GATEWAY_YAML);
    const { gateway } = await loadConfig(join(dir, 'accordo.config.yaml'));
    const files = await emitGateway(agreement, gateway!, { side: 'both', targets: ['govway'], specs: ['server.wsdl', 'callback.wsdl'], mark: 'Generated by Accordo' });
    const steps = files.filter((f) => f.path.endsWith('.json')).map((f) => JSON.parse(f.contents) as Step);
    expectModiProfile(steps);
    const provider = steps.filter((s) => s.gateway === 'provider');
    expect(ops(provider)).toEqual([
      'POST /api',
      'POST /api',
      'PUT /api/SOAPCallbackServerService/1/servizi/SOAPCallback/azioni/MRequest',
      'PUT /api/SOAPCallbackClientInterfaceService/1/servizi/SOAPCallbackClient/azioni/MRequestResponse',
      'POST /erogazioni',
      'POST /fruizioni',
      'POST /applicativi',
    ]);
    expect(provider[0].body.tipo_interfaccia).toEqual({ protocollo: 'soap', formato: 'Wsdl1.1' });
    expect(Buffer.from(provider[0].body.interfaccia, 'base64').toString('utf8')).toBe(await readFile(join(soap, 'server.wsdl'), 'utf8'));
    expect(provider[3].body.modi.interazione).toEqual({
      pattern: 'non-bloccante',
      tipo: 'push',
      funzione: 'risposta',
      azione_correlata: { api_nome: 'SOAPCallbackServerService', api_versione: 1, servizio: 'SOAPCallback', azione: 'MRequest' },
    });
    expect(provider[4].body).toMatchObject({ api_nome: 'SOAPCallbackServerService', api_soap_servizio: 'SOAPCallback' });
    expect(provider[5].body).toMatchObject({ api_nome: 'SOAPCallbackClientInterfaceService', api_soap_servizio: 'SOAPCallbackClient', erogatore: 'Comune-Demo' });
    const consumer = steps.filter((s) => s.gateway === 'consumer');
    expect(consumer.map((s) => s.operation)).toEqual(['createApi', 'createApi', 'updateApiAzione', 'updateApiAzione', 'createFruizione', 'createErogazione', 'createApplicativo']);
  });
});

describe('the gateway section of accordo.config.yaml', () => {
  const bad: [string, string, RegExp][] = [
    ['an unknown target', GATEWAY_YAML.replace('[govway]', '[govway, envoy]'), /:2:\d+: unknown gateway target "envoy".*#\/gateway\/targets\/1/],
    ['a missing provider', 'gateway:\n  targets: [nginx]\n  consumer: {organisation: A, application: B, gatewayUrl: http://a}\n', /:1:\d+: missing "provider"/],
    ['an organisation that is not a SimpleName', GATEWAY_YAML.replace('organisation: ENTE', 'organisation: "ENTE X"'), /:4:\d+: "organisation" must be a GovWay SimpleName.*#\/gateway\/provider\/organisation/],
    ['a URL with a "$"', GATEWAY_YAML.replace('http://10.0.0.5:8080', 'http://10.0.0.5:8080/$host'), /:5:\d+: "backend" must be an http\(s\) URL/],
    ['an unknown key', GATEWAY_YAML + '  rateLimt: 5\n', /:13:3: unknown setting "rateLimt"/],
    ['a bad body limit', GATEWAY_YAML + '  bodyLimit: lots\n', /"bodyLimit" must be a size/],
  ];
  it.each(bad)('rejects %s, naming the file and line', async (_name, yaml, message) => {
    const dir = await tempDir('gwconf');
    const file = join(dir, 'accordo.config.yaml');
    await writeFile(file, yaml);
    const error = await loadConfig(file).catch((e) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect(error.describe(dir)).toMatch(message);
  });

  it('a push agreement without consumer.callbackBackend is an error naming the config file', async () => {
    const dir = await tempDir('gwcb');
    await writeFile(join(dir, 'accordo.config.yaml'), GATEWAY_YAML.replace('    callbackBackend: http://10.1.0.7:8081/rest/v1/client\n', ''));
    const { gateway } = await loadConfig(join(dir, 'accordo.config.yaml'));
    const error = await generate({ spec: join(SEED, 'server.yaml'), callback: join(SEED, 'client.yaml'), out: dir, side: 'both', gateway }).catch((e) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect(error.describe(dir)).toMatch(/^accordo\.config\.yaml: gateway\.consumer\.callbackBackend is needed.*#\/gateway\/consumer/);
  });

  it('gateway files are owned: a target switched off is removed (marked files only), and --check reports it first', async () => {
    const dir = await tempDir('gwstale');
    const config = join(dir, 'accordo.config.yaml');
    await writeFile(config, `spec: ${join(SEED, 'server.yaml')}\ncallback: ${join(SEED, 'client.yaml')}\nout: .\n${GATEWAY_YAML.replace('[govway]', '[govway, nginx]')}`);
    const { gateway } = await loadConfig(config);
    const args = { spec: join(SEED, 'server.yaml'), callback: join(SEED, 'client.yaml'), out: dir, side: 'both' as const };
    await generate({ ...args, gateway });
    await writeFile(join(dir, 'gateway', 'govway', 'mine.json'), '{\n  "note": "a file of the user"\n}\n');
    const onlyNginx = { ...gateway!, targets: ['nginx' as const] };
    const check = await generate({ ...args, gateway: onlyNginx, check: true });
    expect(check.stale).toContain('gateway/govway/provider/01-api-RESTCallbackServer.json');
    expect(check.stale).toContain('gateway/govway/apply.mjs');
    const result = await generate({ ...args, gateway: onlyNginx });
    expect(result.removed).toHaveLength(16);
    expect(result.removed.every((f) => f.startsWith('gateway/govway/'))).toBe(true);
    expect(await readdir(join(dir, 'gateway', 'govway'), { recursive: true })).toEqual(['consumer', 'mine.json', 'provider']);
    expect(await readdir(join(dir, 'gateway', 'nginx'))).toEqual(['consumer.conf', 'provider.conf']);
  });

  it('--gateway picks the targets; an unknown one is a usage error; without the section it says what is missing', async () => {
    const dir = await tempDir('gwcli');
    await writeFile(join(dir, 'accordo.config.yaml'), `spec: ${join(SEED, 'server.yaml')}\ncallback: ${join(SEED, 'client.yaml')}\nout: .\n${GATEWAY_YAML}`);
    const quiet = async (args: string[]) => {
      const [log, error] = [console.log, console.error];
      const err: string[] = [];
      console.log = () => {};
      console.error = (...a: unknown[]) => void err.push(a.join(' '));
      try {
        return { code: await main(args), err: err.join('\n') };
      } finally {
        [console.log, console.error] = [log, error];
      }
    };
    expect((await quiet(['generate', '--config', join(dir, 'accordo.config.yaml'), '--gateway', 'nginx'])).code).toBe(0);
    expect(await readdir(join(dir, 'gateway'))).toEqual(['nginx']);
    const unknown = await quiet(['generate', '--config', join(dir, 'accordo.config.yaml'), '--gateway', 'nginx,kong']);
    expect(unknown).toMatchObject({ code: 2, err: expect.stringMatching(/unknown gateway target "kong"/) });
    const none = await quiet(['generate', join(SEED, 'server.yaml'), '--out', dir, '--config', join(ROOT, 'test', 'fixtures', 'no-such.yaml'), '--gateway', 'nginx']);
    expect(none.code).toBe(1);
    const noSection = await tempDir('gwcli2');
    await writeFile(join(noSection, 'accordo.config.yaml'), `spec: ${join(SEED, 'server.yaml')}\nout: .\n`);
    const missing = await quiet(['generate', '--config', join(noSection, 'accordo.config.yaml'), '--gateway', 'nginx']);
    expect(missing).toMatchObject({ code: 2, err: expect.stringMatching(/--gateway needs the "gateway:" section/) });
  });
});

function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
