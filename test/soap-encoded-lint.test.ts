// rpc-soap/encoded-cycle: an rpc/encoded operation whose type contains itself is flagged at the
// operation's file and line; the tree-shaped fixture is not.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified } from '../src/classify/index.js';
import { lintAgreement } from '../src/lint/index.js';
import { ROOT, tempDir } from './support/tmp.js';

const WSDL = join(ROOT, 'test', 'fixtures', 'wsdl', 'rpc-encoded', 'anagrafe.wsdl');

describe('rpc-soap/encoded-cycle', () => {
  it('passes the tree-shaped rpc/encoded fixture', async () => {
    const findings = lintAgreement(await loadClassified({ spec: WSDL }));
    expect(findings.filter((f) => f.rule === 'rpc-soap/encoded-cycle')).toEqual([]);
  });

  it('warns, at the operation, about a type that contains itself', async () => {
    const dir = await tempDir('encoded-cycle');
    const spec = join(dir, 'anagrafe.wsdl');
    const text = (await readFile(WSDL, 'utf8')).replace(
      '<xsd:element name="eta" type="xsd:int"/>',
      '<xsd:element name="eta" type="xsd:int"/>\n<xsd:element name="referente" type="types:Utente" minOccurs="0"/>',
    );
    await writeFile(spec, text);
    const findings = lintAgreement(await loadClassified({ spec })).filter((f) => f.rule === 'rpc-soap/encoded-cycle');
    // The binding's operation (the second <wsdl:operation name="registraUtenti">) is where the operation is.
    const lines = text.split('\n');
    const bindingLine = lines.findIndex((l, i) => l.includes('<wsdl:operation name="registraUtenti">') && lines.slice(0, i).some((p) => p.includes('<wsdl:binding'))) + 1;
    expect(findings.map((f) => [f.severity, f.file, f.line])).toEqual([['warning', spec, bindingLine]]);
    expect(findings[0].message).toMatch(/^registraUtenti is rpc\/encoded and its type Utente contains itself/);
  });
});
