// SUBSCRIPTION_REST demo (the CAMARA shape): a session is created with 201, and its status
// changes reach the consumer's sink as CloudEvents, in order, with the sink's access token.
import { CorrelationRegistry } from 'accordo/runtime';
import { createConsumerServer, ProviderClient } from './generated/consumer.js';
import { createProviderServer } from './generated/provider.js';
import { handlers, statusChanged, subscriptions } from './provider.handlers.js';
import { callbackHandlers, received, SINK_TOKEN } from './consumer.handlers.js';
import { WireLog } from '../shared/wire.js';

export async function runDemo(log = new WireLog()) {
  // In memory, and callbacks to loopback allowed: this demo runs on one machine.
  const provider = await createProviderServer(handlers, { store: 'memory:', replyTo: { allowLoopback: true }, subscriptions });
  const consumer = await createConsumerServer(callbackHandlers, new CorrelationRegistry(), { prefix: '/app' });
  log.trace(provider, 'provider', 'consumer');
  log.trace(consumer, 'consumer', 'provider');
  received.length = 0;
  try {
    const providerUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
    const consumerUrl = await consumer.listen({ host: '127.0.0.1', port: 0 });
    const api = new ProviderClient({ baseUrl: `${providerUrl}/quality-on-demand/v1` });
    const created = await api.createSession({
      body: {
        applicationServer: { ipv4Address: '198.51.100.10' },
        qosProfile: 'QOS_L',
        duration: 3600,
        sink: `${consumerUrl}/app/callbacks/createSession/notifications`,
        sinkCredential: { credentialType: 'ACCESSTOKEN', accessToken: SINK_TOKEN, accessTokenExpiresUtc: '2099-01-01T00:00:00Z', accessTokenType: 'bearer' },
      },
    });
    if (created.status !== 201) throw new Error(`createSession answered ${created.status}`);
    const session = created.body;
    // Later, the network ends the guaranteed quality: an event from outside any request.
    await subscriptions.emit(session.sessionId, 'notifications', statusChanged({ ...session, qosStatus: 'UNAVAILABLE' }, 'NETWORK_TERMINATED'));
    await api.deleteSession({ path: { sessionId: session.sessionId } });
    // Delivery is asynchronous: wait for the three events (the provider's close would wait too).
    for (let i = 0; received.length < 3 && i < 500; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return { session, events: received.map((r) => r.event), eventIds: received.map((r) => r.eventId), messages: log.messages };
  } finally {
    await provider.close();
    await consumer.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = new WireLog();
  const { session, events } = await runDemo(log);
  console.log('SUBSCRIPTION_REST: createSession and three events over loopback\n');
  log.print();
  console.log(`\nsession ${session.sessionId}: ${events.map((e) => e.data.qosStatus + (e.data.statusInfo ? `/${e.data.statusInfo}` : '')).join(' → ')}`);
}
