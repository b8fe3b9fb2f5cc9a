// Row 3: the generated SOAP provider of seed/nonblock-push-soap/server.wsdl, MRequest served as
// BLOCK_SOAP (the ACK and an X-Correlation-ID header, no callback), as the `soap` package baseline does.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fastifyServer, generatedDir, serve } from './child.js';

const { createProviderServer } = await import(pathToFileURL(join(generatedDir(), 'generated', 'provider.js')).href);
const app = await createProviderServer({
  mRequest: async () => ({ body: { return: { outcome: 'ACCEPTED' } }, headers: { 'X-Correlation-ID': randomUUID() } }),
});
await serve(fastifyServer(app));
