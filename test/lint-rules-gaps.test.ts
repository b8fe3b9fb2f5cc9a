// The lint rules' exact findings (rule, severity, file:line, JSON pointer, message, fix), written out
// by hand here and checked against the fixture specs, not computed from src/lint/rules.ts: every
// fail/warn fixture of test/fixtures/lint, and test/fixtures/lint-gaps/, whose specs take the
// branches no other lint test reaches (rpc/encoded cycles, WS-Addressing bindings without their
// callbacks, lone pull status checks, plural problem+json, several schema mismatches of a callback)
// and the SOAP rules on models. Its own file for `npm run mutate -- lint` (scripts/mutate.ts).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintAgreement, type Finding } from '../src/lint/index.js';
import { classify, loadClassified, type ClassifyOptions } from '../src/classify/index.js';
import type { Interface, Operation, Pattern, PatternDecision } from '../src/model/agreement.js';
import { wsdlInterface, wsdlOperation } from './support/agreement.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const gaps = join(fixtures, 'lint-gaps');

type Row = [rule: string, severity: string, file: string, line: number, pointer: string, message: string, fix: string];
const row = (f: Finding): Row => [f.rule, f.severity, relative(fixtures, f.file), f.line, f.pointer, f.message, f.fix];
async function lint(spec: string, callback?: string, options: ClassifyOptions = {}): Promise<Row[]> {
  return lintAgreement(await loadClassified({ spec, callback, ...options })).map(row);
}

// Findings of classify's own rules (src/classify) are left out of the first table: they are not the lint rules' code.
const CLASSIFY = /^(agreement\/callback-(receiver|unused)|agreement\/webhook|security\/)/;

