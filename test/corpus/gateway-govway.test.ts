// GovWay Config API requests against GovWay's own Config API OpenAPI (govway/ of the development
// corpus): every body the generator writes is valid for the operation its method and path name.
// Their order, objects and correlation: test/gateway-govway.test.ts.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusMissing } from '../support/corpus.js';
import { GovWayConfigApi } from '../support/govway-schema.js';
import { govwaySteps, type Step } from '../support/govway-steps.js';
import { FIXTURES } from '../support/tmp.js';

const SEED = join(FIXTURES, 'seed');
const MODI = join(FIXTURES, 'modi');

describe.skipIf(corpusMissing())('GovWay Config API requests', () => {
  let govway: GovWayConfigApi;
  beforeAll(() => {
    govway = new GovWayConfigApi(); // not when the corpus is missing: a skipped describe is still collected
  });

  function expectValid(steps: Step[]) {
    for (const s of steps) {
      const op = govway.operation(s.method, s.path);
      expect(op.operationId, `${s.method} ${s.path}`).toBe(s.operation);
      expect(govway.errors(s.method, s.path, s.body), `${s.operation} ${s.path}`).toEqual([]);
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

  it.each<[string, string, string?]>([
    ['REST push pair', join(SEED, 'nonblock-push-rest', 'server.yaml'), join(SEED, 'nonblock-push-rest', 'client.yaml')],
    ['BLOCK_REST', join(MODI, 'BLOCK_REST', 'server.yaml')],
    ['NONBLOCK_PULL_REST', join(MODI, 'NONBLOCK_PULL_REST', 'server.yaml')],
    ['SOAP push pair', join(SEED, 'nonblock-push-soap', 'server.wsdl'), join(SEED, 'nonblock-push-soap', 'callback.wsdl')],
  ])('%s: every body valid, on both gateways', async (name, spec, callback) => {
    const { steps } = await govwaySteps(name.replace(/\W+/g, '-'), spec, callback);
    expect(steps.provider.length).toBeGreaterThan(2);
    expect(steps.consumer.length).toBeGreaterThan(2);
    expectValid([...steps.provider, ...steps.consumer]);
  });
});
