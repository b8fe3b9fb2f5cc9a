// Row 2d: the generated BLOCK_REST provider of modi/BLOCK_REST/server.yaml generated with
// ID_AUTH_REST_01 + INTEGRITY_REST_02 declared; argv[3] is the loopback authorization server whose
// JWKS (vouchers) and client keys (Agid-JWT-Signature) it verifies against, or `off` for the same
// generated provider started with `security: false` (a gateway in front checks): the baseline.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fastifyServer, generatedDir, serve } from './child.js';

const authorizationServer = process.argv[3];
if (!authorizationServer) throw new Error('usage: block-secured.ts <generated output dir> <authorization server URL | off>');
const { createProviderServer } = await import(pathToFileURL(join(generatedDir(), 'generated', 'provider.js')).href);
const security =
  authorizationServer === 'off'
    ? false
    : {
        voucher: { issuer: process.env.BENCH_ISSUER, audience: process.env.BENCH_AUDIENCE, keys: `${authorizationServer}/.well-known/jwks.json` },
        signatureKeys: `${authorizationServer}/keys`,
      };
// The same handler as rows 2a.
const app = await createProviderServer({ m: async () => ({ status: 200, body: { c: 'risultato' } }) }, { security });
await serve(fastifyServer(app), authorizationServer === 'off' ? 'security: false' : 'voucher + INTEGRITY_REST_02 verified');