/** Each fail/warn fixture of test/fixtures/lint (with its .callback.yaml when it has one): its findings, exactly. */
const FIXTURES: Record<string, Row[]> = {
  'lint/agreement/callback-compatible/fail-pair.yaml': [
    [
      'agreement/callback-compatible',
      'error',
      'lint/agreement/callback-compatible/fail-pair.callback.yaml',
      24,
      '/paths/~1MResponse/post/requestBody',
      "the result body the provider's spec declares for the callback completionCallback of PushMessage does not fit the callback operation PushResponseMessage the consumer serves: c: renamed to d",
      "give both specs the same result schema (the provider's declaration of the callback and PushResponseMessage's requestBody)",
    ],
  ],
  'lint/agreement/callback-uncalled/fail-pair.yaml': [
    [
      'agreement/callback-uncalled',
      'warning',
      'lint/agreement/callback-uncalled/fail-pair.callback.yaml',
      57,
      '/paths/~1Other/post',
      'no push request of fail-pair.yaml sends its results to the callback operation OtherMessage: nothing calls it',
      'remove OtherMessage from the callback spec, or give it the body (SOAP: the name <request>Response) of the push request whose results it receives',
    ],
  ],
  'lint/block-rest/post/fail.yaml': [
    [
      'block-rest/post',
      'warning',
      'lint/block-rest/post/fail.yaml',
      16,
      '/paths/~1resources~1{id_resource}~1M/put',
      'M uses PUT: the guideline calls a procedure with POST on a URL naming the ids and the method',
      'make M a POST, or declare its pattern with x-modi-pattern if it is not a procedure call',
    ],
  ],
  'lint/block-rest/success-2xx/fail.yaml': [
    [
      'block-rest/success-2xx',
      'error',
      'lint/block-rest/success-2xx/fail.yaml',
      31,
      '/paths/~1resources~1{id_resource}~1M/post/responses',
      'M declares no 2xx response: a blocking call answers 2xx with the result',
      'add a 200 response with the result schema to M',
    ],
  ],
  'lint/callback/expression-field/fail-query.yaml': [
    [
      'callback/expression-field',
      'error',
      'lint/callback/expression-field/fail-query.yaml',
      19,
      '/paths/~1sessions/post/callbacks/notifications/{$request.query.cb}~1events',
      'the URL of callback "notifications" is {$request.query.cb}/events, but createSession declares no query parameter cb: the provider cannot resolve it from the request',
      'declare it in the request of createSession, or correct the expression',
    ],
  ],
  'lint/callback/expression-field/fail.yaml': [
    [
      'callback/expression-field',
      'error',
      'lint/callback/expression-field/fail.yaml',
      19,
      '/paths/~1sessions/post/callbacks/notifications/{$request.body#~1callbackUrl}',
      'the URL of callback "notifications" is {$request.body#/callbackUrl}, but the request body schema of createSession has no field /callbackUrl: the provider cannot resolve it from the request',
      'declare it in the request of createSession, or correct the expression',
    ],
  ],
  'lint/oneway-rest/ack-status/fail.yaml': [
    [
      'oneway-rest/ack-status',
      'error',
      'lint/oneway-rest/ack-status/fail.yaml',
      33,
      '/paths/~1resources~1{id_resource}~1M/post/responses',
      'M is fire-and-forget (ONEWAY) but declares neither 202 nor 200: the provider answers at once, before handling',
      'add a 202 response (no body) to M',
    ],
  ],
  'lint/pattern/format-mismatch/fail.yaml': [
    [
      'pattern/format-mismatch',
      'error',
      'lint/pattern/format-mismatch/fail.yaml',
      19,
      '/paths/~1resources~1{id_resource}~1M/post/x-modi-pattern',
      'x-modi-pattern declares M as BLOCK_SOAP, but it is a REST operation (OpenAPI)',
      'declare a REST pattern (BLOCK_REST)',
    ],
  ],
  'lint/pattern/unknown-extension/fail.yaml': [
    [
      'pattern/unknown-extension',
      'error',
      'lint/pattern/unknown-extension/fail.yaml',
      19,
      '/paths/~1resources~1{id_resource}~1M/post/x-modi-pattern',
      'x-modi-pattern: "BLOCKING" on M is not a pattern name, so the pattern is detected from the spec\'s shape',
      'use one of BLOCK_REST, NONBLOCK_PUSH_REST, NONBLOCK_PULL_REST, ONEWAY',
    ],
  ],
  'lint/pull-rest/accepted-202/fail.yaml': [
    [
      'pull-rest/accepted-202',
      'error',
      'lint/pull-rest/accepted-202/fail.yaml',
      26,
      '/paths/~1tasks~1queue/post/responses',
      'PushMessage declares no 202 response: the provider acknowledges a pull request with 202 Accepted',
      'add a 202 response to PushMessage',
    ],
  ],
  'lint/pull-rest/ack-body/fail.yaml': [
    [
      'pull-rest/ack-body',
      'warning',
      'lint/pull-rest/ack-body/fail.yaml',
      25,
      '/paths/~1tasks~1queue/post/responses/202',
      'the 202 response of PushMessage declares no body: the guideline returns an acknowledgement (ACK) with it',
      'add content (e.g. application/json) with the ACK schema to the 202 response',
    ],
  ],
  'lint/pull-rest/location-202/fail.yaml': [
    [
      'pull-rest/location-202',
      'error',
      'lint/pull-rest/location-202/fail.yaml',
      27,
      '/paths/~1tasks~1queue/post/responses/202',
      'the 202 response of PushMessage declares no Location header: it carries the URL of the status check',
      'add "Location" (required: true) to the headers of the 202 response',
    ],
  ],
  'lint/pull-rest/location-202/warn-optional.yaml': [
    [
      'pull-rest/location-202',
      'warning',
      'lint/pull-rest/location-202/warn-optional.yaml',
      30,
      '/paths/~1tasks~1queue/post/responses/202/headers/Location',
      'the 202 response of PushMessage declares the Location header but not as required: it carries the URL of the status check',
      'add "required: true" to the Location header',
    ],
  ],
  'lint/pull-rest/location-303/fail.yaml': [
    [
      'pull-rest/location-303',
      'error',
      'lint/pull-rest/location-303/fail.yaml',
      57,
      '/paths/~1tasks~1queue~1{id_task}~1/get/responses/303',
      'the 303 response of CheckStatus declares no Location header: it carries the URL of the result',
      'add "Location" (required: true) to the headers of the 303 response',
    ],
  ],
  'lint/pull-rest/location-303/warn-optional.yaml': [
    [
      'pull-rest/location-303',
      'warning',
      'lint/pull-rest/location-303/warn-optional.yaml',
      64,
      '/paths/~1tasks~1queue~1{id_task}~1/get/responses/303/headers/Location',
      'the 303 response of CheckStatus declares the Location header but not as required: it carries the URL of the result',
      'add "required: true" to the Location header',
    ],
  ],
  'lint/pull-rest/request-post/fail.yaml': [
    [
      'pull-rest/request-post',
      'error',
      'lint/pull-rest/request-post/fail.yaml',
      16,
      '/paths/~1tasks~1queue/put',
      'PushMessage uses PUT: the pull request is a POST',
      'make PushMessage a POST operation',
    ],
  ],
  'lint/pull-rest/result-200/fail.yaml': [
    [
      'pull-rest/result-200',
      'error',
      'lint/pull-rest/result-200/fail.yaml',
      82,
      '/paths/~1tasks~1result~1{id_task}~1/get/responses',
      'RetriveResource declares no 200 response: the result is returned with 200 OK',
      'add a 200 response to RetriveResource',
    ],
  ],
  'lint/pull-rest/result-operation/fail-2019.yaml': [
    [
      'pull-rest/result-operation',
      'warning',
      'lint/pull-rest/result-operation/fail-2019.yaml',
      53,
      '/paths/~1resources~1{id_resource}~1M~1{id_task}/get',
      'no result operation is declared for PushMessage: the generated code serves its default result path',
      'declare GET <status path>/result with a 200 response',
    ],
  ],
  'lint/pull-rest/result-operation/fail.yaml': [
    [
      'pull-rest/result-operation',
      'warning',
      'lint/pull-rest/result-operation/fail.yaml',
      44,
      '/paths/~1tasks~1queue~1{id_task}~1/get',
      'no result operation is declared for PushMessage: the generated code serves its default result path',
      'declare GET <status path>/result with a 200 response',
    ],
  ],
  'lint/pull-rest/status-200/fail.yaml': [
    [
      'pull-rest/status-200',
      'error',
      'lint/pull-rest/status-200/fail.yaml',
      49,
      '/paths/~1tasks~1queue~1{id_task}~1/get/responses',
      'CheckStatus declares no 200 response: the status check answers 200 OK while the task runs',
      'add a 200 response to CheckStatus',
    ],
  ],
  'lint/pull-rest/status-303/fail.yaml': [
    [
      'pull-rest/status-303',
      'error',
      'lint/pull-rest/status-303/fail.yaml',
      51,
      '/paths/~1tasks~1queue~1{id_task}~1/get/responses',
      'CheckStatus declares no 303 response: the status check answers 303 See Other once the result is ready',
      'add a 303 response to CheckStatus',
    ],
  ],
  'lint/pull-rest/status-operation/fail.yaml': [
    [
      'pull-rest/status-operation',
      'warning',
      'lint/pull-rest/status-operation/fail.yaml',
      16,
      '/paths/~1tasks~1queue/post',
      'no status-check operation is declared for PushMessage: the generated code serves its default status path',
      'declare GET <request path>/{id_task} with 200 and 303 + Location responses',
    ],
  ],
  'lint/push-rest/accepted-202/fail.yaml': [
    [
      'push-rest/accepted-202',
      'error',
      'lint/push-rest/accepted-202/fail.yaml',
      37,
      '/paths/~1resources~1{id_resource}~1M/post/responses',
      'PushMessage declares no 202 response: the provider acknowledges a push request with 202 Accepted',
      'add a 202 response to PushMessage',
    ],
  ],
  'lint/push-rest/ack-body/fail.yaml': [
    [
      'push-rest/ack-body',
      'warning',
      'lint/push-rest/ack-body/fail.yaml',
      38,
      '/paths/~1resources~1{id_resource}~1M/post/responses/202',
      'the 202 response of PushMessage declares no body: the guideline returns an acknowledgement (ACK) with it',
      'add content (e.g. application/json) with the ACK schema to the 202 response',
    ],
  ],
  'lint/push-rest/callback-200/fail.yaml': [
    [
      'push-rest/callback-200',
      'error',
      'lint/push-rest/callback-200/fail.yaml',
      78,
      '/paths/~1resources~1{id_resource}~1M/post/callbacks/completionCallback/{$request.header#~1X-ReplyTo}/post/responses',
      'pushMessageCompletionCallbackPost declares no 200 response: the consumer acknowledges the result with 200 OK',
      'add a 200 response to pushMessageCompletionCallbackPost',
    ],
  ],
  'lint/push-rest/callback-correlation-id/fail-pair.yaml': [
    [
      'push-rest/callback-correlation-id',
      'error',
      'lint/push-rest/callback-correlation-id/fail-pair.callback.yaml',
      19,
      '/paths/~1MResponse/post/parameters',
      'PushResponseMessage declares no X-Correlation-ID header parameter: the provider sends the CorrelationID of the 202 in it',
      'add a header parameter "X-Correlation-ID" (required: true, type string) to PushResponseMessage',
    ],
  ],
  'lint/push-rest/callback-correlation-id/warn-declaration.yaml': [
    [
      'push-rest/callback-correlation-id',
      'warning',
      'lint/push-rest/callback-correlation-id/warn-declaration.yaml',
      66,
      '/paths/~1resources~1{id_resource}~1M/post/callbacks/completionCallback/{$request.header#~1X-ReplyTo}/post/parameters',
      'pushMessageCompletionCallbackPost declares no X-Correlation-ID header parameter: the provider sends the CorrelationID of the 202 in it',
      'add a header parameter "X-Correlation-ID" (required: true, type string) to pushMessageCompletionCallbackPost',
    ],
  ],
  'lint/push-rest/callback-correlation-id/warn-optional.yaml': [
    [
      'push-rest/callback-correlation-id',
      'warning',
      'lint/push-rest/callback-correlation-id/warn-optional.yaml',
      68,
      '/paths/~1resources~1{id_resource}~1M/post/callbacks/completionCallback/{$request.header#~1X-ReplyTo}/post/parameters/0',
      'pushMessageCompletionCallbackPost declares the X-Correlation-ID header parameter but not as required: the provider sends the CorrelationID of the 202 in it',
      'add "required: true" to the X-Correlation-ID parameter',
    ],
  ],
  'lint/push-rest/callback-declared/fail.yaml': [
    [
      'push-rest/callback-declared',
      'error',
      'lint/push-rest/callback-declared/fail.yaml',
      17,
      '/paths/~1resources~1{id_resource}~1M/post',
      "PushMessage declares no callbacks: the provider's spec declares the callback the consumer exposes",
      "add callbacks: {<name>: {'{$request.header#/X-ReplyTo}': {post: ...}}} to PushMessage",
    ],
  ],
  'lint/push-rest/callback-post/fail.yaml': [
    [
      'push-rest/callback-post',
      'error',
      'lint/push-rest/callback-post/fail.yaml',
      66,
      '/paths/~1resources~1{id_resource}~1M/post/callbacks/completionCallback/{$request.header#~1X-ReplyTo}/put',
      'pushMessageCompletionCallbackPut uses PUT: the provider POSTs the result to the callback URL',
      'make pushMessageCompletionCallbackPut a POST operation',
    ],
  ],
  'lint/push-rest/correlation-id-202/fail.yaml': [
    [
      'push-rest/correlation-id-202',
      'error',
      'lint/push-rest/correlation-id-202/fail.yaml',
      38,
      '/paths/~1resources~1{id_resource}~1M/post/responses/202',
      'the 202 response of PushMessage declares no X-Correlation-ID header: the provider returns the CorrelationID in it',
      'add "X-Correlation-ID" (required: true) to the headers of the 202 response',
    ],
  ],
  'lint/push-rest/correlation-id-202/warn-optional.yaml': [
    [
      'push-rest/correlation-id-202',
      'warning',
      'lint/push-rest/correlation-id-202/warn-optional.yaml',
      41,
      '/paths/~1resources~1{id_resource}~1M/post/responses/202/headers/X-Correlation-ID',
      'the 202 response of PushMessage declares the X-Correlation-ID header but not as required: the provider returns the CorrelationID in it',
      'add "required: true" to the X-Correlation-ID header',
    ],
  ],
  'lint/push-rest/correlation-query/fail-pair.yaml': [
    [
      'push-rest/correlation-query',
      'error',
      'lint/push-rest/correlation-query/fail-pair.callback.yaml',
      19,
      '/paths/~1MResponse/post/parameters',
      "PushResponseMessage declares no query parameter correlationId: the provider's declaration of the callback sends the CorrelationID in it",
      'add a query parameter "correlationId" (required: true, type string) to PushResponseMessage',
    ],
  ],
  'lint/push-rest/reply-to-header/fail.yaml': [
    [
      'push-rest/reply-to-header',
      'error',
      'lint/push-rest/reply-to-header/fail.yaml',
      20,
      '/paths/~1resources~1{id_resource}~1M/post/parameters',
      'PushMessage declares no X-ReplyTo header parameter: the consumer sends its callback URL in it',
      'add a header parameter "X-ReplyTo" (required: true, type string) to PushMessage',
    ],
  ],
  'lint/push-rest/reply-to-header/warn-optional.yaml': [
    [
      'push-rest/reply-to-header',
      'warning',
      'lint/push-rest/reply-to-header/warn-optional.yaml',
      21,
      '/paths/~1resources~1{id_resource}~1M/post/parameters/0',
      'PushMessage declares the X-ReplyTo header parameter but not as required: the consumer sends its callback URL in it',
      'add "required: true" to the X-ReplyTo parameter',
    ],
  ],
  'lint/push-rest/request-post/fail.yaml': [
    [
      'push-rest/request-post',
      'error',
      'lint/push-rest/request-post/fail.yaml',
      17,
      '/paths/~1resources~1{id_resource}~1M/put',
      'PushMessage uses PUT: the push request is a POST',
      'make PushMessage a POST operation',
    ],
  ],
  'lint/rest/problem-json/fail.yaml': [
    [
      'rest/problem-json',
      'warning',
      'lint/rest/problem-json/fail.yaml',
      44,
      '/paths/~1resources~1{id_resource}~1M/post/responses/404',
      'the error response 404 of M is declared as application/json, not application/problem+json',
      'declare the error bodies as application/problem+json (RFC 7807 Problem)',
    ],
  ],
  'lint/rest/status-endpoint/fail-media.yaml': [
    [
      'rest/status-endpoint',
      'warning',
      'lint/rest/status-endpoint/fail-media.yaml',
      63,
      '/paths/~1status/get/responses/200',
      'GET /status (GetStatus) does not answer 200 with application/problem+json',
      'declare a 200 response with content application/problem+json',
    ],
  ],
  'lint/rest/status-endpoint/fail.yaml': [
    [
      'rest/status-endpoint',
      'warning',
      'lint/rest/status-endpoint/fail.yaml',
      14,
      '/paths',
      'RESTblocking exposes no GET /status',
      "add GET /status answering 200 with application/problem+json, under paths: /status: { get: { responses: { '200': { description: the service works, content: { application/problem+json: { schema: { $ref: '#/components/schemas/Problem' } } } } } } } (Problem: the RFC 7807 object)",
    ],
  ],
  'lint/subscription/credential-scheme/fail.yaml': [
    [
      'subscription/credential-scheme',
      'error',
      'lint/subscription/credential-scheme/fail.yaml',
      20,
      '/paths/~1sessions/post/callbacks/notifications/{$request.body#~1sink}/post',
      'createSession\'s request gives a credential for callback "notifications" (sinkCredential), but postNotification declares no bearer security scheme: the provider has no place to present it',
      'add security: [{notificationsBearerAuth: []}] to postNotification, with an http bearer scheme of that name under components.securitySchemes',
    ],
  ],
};

