// BLOCK_REST demo: the generated provider and client talk over loopback; the exchanges of the
// guideline (200, then a 404 for an unknown resource) are printed as they cross the wire.
import { ProviderClient } from './generated/consumer.js';
import { createProviderServer } from './generated/provider.js';
import { handlers } from './provider.handlers.js';
import { WireLog } from '../shared/wire.js';

export async function runDemo(log = new WireLog()) {
  const provider = await createProviderServer(handlers, { prefix: '/rest/nome-api/v1' });
  log.trace(provider, 'provider', 'consumer');
  try {
    const url = await provider.listen({ host: '127.0.0.1', port: 0 });
    const api = new ProviderClient({ baseUrl: `${url}/rest/nome-api/v1` });
    const ok = await api.m({ path: { id_resource: 1234 }, body: { a: { a1s: [1, 2], a2: 'RGFuJ3MgVG9vbHMgYXJlIGNvb2wh' }, b: 'Stringa di esempio' } });
    const missing = await api.m({ path: { id_resource: 9999 }, body: { b: 'x' } });
    return { ok, missing, messages: log.messages };
  } finally {
    await provider.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = new WireLog();
  await runDemo(log);
  console.log('BLOCK_REST: M over loopback\n');
  log.print();
}
