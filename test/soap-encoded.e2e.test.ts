// rpc/encoded SOAP 1.1 (section 5): the provider generated from an rpc/encoded WSDL reads what
// Axis-era peers send (xsi:type on every accessor, SOAP-ENC arrays, href/id multi-refs) and answers
// encoded (xsi:type, soapenc:arrayType, encodingStyle); python3-zeep and the `soap` npm package call
// it from its ?wsdl, whose SOAP encoding schema is the copy the package carries, served at ?xsd=.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import axios from 'axios';
import * as soap from 'soap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'accordo/runtime';
import { generate } from '../src/generate.js';
import { ROOT, tempDir } from './support/tmp.js';

const run = promisify(execFile);
const WSDL = join(ROOT, 'test', 'fixtures', 'wsdl', 'rpc-encoded', 'anagrafe.wsdl');

async function zeepPython(): Promise<string | undefined> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (
      await run(python, ['-c', 'import zeep']).then(
        () => true,
        () => false,
      )
    )
      return python;
  }
  return undefined;
}
const python = await zeepPython();
if (!python && process.env.CI === 'true') throw new Error('python3-zeep is missing: CI must install it (apt-get install -y python3-zeep)');

interface Utente {
  nome: string;
  eta: number;
  email: string | null;
}

const ENVELOPE = (body: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:t="urn:accordo:test:anagrafe:types"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

describe('rpc/encoded: the generated provider', () => {
  let provider: FastifyInstance;
  let endpoint: string;
  let out: string;
  const seen: { utenti: Utente[]; note: string }[] = [];

  beforeAll(async () => {
    out = await tempDir('soap-encoded');
    await generate({ spec: WSDL, out, side: 'both' });
    const gen = await import(join(out, 'generated', 'provider.ts'));
    provider = await gen.createProviderServer({
      registraUtenti: async (req: { body: { utenti: Utente[]; note: string } }) => {
        seen.push(req.body);
        return { body: { registrati: req.body.utenti.length, codici: req.body.utenti.map((u) => `U-${u.nome}`) } };
      },
      eliminaUtente: async (req: { body: { nome: string } }) => ({ body: { eliminato: req.body.nome === 'Ada' } }),
    });
    endpoint = `${await provider.listen({ host: '127.0.0.1', port: 0 })}/anagrafe/v1`;
  });
  afterAll(() => provider.close());

  const post = (xml: string, action: string) => fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${action}"` }, body: xml });

  it('reads an Axis-style request (xsi:type everywhere, a SOAP-ENC array whose items are href multi-refs) and answers encoded', async () => {
    seen.length = 0;
    const res = await post(
      ENVELOPE(
        '<ns1:registraUtenti soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" xmlns:ns1="urn:accordo:test:anagrafe">' +
          '<utenti xsi:type="soapenc:Array" soapenc:arrayType="t:Utente[2]"><item href="#id0"/><item href="#id1"/></utenti>' +
          '<note xsi:type="xsd:string">da Axis</note></ns1:registraUtenti>' +
          '<multiRef id="id0" soapenc:root="0" xsi:type="t:Utente"><nome xsi:type="xsd:string">Ada</nome><eta xsi:type="xsd:int">36</eta><email xsi:type="soapenc:string">ada@example.it</email></multiRef>' +
          '<multiRef id="id1" soapenc:root="0" xsi:type="t:Utente"><nome xsi:type="xsd:string">Bruno</nome><eta xsi:type="xsd:int">41</eta><email xsi:type="soapenc:string" xsi:nil="true"/></multiRef>',
      ),
      'registraUtenti',
    );
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(seen).toEqual([
      {
        utenti: [
          { nome: 'Ada', eta: 36, email: 'ada@example.it' },
          { nome: 'Bruno', eta: 41, email: null },
        ],
        note: 'da Axis',
      },
    ]);
    // SOAP 1.1 section 5: the accessors name their types, the array its item type and length.
    expect(text).toMatch(/<ns\d+:registraUtentiResponse soap:encodingStyle="http:\/\/schemas.xmlsoap.org\/soap\/encoding\/">/);
    expect(text).toMatch(/<registrati xsi:type="(ns\d+):int">2<\/registrati>/);
    expect(text).toMatch(
      /<codici xsi:type="(ns\d+):ArrayOfString" (ns\d+):arrayType="(ns\d+):string\[2\]"><item xsi:type="ns\d+:string">U-Ada<\/item><item xsi:type="ns\d+:string">U-Bruno<\/item><\/codici>/,
    );
  });

  it('refuses a multi-ref graph with a cycle as a Client fault that says so', async () => {
    const res = await post(
      ENVELOPE('<ns1:registraUtenti xmlns:ns1="urn:accordo:test:anagrafe"><utenti href="#a"/><note>x</note></ns1:registraUtenti>' + '<multiRef id="a" soapenc:root="0"><item href="#a"/></multiRef>'),
      'registraUtenti',
    );
    const text = await res.text();
    expect(res.status).toBe(500);
    // A Client-class runtime error (errors.ts): its code in the runtime's namespace, the runtime as actor.
    expect(text).toContain('<faultcode xmlns:acc="urn:accordo:error">acc:request-invalid</faultcode>');
    expect(text).toContain('<faultactor>urn:accordo:runtime</faultactor>');
    expect(text).toContain('cycles are not supported');
  });

  it('refuses a reference to a value the message does not hold', async () => {
    const res = await post(ENVELOPE('<ns1:eliminaUtente xmlns:ns1="urn:accordo:test:anagrafe"><nome href="#nowhere"/></ns1:eliminaUtente>'), 'eliminaUtente');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain('acc:request-invalid</faultcode>');
    expect(text).toContain('names no value with that id');
  });

  it('serves the SOAP encoding schema it carries at ?xsd=, and points the WSDL import there', async () => {
    const wsdl = await (await fetch(`${endpoint}?wsdl`)).text();
    const xsdUrl = `${endpoint}?xsd=${encodeURIComponent('accordo-well-known/soap-encoding.xsd')}`;
    expect(wsdl).toContain(`schemaLocation="${xsdUrl}"`);
    expect(wsdl).not.toContain('schemaLocation="http://schemas.xmlsoap.org/soap/encoding/"');
    const xsd = await fetch(xsdUrl);
    expect(xsd.status).toBe(200);
    expect(await xsd.text()).toContain('targetNamespace="http://schemas.xmlsoap.org/soap/encoding/"');
  });

  it('the generated consumer encodes its request and reads the encoded answer', async () => {
    const consumer = await import(join(out, 'generated', 'consumer.ts'));
    const client = new consumer.ProviderClient({ endpoint });
    seen.length = 0;
    const answer = await client.registraUtenti({ body: { utenti: [{ nome: 'Carla', eta: 29, email: null }], note: 'dal client' } });
    expect(answer.body).toEqual({ registrati: 1, codici: ['U-Carla'] });
    expect(seen).toEqual([{ utenti: [{ nome: 'Carla', eta: 29, email: null }], note: 'dal client' }]);
  });

  it.skipIf(!python)('python3-zeep calls registraUtenti from ?wsdl, fetching nothing but the provider', async () => {
    seen.length = 0;
    const { stdout } = await run(python!, [join(ROOT, 'test', 'peers', 'zeep_encoded.py'), `${endpoint}?wsdl`]);
    expect(seen).toEqual([
      {
        utenti: [
          { nome: 'Ada', eta: 36, email: 'ada@example.it' },
          { nome: 'Bruno', eta: 41, email: null },
        ],
        note: 'due utenti',
      },
    ]);
    expect(JSON.parse(stdout)).toEqual({ registrati: 2, codici: ['U-Ada', 'U-Bruno'] });
  });

  it('the soap npm package calls registraUtenti from ?wsdl, its requests refused anywhere but the provider', async () => {
    seen.length = 0;
    const origin = new URL(endpoint).origin;
    const request = axios.create();
    request.interceptors.request.use((config) => {
      if (!String(config.url).startsWith(origin)) throw new Error(`refused to fetch ${config.url}: only the provider is reachable`);
      return config;
    });
    // soap's own axios copy has its own types: the instance is the same API.
    const client = await soap.createClientAsync(`${endpoint}?wsdl`, { endpoint, request: request as never });
    const [result] = await client.registraUtentiAsync({
      utenti: {
        item: [
          { nome: 'Ada', eta: 36, email: 'ada@example.it' },
          { nome: 'Bruno', eta: 41, email: null },
        ],
      },
      note: 'dal pacchetto soap',
    });
    expect(seen).toEqual([
      {
        utenti: [
          { nome: 'Ada', eta: 36, email: 'ada@example.it' },
          { nome: 'Bruno', eta: 41, email: null },
        ],
        note: 'dal pacchetto soap',
      },
    ]);
    // soap keeps the xsi:type of encoded values next to them: { $value, attributes: { 'xsi:type' } }.
    expect(result.registrati).toMatchObject({ $value: 2, attributes: { 'xsi:type': expect.stringMatching(/:int$/) } });
    expect(JSON.stringify(result.codici)).toMatch(/U-Ada.*U-Bruno/);
  });
});
