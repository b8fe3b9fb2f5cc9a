/**
 * accordo/runtime: the pattern logic that generated providers and consumers import.
 * Generated code stays thin: it describes operations as data and types the handlers.
 */
export type { FastifyInstance, FastifyPluginAsync } from 'fastify';
export * from './descriptors.js';
export { problem, ProblemError, PROBLEM_JSON, type Problem } from './problem.js';
export { Validators } from './validation.js';
export type { IncomingRequest } from './http.js';
export { createServer, type ServerOptions } from './server.js';
export {
  registerProvider,
  type BlockingHandler,
  type HandlerResponse,
  type ProviderDefinition,
  type ProviderOptions,
  type PushContext,
  type PushHandler,
  type RequestContext,
} from './provider.js';
export {
  registerCallbacks,
  sendPush,
  sendRequest,
  type CallbackContext,
  type CallbackDefinition,
  type CallbackHandler,
  type CallbackOptions,
  type ClientOptions,
  type ClientResponse,
  type PushAccepted,
} from './consumer.js';
export { CorrelationRegistry, CallbackTimeoutError } from './correlation.js';
export { UnexpectedResponseError, type OutgoingRequest, type OutboundOptions } from './outbound.js';
export { DEFAULT_RETRY, type RetryPolicy, type DeliveryOutcome } from './delivery.js';
export type { ReplyToPolicy } from './reply-to.js';
export {
  awaitPull,
  checkPull,
  fetchPullResult,
  submitPull,
  MemoryPullTaskStore,
  PullTimeoutError,
  type PollOptions,
  type PullAccepted,
  type PullContext,
  type PullDescriptor,
  type PullHandler,
  type PullProviderOptions,
  type PullStatus,
  type PullTask,
  type PullTaskStore,
} from './pull.js';
export * from './soap/index.js';
