import { expect } from 'vitest';
import { loadClassified, type ClassifiedAgreement } from '../../src/classify/index.js';
import { buildSoapView } from '../../src/emit/soap-view.js';
import { buildView } from '../../src/emit/view.js';
import { inspectAgreement } from '../../src/inspect/index.js';
import { lintAgreement } from '../../src/lint/index.js';
import type { Operation, Pattern } from '../../src/model/agreement.js';

/** The pattern family a lint rule judges: the rules of one pattern only ever fire on operations of that pattern. */
const FAMILY: Record<string, Pattern[]> = {
  'block-rest': ['BLOCK_REST'],
  'oneway-rest': ['ONEWAY'],
  'push-rest': ['NONBLOCK_PUSH_REST'],
  'pull-rest': ['NONBLOCK_PULL_REST'],
  'push-soap': ['NONBLOCK_PUSH_SOAP'],
  'pull-soap': ['NONBLOCK_PULL_SOAP'],
};

/**
 * From one classify run: inspect's rows, lint's findings and the runtime descriptors that emit
 * generates agree on every operation's pattern and role. Returns what it compared, for the caller
 * to see the check was not empty.
 */
export async function checkAgreement(spec: string, callback?: string): Promise<{ operations: number }> {
  const classified = await loadClassified({ spec, callback });
  const rows = inspectAgreement(classified);
  const ops = allOperations(classified);
  expect(rows.map((r) => `${r.file}#${r.operation}`)).toEqual(ops.map((o) => `${o.location.file}#${o.id}`));
  rows.forEach((row, i) => {
    expect({ op: row.operation, pattern: row.pattern, role: row.role }).toEqual({ op: ops[i].id, pattern: ops[i].pattern.pattern, role: ops[i].pattern.role });
  });

  // Lint judges each operation by the pattern inspect shows.
  const byPlace = new Map(ops.map((o) => [`${o.location.file}#${o.location.pointer}`, o]));
  for (const finding of lintAgreement(classified)) {
    const family = FAMILY[finding.rule.split('/')[0]];
    if (!family) continue;
    const op = [...byPlace.entries()].filter(([place]) => `${finding.file}#${finding.pointer}`.startsWith(place)).sort((a, b) => b[0].length - a[0].length)[0]?.[1];
    if (op) expect({ rule: finding.rule, op: op.id, pattern: family.includes(op.pattern.pattern) }).toEqual({ rule: finding.rule, op: op.id, pattern: true });
  }

  // The generated descriptors carry the same patterns, and a pull group's steps are the operations classify tied to it.
  // (Nothing is generated while a blocking finding holds.)
  if (classified.findings.some((f) => f.blocking)) return { operations: ops.length };
  const descriptors = generatedDescriptors(classified);
  for (const { id, pattern } of descriptors.operations) {
    const op = classified.agreement.provider.operations.find((o) => o.id === id)!;
    expect({ id, pattern }).toEqual({ id, pattern: op.pattern.pattern });
  }
  for (const id of descriptors.receivers) {
    const row = rows.find((r) => r.operation === id && r.role === 'callback');
    expect(row, `receiver ${id} is a callback in inspect`).toBeDefined();
  }
  for (const i of classified.interactions) {
    if (i.kind === 'pull') for (const step of [i.status, i.result]) if (step) expect(step.pattern.correlatedWith).toBe(i.request.id);
  }
  return { operations: ops.length };
}

function allOperations(classified: ClassifiedAgreement): Operation[] {
  const out: Operation[] = [];
  const add = (op: Operation) => {
    out.push(op);
    for (const cb of op.callbacks) cb.operations.forEach(add);
  };
  classified.agreement.provider.operations.forEach(add);
  // The provider spec's webhooks: sent by the provider, received by the consumer.
  classified.webhooks.forEach((w) => add(w.op));
  classified.agreement.callback?.operations.forEach(add);
  return out;
}

function generatedDescriptors(classified: ClassifiedAgreement): { operations: { id: string; pattern: string }[]; receivers: string[] } {
  if (classified.binding === 'soap') {
    const view = buildSoapView(classified);
    return { operations: view.provider.map((o) => o.descriptor), receivers: view.receivers.map((r) => r.id) };
  }
  const view = buildView(classified);
  return {
    operations: view.provider.flatMap((o) => {
      const d = o.descriptor as { id: string; pattern: string; pull?: { status: { id: string; pattern: string }; result: { id: string; pattern: string } } };
      return [d, ...(d.pull ? [d.pull.status, d.pull.result].filter((s) => !s.id.startsWith(`${d.id} `)) : [])];
    }),
    receivers: view.receivers.map((r) => r.id),
  };
}
