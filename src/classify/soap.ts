import type { Operation, Pattern, PatternDecision, SoapOperation, SoapPart } from '../model/agreement.js';
import { CORRELATION_ID, REPLY_TO, addressingDeclaration, namesCarrier, correlationHeader, replyToHeader, type CarrierSettings } from './carriers.js';

/** The carrier a part plays, by its ModI name, or in words when a declared element of another name plays it. */
function playing(part: SoapPart, carrier: string): string {
  if (namesCarrier(part.element.name, carrier, 'soap') || namesCarrier(part.name, carrier, 'soap')) return carrier;
  return carrier === REPLY_TO ? 'carrying the reply address' : 'carrying the correlation id';
}

function describe(part: SoapPart): string {
  const el = part.element.namespace ? `{${part.element.namespace}}${part.element.name}` : part.element.name;
  return `part "${part.name}", element ${el}`;
}

export type SoapShape = Omit<Operation, 'pattern'> & { soap: SoapOperation };

/** What the whole agreement tells one WSDL's detection: the config's carriers and the callback WSDL's operation names. */
export interface SoapDetectContext {
  carriers?: CarrierSettings;
  /** The operation names of the callback WSDL: a WS-Addressing operation `X` with a callback `XResponse` is a push request. */
  callbackOperations?: ReadonlySet<string>;
}

/**
 * Derives the ModI pattern of every operation of one WSDL from its SOAP headers, listing the facts
 * that decided it (as detectRestPattern does for REST):
 * - input header `X-ReplyTo` and output header `X-Correlation-ID` (or the elements carriers.ts
 *   recognises or the config names): NONBLOCK_PUSH_SOAP (the request);
 * - a request/response operation of a WS-Addressing binding whose callback WSDL has `<op>Response`:
 *   NONBLOCK_PUSH_SOAP (the request; `wsa:ReplyTo` the callback address, `wsa:MessageID` the correlation id);
 * - every operation of the callback WSDL: NONBLOCK_PUSH_SOAP (the callback receiver, which takes `X-Correlation-ID`);
 * - in a portType with a request operation whose output has `X-Correlation-ID`, that operation and the
 *   ones whose input has `X-Correlation-ID` (status and result): NONBLOCK_PULL_SOAP;
 * - input only: ONEWAY; anything else: BLOCK_SOAP.
 * An entry of `overrides` (the config file's `patterns`, by operation id) wins.
 */
