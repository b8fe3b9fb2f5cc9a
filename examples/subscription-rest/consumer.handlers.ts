// The consumer's callback handlers for Quality-On-Demand (CAMARA shape). Accordo created this file once and never
// overwrites it: it is yours.
import { ProblemError } from 'accordo/runtime';
import type { CallbackHandlers } from './generated/consumer.js';
import type { PostNotificationResult } from './generated/types.js';

/** The access token this consumer gives as its sinkCredential; events without it are refused. */
export const SINK_TOKEN = 'demo-sink-token';

/** The events received, in arrival order, with the id the provider gave each. */
export const received: { eventId?: string; event: PostNotificationResult }[] = [];

export const callbackHandlers: CallbackHandlers = {
  /** POST /callbacks/createSession/notifications (postNotification): one event of a session; the answer is the 204. */
  postNotification: async (event, ctx) => {
    if (ctx.token !== SINK_TOKEN) throw new ProblemError(401, 'unknown sink credential');
    // A retried event keeps its id: handle each once.
    if (!received.some((r) => r.eventId !== undefined && r.eventId === ctx.eventId)) received.push({ eventId: ctx.eventId, event });
    ctx.log.info({ type: event.type, qosStatus: event.data.qosStatus }, 'session event received');
    return undefined;
  },
};
