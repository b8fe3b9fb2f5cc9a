// Message box demo: the results of NONBLOCK_PUSH_REST callbacks are stored in the consumer's message
// box and acknowledged (accordo.config.yaml `messageBox`), then the application drains the box.
import { CorrelationRegistry, type BoxMessage } from 'accordo/runtime';
import { createConsumerServer, openMessageBox, ProviderClient } from './generated/consumer.js';
import { createProviderServer } from './generated/provider.js';
import { handlers } from './provider.handlers.js';
import { callbackHandlers } from './consumer.handlers.js';
import type { PushResponseMessageResult } from './generated/types.js';
import { WireLog } from '../shared/wire.js';

export async function runDemo(log = new WireLog()) {
  // In memory, and callbacks to loopback allowed: this demo runs on one machine (a consumer keeps
  // its box in a SQLite file, or in PostgreSQL shared by its instances).
  const provider = await createProviderServer(handlers, { prefix: '/rest/nome-api/v1', store: 'memory:', replyTo: { allowLoopback: true } });
  const registry = new CorrelationRegistry();
  const box = await openMessageBox('memory:', { acks: { PushResponseMessage: { outcome: 'ACK' } } });
  const consumer = await createConsumerServer(callbackHandlers, registry, { prefix: '/rest/v1/nomeinterfacciaclient', messageBox: box });
  log.trace(provider, 'provider', 'consumer');
  log.trace(consumer, 'consumer', 'provider');
  const drained: BoxMessage<'PushResponseMessage', PushResponseMessageResult>[] = [];
  try {
    const providerUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
    const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    const api = new ProviderClient({ baseUrl: `${providerUrl}/rest/nome-api/v1`, callbackUrl: `${consumerUrl}/rest/v1/nomeinterfacciaclient`, registry });
    const { correlationId } = await api.pushMessage({ path: { id_resource: 1234 }, body: { b: 'Stringa di esempio' } });
    // The result arrives in the box, acknowledged for the application, which drains it when it can.
    await api.pushMessageResult(correlationId, { timeoutMs: 10_000 });
    for (;;) {
      // `next` leases: a message not deleted within the lease goes back to the box for another drainer.
      const taken = await box.list({ next: 10, operation: 'PushResponseMessage' });
      if (!taken.length) break;
      for (const message of taken) {
        drained.push(message);
        await box.delete(message.id);
      }
    }
    return { correlationId, drained, messages: log.messages };
  } finally {
    await provider.close();
    await consumer.close();
    await box.close();
  }
}

/** What the drain took, as the demo prints it. */
export const drainLines = (drained: BoxMessage[]) => drained.map((m) => `drained ${m.id} (${m.operation}, reference ${m.reference}): ${JSON.stringify(m.body)}`);

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = new WireLog();
  const { drained } = await runDemo(log);
  console.log('Message box: PushMessage over loopback, its result drained from the box\n');
  log.print();
  console.log('');
  for (const line of drainLines(drained)) console.log(line);
}