export function detectSoapPatterns(ops: readonly SoapShape[], role: 'provider' | 'callback', overrides: Record<string, Pattern> = {}, context: SoapDetectContext = {}): PatternDecision[] {
  const settings = context.carriers ?? {};
  const header = (message: SoapOperation['input'] | undefined, carrier: string) => (carrier === REPLY_TO ? replyToHeader(message, settings) : correlationHeader(message, settings));
  // Request and poll operations per portType, computed once: WSDLs with thousands of operations exist.
  const portType = (op: SoapShape) => `{${op.soap.portType.namespace}}${op.soap.portType.name}`;
  const groups = new Map<string, { requests: SoapShape[]; pollers: SoapShape[] }>();
  for (const o of ops) {
    const key = portType(o);
    const group = groups.get(key) ?? { requests: [], pollers: [] };
    groups.set(key, group);
    if (header(o.soap.output, CORRELATION_ID) && !header(o.soap.input, REPLY_TO)) group.requests.push(o);
    if (header(o.soap.input, CORRELATION_ID)) group.pollers.push(o);
  }
  const requests = (op: SoapShape) => groups.get(portType(op))!.requests;
  const pollers = (op: SoapShape) => groups.get(portType(op))!.pollers;

  return ops.map((op): PatternDecision => {
    const { input, output } = op.soap;
    const override = overrides[op.id];
    if (override) return { pattern: override, decidedBy: 'config', facts: [`accordo.config.yaml sets ${override}`], ...declaredRole(op, override, role, settings) };
    const replyTo = header(input, REPLY_TO);
    const correlationOut = header(output, CORRELATION_ID);
    const correlationIn = header(input, CORRELATION_ID);

    const addressing = addressingDeclaration(op, settings);
    if (role === 'provider' && output && addressing && !(replyTo && correlationOut) && context.callbackOperations?.has(`${op.soap.name}Response`)) {
      return {
        pattern: 'NONBLOCK_PUSH_SOAP',
        decidedBy: 'shape',
        facts: [
          `WS-Addressing 1.0 (${addressing}): wsa:ReplyTo carries the callback address, wsa:MessageID the correlation id`,
          `the callback WSDL has ${op.soap.name}Response: it receives the result, correlated by wsa:RelatesTo`,
        ],
        role: 'request',
      };
    }
    if (replyTo && correlationOut) {
      return {
        pattern: 'NONBLOCK_PUSH_SOAP',
        decidedBy: 'shape',
        facts: [
          `input soap:header ${playing(replyTo, REPLY_TO)} (${describe(replyTo)}): the callback URL`,
          `output soap:header ${playing(correlationOut, CORRELATION_ID)} (${describe(correlationOut)}): the ACK's correlation id`,
        ],
        role: 'request',
      };
    }
    if (role === 'callback') {
      // Every operation of the callback WSDL is where the consumer receives results; one without the header is a finding of the classify stage.
      const correlation = correlationIn
        ? `input soap:header ${playing(correlationIn, CORRELATION_ID)} (${describe(correlationIn)}): receives the provider's reply`
        : addressing
          ? `WS-Addressing 1.0 (${addressing}): wsa:RelatesTo carries the correlation id`
          : `no input soap:header ${CORRELATION_ID}: the consumer cannot correlate what it receives`;
      return { pattern: 'NONBLOCK_PUSH_SOAP', decidedBy: 'shape', facts: ['operation of the callback WSDL', correlation], role: 'callback' };
    }
    if (role === 'provider') {
      const polls = pollers(op).filter((o) => o !== op);
      if (correlationOut && !replyTo && polls.length > 0) {
        return {
          pattern: 'NONBLOCK_PULL_SOAP',
          decidedBy: 'shape',
          facts: [
            `output soap:header ${playing(correlationOut, CORRELATION_ID)} (${describe(correlationOut)}) and no ${REPLY_TO}: the request`,
            `operations ${polls.map((o) => o.id).join(', ')} of portType ${op.soap.portType.name} take ${CORRELATION_ID} in their input`,
          ],
          role: 'request',
        };
      }
      const reqs = requests(op).filter((o) => o !== op);
      if (correlationIn && reqs.length > 0) {
        return {
          pattern: 'NONBLOCK_PULL_SOAP',
          decidedBy: 'shape',
          facts: [
            `input soap:header ${playing(correlationIn, CORRELATION_ID)} (${describe(correlationIn)}): a status or result request`,
            `operation ${reqs.map((o) => o.id).join(', ')} of portType ${op.soap.portType.name} returns ${CORRELATION_ID} in its output`,
            // The guideline names no rule that tells the status request from the result request: the name does.
            STATUS_NAME.test(op.soap.name) ? `its name says "status": the status request` : 'its name does not say "status": the result request',
          ],
          role: STATUS_NAME.test(op.soap.name) ? 'status' : 'result',
          ...(reqs.length === 1 ? { correlatedWith: reqs[0].id } : {}),
        };
      }
    }
    if (!output) return { pattern: 'ONEWAY', decidedBy: 'shape', facts: ['one-way operation: input only, no output'] };
    const facts = ['request/response operation'];
    if (replyTo) facts.push(`input soap:header ${REPLY_TO} but no output soap:header ${CORRELATION_ID}: not a push request`);
    else if (correlationOut) facts.push(`output soap:header ${CORRELATION_ID} but no operation takes it in its input: not a pull request`);
    else if (correlationIn) facts.push(`input soap:header ${CORRELATION_ID} but no operation returns it: not a pull status/result request`);
    else facts.push(`no ${REPLY_TO} or ${CORRELATION_ID} soap:header`);
    return { pattern: 'BLOCK_SOAP', decidedBy: 'shape', facts };
  });
}

const STATUS_NAME = /status/i;

/** The role of an operation the user declared to follow `pattern`: what its own headers and name say. */
function declaredRole(op: SoapShape, pattern: Pattern, side: 'provider' | 'callback', settings: CarrierSettings): Pick<PatternDecision, 'role'> {
  if (pattern === 'NONBLOCK_PUSH_SOAP') return { role: side === 'callback' ? 'callback' : 'request' };
  if (pattern !== 'NONBLOCK_PULL_SOAP') return {};
  if (correlationHeader(op.soap.output, settings) && !correlationHeader(op.soap.input, settings)) return { role: 'request' };
  return { role: STATUS_NAME.test(op.soap.name) ? 'status' : 'result' };
}
