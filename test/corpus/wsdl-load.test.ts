// WSDL 1.1 + XSD loading of every real-world WSDL in the development corpus (../shared/fixtures/real/wsdl).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified } from '../../src/classify/index.js';
/** The agreement model as the classify stage leaves it (patterns decided). */
const loadAgreement = async (sources: Parameters<typeof loadClassified>[0]) => (await loadClassified(sources)).agreement;
import type { Pattern } from '../../src/model/agreement.js';
import { op, specError, validator } from '../support/agreement.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';

const REAL = join(CORPUS, 'real/wsdl');

/** Every WSDL under real/wsdl that a user would hand over (the service/implementation entry points). */
const REAL_ENTRY: { file: string; ops?: [string, Pattern][]; version?: string; error?: RegExp; line?: number; errorIn?: string }[] = [
  // Its ws-addr.xsd import (a CXF-internal absolute path) resolves to the WS-Addressing copy Accordo carries.
  {
    file: 'cxf-basic-callback.wsdl',
    version: '1.1',
    ops: [
      ['ServerSayHi', 'BLOCK_SOAP'],
      ['RegisterCallback', 'BLOCK_SOAP'],
    ],
  },
  {
    file: 'cxf-hello-world-soap11.wsdl',
    version: '1.1',
    ops: [
      ['sayHi', 'BLOCK_SOAP'],
      ['greetMe', 'BLOCK_SOAP'],
      ['greetMeOneWay', 'ONEWAY'],
      ['pingMe', 'BLOCK_SOAP'],
    ],
  },
  {
    file: 'cxf-hello-world-soap12.wsdl',
    version: '1.2',
    ops: [
      ['sayHi', 'BLOCK_SOAP'],
      ['greetMe', 'BLOCK_SOAP'],
      ['greetMeOneWay', 'ONEWAY'],
      ['pingMe', 'BLOCK_SOAP'],
    ],
  },
  {
    file: 'cxf-soap-header.wsdl',
    version: '1.1',
    ops: [
      ['inHeader', 'BLOCK_SOAP'],
      ['outHeader', 'BLOCK_SOAP'],
      ['inoutHeader', 'BLOCK_SOAP'],
    ],
  },
  { file: 'nodesoap-afip-logincms.wsdl', version: '1.1', ops: [['loginCms', 'BLOCK_SOAP']] },
  { file: 'nodesoap-marketo.wsdl', error: /wsdl:message message="tns:AuthenticationHeader" .* is not defined/, line: 51 },
  {
    file: 'nodesoap-rpcexample-soap12.wsdl',
    version: '1.2',
    ops: [
      ...(['pullFile', 'putFile', 'getFile', 'execFile', 'listFiles', 'setKey', 'getKey', 'clearKey', 'listKeys', 'execAction'] as const).map((id): [string, Pattern] => [id, 'BLOCK_SOAP']),
      ['heartbeat', 'ONEWAY'],
      ['legacyHeartbeat', 'ONEWAY'],
      ['message', 'ONEWAY'],
    ],
  },
  { file: 'nodesoap-wsdlimport/main.wsdl', version: '1.1', ops: [['getLatestVersion', 'BLOCK_SOAP']] },
  { file: 'nodesoap-xsdinclude/xsd_include.wsdl', error: /XSD type type="dummy:DummyList" .* is not defined/, line: 25 },
  {
    file: 'sdi-ricezione-fatture/RicezioneFatture_v1.0.wsdl',
    version: '1.1',
    ops: [
      ['RiceviFatture', 'BLOCK_SOAP'],
      ['NotificaDecorrenzaTermini', 'ONEWAY'],
    ],
  },
  // Its rpc/encoded bindings load; its overloaded operations (one name, three signatures) stop it.
  {
    file: 'spcoop-validazione-contenuti/implementazioneErogatore.wsdl',
    error: /overloaded operation "registrazioneUtenteOverloadedOperations"/,
    line: 286,
    errorIn: 'spcoop-validazione-contenuti/logicoErogatore.wsdl',
  },
  {
    file: 'spcoop-validazione-contenuti/implementazioneFruitore.wsdl',
    version: '1.1',
    ops: [
      ['esitoAggiornamentoUtenteAsincronoSimmetricoWDL', 'BLOCK_SOAP'],
      ['esitoAggiornamentoUtenteAsincronoAsimmetricoWDL', 'BLOCK_SOAP'],
    ],
  },
  { file: 'trasparente-oneway/implementazioneErogatoreSoap11.wsdl', version: '1.1', ops: [['Notifica', 'ONEWAY']] },
  { file: 'trasparente-oneway/implementazioneErogatoreSoap12.wsdl', version: '1.2', ops: [['Notifica', 'ONEWAY']] },
  { file: 'trasparente-oneway/implementazioneErogatoreSoap12Security.wsdl', version: '1.2', ops: [['Notifica', 'ONEWAY']] },
];
/** The abstract halves those entry points import: alone they have no binding to serve. */
const REAL_ABSTRACT = [
  'nodesoap-wsdlimport/sub.wsdl',
  'spcoop-validazione-contenuti/concettuale.wsdl',
  'spcoop-validazione-contenuti/logicoErogatore.wsdl',
  'spcoop-validazione-contenuti/logicoFruitore.wsdl',
  'trasparente-oneway/logicoErogatore.wsdl',
];

