// NONBLOCK_PULL_REST demo: the generated client submits M, polls the status resource until the
// provider answers 303, follows it to the result; every message is printed as it crosses the wire.
import { randomBytes } from 'node:crypto';
import { ProviderClient } from './generated/consumer.js';
import { createProviderServer } from './generated/provider.js';
import { handlers } from './provider.handlers.js';
import { WireLog } from '../shared/wire.js';

export async function runDemo(log = new WireLog()) {
  // Short task ids, as in the guideline's example (8131edc0).
  // Tasks in memory for the demo (the default is the SQLite file ./accordo.db).
  const provider = await createProviderServer(handlers, { prefix: '/rest/nome-api/v1', store: 'memory:', pull: { taskId: () => randomBytes(4).toString('hex') } });
  log.trace(provider, 'provider', 'consumer');
  try {
    const url = await provider.listen({ host: '127.0.0.1', port: 0 });
    const api = new ProviderClient({ baseUrl: `${url}/rest/nome-api/v1` });
    const result = await api.pushMessageAwait(
      { path: { id_resource: 1234 }, body: { a: { a1s: ['1', '2'], a2: 'Stringa di esempio' }, b: 'Stringa di esempio' } },
      { initialDelayMs: 200, timeoutMs: 10_000 },
    );
    return { result, messages: log.messages };
  } finally {
    await provider.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = new WireLog();
  const { result } = await runDemo(log);
  console.log('NONBLOCK_PULL_REST: M over loopback\n');
  log.print();
  console.log(`\nresult: ${JSON.stringify(result)}`);
}
