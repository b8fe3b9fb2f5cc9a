import { describe, expect, it } from 'vitest';
import { inspectAgreement, type InspectRow } from '../../src/inspect/index.js';
import { loadClassified as loadAgreement } from '../../src/classify/index.js';

/**
 * A row of an inspect table: a spec (and callback spec) and the expected decision of every operation, written
 * `PATTERN[:role[:correlatedWith]]`. Operations not listed must all be `others.pattern`, and
 * there must be exactly `others.count` of them. Embedded callbacks are operations too.
 * A spec the loader refuses has `error` instead. SOAP specs are one row each, the same way.
 */
export interface InspectCase {
  spec: string;
  callback?: string;
  ops?: Record<string, string>;
  others?: { pattern: string; count: number };
  error?: RegExp;
}

const decision = (r: InspectRow) => [r.pattern, r.role, r.correlatedWith].filter(Boolean).join(':');

/** One test per row: the specs are read under `root` (a path ending in a slash). */
export function describeInspectCases(root: string, cases: InspectCase[]): void {
  describe('inspect: the pattern of every operation of every fixture spec', () => {
    for (const c of cases) {
      const name = c.callback ? `${c.spec} + ${c.callback}` : c.spec;
      it(
        name,
        async () => {
          const load = loadAgreement({
            spec: root + c.spec,
            callback: c.callback && root + c.callback,
          });
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
}