describe.skipIf(corpusMissing())('every real WSDL', () => {
  it('is listed here, as an entry point or as an abstract part', async () => {
    const all = (await readdir(REAL, { recursive: true })).filter((f) => f.endsWith('.wsdl')).sort();
    expect(all).toEqual([...REAL_ENTRY.map((e) => e.file), ...REAL_ABSTRACT].sort());
  });

  it.each(REAL_ENTRY)('$file', async ({ file, ops, version, error, line, errorIn }) => {
    const load = loadAgreement({ spec: join(REAL, file) });
    if (error) {
      const e = await specError(load);
      expect(e.message).toMatch(error);
      expect(e.line).toBe(line);
      expect(e.file).toBe(join(REAL, errorIn ?? file));
      return;
    }
    const agreement = await load;
    expect(agreement.provider.operations.map((o) => [o.id, o.pattern.pattern])).toEqual(ops);
    expect(agreement.provider.operations.every((o) => o.soap!.version === version)).toBe(true);
    // Every schema compiles and every $ref names a schema of the agreement.
    const valid = validator(agreement);
    for (const o of agreement.provider.operations) {
      for (const s of [o.requestBody?.contents[0].schema, ...o.responses.map((r) => r.contents[0]?.schema)]) if (s) valid(s, {});
    }
    const refs = JSON.stringify([...agreement.schemas.values()].map((s) => s.schema)).match(/#\/\$defs\/[^"]+/g) ?? [];
    for (const r of refs) expect(agreement.schemas.has(r.slice(8))).toBe(true);
  });

  it.each(REAL_ABSTRACT)('%s alone: no binding', async (file) => {
    const e = await specError(loadAgreement({ spec: join(REAL, file) }));
    expect(e.message).toMatch(/^no wsdl:binding: this WSDL only describes abstract portTypes/);
  });

  it('reads the SOAP-ENC arrays of the rpc/encoded rpcexample and the SOAP 1.2 encoding its bodies name', async () => {
    const { provider, schemas } = await loadAgreement({ spec: join(REAL, 'nodesoap-rpcexample-soap12.wsdl') });
    expect(op(provider, 'listFiles').soap!.output!.encoding).toBe('http://www.w3.org/2003/05/soap-encoding');
    expect(schemas.get('ListFilesResult')!.schema).toEqual({
      type: 'array',
      items: { type: 'string' },
      'x-xml': { encodedArray: { itemType: { namespace: 'http://www.w3.org/2001/XMLSchema', name: 'string' }, type: { namespace: 'urn:RpcExample', name: 'listFilesResult' } } },
    });
  });

  it('loads headers of cxf-soap-header.wsdl by binding, and sdi types from the imported XSD', async () => {
    const { provider } = await loadAgreement({ spec: join(REAL, 'cxf-soap-header.wsdl') });
    expect(op(provider, 'inoutHeader').soap!.input.headers.map((h) => h.element.name)).toEqual(['SOAPHeaderInfo']);
    expect(op(provider, 'inoutHeader').soap!.output!.headers.map((h) => h.element.name)).toEqual(['SOAPHeaderInfo']);
    expect(op(provider, 'outHeader').soap!.input.headers).toEqual([]);
    const sdi = await loadAgreement({ spec: join(REAL, 'sdi-ricezione-fatture/RicezioneFatture_v1.0.wsdl') });
    expect(sdi.schemas.get('IdentificativoSdIType')!.schema).toEqual({ type: 'integer', maximum: 999999999999, minimum: -999999999999 });
    expect(sdi.schemas.get('NomeFileType')!.schema).toEqual({ type: 'string', pattern: '^(?:[a-zA-Z0-9_\\.]{9,50})$' });
    expect(sdi.schemas.get('EsitoRicezioneType')!.schema).toMatchObject({ enum: ['ER01'] });
  });
});
