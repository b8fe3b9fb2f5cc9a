// The provider's handlers for SOAPBlockingImplService. Accordo created this file once and never overwrites it:
// it is yours. When the WSDL gains operations, TypeScript tells you which handlers are missing.
import { SoapFaultError } from 'accordo/runtime';
import type { ProviderHandlers } from './generated/provider.js';

export const handlers: ProviderHandlers = {
  /** MRequest: runs M at once and answers with its result, or with the declared fault. */
  mRequest: async (request) => {
    const id = request.body.M?.oId;
    // The guideline's fault example: a Receiver fault carrying the declared ErrorMessageFault detail.
    if (id === 0) throw new SoapFaultError('Receiver', 'Error', { fault: 'ErrorMessageException', value: { customFaultCode: '1234' } });
    return { body: { return: { c: 'OK' } } };
  },
};
