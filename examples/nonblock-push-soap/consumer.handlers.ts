// The consumer's callback handlers for SOAPCallbackServerService. Accordo created this file once and never
// overwrites it: it is yours.
import type { CallbackHandlers } from './generated/consumer.js';

export const callbackHandlers: CallbackHandlers = {
  /**
   * SOAP 1.2 document operation MRequestResponse at /soap/nome-api/v1: NONBLOCK_PUSH_SOAP.
   * Pattern decided by shape: operation of the callback WSDL; input soap:header X-Correlation-ID (part "X-Correlation-ID", element {http://ente.example/nome-api}X-Correlation-ID): receives the provider's reply.
   */
  mRequestResponse: async (result, ctx) => {
    ctx.log.info({ result }, 'callback received');
    return { return: { outcome: 'OK' } };
  },
};
