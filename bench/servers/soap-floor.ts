// Row 3 floor: what every Fastify-based SOAP server pays before any SOAP work. Accordo's server
// setup (createServer) and one route that answers the generated provider's response envelope
// without reading the request: HTTP parsing, routing, reading the body, the transaction id, and
// the socket write. With a step (`soap-floor.ts <step> <generated dir>`), the same route first does
// the SOAP work up to that step, synchronously, as the runtime's own functions do it for MRequest:
//   saxes      the body read as the provider reads it (bytes, decoded in their charset), then saxes
//              over it with no handlers: the scan under Accordo's reader, alone
//   validator  the same, fast-xml-parser's validator instead (the other strict XML reader among
//              the project's dependencies, building nothing)
//   parse      the envelope parsed into the tree (saxes, names, input limits)
//   read       and its values read into the typed message and validated
//   steps      and the answer encoded from the handler's values: every SOAP step, without the
//              provider's dispatch, async handler and promises
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { SaxesParser } from 'saxes';
import { createServer, type JsonSchema, type SoapServiceDefinition } from 'accordo/runtime';
import { XmlCodec } from '../../src/runtime/soap/codec.js';
import { PrefixMap, buildEnvelope, parseEnvelope } from '../../src/runtime/soap/envelope.js';
import { MessageCodec } from '../../src/runtime/soap/message.js';
import { installSoapParsers } from '../../src/runtime/soap/provider.js';
import { Validators } from '../../src/runtime/validation.js';
import { fastifyServer, serve } from './child.js';

const STEPS = ['saxes', 'validator', 'parse', 'read', 'steps'] as const;
type Step = (typeof STEPS)[number];

const ID = '00000000-0000-4000-8000-000000000000';
const response =
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ns0="http://ente.example/nome-api">' +
  `<soap:Header><ns0:X-Correlation-ID>${ID}</ns0:X-Correlation-ID></soap:Header>` +
  '<soap:Body><ns0:MRequestResponse><return><outcome>ACCEPTED</outcome></return></ns0:MRequestResponse></soap:Body></soap:Envelope>';
const CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

const [stepArg, dir] = process.argv.slice(2);
const app = createServer();

if (stepArg === undefined) {
  // The body parsing the generated provider installs, minus decoding: SOAP media types as text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/soap/nome-api/v1', (_req, reply) => reply.type(CONTENT_TYPE).send(response));
} else {
  if (!(STEPS as readonly string[]).includes(stepArg) || !dir) throw new Error(`usage: soap-floor.ts [${STEPS.join('|')} <generated dir>]`);
  const step = stepArg as Step;
  const generated = join(dir, 'generated');
  const { defs } = (await import(pathToFileURL(join(generated, 'schemas.ts')).href)) as { defs: Record<string, JsonSchema> };
  const { operations } = (await import(pathToFileURL(join(generated, 'operations.ts')).href)) as { operations: SoapServiceDefinition['operations'] };
  const op = operations.find((o) => o.id === 'MRequest');
  if (!op?.output) throw new Error(`${generated}: no MRequest operation with an output`);
  const codec = new XmlCodec(defs);
  const validators = new Validators(defs);
  const input = new MessageCodec(op.input, op.style, codec, validators);
  const output = new MessageCodec(op.output, op.style, codec, validators);
  const saxes = new SaxesParser();
  const work: (text: string) => string = {
    saxes: (text: string) => (saxes.write(text).close(), response),
    validator: (text: string) => {
      if (XMLValidator.validate(text) !== true) throw new Error('not well-formed');
      return response;
    },
    parse: (text: string) => (parseEnvelope(text), response),
    read: (text: string) => (input.read(parseEnvelope(text)), response),
    steps: (text: string) => {
      input.read(parseEnvelope(text));
      const px = new PrefixMap();
      const header = output.writeHeaders({ 'X-Correlation-ID': ID }, px);
      return buildEnvelope('1.2', header, output.writeBody({ return: { outcome: 'ACCEPTED' } }, px), px);
    },
  }[step];
  installSoapParsers(app);
  app.post('/soap/nome-api/v1', (req, reply) => reply.type(CONTENT_TYPE).send(work(req.body as string)));
}
await serve(fastifyServer(app));
