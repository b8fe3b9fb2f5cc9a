// Loading OpenAPI 3.0 / 3.1, YAML or JSON, across files, into the agreement model.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified } from '../src/classify/index.js';
/** The agreement model as the classify stage leaves it (patterns decided). */
const loadAgreement = async (sources: Parameters<typeof loadClassified>[0]) => (await loadClassified(sources)).agreement;
import { Validators } from '../src/runtime/validation.js';
import { FIXTURES, ROOT } from './support/tmp.js';

const defsOf = (a: Awaited<ReturnType<typeof loadAgreement>>) => Object.fromEntries([...a.schemas].map(([k, s]) => [k, s.schema]));

describe('the OpenAPI loader', () => {
  it('reads the seed push pair: operation, parameters, responses, callback, pattern with its facts', async () => {
    const seed = join(FIXTURES, 'seed', 'nonblock-push-rest');
    const a = await loadAgreement({ spec: join(seed, 'server.yaml'), callback: join(seed, 'client.yaml') });
    const [op] = a.provider.operations;
    expect(op).toMatchObject({ id: 'PushMessage', method: 'post', path: '/resources/{id_resource}/M' });
    expect(op.parameters.map((p) => [p.in, p.name, p.required])).toEqual([
      ['header', 'X-ReplyTo', false],
      ['path', 'id_resource', true],
    ]);
    expect(op.responses.map((r) => r.status)).toEqual(['202', '400', '404', 'default']);
    expect(op.responses[0].headers).toEqual([{ name: 'X-Correlation-ID', required: true, schema: { type: 'string' }, description: undefined }]);
    expect(op.callbacks[0].expression.parts).toEqual([{ kind: 'header', name: 'X-ReplyTo' }]);
    expect(op.pattern).toEqual({
      pattern: 'NONBLOCK_PUSH_REST',
      decidedBy: 'shape',
      facts: ['header parameter X-ReplyTo', 'callback "completionCallback" is sent to the URL in request header X-ReplyTo', '202 response with header X-Correlation-ID'],
      role: 'request',
    });
    expect(op.location).toMatchObject({ pointer: '/paths/~1resources~1{id_resource}~1M/post', line: 14 });
    // Both files declare ACKMessage, ErrorMessage and MResponseType identically: one named schema each.
    expect([...a.schemas.keys()].sort()).toEqual(['ACKMessage', 'AComplexType', 'ErrorMessage', 'MResponseType', 'MType']);
    expect(a.callback?.operations[0]).toMatchObject({ id: 'PushResponseMessage', path: '/MResponse', pattern: { pattern: 'NONBLOCK_PUSH_REST' } });
  });

  it('follows $refs across files, converts 3.0 nullable and exclusive bounds, and reads server base paths', async () => {
    const a = await loadAgreement({ spec: join(ROOT, 'test', 'fixtures', 'multifile', 'api.yaml') });
    expect(a.provider.basePath).toBe('/rest/v2');
    const [op] = a.provider.operations;
    expect(op).toMatchObject({ id: 'placeOrder', path: '/orders/{id}/M', pattern: { pattern: 'BLOCK_REST', decidedBy: 'extension' } });
    expect(op.parameters[0]).toMatchObject({ name: 'id', in: 'path', schema: { type: 'integer', format: 'int32' } });
    expect(a.schemas.get('Money')?.schema).toEqual({
      type: 'object',
      required: ['amount'],
      properties: { amount: { type: 'number', exclusiveMinimum: 0 }, currency: { type: ['string', 'null'], enum: ['EUR', 'USD', null] } },
    });
    const validators = new Validators(defsOf(a));
    const order = validators.compile({ $ref: '#/$defs/Order' });
    expect(order({ items: [{ amount: 1, currency: null }], next: { items: [] } })).toBe(true);
    expect(order({ items: [{ amount: 0 }] })).toBe(false);
    expect(order({ items: [{ amount: 1, currency: 'GBP' }] })).toBe(false);
  });

  it('takes a pattern from the config over the shape', async () => {
    const seed = join(FIXTURES, 'seed', 'nonblock-push-rest');
    const a = await loadAgreement({ spec: join(seed, 'server.yaml'), patterns: { PushMessage: 'BLOCK_REST' } });
    expect(a.provider.operations[0].pattern).toMatchObject({ pattern: 'BLOCK_REST', decidedBy: 'config' });
  });
});

describe('OpenAPI 3.1 webhooks', () => {
  it('are read as operations, with where each method is declared, and the operations of the spec stay as they were', async () => {
    const spec = join(FIXTURES, 'lint', 'agreement', 'webhook-unsupported', 'pass-provider-webhook.yaml');
    const a = await loadAgreement({ spec });
    const [webhook, ...others] = a.provider.webhooks ?? [];
    expect(others).toEqual([]);
    expect(webhook).toMatchObject({ name: 'newPet', method: 'post', location: { file: spec, pointer: '/webhooks/newPet/post', line: 58, column: 5 } });
    // Its operation is read like a callback's: body, responses, and none of the document's security.
    expect(webhook.op).toMatchObject({ id: 'newPetWebhookPost', idDerived: true, method: 'post', location: webhook.location });
    expect(webhook.op.requestBody?.contents.map((c) => c.mediaType)).toEqual(['application/json']);
    expect(webhook.op.responses.map((r) => r.status)).toEqual(['200']);
    expect(webhook.op.security).toBeUndefined();
    expect(a.provider.operations.map((op) => op.id)).toEqual(['createSession', 'getStatus']);
    const without = await loadAgreement({ spec: join(FIXTURES, 'lint', 'agreement', 'webhook-unsupported', 'pass.yaml') });
    expect(without.provider.webhooks).toBeUndefined();
  });
});
