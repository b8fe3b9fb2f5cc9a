// BLOCK_SOAP demo: the generated provider and client talk SOAP 1.2 over loopback: MRequest answered
// with its result, then with the declared fault; the envelopes are printed as they cross the wire.
import { SoapFaultError } from 'accordo/runtime';
import { ProviderClient } from './generated/consumer.js';
import { createProviderServer } from './generated/provider.js';
import { handlers } from './provider.handlers.js';
import { WireLog } from '../shared/wire.js';

export async function runDemo(log = new WireLog()) {
  const provider = await createProviderServer(handlers);
  log.trace(provider, 'provider', 'consumer');
  try {
    const url = await provider.listen({ host: '127.0.0.1', port: 0 });
    const api = new ProviderClient({ endpoint: `${url}/soap/nome-api/v1` });
    const ok = await api.mRequest({ body: { M: { oId: 1234, a: { a1s: { a1: ['1', '2'] }, a2: 'RGFuJ3MgVG9vbHMgYXJlIGNvb2wh' }, b: 'Stringa di esempio' } } });
    const fault = await api.mRequest({ body: { M: { oId: 0 } } }).catch((e: unknown) => e as SoapFaultError);
    return { ok, fault, messages: log.messages };
  } finally {
    await provider.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = new WireLog();
  await runDemo(log);
  console.log('BLOCK_SOAP: MRequest over loopback\n');
  log.print();
}
