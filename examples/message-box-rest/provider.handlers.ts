// The provider's handlers for RESTCallbackServer. Accordo created this file once and never overwrites it:
// it is yours. When the spec gains operations, TypeScript tells you which handlers are missing.
import type { ProviderHandlers } from './generated/provider.js';

export const handlers: ProviderHandlers = {
  /** POST /resources/{id_resource}/M: take M in charge (202), then compute its result for the callback. */
  pushMessage: {
    // Step 2: the ACK body of the 202, sent with the X-Correlation-ID.
    acknowledge: () => ({ outcome: 'ACK' }),
    // Step 3: the result, which the runtime POSTs to the X-ReplyTo URL with the same X-Correlation-ID.
    process: async (request, ctx) => {
      ctx.log.info({ resource: request.path.id_resource, b: request.body?.b }, 'processing M');
      return { c: 'OK' };
    },
  },
};
