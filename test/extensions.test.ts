// Vendor extensions (x-*) are opaque: nothing under them is resolved or validated, so a $ref there to a
// file that does not exist (train-travel-api.yaml's x-topics) stops neither generation nor lint.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified } from '../src/classify/index.js';
/** The agreement model as the classify stage leaves it (patterns decided). */
const loadAgreement = async (sources: Parameters<typeof loadClassified>[0]) => (await loadClassified(sources)).agreement;
import { isUnderExtension, withOpaqueExtensions } from '../src/load/openapi/extensions.js';
import { runCli } from './support/cli.js';
import { ROOT, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';

const DIR = join(ROOT, 'test', 'fixtures', 'extensions');
const SPEC = join(DIR, 'api.yaml');

describe('vendor extensions', () => {
  it('a $ref to a missing file under x-* stops neither lint nor generate, and the output type-checks', async () => {
    const lint = await runCli(['lint', SPEC]);
    expect(lint.out.trim()).toBe('no findings');
    expect(lint.code).toBe(0);

    const out = await tempDir('extensions');
    const generated = await runCli(['generate', SPEC, '--out', out]);
    expect(generated.err).toBe('');
    expect(generated.code).toBe(0);
    expect(typecheck([out])).toEqual([]);
  });

  it('carries extensions as written, and still reads names that only look like extensions, across files', async () => {
    const a = await loadAgreement({ spec: SPEC });
    const create = a.provider.operations.find((o) => o.id === 'createOrder')!;
    expect(create.extensions['x-code-samples']).toEqual([{ lang: 'shell', source: { $ref: './samples/create-order.sh' } }]);
    expect(create.pattern.pattern).toBe('NONBLOCK_PUSH_REST');
    // A property named x-tenant and a header component named x-request-id, each a $ref to another file.
    expect(a.schemas.get('Order')?.schema).toMatchObject({ properties: { 'x-tenant': { $ref: '#/$defs/Tenant' }, price: { $ref: '#/$defs/Money' } } });
    expect(a.schemas.get('Tenant')?.schema).toEqual({ type: 'object', required: ['tenantId'], properties: { tenantId: { type: 'string' } } });
    expect(create.responses[0].headers.find((h) => h.name === 'x-request-id')?.schema).toEqual({ $ref: '#/$defs/RequestId' });
    expect(a.schemas.get('RequestId')?.schema).toEqual({ type: 'string', format: 'uuid' });
    // A $ref into an extension (#/x-shared/Money) still finds its target.
    expect(a.schemas.get('Money')?.schema).toEqual({ type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } });
  });

  it('loads an OpenAPI 3.1 document of components alone', async () => {
    const a = await loadAgreement({ spec: join(DIR, 'components-only.yaml') });
    expect(a.provider.title).toBe('Components only');
    expect(a.provider.operations).toEqual([]);
  });

  it('tells extensions from names by the object they stand in', () => {
    const doc = {
      'x-topics': [{ content: { $ref: './a.md' } }],
      security: [{ 'x-api-key': [] }],
      paths: {
        '/a': {
          'x-path-note': { $ref: './b.md' },
          get: {
            parameters: [{ name: 'q', in: 'query', 'x-param-note': { $ref: './c.md' } }],
            responses: { '200': { headers: { 'x-rate-limit': { $ref: '#/components/headers/x-rate-limit' } } }, 'x-errors': { $ref: './d.md' } },
          },
        },
      },
      components: {
        'x-internal': { $ref: './e.md' },
        schemas: { 'x-thing': { properties: { 'x-id': { $ref: './id.yaml' } }, example: { 'x-sample': { $ref: './f.md' } } } },
        securitySchemes: { 'x-api-key': { type: 'apiKey', name: 'x-api-key', in: 'header' } },
      },
    };
    const copy = withOpaqueExtensions(doc);
    // Removed: the $refs under extensions. Kept: everything else, and the document itself is not changed.
    expect(copy['x-topics']).toEqual([{ content: {} }]);
    expect(copy.paths['/a']['x-path-note']).toEqual({});
    expect(copy.paths['/a'].get.parameters[0]['x-param-note']).toEqual({});
    expect(copy.paths['/a'].get.responses['x-errors']).toEqual({});
    expect(copy.components['x-internal']).toEqual({});
    expect(copy.paths['/a'].get.responses['200']).toEqual(doc.paths['/a'].get.responses['200']);
    expect(copy.components.schemas).toEqual(doc.components.schemas);
    expect(copy.security).toEqual(doc.security);
    expect(doc['x-topics']).toEqual([{ content: { $ref: './a.md' } }]);

    expect(isUnderExtension(doc, ['x-topics', '0', 'content'])).toBe(true);
    expect(isUnderExtension(doc, ['paths', '/a', 'get', 'responses', 'x-errors'])).toBe(true);
    expect(isUnderExtension(doc, ['paths', '/a', 'get', 'responses', '200', 'headers', 'x-rate-limit'])).toBe(false);
    expect(isUnderExtension(doc, ['components', 'schemas', 'x-thing', 'properties', 'x-id'])).toBe(false);
    expect(isUnderExtension(doc, ['components', 'securitySchemes', 'x-api-key'])).toBe(false);
    expect(isUnderExtension(doc, ['security', '0', 'x-api-key'])).toBe(false);
    expect(isUnderExtension(doc, ['components', 'x-internal'])).toBe(true);
  });
});
