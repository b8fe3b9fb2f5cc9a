// NONBLOCK_PULL_SOAP demo: MRequest is accepted with an X-Correlation-ID; MProcessingStatus is asked
// until the task is done; MResponse returns the result. The envelopes are printed as they cross the wire.
import { ProviderClient } from './generated/consumer.js';
import { createProviderServer } from './generated/provider.js';
import { handlers } from './provider.handlers.js';
import { WireLog } from '../shared/wire.js';

export async function runDemo(log = new WireLog()) {
  const provider = await createProviderServer(handlers, { store: 'memory:' });
  log.trace(provider, 'provider', 'consumer');
  try {
    const url = await provider.listen({ host: '127.0.0.1', port: 0 });
    const api = new ProviderClient({ endpoint: `${url}/soap/nome-api/v1` });
    // The status body says when the task is done: the client is told how to read it.
    const result = await api.mRequestAwait(
      { body: { M: { o_id: 1234, a: { a1s: ['1'], a2: 'prova' }, b: 'prova' } } },
      { isDone: (status) => status.return?.status === 'done', initialDelayMs: 200, timeoutMs: 10_000 },
    );
    return { result, messages: log.messages };
  } finally {
    await provider.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = new WireLog();
  const { result } = await runDemo(log);
  console.log('NONBLOCK_PULL_SOAP: MRequest over loopback\n');
  log.print();
  console.log(`\nresult: ${JSON.stringify(result)}`);
}
