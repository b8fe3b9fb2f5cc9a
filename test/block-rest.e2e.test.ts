// BLOCK_REST end to end over loopback: the guideline's exchanges, declared errors as
// problem+json, and nothing internal leaking from unexpected failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError, sendRequest, UnexpectedResponseError, type FastifyInstance } from 'accordo/runtime';
import { runDemo } from '../examples/block-rest/demo.js';
import { ProviderClient } from '../examples/block-rest/generated/consumer.js';
import { operations } from '../examples/block-rest/generated/operations.js';
import { createProviderServer } from '../examples/block-rest/generated/provider.js';
import { handlers } from '../examples/block-rest/provider.handlers.js';
import { WireLog } from '../examples/shared/wire.js';

describe('BLOCK_REST', () => {
  it('reproduces the guideline: POST on the resource and method, 200 with the result; 404 problem naming the id', async () => {
    const { ok, missing, messages } = await runDemo(new WireLog());
    expect(messages.map((m) => m.line)).toEqual(['POST /rest/nome-api/v1/resources/1234/M', '200 OK', 'POST /rest/nome-api/v1/resources/9999/M', '404 Not Found']);
    expect(ok).toEqual({ status: 200, body: { c: 'risultato' } });
    expect(messages[1].headers['Content-Type']).toMatch(/^application\/json/);
    expect(missing.status).toBe(404);
    expect(messages[3].headers['Content-Type']).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ status: 404, title: 'Risorsa non trovata.', detail: expect.stringContaining('9999') });
  });

  describe('errors', () => {
    let provider: FastifyInstance;
    let api: ProviderClient;
    let mode: 'example' | 'crash' = 'example';

    beforeAll(async () => {
      provider = await createProviderServer({
        m: async (req, ctx) => {
          if (mode === 'crash') throw new Error('database password is hunter2 at /srv/app/db.js:42');
          return handlers.m(req, ctx);
        },
      });
      api = new ProviderClient({ baseUrl: await provider.listen({ host: '127.0.0.1', port: 0 }) });
    });
    afterAll(() => provider.close());

    it('a typed error the handler throws becomes its declared response, as problem+json', async () => {
      const res = await api.m({ path: { id_resource: 1234 }, body: { b: 'x'.repeat(40) } });
      expect(res).toEqual({
        status: 400,
        body: {
          type: 'https://apidoc.ente.example/probs/invalid-a',
          status: 400,
          title: "L'attributo `b` ha un valore non valido.",
          detail: "L'attributo `b` dev'essere una stringa di lunghezza inferiore a 32 caratteri.",
        },
      });
    });

    it('anything else is a 500 problem that reveals nothing', async () => {
      mode = 'crash';
      try {
        const res = await api.m({ path: { id_resource: 1234 }, body: {} });
        expect(res.status).toBe(500);
        expect(JSON.stringify(res.body)).not.toMatch(/hunter2|db\.js|at \//);
      } finally {
        mode = 'example';
      }
    });

    it('the client takes a status declared only through `default` and refuses one the spec does not declare', async () => {
      const other = await createProviderServer({
        m: async () => {
          throw new ProblemError(409, 'busy');
        },
      });
      try {
        const baseUrl = await other.listen({ host: '127.0.0.1', port: 0 });
        const client = new ProviderClient({ baseUrl });
        // specs/server.yaml lists 200, 400, 404 and `default`: in OpenAPI, `default` declares every other status.
        await expect(client.m({ path: { id_resource: 1 } })).resolves.toMatchObject({ status: 409, body: { status: 409, detail: 'busy' } });
        // The same operation without `default`: 409 is not declared, and the client refuses it.
        const strict = { ...operations.m, responses: operations.m.responses.filter((r) => r.status !== 'default') };
        const refused = await sendRequest(strict, { path: { id_resource: 1 } }, { baseUrl }).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(UnexpectedResponseError);
        expect(refused).toMatchObject({ operation: 'M', status: 409, message: 'M: unexpected HTTP 409: busy' });
      } finally {
        await other.close();
      }
    });
  });
});
