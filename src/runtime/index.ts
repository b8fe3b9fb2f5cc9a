/**
 * accordo/runtime: the pattern logic that generated providers and consumers import.
 * Generated code stays thin: it describes operations as data and types the handlers.
 */
export type { FastifyInstance, FastifyPluginAsync } from 'fastify';
export * from './descriptors.js';
export { problem, ProblemError, RuntimeProblemError, PROBLEM_JSON, type Problem } from './problem.js';
// The errors the runtime itself answers, told apart from the application's (docs/errors.md).
export {
  RUNTIME_ACTOR,
  RUNTIME_ERRORS,
  RUNTIME_FAULT_NS,
  RUNTIME_PROBLEM_TYPE_PREFIX,
  isRuntimeErrorCode,
  runtimeCodeOfProblem,
  runtimeProblemType,
  type RuntimeErrorCode,
  type RuntimeErrorEntry,
} from './errors.js';
export { Validators } from './validation.js';
export type { IncomingRequest } from './http.js';
export { createServer, DEFAULT_TRANSACTION_HEADER, type ServerOptions } from './server.js';
// One engine per pattern (push, pull, blocking, one-way), whatever the binding; their handler types.
export type { BlockingHandler } from './engines/blocking.js';
export type { OneWayHandler, RequestContext } from './engines/oneway.js';
export type { PushContext, PushHandler } from './engines/push.js';
export type { DeliveryOptions, TaskOptions } from './engines/tasks.js';
export {
  Subscriptions,
  SubscriptionNotFoundError,
  InvalidEventError,
  type SubscriptionContext,
  type SubscriptionHandler,
  type SubscriptionOptions,
  type SubscriptionRecord,
} from './engines/subscription.js';
export { Webhooks, type WebhookOptions } from './engines/webhooks.js';
export { registerProvider, type HandlerResponse, type ProviderDefinition, type ProviderOptions } from './provider.js';
export {
  registerCallbacks,
  sendPush,
  sendRequest,
  type CallbackContext,
  type CallbackDefinition,
  type CallbackHandler,
  type CallbackOptions,
  type ClientOptions,
  type EventContext,
  type EventHandler,
  type ClientResponse,
  type PushAccepted,
} from './consumer.js';
export type { ProcessContext, PullProcessContext } from './worker.js';
export { CorrelationRegistry, CallbackTimeoutError, type CorrelationOptions } from './correlation.js';
export {
  DEFAULT_MESSAGE_LEASE_MS,
  DEFAULT_MESSAGE_RETENTION_MS,
  MessageBox,
  MessageLeasedError,
  registerMessageBoxAdmin,
  type AnyBoxMessage,
  type BoxEntry,
  type BoxMessage,
  type ListQuery,
  type MessageBoxOptions,
  type MessageTypes,
} from './message-box.js';
export { UnexpectedResponseError, type OutgoingRequest, type OutboundOptions } from './outbound.js';
export { DEFAULT_RETRY, type RetryPolicy, type DeliveryOutcome } from './delivery.js';
export { addressRefusal, urlRefusal, ReplyToRefusedError, type Connector, type ReplyToPolicy } from './reply-to.js';
export { systemClock, type Clock } from './clock.js';
export { DEFAULT_RETENTION_MS, inspectDelivery, listDeliveries, purgeDeliveries, registerDeliveryAdmin, retryDelivery, type AdminOptions, type DeliveryFilter } from './admin.js';
export { DEFAULT_STORE, MemoryStore, openStore, PostgresStore, SqliteStore, TASK_STATES, type CorrelationRecord, type Store, type TaskFilter, type TaskRecord, type TaskState } from './store/index.js';
export {
  awaitPull,
  checkPull,
  fetchPullResult,
  submitPull,
  MemoryPullTaskStore,
  StorePullTaskStore,
  PullTimeoutError,
  type PollOptions,
  type PullAccepted,
  type PullCheck,
  type PullContext,
  type PullDescriptor,
  type PullHandler,
  type PullProviderOptions,
  type PullStatus,
  type PullTask,
  type PullTaskStore,
} from './pull.js';
export * from './soap/index.js';
// The declared security: the provider's checks (voucher, INTEGRITY, AUDIT) and the consumer's vouchers and signatures.
export { InboundSecurity, verifiedSecurity, type InboundSecurityOptions, type TrackingEvidenceClaims, type VerifiedSecurity, type VoucherClaims } from './security/inbound.js';
export { KeysUnavailableError, keyResolver, type KeySource } from './security/keys.js';
export { OutboundSecurity, signerFromFile, signerFromKey, VoucherError, type JwtSigner, type OutboundSecurityOptions, type SignerOptions } from './security/outbound.js';
export { CertificateError, type X509KeySource } from './security/x509.js';
export { digestHeader, trackingDigest } from './security/headers.js';
