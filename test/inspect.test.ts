import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatInspect, inspectAgreement, type InspectRow } from '../src/inspect/index.js';
import { loadAgreement } from '../src/load/index.js';

const fixtures = fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));
const local = fileURLToPath(new URL('./fixtures/inspect/', import.meta.url));

/**
 * One row per spec in ../shared/fixtures: the expected decision of every operation, written
 * `PATTERN[:role[:correlatedWith]]`. Operations not listed must all be `others.pattern`, and
 * there must be exactly `others.count` of them. Embedded callbacks are operations too.
 * A spec the loader refuses has `error` instead. SOAP specs are one row each, the same way.
 */
interface Case {
  spec: string;
  callback?: string;
  ops?: Record<string, string>;
  others?: { pattern: string; count: number };
  error?: RegExp;
}

const PUSH_SERVER = {
  PushMessage: 'NONBLOCK_PUSH_REST:request',
  pushMessageCompletionCallbackPost: 'NONBLOCK_PUSH_REST:callback:PushMessage',
};

const CASES: Case[] = [
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
  // real-world specs
  { spec: 'real/openapi/LARGE-stripe-2020-08-27.yaml', others: { pattern: 'BLOCK_REST', count: 402 } },
  { spec: 'real/openapi/adyen-balanceplatform-transfer-notification-v4.json', others: { pattern: 'BLOCK_REST', count: 0 } },
  { spec: 'real/openapi/adyen-checkout-v71.json', others: { pattern: 'BLOCK_REST', count: 28 } },
  { spec: 'real/openapi/asana.yaml', others: { pattern: 'BLOCK_REST', count: 152 } },
  {
    spec: 'real/openapi/camara-quality-on-demand-r4.1.yaml',
    ops: { createSession: 'NONBLOCK_PUSH_REST:request', postNotification: 'NONBLOCK_PUSH_REST:callback:createSession' },
    others: { pattern: 'BLOCK_REST', count: 4 },
  },
  { spec: 'real/openapi/govway-api-config.yaml', others: { pattern: 'BLOCK_REST', count: 252 } },
  {
    spec: 'real/openapi/oai-callback-example.yaml',
    ops: { postStreams: 'NONBLOCK_PUSH_REST:request', postStreamsOnDataPost: 'NONBLOCK_PUSH_REST:callback:postStreams' },
  },
  // Components alone (valid in 3.1): callbacks no operation uses, so no operation.
  { spec: 'real/openapi/oai-callback-object-examples.yaml', others: { pattern: 'BLOCK_REST', count: 0 } },
  { spec: 'real/openapi/oai-link-example.yaml', others: { pattern: 'BLOCK_REST', count: 6 } },
  { spec: 'real/openapi/oai-webhook-example.yaml', others: { pattern: 'BLOCK_REST', count: 0 } },
  // Its x-break-everything is an extension (opaque); `name` on an oauth2 security scheme breaks the OpenAPI schema.
  { spec: 'real/openapi/pb33f-burgershop.yaml', error: /OAuthScheme must NOT have unevaluated properties: "name"/ },
  // Its x-topics $ref names a file it does not ship: extensions are opaque.
  { spec: 'real/openapi/train-travel-api.yaml', others: { pattern: 'BLOCK_REST', count: 7 } },
  {
    spec: 'real/openapi/vonage-messages-olympus.yaml',
    ops: { NewMessage: 'NONBLOCK_PUSH_REST:request', 'message-status': 'NONBLOCK_PUSH_REST:callback:NewMessage' },
  },
  {
    spec: 'real/openapi/vonage-number-insight.yaml',
    ops: {
      getNumberInsightAsync: 'NONBLOCK_PUSH_REST:request',
      asyncCallback: 'NONBLOCK_PUSH_REST:callback:getNumberInsightAsync',
      asyncCallbackRoamingUnknown: 'NONBLOCK_PUSH_REST:callback:getNumberInsightAsync',
    },
    others: { pattern: 'BLOCK_REST', count: 3 },
  },
  {
    spec: 'real/openapi/vonage-sms.yaml',
    ops: { 'send-an-sms': 'NONBLOCK_PUSH_REST:request', 'delivery-receipt': 'NONBLOCK_PUSH_REST:callback:send-an-sms' },
  },
  // WSDL
  { spec: 'modi/BLOCK_SOAP/server.wsdl', ops: { MRequest: 'BLOCK_SOAP' } },
  { spec: 'modi/NONBLOCK_PULL_SOAP/server.wsdl', ops: { MRequest: 'NONBLOCK_PULL_SOAP:request', MProcessingStatus: 'NONBLOCK_PULL_SOAP:status:MRequest', MResponse: 'NONBLOCK_PULL_SOAP:result:MRequest' } },
  { spec: 'modi/NONBLOCK_PUSH_SOAP/server.wsdl', callback: 'modi/NONBLOCK_PUSH_SOAP/callback.wsdl', ops: { MRequest: 'NONBLOCK_PUSH_SOAP:request', MRequestResponse: 'NONBLOCK_PUSH_SOAP:callback' } },
  { spec: 'seed/nonblock-push-soap/server.wsdl', callback: 'seed/nonblock-push-soap/callback.wsdl', ops: { MRequest: 'NONBLOCK_PUSH_SOAP:request', MRequestResponse: 'NONBLOCK_PUSH_SOAP:callback' } },
  { spec: 'real/wsdl/cxf-hello-world-soap11.wsdl', ops: { sayHi: 'BLOCK_SOAP', greetMe: 'BLOCK_SOAP', greetMeOneWay: 'ONEWAY', pingMe: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/cxf-hello-world-soap12.wsdl', ops: { sayHi: 'BLOCK_SOAP', greetMe: 'BLOCK_SOAP', greetMeOneWay: 'ONEWAY', pingMe: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/cxf-soap-header.wsdl', ops: { inHeader: 'BLOCK_SOAP', outHeader: 'BLOCK_SOAP', inoutHeader: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/nodesoap-afip-logincms.wsdl', ops: { loginCms: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/nodesoap-wsdlimport/main.wsdl', ops: { getLatestVersion: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/sdi-ricezione-fatture/RicezioneFatture_v1.0.wsdl', ops: { RiceviFatture: 'BLOCK_SOAP', NotificaDecorrenzaTermini: 'ONEWAY' } },
  { spec: 'real/wsdl/spcoop-validazione-contenuti/implementazioneFruitore.wsdl', ops: { esitoAggiornamentoUtenteAsincronoSimmetricoWDL: 'BLOCK_SOAP', esitoAggiornamentoUtenteAsincronoAsimmetricoWDL: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/trasparente-oneway/implementazioneErogatoreSoap11.wsdl', ops: { Notifica: 'ONEWAY' } },
  { spec: 'real/wsdl/trasparente-oneway/implementazioneErogatoreSoap12.wsdl', ops: { Notifica: 'ONEWAY' } },
  { spec: 'real/wsdl/trasparente-oneway/implementazioneErogatoreSoap12Security.wsdl', ops: { Notifica: 'ONEWAY' } },
  { spec: 'real/wsdl/cxf-basic-callback.wsdl', error: /ws-addr\.xsd/ },
  { spec: 'real/wsdl/nodesoap-marketo.wsdl', error: /AuthenticationHeader/ },
  { spec: 'real/wsdl/nodesoap-rpcexample-soap12.wsdl', error: /encoded/ },
  { spec: 'real/wsdl/nodesoap-xsdinclude/xsd_include.wsdl', error: /DummyList/ },
  { spec: 'real/wsdl/spcoop-validazione-contenuti/implementazioneErogatore.wsdl', error: /encoded/ },
];

const decision = (r: InspectRow) => [r.pattern, r.role, r.correlatedWith].filter(Boolean).join(':');

describe('inspect: the pattern of every operation of every fixture spec', () => {
  for (const c of CASES) {
    const name = c.callback ? `${c.spec} + ${c.callback}` : c.spec;
    it(
      name,
      async () => {
        const load = loadAgreement({ spec: fixtures + c.spec, callback: c.callback && fixtures + c.callback });
        if (c.error) {
          await expect(load).rejects.toThrow(c.error);
          return;
        }
        const rows = inspectAgreement(await load);
        const listed = c.ops ?? {};
        const got = Object.fromEntries(rows.filter((r) => r.operation in listed).map((r) => [r.operation, decision(r)]));
        expect(got).toEqual(listed);
        const others = rows.filter((r) => !(r.operation in listed));
        expect(others.length).toBe(c.others?.count ?? 0);
        for (const r of others) expect(`${r.operation}: ${decision(r)}`).toBe(`${r.operation}: ${c.others!.pattern}`);
        for (const r of rows) expect(r.facts.length).toBeGreaterThan(0);
      },
      60_000,
    ); // the 3 MB Stripe spec takes seconds on a busy machine
  }
});

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
