// Row 2a baseline: what a user would write by hand with Fastify for modi/BLOCK_REST/server.yaml:
// one route, the spec's schemas for path and body validated by Fastify's own Ajv, a response
// schema for serialisation, and the same handler as the generated provider.
import type { Ajv } from 'ajv';
import Fastify from 'fastify';
import { fastifyServer, serve } from './child.js';

const INT32 = { type: 'integer', format: 'int32' };
const app = Fastify({
  logger: false,
  bodyLimit: 1024 * 1024,
  ajv: {
    plugins: [(ajv: Ajv) => ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1 })],
  },
});
const handler = async () => ({ status: 200 as const, body: { c: 'risultato' } });
const aComplexType = { type: 'object', properties: { a1s: { type: 'array', items: INT32 }, a2: { type: 'string' } } };
app.post(
  '/resources/:id_resource/M',
  {
    schema: {
      params: { type: 'object', properties: { id_resource: INT32 }, required: ['id_resource'] },
      body: { type: 'object', properties: { a: aComplexType, b: { type: 'string' } } },
      response: { 200: { type: 'object', properties: { c: { type: 'string' } } } },
    },
  },
  async (_req, reply) => {
    const res = await handler();
    return reply.code(res.status).send(res.body);
  },
);
await serve(fastifyServer(app));
