/**
 * The guideline's rules per interaction pattern (../../shared/docs/modi-patterns.md), checked
 * against the agreement model. MUST rules of the pattern texts are errors; the implementation
 * recommendations (RAC_*), a header declared but not marked required, and what the generated
 * code can supply a default for, are warnings.
 */
import { CLASSIFY_RULES, type ClassifiedAgreement, type PushInteraction } from '../classify/index.js';
import { INCOMPATIBLE, compareSchemas } from '../diff/schema.js';
import { CORRELATION_ID, REPLY_TO, namesCarrier, responseOf, soapHeader } from '../classify/carriers.js';
import { SINK_CREDENTIAL, undeclaredParts } from '../classify/callbacks.js';
import { pointerToken } from '../load/errors.js';
import { PATTERN_EXTENSION, isPattern, type Interface, type JsonSchema, type MediaContent, type Operation, type PatternRole, type Response, type SourceLocation } from '../model/agreement.js';
import { byPosition, type Finding, type RelatedLocation, type Severity } from '../model/finding.js';
import { Positions } from './positions.js';

export interface RuleInfo {
  /** The severity of a plain violation; some rules also report a milder variant as a warning. */
  severity: Severity;
  summary: string;
  /** Where the rule comes from; § are sections of shared/docs/modi-patterns.md. */
  source: string;
}

