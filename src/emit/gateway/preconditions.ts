/**
 * What a gateway target needs of the agreement and of the gateway section before anything is
 * emitted, as findings: `generate` checks them with the guideline's rules, so the gateway emitters
 * never meet a spec or config problem half-way through (they may assume all of this holds).
 */
import type { ClassifiedAgreement, ClassifyFinding } from '../../classify/index.js';
import type { GatewayConfig, GatewayTarget } from '../../config/gateway.js';
import type { SourceLocation } from '../../model/agreement.js';
import type { Side } from '../index.js';

export const GATEWAY_RULES = {
  'gateway/callback-backend': 'a push agreement names the consumer backend its callbacks are delivered to (gateway.consumer.callbackBackend)',
  'gateway/provider-application': "with fruizione authentication, the provider's backend is named as a GovWay applicativo (gateway.provider.application)",
  'gateway/callback-document': 'GovWay registers the callback API from its own OpenAPI document: the callback spec is given',
  'gateway/openapi-version': 'GovWay imports OpenAPI 3.0 and WSDL 1.1 documents',
  'gateway/nginx-rest': 'the nginx target configures REST agreements (SOAP headers travel in the body)',
  'gateway/nginx-header': 'nginx rewrites a callback header whose name is a plain HTTP token',
} as const;

export type GatewayRule = keyof typeof GATEWAY_RULES;

/** Every precondition of the chosen targets that does not hold, as a blocking error. */
export function gatewayFindings(classified: ClassifiedAgreement, config: GatewayConfig, targets: readonly GatewayTarget[], side: Side): ClassifyFinding[] {
  const consumerSide = side !== 'provider';
  const providerSide = side !== 'consumer';
  const findings: ClassifyFinding[] = [];
  const at = (loc: SourceLocation) => ({ file: loc.file, line: loc.line ?? 1, column: loc.column ?? 1, pointer: loc.pointer });
  const inConfig = (pointer: string): SourceLocation => ({ file: config.file, pointer, line: 1, column: 1 });
  const add = (rule: GatewayRule, loc: SourceLocation, message: string, fix: string) => findings.push({ rule, severity: 'error', ...at(loc), message, fix, blocking: true });
  const { agreement, receivers } = classified;
  const pushes = classified.interactions.filter((i) => i.kind === 'push');
  const specs = [agreement.provider, ...(agreement.callback ? [agreement.callback] : [])];

  if (consumerSide && receivers.length && !config.consumer.callbackBackend) {
    add(
      'gateway/callback-backend',
      inConfig('/gateway/consumer'),
      'gateway.consumer.callbackBackend is needed: the agreement has push operations, whose callbacks the gateway delivers there',
      "add consumer.callbackBackend: <URL of the consumer's callback endpoints> to the gateway section",
    );
  }
  if (targets.includes('govway')) {
    if (providerSide && receivers.length && config.govway.fruizioneAuthentication !== 'disabilitato' && !config.provider.application) {
      add(
        'gateway/provider-application',
        inConfig('/gateway/provider'),
        `gateway.provider.application is needed: with fruizioneAuthentication ${config.govway.fruizioneAuthentication}, the provider's backend calls the fruizione of the callback API as a GovWay applicativo`,
        'add provider.application: <name> to the gateway section',
      );
    }
    if (receivers.length && !agreement.callback && classified.specRole === 'provider') {
      add(
        'gateway/callback-document',
        inConfig('/gateway/targets'),
        'gateway govway: the callback API needs its own OpenAPI document (GovWay registers it as an API)',
        'give the callback spec with --callback or "callback:"',
      );
    }
    for (const iface of specs) {
      if (iface.source.format === 'openapi' && !iface.source.version.startsWith('3.0')) {
        add(
          'gateway/openapi-version',
          { file: iface.source.file, pointer: '/openapi', line: 1, column: 1 },
          `gateway govway: GovWay imports OpenAPI 3.0 and WSDL 1.1 documents, and this is OpenAPI ${iface.source.version}`,
          'give GovWay an OpenAPI 3.0 version of the spec, or leave the govway target out',
        );
      }
    }
  }
  if (targets.includes('nginx')) {
    if (specs.some((s) => s.source.format === 'wsdl')) {
      add(
        'gateway/nginx-rest',
        { file: agreement.provider.source.file, pointer: '', line: 1, column: 1 },
        'gateway nginx: only REST agreements are supported; use the govway target for SOAP',
        'leave nginx out of gateway.targets for a SOAP agreement',
      );
    }
    for (const push of pushes) {
      if (push.kind !== 'push' || push.replyTo.in !== 'header') continue;
      if (!/^[A-Za-z0-9_-]+$/.test(push.replyTo.name)) {
        add(
          'gateway/nginx-header',
          push.request.location,
          `gateway nginx: the callback header name ${JSON.stringify(push.replyTo.name)} of ${push.request.id} is not a plain HTTP header name`,
          'name the callback header with letters, digits, "-" and "_" only',
        );
      }
    }
  }
  return findings;
}
