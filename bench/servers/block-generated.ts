// Row 2a: the generated BLOCK_REST provider of modi/BLOCK_REST/server.yaml, as a user serves it.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fastifyServer, generatedDir, serve } from './child.js';

const { createProviderServer } = await import(pathToFileURL(join(generatedDir(), 'generated', 'provider.js')).href);
// The same handler as the hand-written baseline.
const app = await createProviderServer({ m: async () => ({ status: 200, body: { c: 'risultato' } }) });
await serve(fastifyServer(app));
