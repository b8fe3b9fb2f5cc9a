// A runtime Fault read back (src/runtime/soap/envelope.ts): the class comes from the code's row of
// the table even where SOAP 1.1 carries only the runtime's QName, so the delivery rules retry what
// the runtime says is temporary and stop at what it says is final, whatever the version.
import { describe, expect, it } from 'vitest';
import { classifyAnswer } from '../src/runtime/delivery.js';
import { RUNTIME_ERRORS, type RuntimeErrorCode } from '../src/runtime/errors.js';
import { PrefixMap, buildEnvelope, faultBody, parseEnvelope, readFault, runtimeFaultBody, type SoapVersion } from '../src/runtime/soap/envelope.js';

const envelopeOf = (version: SoapVersion, fault: string) => parseEnvelope(buildEnvelope(version, '', fault, new PrefixMap()));

describe('runtime faults read back', () => {
  const codes = Object.keys(RUNTIME_ERRORS) as RuntimeErrorCode[];
  it.each((['1.1', '1.2'] as const).flatMap((version) => codes.map((code) => [version, code] as const)))('SOAP %s %s: its code and its class', (version, code) => {
    const fault = readFault(envelopeOf(version, runtimeFaultBody(version, code, 'why')));
    expect(fault).toMatchObject({ code: RUNTIME_ERRORS[code].fault, runtimeCode: code, reason: 'why' });
  });

  it('a callback the consumer is still handling is retried, one it does not know is not (SOAP 1.1 and 1.2)', () => {
    for (const version of ['1.1', '1.2'] as const) {
      const busy = readFault(envelopeOf(version, runtimeFaultBody(version, 'callback-in-progress', 'busy')))!;
      expect(classifyAnswer({ status: 503, fault: busy }).kind).toBe('temporary');
      const unknown = readFault(envelopeOf(version, runtimeFaultBody(version, 'correlation-unknown', 'who?')))!;
      expect(classifyAnswer({ status: 500, fault: unknown }).kind).toBe('permanent');
    }
  });

  it("another peer's fault, or one naming another actor, carries no runtime code", () => {
    const own = readFault(envelopeOf('1.1', faultBody('1.1', 'Receiver', 'down')));
    expect(own).toMatchObject({ code: 'Receiver' });
    expect(own?.runtimeCode).toBeUndefined();
    const spoofed = parseEnvelope(
      buildEnvelope(
        '1.1',
        '',
        '<soap:Fault><faultcode xmlns:acc="urn:accordo:error">acc:not-found</faultcode><faultstring>x</faultstring><faultactor>urn:other</faultactor></soap:Fault>',
        new PrefixMap(),
      ),
    );
    expect(readFault(spoofed)?.runtimeCode).toBeUndefined();
  });
});
