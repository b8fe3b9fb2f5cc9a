// Row 3 baseline: the `soap` npm package serving seed/nonblock-push-soap/server.wsdl, answering
// MRequest with its ACK and an X-Correlation-ID header, as a user of that package would.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import soap from 'soap';
import { httpServer, serve } from './child.js';

const wsdl = readFileSync(process.argv[2], 'utf8');
const server = createServer((_req, res) => {
  res.writeHead(404).end();
});
const service = {
  SOAPCallbackService: {
    SOAPCallbackPort: {
      MRequest: () => ({ return: { outcome: 'ACCEPTED' } }),
    },
  },
};
const soapServer = soap.listen(server, '/soap', service, wsdl);
soapServer.addSoapHeader(() => `<m:X-Correlation-ID xmlns:m="http://ente.example/nome-api">${randomUUID()}</m:X-Correlation-ID>`);
await serve(httpServer(server));
