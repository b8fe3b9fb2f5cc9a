// The provider's handlers for SOAPCallbackServerService. Accordo created this file once and never overwrites it:
// it is yours. When the WSDL gains operations, TypeScript tells you which handlers are missing.
import { SoapFaultError } from 'accordo/runtime';
import type { ProviderHandlers } from './generated/provider.js';

export const handlers: ProviderHandlers = {
  /**
   * SOAP 1.2 document operation MRequest at /soap/nome-api/v1: NONBLOCK_PUSH_SOAP.
   * Pattern decided by shape: input soap:header X-ReplyTo (part "X-ReplyTo", element {http://ente.example/nome-api}X-ReplyTo): the callback URL; output soap:header X-Correlation-ID (part "X-Correlation-ID", element {http://ente.example/nome-api}X-Correlation-ID): the ACK's correlation id.
   */
  mRequest: {
    // Step 2: the ACK body, sent with the X-Correlation-ID SOAP header.
    acknowledge: (request) => {
      // A request the service cannot take is refused with the declared fault (HTTP 500).
      if (request.body.M?.o_id !== undefined && request.body.M.o_id < 0) {
        throw new SoapFaultError('Sender', 'o_id must not be negative', { fault: 'ErrorMessageException', value: { customFaultCode: 'NEGATIVE_ID' } });
      }
      return { return: { outcome: 'ACCEPTED' } };
    },
    // Step 3: the result, which the runtime sends to the X-ReplyTo endpoint.
    process: async (request, ctx) => {
      ctx.log.info({ b: request.body.M?.b }, 'processing');
      return { return: { c: 'OK' } };
    },
  },
};
