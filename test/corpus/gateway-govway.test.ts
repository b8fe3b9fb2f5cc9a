// GovWay Config API requests against GovWay's own Config API OpenAPI (govway/ of the development
// corpus): every body the generator writes, and every update apply.mjs sends on a rerun, is valid
// for the operation its method and path name. Their order, objects and correlation:
// test/gateway-govway.test.ts.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusMissing } from '../support/corpus.js';
import { GovWayConfigApi } from '../support/govway-schema.js';
import { govwaySteps, type Step } from '../support/govway-steps.js';
import { ROOT } from '../support/tmp.js';

const EXAMPLES = join(ROOT, 'examples');
const PUSH = join(EXAMPLES, 'nonblock-push-rest', 'specs');
const SOAP_PUSH = join(EXAMPLES, 'nonblock-push-soap', 'specs');
const CERTIFICATE = join(ROOT, 'test', 'fixtures', 'govway', 'client-app.pem');

describe.skipIf(corpusMissing())('GovWay Config API requests', () => {
  let govway: GovWayConfigApi;
  beforeAll(() => {
    govway = new GovWayConfigApi(); // not when the corpus is missing: a skipped describe is still collected
  });

  /** Every request (creations and the updates of a rerun) is valid against the Config API's OpenAPI. */
  function expectValid(steps: Step[]) {
    for (const s of steps) {
      for (const r of [s, ...(s.onConflict ?? [])]) {
        const op = govway.operation(r.method, r.path);
        expect(op.operationId, `${r.method} ${r.path}`).toBe(r.operation);
        expect(govway.errors(r.method, r.path, r.body), `${r.operation} ${r.path}`).toEqual([]);
      }
      expect(s.query).toMatchObject({ profilo: 'ModI' });
    }
  }

  it('the validator is real: it rejects a wrong pattern and a missing endpoint', () => {
    expect(govway.errors('PUT', '/api/A/1/risorse/R', { http_method: 'POST', path: '/r', modi: { interazione: { pattern: 'push' }, sicurezza_messaggio: { stato: 'api' } } }).join()).toMatch(
      /pattern must be equal to one of the allowed values/,
    );
    expect(govway.errors('POST', '/erogazioni', { api_nome: 'A', api_versione: 1, connettore: {} }).join()).toMatch(/endpoint/);
    expect(govway.errors('POST', '/api', { nome: 'A', versione: 1, tipo_interfaccia: { protocollo: 'rest', formato: 'OpenApi3.1' } }).join()).toMatch(
      /tipo_interfaccia\/formato must be equal to one of the allowed values/,
    );
  });

  it.each<[string, string, string | undefined, string]>([
    ['REST push pair', join(PUSH, 'server.yaml'), join(PUSH, 'client.yaml'), ''],
    ['REST push pair, http-basic fruizioni', join(PUSH, 'server.yaml'), join(PUSH, 'client.yaml'), '  govway: { fruizioneAuthentication: http-basic }\n'],
    [
      'REST push pair, https fruizioni',
      join(PUSH, 'server.yaml'),
      join(PUSH, 'client.yaml'),
      `  govway:\n    fruizioneAuthentication: https\n    consumer: { applicationCertificate: ${CERTIFICATE} }\n    provider: { applicationCertificate: ${CERTIFICATE} }\n`,
    ],
    [
      'REST push pair, secured',
      join(PUSH, 'server.yaml'),
      join(PUSH, 'client.yaml'),
      '  govway:\n    messageSecurity: integrity01-auth01\n    provider:\n      keystore: { path: /etc/govway/keys/ente.p12, type: pkcs12, alias: ente }\n      truststore: { path: /etc/govway/keys/trust.jks }\n',
    ],
    ['BLOCK_REST', join(EXAMPLES, 'block-rest', 'specs', 'server.yaml'), undefined, ''],
    ['NONBLOCK_PULL_REST', join(EXAMPLES, 'nonblock-pull-rest', 'specs', 'server.yaml'), undefined, ''],
    ['SOAP push pair', join(SOAP_PUSH, 'server.wsdl'), join(SOAP_PUSH, 'callback.wsdl'), ''],
    ['NONBLOCK_PULL_SOAP', join(EXAMPLES, 'nonblock-pull-soap', 'specs', 'server.wsdl'), undefined, ''],
  ])('%s: every body valid, on both gateways', async (name, spec, callback, section) => {
    const { steps } = await govwaySteps(name.replace(/\W+/g, '-'), spec, callback, section);
    expect(steps.provider.length).toBeGreaterThan(2);
    expect(steps.consumer.length).toBeGreaterThan(2);
    expectValid([...steps.provider, ...steps.consumer]);
  });
});
