/**
 * BLOCK, whatever the binding: the handler's answer is the response. The binding writes it (REST:
 * the declared response of its status; SOAP: the output envelope) and answers what the handler
 * throws in its own form (REST: a ProblemError as problem+json; SOAP: a SoapFaultError as a Fault).
 */
import type { RequestContext } from './oneway.js';

/** A blocking operation's handler: returns one of the declared responses. */
export type BlockingHandler<Req, Res> = (request: Req, ctx: RequestContext) => Res | Promise<Res>;
