// inspect over the third-party specs of the development corpus (../shared/fixtures/real): the
// expected pattern of every operation, as test/inspect.test.ts does for the project's own specs.
import { describe } from 'vitest';
import { CORPUS, corpusMissing } from '../support/corpus.js';
import { describeInspectCases, type InspectCase } from '../support/inspect-cases.js';

const CASES: InspectCase[] = [
  { spec: 'real/openapi/LARGE-stripe-2020-08-27.yaml', others: { pattern: 'BLOCK_REST', count: 402 } },
  // Webhooks alone: each is a row (BLOCK_REST callback: the provider sends it, the consumer receives it).
  {
    spec: 'real/openapi/adyen-balanceplatform-transfer-notification-v4.json',
    ops: { 'post-balancePlatform.transfer.created': 'BLOCK_REST:callback', 'post-balancePlatform.transfer.updated': 'BLOCK_REST:callback' },
  },
  { spec: 'real/openapi/adyen-checkout-v71.json', others: { pattern: 'BLOCK_REST', count: 28 } },
  { spec: 'real/openapi/asana.yaml', others: { pattern: 'BLOCK_REST', count: 152 } },
  {
    spec: 'real/openapi/camara-quality-on-demand-r4.1.yaml',
    ops: { createSession: 'SUBSCRIPTION_REST:request', postNotification: 'SUBSCRIPTION_REST:callback:createSession' },
    others: { pattern: 'BLOCK_REST', count: 4 },
  },
  { spec: 'real/openapi/govway-api-config.yaml', others: { pattern: 'BLOCK_REST', count: 252 } },
  {
    spec: 'real/openapi/oai-callback-example.yaml',
    ops: { postStreams: 'SUBSCRIPTION_REST:request', postStreamsOnDataPost: 'SUBSCRIPTION_REST:callback:postStreams' },
  },
  // Components alone (valid in 3.1): callbacks no operation uses, so no operation.
  { spec: 'real/openapi/oai-callback-object-examples.yaml', others: { pattern: 'BLOCK_REST', count: 0 } },
  { spec: 'real/openapi/oai-link-example.yaml', others: { pattern: 'BLOCK_REST', count: 6 } },
  // No paths: its one webhook is the operation the provider sends and the consumer receives.
  { spec: 'real/openapi/oai-webhook-example.yaml', ops: { newPetWebhookPost: 'BLOCK_REST:callback' } },
  // Its x-break-everything is an extension (opaque); `name` on an oauth2 security scheme breaks the OpenAPI schema.
  { spec: 'real/openapi/pb33f-burgershop.yaml', error: /OAuthScheme must NOT have unevaluated properties: "name"/ },
  // Its x-topics $ref names a file it does not ship: extensions are opaque.
  // Seven operations and one webhook.
  { spec: 'real/openapi/train-travel-api.yaml', ops: { 'new-booking': 'BLOCK_REST:callback' }, others: { pattern: 'BLOCK_REST', count: 7 } },
  {
    spec: 'real/openapi/vonage-messages-olympus.yaml',
    ops: { NewMessage: 'NONBLOCK_PUSH_REST:request', 'message-status': 'NONBLOCK_PUSH_REST:callback:NewMessage' },
  },
  {
    spec: 'real/openapi/vonage-number-insight.yaml',
    ops: {
      getNumberInsightAsync: 'SUBSCRIPTION_REST:request',
      asyncCallback: 'SUBSCRIPTION_REST:callback:getNumberInsightAsync',
      asyncCallbackRoamingUnknown: 'SUBSCRIPTION_REST:callback:getNumberInsightAsync',
    },
    others: { pattern: 'BLOCK_REST', count: 3 },
  },
  {
    spec: 'real/openapi/vonage-sms.yaml',
    ops: { 'send-an-sms': 'SUBSCRIPTION_REST:request', 'delivery-receipt': 'SUBSCRIPTION_REST:callback:send-an-sms' },
  },
  // WSDL
  { spec: 'real/wsdl/cxf-hello-world-soap11.wsdl', ops: { sayHi: 'BLOCK_SOAP', greetMe: 'BLOCK_SOAP', greetMeOneWay: 'ONEWAY', pingMe: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/cxf-hello-world-soap12.wsdl', ops: { sayHi: 'BLOCK_SOAP', greetMe: 'BLOCK_SOAP', greetMeOneWay: 'ONEWAY', pingMe: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/cxf-soap-header.wsdl', ops: { inHeader: 'BLOCK_SOAP', outHeader: 'BLOCK_SOAP', inoutHeader: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/nodesoap-afip-logincms.wsdl', ops: { loginCms: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/nodesoap-wsdlimport/main.wsdl', ops: { getLatestVersion: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/sdi-ricezione-fatture/RicezioneFatture_v1.0.wsdl', ops: { RiceviFatture: 'BLOCK_SOAP', NotificaDecorrenzaTermini: 'ONEWAY' } },
  {
    spec: 'real/wsdl/spcoop-validazione-contenuti/implementazioneFruitore.wsdl',
    ops: { esitoAggiornamentoUtenteAsincronoSimmetricoWDL: 'BLOCK_SOAP', esitoAggiornamentoUtenteAsincronoAsimmetricoWDL: 'BLOCK_SOAP' },
  },
  { spec: 'real/wsdl/trasparente-oneway/implementazioneErogatoreSoap11.wsdl', ops: { Notifica: 'ONEWAY' } },
  { spec: 'real/wsdl/trasparente-oneway/implementazioneErogatoreSoap12.wsdl', ops: { Notifica: 'ONEWAY' } },
  { spec: 'real/wsdl/trasparente-oneway/implementazioneErogatoreSoap12Security.wsdl', ops: { Notifica: 'ONEWAY' } },
  // Its ws-addr.xsd import (a CXF-internal absolute path) resolves to the WS-Addressing copy Accordo carries.
  { spec: 'real/wsdl/cxf-basic-callback.wsdl', ops: { ServerSayHi: 'BLOCK_SOAP', RegisterCallback: 'BLOCK_SOAP' } },
  { spec: 'real/wsdl/nodesoap-marketo.wsdl', error: /AuthenticationHeader/ },
  {
    spec: 'real/wsdl/nodesoap-rpcexample-soap12.wsdl',
    ops: { pullFile: 'BLOCK_SOAP', listFiles: 'BLOCK_SOAP', listKeys: 'BLOCK_SOAP', heartbeat: 'ONEWAY', legacyHeartbeat: 'ONEWAY', message: 'ONEWAY' },
    others: { pattern: 'BLOCK_SOAP', count: 7 },
  },
  { spec: 'real/wsdl/nodesoap-xsdinclude/xsd_include.wsdl', error: /DummyList/ },
  // Its rpc/encoded bindings load; what stops it now is its overloaded operations.
  { spec: 'real/wsdl/spcoop-validazione-contenuti/implementazioneErogatore.wsdl', error: /overloaded operation "registrazioneUtenteOverloadedOperations"/ },
];

describe.skipIf(corpusMissing())('real-world specs', () => describeInspectCases(`${CORPUS}/`, CASES));
