// Row 2b's callback target: a bare node:http server that acknowledges every callback (200 + ACK),
// so that the provider's deliveries succeed, and counts the CorrelationIDs it received (exactly once?).
import { createServer } from 'node:http';
import { httpServer, reportResult, serve } from './child.js';

// Each callback's X-Correlation-ID, counted: a callback delivered twice shows as a duplicate.
const seen = new Set<string>();
let received = 0;
process.on('message', (m: { type: string }) => {
  if (m.type === 'count') reportResult({ received, distinct: seen.size, duplicates: received - seen.size });
  else if (m.type === 'reset') {
    seen.clear();
    received = 0;
    reportResult({});
  }
});
const ack = JSON.stringify({ outcome: 'ACK' });
const server = createServer((req, res) => {
  const id = req.headers['x-correlation-id'];
  if (typeof id === 'string') {
    received++;
    seen.add(id);
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ack) }).end(ack);
  });
});
await serve(httpServer(server));