export const RULES = {
  ...CLASSIFY_RULES,
  'agreement/callback-compatible': {
    severity: 'error',
    summary: "the provider's declaration of a callback and the consumer's callback spec accept each other's messages (the result body one way, the ACK the other)",
    source: 'accordo: both specs describe one callback (NONBLOCK_PUSH_REST rules 3 and 7, §3)',
  },
  'agreement/callback-uncalled': {
    severity: 'warning',
    summary: 'every operation of the callback spec receives the results of a push request',
    source: 'accordo: the callback spec describes where push results arrive',
  },
  'pattern/unknown-extension': { severity: 'error', summary: `${PATTERN_EXTENSION} names no pattern`, source: 'accordo' },
  'pattern/format-mismatch': { severity: 'error', summary: 'a SOAP pattern on a REST operation, or a REST pattern on a SOAP one', source: 'accordo' },
  'block-rest/success-2xx': { severity: 'error', summary: 'a BLOCK_REST operation declares a 2xx response', source: 'BLOCK_REST rules 1 and 4 (§1)' },
  'block-rest/post': {
    severity: 'warning',
    summary: 'a BLOCK_REST procedure call uses POST (GET/HEAD reads are left alone)',
    source: 'BLOCK_REST rule 3 (§1)',
  },
  'push-rest/request-post': { severity: 'error', summary: 'the push request uses POST', source: 'NONBLOCK_PUSH_REST rule 4 (§3)' },
  'push-rest/reply-to-header': {
    severity: 'error',
    summary: `the push request declares the ${REPLY_TO} header parameter (required)`,
    source: 'NONBLOCK_PUSH_REST rules 2 and 4 (§3)',
  },
  'push-rest/accepted-202': { severity: 'error', summary: 'the push request declares 202 Accepted', source: 'NONBLOCK_PUSH_REST rule 5 (§3)' },
  'push-rest/correlation-id-202': {
    severity: 'error',
    summary: `the 202 declares the ${CORRELATION_ID} header (required)`,
    source: 'NONBLOCK_PUSH_REST rule 5 (§3)',
  },
  'push-rest/ack-body': { severity: 'warning', summary: 'the 202 declares its ACK body', source: 'NONBLOCK_PUSH_REST rules 1 and 5 (§3)' },
  'push-rest/callback-declared': {
    severity: 'error',
    summary: 'the push request declares its callback (OpenAPI callbacks)',
    source: 'NONBLOCK_PUSH_REST rule 3 (§3)',
  },
  'push-rest/callback-post': { severity: 'error', summary: 'the callback is a POST', source: 'NONBLOCK_PUSH_REST rule 6 (§3)' },
  'push-rest/callback-200': { severity: 'error', summary: 'the callback declares 200 OK', source: 'NONBLOCK_PUSH_REST rule 7 (§3)' },
  'push-rest/callback-correlation-id': {
    severity: 'error',
    summary: `the callback declares the ${CORRELATION_ID} header parameter (required), unless it carries the CorrelationID in a query parameter`,
    source: 'NONBLOCK_PUSH_REST rules 2 and 6 (§3)',
  },
  'push-rest/correlation-query': {
    severity: 'error',
    summary: "when the provider's declaration of the callback carries the CorrelationID in a query parameter, the consumer's callback spec declares that parameter",
    source: 'integration guide §5.3 (transaction by QUERY_STRING): both sides read the id where it travels',
  },
  'pull-rest/request-post': { severity: 'error', summary: 'the pull request uses POST', source: 'NONBLOCK_PULL_REST rule 3 (§5)' },
  'pull-rest/accepted-202': { severity: 'error', summary: 'the pull request declares 202 Accepted', source: 'NONBLOCK_PULL_REST rule 4 (§5)' },
  'pull-rest/location-202': { severity: 'error', summary: 'the 202 declares the Location header (required)', source: 'NONBLOCK_PULL_REST rule 4 (§5)' },
  'pull-rest/ack-body': { severity: 'warning', summary: 'the 202 declares its ACK body', source: 'NONBLOCK_PULL_REST rules 1 and 4 (§5)' },
  'pull-rest/status-operation': {
    severity: 'warning',
    summary: 'the pull request has a status operation in the spec',
    source: 'NONBLOCK_PULL_REST rules 1 and 5 (§5)',
  },
  'pull-rest/status-200': { severity: 'error', summary: 'the status operation declares 200 OK (still running)', source: 'NONBLOCK_PULL_REST rule 6 (§5)' },
  'pull-rest/status-303': { severity: 'error', summary: 'the status operation declares 303 See Other (done)', source: 'NONBLOCK_PULL_REST rule 6 (§5)' },
  'pull-rest/location-303': { severity: 'error', summary: 'the 303 declares the Location header (required)', source: 'NONBLOCK_PULL_REST rule 6 (§5)' },
  'pull-rest/result-operation': {
    severity: 'warning',
    summary: 'the pull group has a result operation in the spec',
    source: 'NONBLOCK_PULL_REST rules 1 and 7 (§5)',
  },
  'pull-rest/result-200': { severity: 'error', summary: 'the result operation declares 200 OK', source: 'NONBLOCK_PULL_REST rule 8 (§5)' },
  'oneway-rest/ack-status': {
    severity: 'error',
    summary: 'a fire-and-forget REST operation declares 202 (or 200) as its answer',
    source: 'OneWay: the provider answers at once (domain.md)',
  },
  'callback/expression-field': {
    severity: 'error',
    summary: "a callback's runtime expression reads a value the request declares (header, query or path parameter, body field)",
    source: 'OpenAPI 3 Runtime Expressions: the provider resolves the callback URL from the request',
  },
  'subscription/credential-scheme': {
    severity: 'error',
    summary: `a callback credential the request gives (${SINK_CREDENTIAL}) has a bearer security scheme on the callback to be presented by`,
    source: 'CAMARA Commonalities (sinkCredential ACCESSTOKEN, notificationsBearerAuth)',
  },
  'rest/problem-json': { severity: 'warning', summary: 'error responses are application/problem+json', source: 'RAC_REST_NAME_008 (§8)' },
  'rest/status-endpoint': {
    severity: 'warning',
    summary: 'a REST API exposes GET /status answering application/problem+json',
    source: 'RAC_REST_NAME_011 (§8)',
  },
  'push-soap/reply-to-header': {
    severity: 'error',
    summary: `the push request's input has the ${REPLY_TO} SOAP header`,
    source: 'NONBLOCK_PUSH_SOAP rules 1 and 3 (§4)',
  },
  'push-soap/correlation-id-header': {
    severity: 'error',
    summary: `the push request's output has the ${CORRELATION_ID} SOAP header`,
    source: 'NONBLOCK_PUSH_SOAP rules 4 and 5 (§4)',
  },
  'pull-soap/correlation-id-header': {
    severity: 'error',
    summary: `the pull request's output, and the status and result inputs, have the ${CORRELATION_ID} SOAP header`,
    source: 'NONBLOCK_PULL_SOAP rules 2, 3, 4 and 6 (§6)',
  },
  'rpc-soap/encoded-cycle': {
    severity: 'warning',
    summary: 'an rpc/encoded message has no type that contains itself (a peer may send such a value as a multi-ref graph with a cycle, which has no JSON form)',
    source: 'accordo: SOAP 1.1 section 5 multi-ref values; the runtime refuses cycles with a Client fault',
  },
  'push-soap/addressing-callback': {
    severity: 'warning',
    summary: 'a binding that asks for WS-Addressing, with a callback WSDL given, has a callback operation <op>Response for its request/response operations (else they are served blocking)',
    source: 'integration guide §5.5 (transaction by WS-Addressing headers)',
  },
  'pull-soap/three-operations': {
    severity: 'error',
    summary: 'a SOAP pull service has request, status and result operations',
    source: 'NONBLOCK_PULL_SOAP rule 1 (§6)',
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;

const sameMediaType = (a: string, b: string) => a.split(';')[0].trim().toLowerCase() === b.toLowerCase();
const sameHeader = (a: string, b: string) => namesCarrier(a, b, 'rest');
const isSuccess = (r: Response) => /^2\d\d$|^2XX$/.test(r.status);
const isError = (r: Response) => /^[45]\d\d$|^[45]XX$/.test(r.status);
const PROBLEM_JSON = 'application/problem+json';

export class Linter {
  private readonly findings: Finding[] = [];
  private readonly positions = new Positions();

  constructor(private readonly classified: ClassifiedAgreement) {}

  /** `sorted: false` leaves them in the rules' order, and their positions unread until asked for (see `generate`). */
  run(sorted = true): Finding[] {
    const { agreement, specRole } = this.classified;
    this.iface(agreement.provider, specRole);
    if (agreement.callback) {
      this.iface(agreement.callback, 'callback');
      this.crossSpec();
    }
    for (const { blocking: _, ...finding } of this.classified.findings) this.findings.push(finding);
    const seen = new Set<string>();
    const unique = this.findings.filter((f) => {
      const key = `${f.rule}\0${f.file}\0${f.pointer}\0${f.message}`;
      return !seen.has(key) && !!seen.add(key);
    });
    return sorted ? unique.sort(byPosition) : unique;
  }

  private report(rule: RuleId, at: SourceLocation, pointer: string, message: string, fix: string, severity: Severity = RULES[rule].severity, related?: RelatedLocation[]): void {
    // Read from the spec text on first use: a spec's text is parsed for positions only when a finding is shown or sorted.
    let position: { line: number; column: number } | undefined;
    const positions = this.positions;
    const lineAndColumn = () => (position ??= positions.at(at, pointer));
    this.findings.push({
      rule,
      severity,
      file: at.file,
      get line() {
        return lineAndColumn().line;
      },
      get column() {
        return lineAndColumn().column;
      },
      pointer,
      message,
      fix,
      ...(related ? { related } : {}),
    });
  }

  // --- across the two specs -----------------------------------------------------------------

  /**
   * The provider's spec and the consumer's callback spec describe the same callbacks: what the
   * provider's declaration sends must be accepted by the operation the consumer serves, and what
   * that operation answers must be accepted by the declaration's ACK. And every operation of the
   * callback spec receives something (once each push has its receiver: else callback-receiver says why).
   */
  private crossSpec(): void {
    const { interactions, receivers } = this.classified;
    const pushes = interactions.filter((i): i is PushInteraction => i.kind === 'push');
    for (const push of pushes) if (push.declared && push.receiver && push.receiver.op !== push.declared) this.callbackCompatible(push, push.declared, push.receiver.op);
    if (pushes.length === 0 || pushes.some((p) => !p.receiver)) return;
    for (const r of receivers) {
      if (r.pushes.length > 0) continue;
      this.report(
        'agreement/callback-uncalled',
        r.op.location,
        r.op.location.pointer,
        `no push request of ${this.classified.agreement.provider.source.file.split('/').pop()} sends its results to the callback operation ${r.op.id}: nothing calls it`,
        `remove ${r.op.id} from the callback spec, or give it the body (SOAP: the name <request>Response) of the push request whose results it receives`,
      );
    }
  }

  private callbackCompatible(push: PushInteraction, declared: Operation, served: Operation): void {
    const schemas = this.classified.agreement.schemas;
    const defs = (key: string) => schemas.get(key)?.schema;
    const json = (contents: MediaContent[] | undefined): JsonSchema | undefined => (contents?.find((c) => /json/i.test(c.mediaType)) ?? contents?.[0])?.schema;
    const refused = (sent: JsonSchema | undefined, accepted: JsonSchema | undefined) =>
      sent && accepted
        ? compareSchemas(sent, accepted, { old: defs, new: defs }, '')
            .filter((c) => INCOMPATIBLE.has(c.effect))
            .map((c) => `${c.path ? `${c.path.replace(/^\./, '')}: ` : ''}${c.message}`)
        : [];
    const name = `the callback ${push.callbackName} of ${push.request.id}`;
    const where = (op: Operation, suffix: string, note: string): RelatedLocation => ({ file: op.location.file, ...this.positions.at(op.location, op.location.pointer + suffix), note });
    const list = (reasons: string[]) => reasons.slice(0, 3).join('; ') + (reasons.length > 3 ? `; and ${reasons.length - 3} more` : '');

    const body = refused(json(declared.requestBody?.contents), json(served.requestBody?.contents));
    if (body.length) {
      this.report(
        'agreement/callback-compatible',
        served.location,
        `${served.location.pointer}/requestBody`,
        `the result body the provider's spec declares for ${name} does not fit the callback operation ${served.id} the consumer serves: ${list(body)}`,
        `give both specs the same result schema (the provider's declaration of the callback and ${served.id}'s requestBody)`,
        undefined,
        [where(declared, '/requestBody', `the provider's declaration of ${name}`)],
      );
    }
    const ack = (op: Operation) => json(op.responses.find((r: Response) => r.status === '200')?.contents);
    const answer = refused(ack(served), ack(declared));
    if (answer.length) {
      this.report(
        'agreement/callback-compatible',
        served.location,
        `${served.location.pointer}/responses/200`,
        `the ACK the callback operation ${served.id} answers does not fit the 200 response the provider's spec declares for ${name}: ${list(answer)}`,
        `give both specs the same ACK schema (the 200 responses of ${served.id} and of the provider's declaration of the callback)`,
        undefined,
        [where(declared, '/responses/200', `the provider's declaration of ${name}`)],
      );
    }
  }

  private iface(iface: Interface, side: 'provider' | 'callback'): void {
    const rest = iface.source.format === 'openapi';
    const visit = (op: Operation, declaredBy?: Operation) => {
      this.operation(iface, side, op, declaredBy);
      for (const cb of op.callbacks) for (const cbOp of cb.operations) visit(cbOp, op);
    };
    iface.operations.forEach((op) => visit(op));
    if (rest && side === 'provider' && iface.operations.length > 0) this.statusEndpoint(iface);
    if (rest) this.pullGroups(iface);
    else this.soapInterface(iface, side);
  }

  private operation(iface: Interface, side: 'provider' | 'callback', op: Operation, declaredBy?: Operation): void {
    const rest = iface.source.format === 'openapi';
    const at = op.location;
    const ext = op.extensions[PATTERN_EXTENSION];
    if (ext !== undefined && !isPattern(ext)) {
      this.report(
        'pattern/unknown-extension',
        at,
        `${at.pointer}/${PATTERN_EXTENSION}`,
        `${PATTERN_EXTENSION}: ${JSON.stringify(ext)} on ${op.id} is not a pattern name, so the pattern is detected from the spec's shape`,
        `use one of ${rest ? 'BLOCK_REST, NONBLOCK_PUSH_REST, NONBLOCK_PULL_REST, ONEWAY' : 'BLOCK_SOAP, NONBLOCK_PUSH_SOAP, NONBLOCK_PULL_SOAP, ONEWAY'}`,
      );
    }
    const { pattern, role } = op.pattern;
    if (pattern !== 'ONEWAY' && pattern.endsWith('_SOAP') === rest) {
      const by = op.pattern.decidedBy === 'config' ? 'accordo.config.yaml' : PATTERN_EXTENSION;
      this.report(
        'pattern/format-mismatch',
        at,
        op.pattern.decidedBy === 'extension' ? `${at.pointer}/${PATTERN_EXTENSION}` : at.pointer,
        `${by} declares ${op.id} as ${pattern}, but it is ${rest ? 'a REST operation (OpenAPI)' : 'a SOAP operation (WSDL)'}`,
        `declare a ${rest ? 'REST' : 'SOAP'} pattern (${rest ? pattern.replace('_SOAP', '_REST') : pattern.replace('_REST', '_SOAP')})`,
      );
      return;
    }
    if (rest) {
      this.problemJson(op);
      this.callbackExpressions(op);
      if (pattern === 'SUBSCRIPTION_REST' && role === 'request') this.subscriptionCredentials(op);
      if (pattern === 'BLOCK_REST') this.blockRest(op);
      else if (pattern === 'ONEWAY') this.oneWayRest(op);
      else if (pattern === 'NONBLOCK_PUSH_REST') {
        if (role === 'callback') this.pushCallback(op, !declaredBy ? 'spec' : this.classified.agreement.callback ? undefined : 'declaration');
        else this.pushRequest(op, side);
      } else if (pattern === 'NONBLOCK_PULL_REST') this.pullOperation(op, role);
    } else if (op.soap) {
      // The callback operations' CorrelationID header is checked by the classify stage, which needs it.
      if (op.soap.input.encoding || op.soap.output?.encoding) this.encodedCycles(op);
      if (pattern === 'NONBLOCK_PUSH_SOAP' && role !== 'callback') this.pushSoap(op);
      else if (pattern === 'NONBLOCK_PULL_SOAP') this.pullSoap(op, role);
    }
  }

  // --- REST ---------------------------------------------------------------------------------

  private responsePointer(op: Operation, status: string): string {
    return `${op.location.pointer}/responses/${pointerToken(status)}`;
  }

  private headerParameter(op: Operation, rule: RuleId, name: string, what: string, missing: Severity = RULES[rule].severity): void {
    const param = op.parameters.find((p) => p.in === 'header' && sameHeader(p.name, name));
    if (!param) {
      this.report(
        rule,
        op.location,
        `${op.location.pointer}/parameters`,
        `${op.id} declares no ${name} header parameter: ${what}`,
        `add a header parameter "${name}" (required: true, type string) to ${op.id}`,
        missing,
      );
    } else if (!param.required) {
      const pointer = this.positions.parameterPointer(op.location.file, op.location.pointer, name) ?? `${op.location.pointer}/parameters`;
      this.report(rule, op.location, pointer, `${op.id} declares the ${name} header parameter but not as required: ${what}`, `add "required: true" to the ${name} parameter`, 'warning');
    }
  }

  private responseHeader(op: Operation, rule: RuleId, status: string, name: string, what: string): void {
    const response = responseOf(op, status);
    if (!response) return;
    const header = response.headers.find((h) => sameHeader(h.name, name));
    const pointer = this.responsePointer(op, status);
    if (!header) {
      this.report(rule, op.location, pointer, `the ${status} response of ${op.id} declares no ${name} header: ${what}`, `add "${name}" (required: true) to the headers of the ${status} response`);
    } else if (!header.required) {
      this.report(
        rule,
        op.location,
        `${pointer}/headers/${pointerToken(header.name)}`,
        `the ${status} response of ${op.id} declares the ${name} header but not as required: ${what}`,
        `add "required: true" to the ${name} header`,
        'warning',
      );
    }
  }

  private needsResponse(op: Operation, rule: RuleId, status: string, what: string): boolean {
    if (responseOf(op, status)) return true;
    this.report(rule, op.location, `${op.location.pointer}/responses`, `${op.id} declares no ${status} response: ${what}`, `add a ${status} response to ${op.id}`);
    return false;
  }

  private needsPost(op: Operation, rule: RuleId, what: string): void {
    if (op.method !== 'post') this.report(rule, op.location, op.location.pointer, `${op.id} uses ${op.method.toUpperCase()}: ${what}`, `make ${op.id} a POST operation`);
  }

  private ackBody(op: Operation, rule: RuleId): void {
    const accepted = responseOf(op, '202');
    if (accepted && !accepted.contents.some((c) => c.schema)) {
      this.report(
        rule,
        op.location,
        this.responsePointer(op, '202'),
        `the 202 response of ${op.id} declares no body: the guideline returns an acknowledgement (ACK) with it`,
        'add content (e.g. application/json) with the ACK schema to the 202 response',
      );
    }
  }

  private blockRest(op: Operation): void {
    if (!op.responses.some(isSuccess)) {
      this.report(
        'block-rest/success-2xx',
        op.location,
        `${op.location.pointer}/responses`,
        `${op.id} declares no 2xx response: a blocking call answers 2xx with the result`,
        `add a 200 response with the result schema to ${op.id}`,
      );
    }
    if (!['post', 'get', 'head'].includes(op.method)) {
      this.report(
        'block-rest/post',
        op.location,
        op.location.pointer,
        `${op.id} uses ${op.method.toUpperCase()}: the guideline calls a procedure with POST on a URL naming the ids and the method`,
        `make ${op.id} a POST, or declare its pattern with ${PATTERN_EXTENSION} if it is not a procedure call`,
      );
    }
  }

  private oneWayRest(op: Operation): void {
    if (!responseOf(op, '202') && !responseOf(op, '200')) {
      this.report(
        'oneway-rest/ack-status',
        op.location,
        `${op.location.pointer}/responses`,
        `${op.id} is fire-and-forget (ONEWAY) but declares neither 202 nor 200: the provider answers at once, before handling`,
        `add a 202 response (no body) to ${op.id}`,
      );
    }
  }

  /** Each value a callback's URL expression reads is one the request declares: else the provider has nothing to resolve it from. */
  private callbackExpressions(op: Operation): void {
    for (const cb of op.callbacks) {
      for (const { why } of undeclaredParts(op, cb.expression, this.classified.agreement)) {
        const at = cb.location ?? op.location;
        this.report(
          'callback/expression-field',
          at,
          at.pointer,
          `the URL of callback "${cb.name}" is ${cb.expression.raw}, but ${why}: the provider cannot resolve it from the request`,
          `declare it in the request of ${op.id}, or correct the expression`,
        );
      }
    }
  }

  /** A credential the request gives for a callback is presented by the callback's bearer scheme: without one it would not be sent. */
  private subscriptionCredentials(op: Operation): void {
    const interaction = this.classified.interactionOf(op);
    if (interaction?.kind !== 'subscription') return;
    for (const cb of interaction.callbacks) {
      if (!cb.credential || cb.credential.scheme) continue;
      this.report(
        'subscription/credential-scheme',
        cb.op.location,
        cb.op.location.pointer,
        `${op.id}'s request gives a credential for callback "${cb.name}" (${SINK_CREDENTIAL}), but ${cb.op.id} declares no bearer security scheme: the provider has no place to present it`,
        `add security: [{notificationsBearerAuth: []}] to ${cb.op.id}, with an http bearer scheme of that name under components.securitySchemes`,
      );
    }
  }

  private pushRequest(op: Operation, side: 'provider' | 'callback'): void {
    this.needsPost(op, 'push-rest/request-post', 'the push request is a POST');
    // A callback URL in a query parameter is the integration guide's QUERY_STRING carrier (classify decided it).
    const push = this.classified.interactionOf(op);
    if (push?.kind !== 'push' || push.replyTo.in !== 'query') this.headerParameter(op, 'push-rest/reply-to-header', REPLY_TO, 'the consumer sends its callback URL in it');
    if (this.needsResponse(op, 'push-rest/accepted-202', '202', 'the provider acknowledges a push request with 202 Accepted')) {
      this.responseHeader(op, 'push-rest/correlation-id-202', '202', CORRELATION_ID, 'the provider returns the CorrelationID in it');
      this.ackBody(op, 'push-rest/ack-body');
    }
    if (side === 'provider' && op.callbacks.length === 0) {
      this.report(
        'push-rest/callback-declared',
        op.location,
        op.location.pointer,
        `${op.id} declares no callbacks: the provider's spec declares the callback the consumer exposes`,
        `add callbacks: {<name>: {'{$request.header#/${REPLY_TO}}': {post: ...}}} to ${op.id}`,
      );
    }
  }

  /**
   * `headers`: where the callback's headers are judged. On the callback spec (`spec`: what the
   * consumer serves) a missing X-Correlation-ID is an error. On the provider's declaration of
   * the callback, when no callback spec is given, only a warning: the guideline's own example
   * declares the callback's body there and its headers in the callback spec. With a callback
   * spec, the declaration's headers are not judged.
   */
  private pushCallback(op: Operation, headers: 'spec' | 'declaration' | undefined): void {
    this.needsPost(op, 'push-rest/callback-post', 'the provider POSTs the result to the callback URL');
    this.needsResponse(op, 'push-rest/callback-200', '200', 'the consumer acknowledges the result with 200 OK');
    if (!headers) return;
    // The CorrelationID in a query parameter (classify's carrier for the callback): the spec's operation must declare it.
    const carrier = this.classified.receivers.find((r) => r.op === op)?.correlation;
    if (carrier?.in === 'query') {
      if (op.parameters.some((p) => p.in === 'query' && p.name === carrier.name)) return;
      this.report(
        'push-rest/correlation-query',
        op.location,
        `${op.location.pointer}/parameters`,
        `${op.id} declares no query parameter ${carrier.name}: the provider's declaration of the callback sends the CorrelationID in it`,
        `add a query parameter "${carrier.name}" (required: true, type string) to ${op.id}`,
      );
      return;
    }
    const what = 'the provider sends the CorrelationID of the 202 in it';
    this.headerParameter(op, 'push-rest/callback-correlation-id', CORRELATION_ID, what, headers === 'spec' ? 'error' : 'warning');
  }

  private pullOperation(op: Operation, role: PatternRole | undefined): void {
    if (role === 'status') {
      this.needsResponse(op, 'pull-rest/status-200', '200', 'the status check answers 200 OK while the task runs');
      if (this.needsResponse(op, 'pull-rest/status-303', '303', 'the status check answers 303 See Other once the result is ready')) {
        this.responseHeader(op, 'pull-rest/location-303', '303', 'Location', 'it carries the URL of the result');
      }
    } else if (role === 'result') {
      this.needsResponse(op, 'pull-rest/result-200', '200', 'the result is returned with 200 OK');
    } else {
      this.needsPost(op, 'pull-rest/request-post', 'the pull request is a POST');
      if (this.needsResponse(op, 'pull-rest/accepted-202', '202', 'the provider acknowledges a pull request with 202 Accepted')) {
        this.responseHeader(op, 'pull-rest/location-202', '202', 'Location', 'it carries the URL of the status check');
        this.ackBody(op, 'pull-rest/ack-body');
      }
    }
  }

  private pullGroups(iface: Interface): void {
    const pull = iface.operations.filter((op) => op.pattern.pattern === 'NONBLOCK_PULL_REST');
    const role = (r: PatternRole, of: string) => pull.find((op) => op.pattern.role === r && op.pattern.correlatedWith === of);
    for (const request of pull.filter((op) => op.pattern.role === 'request')) {
      const status = role('status', request.id);
      if (!status) {
        this.report(
          'pull-rest/status-operation',
          request.location,
          request.location.pointer,
          `no status-check operation is declared for ${request.id}: the generated code serves its default status path`,
          `declare GET <request path>/{id_task} with 200 and 303 + Location responses`,
        );
      } else if (!role('result', request.id)) {
        this.report(
          'pull-rest/result-operation',
          status.location,
          status.location.pointer,
          `no result operation is declared for ${request.id}: the generated code serves its default result path`,
          `declare GET <status path>/result with a 200 response`,
        );
      }
    }
    for (const status of pull.filter((op) => op.pattern.role === 'status' && !op.pattern.correlatedWith && !role('result', op.id))) {
      this.report(
        'pull-rest/result-operation',
        status.location,
        status.location.pointer,
        `no result operation is declared for the status check ${status.id}: the generated code serves its default result path`,
        `declare GET <status path>/result with a 200 response`,
      );
    }
  }

  private problemJson(op: Operation): void {
    // `default` is an error response only when a 2xx is declared beside it.
    const errors = op.responses.filter((r) => isError(r) || (r.status === 'default' && op.responses.some(isSuccess)));
    const wrong = errors.filter((r) => r.contents.length > 0 && !r.contents.some((c) => sameMediaType(c.mediaType, PROBLEM_JSON)));
    if (wrong.length === 0) return;
    const types = [...new Set(wrong.flatMap((r) => r.contents.map((c) => c.mediaType)))].join(', ');
    this.report(
      'rest/problem-json',
      op.location,
      this.responsePointer(op, wrong[0].status),
      `the error response${wrong.length > 1 ? 's' : ''} ${wrong.map((r) => r.status).join(', ')} of ${op.id} ${wrong.length > 1 ? 'are' : 'is'} declared as ${types}, not ${PROBLEM_JSON}`,
      `declare the error bodies as ${PROBLEM_JSON} (RFC 7807 Problem)`,
    );
  }

  private statusEndpoint(iface: Interface): void {
    const status = iface.operations.find((op) => op.method === 'get' && op.path.replace(/\/+$/, '') === '/status');
    if (!status) {
      const start: SourceLocation = { file: iface.source.file, pointer: '', line: 1, column: 1 };
      this.report(
        'rest/status-endpoint',
        start,
        '/paths',
        `${iface.title || 'the API'} exposes no GET /status`,
        // The guideline's own snippet (RAC_REST_NAME_011), in YAML flow style: users have no copy of it.
        `add GET /status answering 200 with ${PROBLEM_JSON}, under paths: /status: { get: { responses: { '200': { description: the service works, content: { ${PROBLEM_JSON}: { schema: { $ref: '#/components/schemas/Problem' } } } } } } } (Problem: the RFC 7807 object)`,
      );
      return;
    }
    const ok = responseOf(status, '200');
    if (!ok?.contents.some((c) => sameMediaType(c.mediaType, PROBLEM_JSON))) {
      this.report(
        'rest/status-endpoint',
        status.location,
        ok ? this.responsePointer(status, '200') : `${status.location.pointer}/responses`,
        `GET /status (${status.id}) does not answer 200 with ${PROBLEM_JSON}`,
        `declare a 200 response with content ${PROBLEM_JSON}`,
      );
    }
  }

  // --- SOAP ---------------------------------------------------------------------------------

  private soapHeaderRule(op: Operation, rule: RuleId, direction: 'input' | 'output', name: string, what: string): void {
    if (soapHeader(op.soap?.[direction], name)) return;
    this.report(
      rule,
      op.location,
      op.location.pointer,
      `the ${direction} of ${op.id} has no ${name} SOAP header: ${what}`,
      `add a soap:header part with element ${name} to the ${direction} of ${op.id} in the binding`,
    );
  }

  /** The named types an rpc/encoded operation's messages reach that reach themselves (soap/encoded-cycle). */
  private encodedCycles(op: Operation): void {
    const schemas = this.classified.agreement.schemas;
    const refsOf = (schema: unknown, into: Set<string>): Set<string> => {
      if (Array.isArray(schema)) for (const s of schema) refsOf(s, into);
      else if (schema && typeof schema === 'object') {
        for (const [k, v] of Object.entries(schema)) {
          if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) into.add(v.slice('#/$defs/'.length));
          else refsOf(v, into);
        }
      }
      return into;
    };
    const roots = refsOf([op.requestBody?.contents.map((c) => c.schema), op.responses.map((r) => r.contents.map((c) => c.schema))], new Set());
    const reaches = (from: string, target: string, seen: Set<string>): boolean =>
      [...refsOf(schemas.get(from)?.schema, new Set())].some((k) => k === target || (!seen.has(k) && (seen.add(k), reaches(k, target, seen))));
    const reached = new Set<string>();
    for (const r of roots) {
      reached.add(r);
      reaches(r, '', reached);
    }
    for (const key of [...reached].sort()) {
      if (!reaches(key, key, new Set())) continue;
      const named = schemas.get(key);
      this.report(
        'rpc-soap/encoded-cycle',
        op.location,
        op.location.pointer,
        `${op.id} is rpc/encoded and its type ${named?.specName ?? key} contains itself: a peer may send such a value as a multi-ref graph with a cycle, which has no JSON form (the runtime answers a Client fault)`,
        `make sure the peers send ${named?.specName ?? key} values as trees (no value referenced from inside itself), or bind ${op.id} document/literal`,
      );
    }
  }

  private pushSoap(op: Operation): void {
    // Classify found both carriers (a declared header element, or WS-Addressing): nothing is missing.
    if (this.classified.interactionOf(op)?.kind === 'push') return;
    this.soapHeaderRule(op, 'push-soap/reply-to-header', 'input', REPLY_TO, 'the consumer sends its callback endpoint in it');
    this.soapHeaderRule(op, 'push-soap/correlation-id-header', 'output', CORRELATION_ID, 'the provider returns the CorrelationID with the ACK');
  }

  private pullSoap(op: Operation, role: PatternRole | undefined): void {
    // Classify built the group from its CorrelationID parts (a declared element of another name included): nothing is missing.
    if (this.classified.interactionOf(op)?.kind === 'pull') return;
    const inferred = role ?? (soapHeader(op.soap?.output, CORRELATION_ID) ? 'request' : soapHeader(op.soap?.input, CORRELATION_ID) ? 'status' : undefined);
    if (inferred === 'request') this.soapHeaderRule(op, 'pull-soap/correlation-id-header', 'output', CORRELATION_ID, 'the provider returns the CorrelationID with the ACK');
    else if (inferred) this.soapHeaderRule(op, 'pull-soap/correlation-id-header', 'input', CORRELATION_ID, 'the consumer asks for the status or result of a request by its CorrelationID');
    else {
      this.report(
        'pull-soap/correlation-id-header',
        op.location,
        op.location.pointer,
        `${op.id} has no ${CORRELATION_ID} SOAP header: a pull request returns it in its output, status and result requests take it in their input`,
        `add a soap:header part with element ${CORRELATION_ID} to the output (request) or input (status, result) of ${op.id}`,
      );
    }
  }

  private soapInterface(iface: Interface, side: 'provider' | 'callback'): void {
    if (side !== 'provider') return;
    this.addressingCallbacks(iface);
    const ops = iface.operations.filter((op) => op.soap);
    const pull = ops.filter((op) => op.pattern.pattern === 'NONBLOCK_PULL_SOAP');
    if (pull.length === 0) return;
    const requests = pull.filter((op) => (op.pattern.role ? op.pattern.role === 'request' : soapHeader(op.soap?.output, CORRELATION_ID)));
    const polls = pull.filter((op) => !requests.includes(op));
    if (requests.length === 0 || polls.length < 2) {
      this.report(
        'pull-soap/three-operations',
        pull[0].location,
        pull[0].location.pointer,
        `the SOAP pull service has ${requests.length} request and ${polls.length} status/result operations: it needs a request, a status and a result operation`,
        'declare three operations: the request (returns X-Correlation-ID), the status check and the result fetch (both take X-Correlation-ID)',
      );
    }
  }

  /**
   * A WS-Addressing binding with a callback WSDL: its request/response operations are pushes when
   * the callback WSDL has `<op>Response`. The ones that have none are served blocking; said once
   * per binding, naming them.
   */
  private addressingCallbacks(iface: Interface): void {
    if (!this.classified.agreement.callback) return;
    const blocking = iface.operations.filter((op) => op.soap?.addressing && op.soap.output && op.pattern.decidedBy !== 'config' && this.classified.interactionOf(op)?.kind === 'blocking');
    for (const binding of new Set(blocking.map((op) => op.soap!.binding.name))) {
      const ops = blocking.filter((op) => op.soap!.binding.name === binding);
      const first = ops[0];
      const names = ops.map((op) => op.soap!.name);
      this.report(
        'push-soap/addressing-callback',
        { ...first.location, line: first.soap!.addressing!.line },
        first.location.pointer.replace(/\/operation\[[^\]]*\]$/, ''),
        `binding ${binding} asks for WS-Addressing (${first.soap!.addressing!.declaredBy}) and a callback WSDL is given, but it has no ${names.map((n) => `${n}Response`).join(', ')}: ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} served as blocking request/response, wsa:ReplyTo not used for a callback`,
        `add ${names.map((n) => `${n}Response`).join(', ')} to the callback WSDL, or declare the pattern in accordo.config.yaml (patterns: {${names[0]}: BLOCK_SOAP}) to say blocking is meant`,
      );
    }
  }
}
