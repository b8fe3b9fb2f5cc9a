// The consumer's callback handlers for RESTCallbackServer. Accordo created this file once and never
// overwrites it: it is yours.
import type { CallbackHandlers } from './generated/consumer.js';

export const callbackHandlers: CallbackHandlers = {
  /** POST /MResponse: the result of M arrives here (step 3); the return value is the ACK (step 4). */
  pushResponseMessage: async (result, ctx) => {
    ctx.log.info({ c: result.c }, 'result of M received');
    return { outcome: 'ACK' };
  },
};
