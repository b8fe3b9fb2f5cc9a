// SOAP generation from every real-world WSDL of the development corpus that loads: strict type-checking.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generate.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';
import { tempDir } from '../support/tmp.js';
import { typecheck } from '../support/typecheck.js';

const REAL = join(CORPUS, 'real', 'wsdl');

/** The real WSDLs that load (test/corpus/wsdl-load.test.ts asserts the others' errors): each generates code that type-checks. */
const REAL_LOADING = [
  'cxf-basic-callback.wsdl',
  'nodesoap-rpcexample-soap12.wsdl',
  'cxf-hello-world-soap11.wsdl',
  'cxf-hello-world-soap12.wsdl',
  'cxf-soap-header.wsdl',
  'nodesoap-afip-logincms.wsdl',
  'nodesoap-wsdlimport/main.wsdl',
  'sdi-ricezione-fatture/RicezioneFatture_v1.0.wsdl',
  'spcoop-validazione-contenuti/implementazioneFruitore.wsdl',
  'trasparente-oneway/implementazioneErogatoreSoap11.wsdl',
  'trasparente-oneway/implementazioneErogatoreSoap12.wsdl',
  'trasparente-oneway/implementazioneErogatoreSoap12Security.wsdl',
];

describe.skipIf(corpusMissing())('every real WSDL that loads', () => {
  it('generates TypeScript that type-checks under strict', async () => {
    const root = await tempDir('soap-real');
    const dirs: string[] = [];
    for (const [i, file] of REAL_LOADING.entries()) {
      const out = join(root, String(i));
      await generate({ spec: join(REAL, file), out, side: 'both' });
      dirs.push(out);
    }
    // One program for all: each file is checked once, and the diagnostics name the output directory.
    expect(typecheck(dirs)).toEqual([]);
  });
});
