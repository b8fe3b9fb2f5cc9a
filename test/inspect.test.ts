import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatInspect, inspectAgreement } from '../src/inspect/index.js';
import { loadClassified as loadAgreement } from '../src/classify/index.js';
import { describeInspectCases, type InspectCase } from './support/inspect-cases.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const local = fileURLToPath(new URL('./fixtures/inspect/', import.meta.url));

/**
 * One row per spec of the project's own fixtures (test/fixtures/seed, test/fixtures/modi); the
 * third-party specs are rows of test/corpus/inspect.test.ts. How a row reads: InspectCase.
 */
const PUSH_SERVER = {
  PushMessage: 'NONBLOCK_PUSH_REST:request',
  pushMessageCompletionCallbackPost: 'NONBLOCK_PUSH_REST:callback:PushMessage',
};

const CASES: InspectCase[] = [
  // seed
  { spec: 'seed/nonblock-push-rest/server.yaml', ops: PUSH_SERVER },
  { spec: 'seed/nonblock-push-rest/client.yaml', ops: { PushResponseMessage: 'NONBLOCK_PUSH_REST:callback' } },
  {
    spec: 'seed/nonblock-push-rest/server.yaml',
    callback: 'seed/nonblock-push-rest/client.yaml',
    ops: { ...PUSH_SERVER, PushResponseMessage: 'NONBLOCK_PUSH_REST:callback' },
  },
  // AgID examples
  { spec: 'modi/BLOCK_REST/server.yaml', ops: { M: 'BLOCK_REST' } },
  { spec: 'modi/NONBLOCK_PUSH_REST/server.yaml', ops: PUSH_SERVER },
  { spec: 'modi/NONBLOCK_PUSH_REST/client.yaml', ops: { PushResponseMessage: 'NONBLOCK_PUSH_REST:callback' } },
  {
    spec: 'modi/NONBLOCK_PULL_REST/server.yaml',
    ops: {
      PushMessage: 'NONBLOCK_PULL_REST:request',
      CheckStatus: 'NONBLOCK_PULL_REST:status:PushMessage',
      RetriveResource: 'NONBLOCK_PULL_REST:result:PushMessage',
    },
  },
  {
    spec: 'modi/NONBLOCK_PULL_REST/v2019-03/server.yaml',
    ops: {
      PushMessage: 'NONBLOCK_PULL_REST:request',
      PullResponseStatusById: 'NONBLOCK_PULL_REST:status:PushMessage',
      PullResponseById: 'NONBLOCK_PULL_REST:result:PushMessage',
    },
  },
  // A fragment: its Problem schema is elided in the source (see modi/common/SOURCE.md).
  { spec: 'modi/common/status.yaml', error: /Missing \$ref pointer "#\/components\/schemas\/Problem"/ },
  // WSDL
  { spec: 'modi/BLOCK_SOAP/server.wsdl', ops: { MRequest: 'BLOCK_SOAP' } },
  {
    spec: 'modi/NONBLOCK_PULL_SOAP/server.wsdl',
    ops: { MRequest: 'NONBLOCK_PULL_SOAP:request', MProcessingStatus: 'NONBLOCK_PULL_SOAP:status:MRequest', MResponse: 'NONBLOCK_PULL_SOAP:result:MRequest' },
  },
  { spec: 'modi/NONBLOCK_PUSH_SOAP/server.wsdl', callback: 'modi/NONBLOCK_PUSH_SOAP/callback.wsdl', ops: { MRequest: 'NONBLOCK_PUSH_SOAP:request', MRequestResponse: 'NONBLOCK_PUSH_SOAP:callback' } },
  { spec: 'seed/nonblock-push-soap/server.wsdl', callback: 'seed/nonblock-push-soap/callback.wsdl', ops: { MRequest: 'NONBLOCK_PUSH_SOAP:request', MRequestResponse: 'NONBLOCK_PUSH_SOAP:callback' } },
];

describeInspectCases(fixtures, CASES);

describe('inspect: overrides and output', () => {
  it('x-modi-pattern and a config entry override the shape; an unknown extension value is ignored and said so', async () => {
    const rows = inspectAgreement(await loadAgreement({ spec: local + 'overrides.yaml', patterns: { MakeReport: 'NONBLOCK_PULL_REST' } }));
    const by = Object.fromEntries(rows.map((r) => [r.operation, r]));
    expect(by.PublishEvent).toMatchObject({ pattern: 'ONEWAY', decidedBy: 'extension', facts: ['x-modi-pattern: ONEWAY'] });
    expect(by.PublishEvent.role).toBeUndefined();
    expect(by.MakeReport).toMatchObject({
      pattern: 'NONBLOCK_PULL_REST',
      role: 'request',
      decidedBy: 'config',
      facts: ['accordo.config.yaml sets NONBLOCK_PULL_REST'],
    });
    expect(by.StartJob).toMatchObject({ pattern: 'BLOCK_REST', decidedBy: 'shape' });
    expect(by.StartJob.facts).toContain('x-modi-pattern: "PUSH" is not a pattern name, ignored');
  });

  it('a config entry beats x-modi-pattern', async () => {
    const rows = inspectAgreement(await loadAgreement({ spec: local + 'overrides.yaml', patterns: { PublishEvent: 'BLOCK_REST' } }));
    expect(rows.find((r) => r.operation === 'PublishEvent')).toMatchObject({ pattern: 'BLOCK_REST', decidedBy: 'config' });
  });

  it('formats text with the facts under each operation, and JSON that parses back to the rows', async () => {
    const rows = inspectAgreement(await loadAgreement({ spec: fixtures + 'modi/NONBLOCK_PULL_REST/server.yaml' }));
    const text = formatInspect(rows, 'text');
    expect(text).toContain(`provider ${fixtures}modi/NONBLOCK_PULL_REST/server.yaml\n`);
    expect(text).toContain(
      '  CheckStatus  GET /tasks/queue/{id_task}/  (line 38)\n' +
        '    NONBLOCK_PULL_REST status of PushMessage (decided by shape)\n' +
        '      - GET on the path of PULL request PushMessage plus the task id {id_task}\n',
    );
    expect(JSON.parse(formatInspect(rows, 'json'))).toEqual(JSON.parse(JSON.stringify(rows)));
    expect(formatInspect([], 'text')).toBe('no operations\n');
  });
});