describe('lint findings of the rule fixtures, word for word', () => {
  it.each(Object.keys(FIXTURES))('%s', async (name) => {
    const spec = join(fixtures, name);
    const callback = spec.replace(/\.yaml$/, '.callback.yaml');
    const rows = await lint(spec, existsSync(callback) ? callback : undefined);
    expect(rows.filter((r) => !CLASSIFY.test(r[0]))).toEqual(FIXTURES[name]);
  });
});

describe('lint rules on the gap fixtures (test/fixtures/lint-gaps)', () => {
  it('rest/problem-json: two wrong error bodies in one finding; problem+json beside JSON, after a space and a parameter, or no body at all, is right; default is an error beside 2XX', async () => {
    expect(await lint(join(gaps, 'problem-json.yaml'))).toEqual([
      [
        'rest/problem-json',
        'warning',
        'lint-gaps/problem-json.yaml',
        18,
        '/paths/~1m/post/responses/400',
        'the error responses 400, 500 of M are declared as application/json, text/plain, not application/problem+json',
        'declare the error bodies as application/problem+json (RFC 7807 Problem)',
      ],
      [
        'rest/problem-json',
        'warning',
        'lint-gaps/problem-json.yaml',
        51,
        '/paths/~1n/post/responses/default',
        'the error response default of N is declared as application/json, not application/problem+json',
        'declare the error bodies as application/problem+json (RFC 7807 Problem)',
      ],
    ]);
  });

  it('rest/status-endpoint: a POST /status is not the endpoint, and an untitled API is "the API"', async () => {
    expect(await lint(join(gaps, 'status-post.yaml'))).toEqual([
      [
        'rest/status-endpoint',
        'warning',
        'lint-gaps/status-post.yaml',
        6,
        '/paths',
        'the API exposes no GET /status',
        "add GET /status answering 200 with application/problem+json, under paths: /status: { get: { responses: { '200': { description: the service works, content: { application/problem+json: { schema: { $ref: '#/components/schemas/Problem' } } } } } } } (Problem: the RFC 7807 object)",
      ],
    ]);
  });

  it('rest/status-endpoint: a GET /status without any 200 points at its responses', async () => {
    expect(await lint(join(gaps, 'status-no-200.yaml'))).toEqual([
      [
        'block-rest/success-2xx',
        'error',
        'lint-gaps/status-no-200.yaml',
        10,
        '/paths/~1status/get/responses',
        'GetStatus declares no 2xx response: a blocking call answers 2xx with the result',
        'add a 200 response with the result schema to GetStatus',
      ],
      [
        'rest/status-endpoint',
        'warning',
        'lint-gaps/status-no-200.yaml',
        10,
        '/paths/~1status/get/responses',
        'GET /status (GetStatus) does not answer 200 with application/problem+json',
        'declare a 200 response with content application/problem+json',
      ],
    ]);
  });

  it('a provider spec without operations asks for no GET /status', async () => {
    expect(await lint(join(gaps, 'empty.yaml'))).toEqual([]);
  });

  it('pull-rest/status-operation and result-operation: each request without its status check, and a lone status check without its result', async () => {
    const statusOperation = (line: number, pointer: string, id: string): Row => [
      'pull-rest/status-operation',
      'warning',
      'lint-gaps/pull-groups.yaml',
      line,
      pointer,
      `no status-check operation is declared for ${id}: the generated code serves its default status path`,
      'declare GET <request path>/{id_task} with 200 and 303 + Location responses',
    ];
    expect(await lint(join(gaps, 'pull-groups.yaml'))).toEqual([
      statusOperation(49, '/paths/~1others/post', 'Other'),
      statusOperation(61, '/paths/~1more/post', 'Another'),
      [
        'pull-rest/result-operation',
        'warning',
        'lint-gaps/pull-groups.yaml',
        73,
        '/paths/~1jobs~1{job}/get',
        'no result operation is declared for the status check JobStatus: the generated code serves its default result path',
        'declare GET <status path>/result with a 200 response',
      ],
    ]);
    // With GET /jobs/{job}/result the lone status check has its result: only the two requests are left.
    expect((await lint(join(gaps, 'pull-groups-result.yaml'))).map((r) => [r[0], r[3], r[4]])).toEqual([
      ['pull-rest/status-operation', 47, '/paths/~1others/post'],
      ['pull-rest/status-operation', 59, '/paths/~1more/post'],
    ]);
  });

  it('agreement/callback-compatible: at most three reasons and how many more, nested paths, a mismatch of the whole ACK, the JSON body compared, the 200 ACK whatever the order', async () => {
    const name = 'the callback completionCallback of PushMessage';
    // The declaration's requestBody (line 32, column 15) and its 200 response (line 40, column 17) in compat.yaml.
    const related = (line: number, column: number) => ({
      file: join(gaps, 'compat.yaml'),
      line,
      column,
      note: `the provider's declaration of ${name}`,
    });
    const findings = lintAgreement(await loadClassified({ spec: join(gaps, 'compat.yaml'), callback: join(gaps, 'compat.callback.yaml') }));
    expect(findings.map(row)).toEqual([
      [
        'agreement/callback-compatible',
        'error',
        'lint-gaps/compat.callback.yaml',
        12,
        '/paths/~1MResponse/post/requestBody',
        `the result body the provider's spec declares for ${name} does not fit the callback operation PushResponseMessage the consumer serves: c.x: type string → integer; d: type string → integer; e: type string → integer; and 1 more`,
        "give both specs the same result schema (the provider's declaration of the callback and PushResponseMessage's requestBody)",
      ],
      [
        'agreement/callback-compatible',
        'error',
        'lint-gaps/compat.callback.yaml',
        28,
        '/paths/~1MResponse/post/responses/200',
        `the ACK the callback operation PushResponseMessage answers does not fit the 200 response the provider's spec declares for ${name}: type string → object`,
        "give both specs the same ACK schema (the 200 responses of PushResponseMessage and of the provider's declaration of the callback)",
      ],
    ]);
    expect(findings.map((f) => f.related)).toEqual([[related(32, 15)], [related(40, 17)]]);

    // Exactly three reasons: all listed, no "and 0 more"; the ACKs agree.
    expect(await lint(join(gaps, 'compat.yaml'), join(gaps, 'compat-three.callback.yaml'))).toEqual([
      [
        'agreement/callback-compatible',
        'error',
        'lint-gaps/compat-three.callback.yaml',
        12,
        '/paths/~1MResponse/post/requestBody',
        `the result body the provider's spec declares for ${name} does not fit the callback operation PushResponseMessage the consumer serves: c.x: type string → integer; d: type string → integer; e: type string → integer`,
        "give both specs the same result schema (the provider's declaration of the callback and PushResponseMessage's requestBody)",
      ],
    ]);
  });

  it('agreement/callback-compatible: a callback operation whose 200 has no body has no ACK to compare', async () => {
    expect((await lint(join(gaps, 'compat.yaml'), join(gaps, 'compat-noack.callback.yaml'))).map((r) => [r[0], r[2], r[4]])).toEqual([
      ['agreement/callback-compatible', 'lint-gaps/compat-noack.callback.yaml', '/paths/~1MResponse/post/requestBody'],
    ]);
  });

  it('oneway-rest/ack-status: a 200 is an answer as good as a 202', async () => {
    expect(await lint(join(gaps, 'oneway-200.yaml'))).toEqual([]);
  });

  it('two push requests: each receiver is judged by the carrier of its own push (query or header); one push without a receiver it can be told leaves the other operations uncalled-for unjudged', async () => {
    const spec = join(gaps, 'two-pushes.yaml');
    expect(await lint(spec, join(gaps, 'two-pushes.callback.yaml'))).toEqual([]);
    expect((await lint(spec, join(gaps, 'two-pushes-unsure.callback.yaml'))).map((r) => [r[0], r[4]])).toEqual([['agreement/callback-receiver', '/paths/~1b/post']]);
  });

  it('push-rest/callback-correlation-id: a callback declaration two push requests share is judged once', async () => {
    expect(await lint(join(gaps, 'shared-callback.yaml'))).toEqual([
      [
        'push-rest/callback-correlation-id',
        'warning',
        'lint-gaps/shared-callback.yaml',
        61,
        '/components/callbacks/Done/{$request.header#~1X-ReplyTo}/post/parameters',
        'doneCallback declares no X-Correlation-ID header parameter: the provider sends the CorrelationID of the 202 in it',
        'add a header parameter "X-Correlation-ID" (required: true, type string) to doneCallback',
      ],
    ]);
  });

  it('push-rest/reply-to-header: an optional X-ReplyTo declared in another file: the warning points at the parameters', async () => {
    expect(await lint(join(gaps, 'reply-to-external.yaml'))).toEqual([
      [
        'push-rest/reply-to-header',
        'warning',
        'lint-gaps/reply-to-external.yaml',
        11,
        '/paths/~1a/post/parameters',
        'PushA declares the X-ReplyTo header parameter but not as required: the consumer sends its callback URL in it',
        'add "required: true" to the X-ReplyTo parameter',
      ],
    ]);
  });

  it('push-rest/callback-declared: a push request in the callback spec (declared by x-modi-pattern) need not declare callbacks', async () => {
    expect(await lint(join(fixtures, 'lint/push-rest/callback-correlation-id/pass-pair.yaml'), join(gaps, 'callback-push.callback.yaml'))).toEqual([
      [
        'agreement/callback-uncalled',
        'warning',
        'lint-gaps/callback-push.callback.yaml',
        17,
        '/paths/~1Extra/post',
        'no push request of pass-pair.yaml sends its results to the callback operation ExtraPush: nothing calls it',
        'remove ExtraPush from the callback spec, or give it the body (SOAP: the name <request>Response) of the push request whose results it receives',
      ],
    ]);
  });

  it('push-rest/correlation-query: another query parameter, or correlationId as a header, is not the query parameter; one beside a header parameter is', async () => {
    const spec = join(fixtures, 'lint/push-rest/correlation-query/pass-pair.yaml');
    expect(await lint(spec, join(gaps, 'correlation-query-other.callback.yaml'))).toEqual([
      [
        'push-rest/correlation-query',
        'error',
        'lint-gaps/correlation-query-other.callback.yaml',
        19,
        '/paths/~1MResponse/post/parameters',
        "PushResponseMessage declares no query parameter correlationId: the provider's declaration of the callback sends the CorrelationID in it",
        'add a query parameter "correlationId" (required: true, type string) to PushResponseMessage',
      ],
    ]);
    expect(await lint(spec, join(gaps, 'correlation-query-extra.callback.yaml'))).toEqual([]);
  });

  it('push-rest/reply-to-header: X-ReplyTo in the query is not the header parameter', async () => {
    expect(await lint(join(gaps, 'reply-to-query.yaml'))).toEqual([
      [
        'push-rest/reply-to-header',
        'error',
        'lint-gaps/reply-to-query.yaml',
        19,
        '/paths/~1resources~1{id_resource}~1M/post/parameters',
        'PushMessage declares no X-ReplyTo header parameter: the consumer sends its callback URL in it',
        'add a header parameter "X-ReplyTo" (required: true, type string) to PushMessage',
      ],
    ]);
  });

  it('push-rest/reply-to-header: a callback URL the classifier found in a query parameter (QUERY_STRING) needs no header', async () => {
    expect((await lint(join(fixtures, 'carriers/push-query.yaml'))).map((r) => r[0])).toEqual(['rest/status-endpoint', 'push-rest/ack-body']);
  });

  it('pattern/format-mismatch: a SOAP pattern given to a REST operation by accordo.config.yaml points at the operation', async () => {
    expect(await lint(join(fixtures, 'lint/pattern/format-mismatch/pass.yaml'), undefined, { patterns: { M: 'BLOCK_SOAP' } })).toEqual([
      [
        'pattern/format-mismatch',
        'error',
        'lint/pattern/format-mismatch/pass.yaml',
        15,
        '/paths/~1resources~1{id_resource}~1M/post',
        'accordo.config.yaml declares M as BLOCK_SOAP, but it is a REST operation (OpenAPI)',
        'declare a REST pattern (BLOCK_REST)',
      ],
    ]);
  });

  it('rpc-soap/encoded-cycle: each type that contains itself, by its spec name, in name order, for an operation encoded on its input or its output only; none for literal', async () => {
    const op = (name: string) => `/definitions[@name='Cicli']/binding[@name='CicliBinding']/operation[@name='${name}']`;
    const cycle = (line: number, id: string, type: string): Row => [
      'rpc-soap/encoded-cycle',
      'warning',
      'lint-gaps/encoded-cycles.wsdl',
      line,
      op(id),
      `${id} is rpc/encoded and its type ${type} contains itself: a peer may send such a value as a multi-ref graph with a cycle, which has no JSON form (the runtime answers a Client fault)`,
      `make sure the peers send ${type} values as trees (no value referenced from inside itself), or bind ${id} document/literal`,
    ];
    const expected = [cycle(81, 'invia', 'nodo'), cycle(90, 'leggi', 'Dispari'), cycle(90, 'leggi', 'Pari')];
    const classified = await loadClassified({ spec: join(gaps, 'encoded-cycles.wsdl') });
    expect(lintAgreement(classified).map(row)).toEqual(expected);
    expect(lintAgreement(classified, { sorted: false }).map(row)).toEqual(expected);
  });

  it('push-soap/addressing-callback: one finding per binding naming all its blocking operations; not the configured, one-way or push ones; none without a callback WSDL', async () => {
    const spec = join(gaps, 'addressing.wsdl');
    const callback = join(fixtures, 'lint/push-soap/addressing-callback/callback.wsdl');
    const binding = (name: string) => `/definitions[@name='SOAPCallbackServerService']/binding[@name='${name}']`;
    expect(await lint(spec, callback, { patterns: { Stato: 'BLOCK_SOAP' } })).toEqual([
      [
        'push-soap/addressing-callback',
        'warning',
        'lint-gaps/addressing.wsdl',
        146,
        binding('SOAPCallbackServiceSoapBinding'),
        'binding SOAPCallbackServiceSoapBinding asks for WS-Addressing (wsaw:UsingAddressing) and a callback WSDL is given, but it has no PingResponse, EchoResponse: Ping, Echo are served as blocking request/response, wsa:ReplyTo not used for a callback',
        'add PingResponse, EchoResponse to the callback WSDL, or declare the pattern in accordo.config.yaml (patterns: {Ping: BLOCK_SOAP}) to say blocking is meant',
      ],
      [
        'push-soap/addressing-callback',
        'warning',
        'lint-gaps/addressing.wsdl',
        195,
        binding('AltroBinding'),
        'binding AltroBinding asks for WS-Addressing (wsaw:UsingAddressing) and a callback WSDL is given, but it has no SommaResponse: Somma is served as blocking request/response, wsa:ReplyTo not used for a callback',
        'add SommaResponse to the callback WSDL, or declare the pattern in accordo.config.yaml (patterns: {Somma: BLOCK_SOAP}) to say blocking is meant',
      ],
    ]);
    expect((await lint(spec)).filter((r) => r[0] === 'push-soap/addressing-callback')).toEqual([]);
  });
});

