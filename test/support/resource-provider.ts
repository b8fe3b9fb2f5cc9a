/**
 * A provider process for the resource tests, on createServer's defaults (body limit, connection
 * and in-flight caps) and the test agreement. Usage: resource-provider [server options as JSON].
 * Prints `{"url": …}` once listening.
 */
import type { AddressInfo } from 'node:net';
import { registerProvider } from '../../src/runtime/provider.js';
import { createServer } from '../../src/runtime/server.js';
import { providerDef } from './push.js';

const app = createServer(JSON.parse(process.argv[2] ?? '{}'));
await registerProvider(
  app,
  providerDef,
  { submit: { acknowledge: () => ({ outcome: 'accepted' }), process: (req: { body: unknown }) => ({ n: (req.body as { n: number }).n, doubled: 0 }) } },
  { store: 'memory:', replyTo: { allowLoopback: true } },
);
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }) + '\n');
