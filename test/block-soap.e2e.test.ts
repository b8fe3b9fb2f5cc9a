// BLOCK_SOAP over loopback, generated from the guideline's WSDL (examples/block-soap): the request,
// the 200 response and the 500 fault match fixtures/modi/BLOCK_SOAP as XML infosets.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SoapFaultError } from 'accordo/runtime';
import { runDemo } from '../examples/block-soap/demo.js';
import { WireLog } from '../examples/shared/wire.js';
import { infoset } from './support/infoset.js';
import { FIXTURES } from './support/tmp.js';

const DIR = join(FIXTURES, 'modi', 'BLOCK_SOAP');
const fixture = (file: string) => readFile(join(DIR, file), 'utf8');

describe('BLOCK_SOAP', () => {
  it('request, 200 with the result, 500 with the declared fault: the guideline messages', async () => {
    const { ok, fault, messages } = await runDemo(new WireLog());
    expect(messages.map((m) => m.line)).toEqual(['POST /soap/nome-api/v1', '200 OK', 'POST /soap/nome-api/v1', '500 Internal Server Error']);
    expect(ok).toEqual({ body: { return: { c: 'OK' } }, headers: {} });
    expect(fault).toBeInstanceOf(SoapFaultError);
    expect(fault).toMatchObject({ code: 'Receiver', reason: 'Error', detail: { fault: 'ErrorMessageException', value: { customFaultCode: '1234' } } });

    // SOURCE.md: the request has an illustrative "..." text between the <a1> elements (and an empty
    // soap:Header holding a comment, which our client leaves out), and the 200 puts <c> in the m:
    // namespace although the schema is elementFormDefault="unqualified".
    const request = (await fixture('01-request.xml')).replace(/\.\.\.\s*/, '').replace(/<soap:Header>\s*<!--.*?-->\s*<\/soap:Header>/, '');
    const response = (await fixture('02-response-200.xml')).replace('<m:c>OK</m:c>', '<c>OK</c>');
    expect(infoset(messages[0].body)).toEqual(infoset(request));
    expect(infoset(messages[1].body)).toEqual(infoset(response));
    expect(infoset(messages[3].body)).toEqual(infoset(await fixture('02-response-500-fault.xml')));
  });
});
