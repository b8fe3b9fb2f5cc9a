// Row 2b's callback target: a bare node:http server that acknowledges every callback (200 + ACK),
// so that the provider's deliveries succeed.
import { createServer } from 'node:http';
import { httpServer, serve } from './child.js';

const ack = JSON.stringify({ outcome: 'ACK' });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ack) }).end(ack);
  });
});
await serve(httpServer(server));