/** SOAP rules on agreement models shaped as the WSDL loader fills them (test/support/agreement.ts, as test/lint.test.ts builds them). */
describe('lint SOAP rules on WSDL-shaped models, word for word', () => {
  const soapOp = wsdlOperation;
  const iface = wsdlInterface;
  const rows = (provider: Operation[], callback?: Operation[], carriers?: ClassifyOptions['carriers']) => {
    const patterns = Object.fromEntries([...provider, ...(callback ?? [])].filter((o) => o.pattern.decidedBy === 'config').map((o) => [o.id, o.pattern.pattern]));
    const agreement = { provider: iface(provider), callback: callback && iface(callback, '/specs/callback.wsdl'), schemas: new Map() };
    return lintAgreement(classify(agreement, { patterns, carriers })).map((f) => [f.rule, f.severity, f.line, f.pointer, f.message, f.fix]);
  };
  const at = (id: string) => `/definitions/binding/operation[@name='${id}']`;

  it('pull-soap/correlation-id-header: classify gives each operation declared NONBLOCK_PULL_SOAP its role (Risultato: the result, by its name), whose input lacks the header', () => {
    const ops = [
      soapOp('Richiesta', 'NONBLOCK_PULL_SOAP', [], ['X-Correlation-ID'], undefined, 'config', 11),
      soapOp('Stato', 'NONBLOCK_PULL_SOAP', ['X-Correlation-ID'], [], undefined, 'config', 12),
      soapOp('Risultato', 'NONBLOCK_PULL_SOAP', [], [], undefined, 'config', 13),
    ];
    expect(rows(ops)).toEqual([
      [
        'pull-soap/correlation-id-header',
        'error',
        13,
        at('Risultato'),
        'the input of Risultato has no X-Correlation-ID SOAP header: the consumer asks for the status or result of a request by its CorrelationID',
        'add a soap:header part with element X-Correlation-ID to the input of Risultato in the binding',
      ],
    ]);
  });

  it('pull-soap/correlation-id-header and three-operations: a group of two whose CorrelationID element has the configured name, not X-Correlation-ID', () => {
    const ops = [
      soapOp('Richiesta', 'NONBLOCK_PULL_SOAP', [], ['IdCorrelazione'], undefined, 'config', 11),
      soapOp('StatusCheck', 'NONBLOCK_PULL_SOAP', ['IdCorrelazione'], [], undefined, 'config', 12),
    ];
    expect(rows(ops, undefined, { correlationId: 'IdCorrelazione' })).toEqual([
      [
        'pull-soap/correlation-id-header',
        'error',
        11,
        at('Richiesta'),
        'the output of Richiesta has no X-Correlation-ID SOAP header: the provider returns the CorrelationID with the ACK',
        'add a soap:header part with element X-Correlation-ID to the output of Richiesta in the binding',
      ],
      [
        'pull-soap/three-operations',
        'error',
        11,
        at('Richiesta'),
        'the SOAP pull service has 1 request and 1 status/result operations: it needs a request, a status and a result operation',
        'declare three operations: the request (returns X-Correlation-ID), the status check and the result fetch (both take X-Correlation-ID)',
      ],
      [
        'pull-soap/correlation-id-header',
        'error',
        12,
        at('StatusCheck'),
        'the input of StatusCheck has no X-Correlation-ID SOAP header: the consumer asks for the status or result of a request by its CorrelationID',
        'add a soap:header part with element X-Correlation-ID to the input of StatusCheck in the binding',
      ],
    ]);
  });

  it('pull-soap/three-operations: status and result operations without a request', () => {
    const ops = [soapOp('Stato', 'NONBLOCK_PULL_SOAP', ['X-Correlation-ID'], [], 'status', 'config', 12), soapOp('Risultato', 'NONBLOCK_PULL_SOAP', ['X-Correlation-ID'], [], 'result', 'config', 13)];
    expect(rows(ops)).toEqual([
      [
        'pull-soap/three-operations',
        'error',
        12,
        at('Stato'),
        'the SOAP pull service has 0 request and 2 status/result operations: it needs a request, a status and a result operation',
        'declare three operations: the request (returns X-Correlation-ID), the status check and the result fetch (both take X-Correlation-ID)',
      ],
    ]);
  });

  it('a pull group whose CorrelationID element has the name accordo.config.yaml gives it: nothing missing', () => {
    const ops = [
      soapOp('Richiesta', 'NONBLOCK_PULL_SOAP', [], ['IdCorrelazione'], undefined, 'shape', 11),
      soapOp('StatusCheck', 'NONBLOCK_PULL_SOAP', ['IdCorrelazione'], [], undefined, 'shape', 12),
      soapOp('Risultato', 'NONBLOCK_PULL_SOAP', ['IdCorrelazione'], [], undefined, 'shape', 13),
    ];
    expect(rows(ops, undefined, { correlationId: 'IdCorrelazione' })).toEqual([]);
  });

  it('a push whose ReplyTo and CorrelationID elements have the names accordo.config.yaml gives them: nothing missing', () => {
    const push = soapOp('MRequest', 'NONBLOCK_PUSH_SOAP', ['IndirizzoRisposta'], ['IdCorrelazione'], undefined, 'shape', 11);
    const receiver = soapOp('MRequestResponse', 'NONBLOCK_PUSH_SOAP', ['IdCorrelazione'], [], undefined, 'shape', 5);
    receiver.location.file = '/specs/callback.wsdl';
    expect(rows([push], [receiver], { replyTo: 'IndirizzoRisposta', correlationId: 'IdCorrelazione' })).toEqual([]);
  });

  it('push-soap/reply-to-header and correlation-id-header: the messages', () => {
    const receiver = () => {
      const op = soapOp('MRequestResponse', 'NONBLOCK_PUSH_SOAP', ['X-Correlation-ID'], [], undefined, 'shape', 5);
      op.location.file = '/specs/callback.wsdl';
      return op;
    };
    expect(rows([soapOp('MRequest', 'NONBLOCK_PUSH_SOAP', [], ['X-Correlation-ID'], 'request', 'config', 11)], [receiver()])).toEqual([
      [
        'push-soap/reply-to-header',
        'error',
        11,
        at('MRequest'),
        'the input of MRequest has no X-ReplyTo SOAP header: the consumer sends its callback endpoint in it',
        'add a soap:header part with element X-ReplyTo to the input of MRequest in the binding',
      ],
    ]);
    expect(rows([soapOp('MRequest', 'NONBLOCK_PUSH_SOAP', ['X-ReplyTo'], [], 'request', 'config', 11)], [receiver()])).toEqual([
      [
        'push-soap/correlation-id-header',
        'error',
        11,
        at('MRequest'),
        'the output of MRequest has no X-Correlation-ID SOAP header: the provider returns the CorrelationID with the ACK',
        'add a soap:header part with element X-Correlation-ID to the output of MRequest in the binding',
      ],
    ]);
  });

  it('the SOAP pull rules judge the provider WSDL only: an operation of the callback WSDL configured NONBLOCK_PULL_SOAP is not a pull service', () => {
    const push = soapOp('MRequest', 'NONBLOCK_PUSH_SOAP', ['X-ReplyTo'], ['X-Correlation-ID'], undefined, 'shape', 11);
    const receiver = soapOp('MRequestResponse', 'NONBLOCK_PUSH_SOAP', ['X-Correlation-ID'], [], undefined, 'shape', 5);
    const poll = soapOp('Poll', 'NONBLOCK_PULL_SOAP', ['X-Correlation-ID'], [], undefined, 'config', 6);
    receiver.location.file = poll.location.file = '/specs/callback.wsdl';
    expect(rows([push], [receiver, poll]).filter((r) => r[0] === 'pull-soap/three-operations')).toEqual([]);
  });

  it('pattern/format-mismatch and unknown-extension on a SOAP operation: SOAP words', () => {
    expect(rows([soapOp('Echo', 'BLOCK_REST', [], [], undefined, 'config', 11)])).toEqual([
      ['pattern/format-mismatch', 'error', 11, at('Echo'), 'accordo.config.yaml declares Echo as BLOCK_REST, but it is a SOAP operation (WSDL)', 'declare a SOAP pattern (BLOCK_SOAP)'],
    ]);
    const odd = soapOp('Echo', 'BLOCK_SOAP', [], [], undefined, 'shape', 11);
    odd.extensions = { 'x-modi-pattern': 'BLOCKING' };
    expect(rows([odd])).toEqual([
      [
        'pattern/unknown-extension',
        'error',
        11,
        `${at('Echo')}/x-modi-pattern`,
        'x-modi-pattern: "BLOCKING" on Echo is not a pattern name, so the pattern is detected from the spec\'s shape',
        'use one of BLOCK_SOAP, NONBLOCK_PUSH_SOAP, NONBLOCK_PULL_SOAP, ONEWAY',
      ],
    ]);
  });
});
