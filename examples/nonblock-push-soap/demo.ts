// NONBLOCK_PUSH_SOAP demo: the generated provider and consumer talk SOAP 1.2 over loopback and the
// four envelopes of the pattern are printed as they cross the wire.
import { CorrelationRegistry } from 'accordo/runtime';
import { createConsumerServer, ProviderClient } from './generated/consumer.js';
import { createProviderServer } from './generated/provider.js';
import { handlers } from './provider.handlers.js';
import { callbackHandlers } from './consumer.handlers.js';
import { WireLog } from '../shared/wire.js';

export async function runDemo(log = new WireLog()) {
  // Both endpoints at the paths of the WSDLs' soap:address.
  // In memory, and callbacks to loopback allowed: this demo runs on one machine (the defaults are a
  // SQLite file and refusing loopback, private and link-local callback addresses).
  const provider = await createProviderServer(handlers, { store: 'memory:', replyTo: { allowLoopback: true } });
  const registry = new CorrelationRegistry();
  const consumer = await createConsumerServer(callbackHandlers, registry);
  log.trace(provider, 'provider', 'consumer');
  log.trace(consumer, 'consumer', 'provider');
  try {
    const providerUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
    const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    const api = new ProviderClient({ endpoint: `${providerUrl}/soap/nome-api/v1`, callbackUrl: consumerUrl, registry });
    const { correlationId, ack } = await api.mRequest({
      body: { M: { o_id: 1234, a: { a1s: ['1'], a2: 'prova' }, b: 'prova' } },
    });
    const result = await api.mRequestResult(correlationId, { timeoutMs: 10_000 });
    return { correlationId, ack, result, messages: log.messages };
  } finally {
    // The provider first: closing waits for its callback to be acknowledged (step 4).
    await provider.close();
    await consumer.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = new WireLog();
  const { correlationId, result } = await runDemo(log);
  console.log('NONBLOCK_PUSH_SOAP: MRequest over loopback\n');
  log.print();
  console.log(`\nresult of ${correlationId}: ${JSON.stringify(result)}`);
}
