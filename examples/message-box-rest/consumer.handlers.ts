// The consumer's callback handlers for RESTCallbackServer. Accordo created this file once and never
// overwrites it: it is yours.
import type { CallbackHandlers } from './generated/consumer.js';
// The callbacks of the message box (accordo.config.yaml `messageBox`) have no handler here: drain the box (openMessageBox).

export const callbackHandlers: CallbackHandlers = {};
