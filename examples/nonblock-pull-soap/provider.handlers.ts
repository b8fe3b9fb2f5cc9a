// The provider's handlers for SOAPPullService. Accordo created this file once and never overwrites it:
// it is yours. When the WSDL gains operations, TypeScript tells you which handlers are missing.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderHandlers } from './generated/provider.js';

/** How long M takes in this example, so that a status request sees it processing. */
export const PROCESSING_MS = 300;

export const handlers: ProviderHandlers = {
  /** MRequest, MProcessingStatus, MResponse: one handler for the three operations of the pull. */
  mRequest: {
    // The ACK, answered with the X-Correlation-ID SOAP header.
    acknowledge: () => ({ return: { status: 'accepted', message: 'Preso carico della richiesta' } }),
    // The result, served by MResponse once done.
    process: async () => {
      await sleep(PROCESSING_MS);
      return { return: { c: 'OK' } };
    },
    // MProcessingStatus's answer for the task.
    status: (task) =>
      task.state === 'done'
        ? { return: { status: 'done', message: 'Richiesta completata' } }
        : { return: { status: 'processing', message: 'Richiesta in fase di processamento' } },
  },
};
