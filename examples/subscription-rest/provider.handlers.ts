// The provider's handlers for Quality-On-Demand (CAMARA shape). Accordo created this file once and never overwrites it:
// it is yours. When the spec gains operations, TypeScript tells you which handlers are missing.
import { randomUUID } from 'node:crypto';
import type { CreateSessionNotificationsEvent, SessionInfo } from './generated/types.js';
import { ProviderSubscriptions, type ProviderHandlers } from './generated/provider.js';

/** The emitter the application keeps: events after the request was answered go through it. */
export const subscriptions = new ProviderSubscriptions();

/** The sessions of this demo, in memory. */
const sessions = new Map<string, SessionInfo>();

/** A QOS_STATUS_CHANGED CloudEvent. */
export function statusChanged(session: SessionInfo, statusInfo?: 'DURATION_EXPIRED' | 'NETWORK_TERMINATED' | 'DELETE_REQUESTED'): CreateSessionNotificationsEvent {
  return {
    id: randomUUID(),
    source: 'https://qod.example/quality-on-demand/v1/sessions',
    type: 'org.camaraproject.quality-on-demand.v1.qos-status-changed',
    specversion: '1.0',
    datacontenttype: 'application/json',
    time: new Date().toISOString(),
    data: { sessionId: session.sessionId, qosStatus: session.qosStatus, ...(statusInfo ? { statusInfo } : {}) },
  };
}

export const handlers: ProviderHandlers = {
  /**
   * POST /sessions (createSession): SUBSCRIPTION_REST.
   * The session is the subscription: its id is the subscription's, and the network's answer
   * (here at once) is the first event.
   */
  createSession: async (request, ctx) => {
    const { qosProfile, duration, sink } = request.body;
    const session: SessionInfo = { sessionId: ctx.subscriptionId, qosProfile, duration, qosStatus: 'REQUESTED', ...(sink ? { sink } : {}) };
    sessions.set(session.sessionId, { ...session, qosStatus: 'AVAILABLE' });
    // Sent once the 201 is decided, to the sink the request gave (nothing when it gave none).
    await ctx.emit('notifications', statusChanged({ ...session, qosStatus: 'AVAILABLE' }));
    return { status: 201, body: session };
  },
  /** GET /sessions/{sessionId} (getSession): BLOCK_REST. */
  getSession: async (request) => {
    const session = sessions.get(request.path.sessionId);
    if (!session) return { status: 404, body: { status: 404, code: 'NOT_FOUND', message: 'The specified resource is not found.' } };
    return { status: 200, body: session };
  },
  /** DELETE /sessions/{sessionId} (deleteSession): the last event, then the subscription ends. */
  deleteSession: async (request) => {
    const session = sessions.get(request.path.sessionId);
    if (!session) return { status: 404, body: { status: 404, code: 'NOT_FOUND', message: 'The specified resource is not found.' } };
    sessions.delete(session.sessionId);
    await subscriptions.emit(session.sessionId, 'notifications', statusChanged({ ...session, qosStatus: 'UNAVAILABLE' }, 'DELETE_REQUESTED'));
    await subscriptions.end(session.sessionId);
    return { status: 204 };
  },
};
