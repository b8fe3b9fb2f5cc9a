// Row 3 floor: what every Fastify-based SOAP server pays before any SOAP work. Accordo's server
// setup (createServer, the SOAP body parsers) and one route that answers the generated
// provider's response envelope without reading the request: HTTP parsing, routing, reading the
// body, the transaction id, and the socket write.
import { createServer } from 'accordo/runtime';
import { fastifyServer, serve } from './child.js';

const response =
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ns0="http://ente.example/nome-api">' +
  '<soap:Header><ns0:X-Correlation-ID>00000000-0000-4000-8000-000000000000</ns0:X-Correlation-ID></soap:Header>' +
  '<soap:Body><ns0:MRequestResponse><return><outcome>ACCEPTED</outcome></return></ns0:MRequestResponse></soap:Body></soap:Envelope>';
const app = createServer();
// The body parsing the generated provider installs: SOAP media types as text.
app.removeAllContentTypeParsers();
app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.post('/soap/nome-api/v1', (_req, reply) => reply.type('application/soap+xml; charset=utf-8').send(response));
await serve(fastifyServer(app));
