// Lint severities against the guideline's own words (test/fixtures/lint/guideline-rules.md, a
// verbatim excerpt of the project's digest of the AgID text), not against the RULES table: each
// rule names the guideline rules it enforces; those say MUST, so the rule is an error, unless
// src/lint/README.md's policy makes it milder, for a reason listed here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../src/lint/index.js';
import { FIXTURES, ROOT } from './support/tmp.js';

const guideline = readFileSync(join(FIXTURES, 'lint', 'guideline-rules.md'), 'utf8');

/** The numbered rules of a section (`## 3. …`), each with the modal verb its list promises or it says itself. */
function sectionRules(section: string): Map<number, { text: string; must: boolean }> {
  const start = guideline.indexOf(`\n## ${section}. `);
  if (start < 0) throw new Error(`no section ${section} in the guideline excerpt`);
  const end = guideline.indexOf('\n## ', start + 1);
  const text = guideline.slice(start, end < 0 ? undefined : end);
  // "**Rules** (MUST be respected):", "Provider and consumer MUST:": the list's own modal.
  const listMust = /(\*\*Rules\*\*[^\n]*MUST|MUST:\s*$)/m.test(text);
  const rules = new Map<number, { text: string; must: boolean }>();
  for (const m of text.matchAll(/^(\d+)\. ([\s\S]*?)(?=^\d+\. |^\s*$|^\S)/gm)) {
    rules.set(Number(m[1]), { text: m[2], must: listMust || /\bMUST\b|\bmust\b/.test(m[2]) });
  }
  return rules;
}

const SECTIONS: Record<string, string> = { BLOCK_REST: '1', NONBLOCK_PUSH_REST: '3', NONBLOCK_PUSH_SOAP: '4', NONBLOCK_PULL_REST: '5', NONBLOCK_PULL_SOAP: '6' };

/**
 * Where src/lint/README.md makes a MUST milder, and why: the AgID examples themselves leave out
 * an ACK body or a status/result operation (the generated code has a default), and a non-POST
 * BLOCK_REST operation may be a resource update rather than a procedure call.
 */
const MILDER: Record<string, string> = {
  'push-rest/ack-body': 'an ACK body the spec leaves out: the generated code has a default',
  'pull-rest/ack-body': 'an ACK body the spec leaves out (the AgID PULL example declares none): the generated code has a default',
  'pull-rest/status-operation': 'a status operation the spec leaves out: the generated code has a default',
  'pull-rest/result-operation': 'a result operation the spec leaves out: the generated code has a default',
  'block-rest/post': 'PUT, PATCH or DELETE on a BLOCK_REST path may be a resource update, not the procedure call rule 3 is about',
};

/** Rules of Accordo's own (not the guideline's): errors, since what they find makes the agreement unusable. */
const OWN = ['pattern/unknown-extension', 'pattern/format-mismatch', 'agreement/callback-unused', 'oneway-rest/ack-status'];

/**
 * Rules resting on other documents than the pattern sections (the security patterns, OpenAPI runtime
 * expressions, CAMARA) or on the agreement as a whole, each severity with why.
 */
const OTHER: Record<string, { severity: 'error' | 'warning'; why: string }> = {
  'security/unknown-pattern': { severity: 'error', why: 'a profile that names no pattern cannot be verified or produced' },
  'security/header-declared-twice': { severity: 'error', why: 'one Digest and one Agid-JWT-Signature per message: two declarations make the signed value ambiguous' },
  'security/digest-without-signature': { severity: 'error', why: 'INTEGRITY_REST_01 signs the Digest: a Digest nothing signs proves nothing' },
  'security/integrity-without-body': { severity: 'warning', why: 'without a body there is nothing to digest; the signature still covers the headers' },
  'agreement/callback-compatible': { severity: 'error', why: 'the provider would send what the consumer refuses (NONBLOCK_PUSH_REST rules 3 and 7 MUST)' },
  'agreement/callback-uncalled': { severity: 'warning', why: 'an endpoint nothing calls costs nothing but is likely a leftover' },
  'agreement/webhook-path': { severity: 'error', why: 'a path for a webhook the spec does not declare, or one another endpoint has, would leave a webhook without its endpoint' },
  'agreement/webhook-unsupported': { severity: 'warning', why: "the rest of the agreement is generated and works; a callback spec's webhook is left out, and the finding says so" },
  'callback/expression-field': { severity: 'error', why: 'the provider cannot resolve a callback URL from a field the request does not have' },
  'subscription/credential-scheme': { severity: 'error', why: 'a credential with no place to send it would never reach the sink' },
  'push-rest/correlation-query': { severity: 'error', why: 'the consumer would look for the CorrelationID where the provider does not put it: every callback refused' },
  'agreement/message-box': { severity: 'error', why: 'a message box named for an operation that receives no push result would keep nothing: the config is wrong' },
  'rpc-soap/encoded-cycle': { severity: 'warning', why: 'trees of such a type work; only a peer that sends a cyclic multi-ref graph is refused, with a Client fault' },
  'push-soap/addressing-callback': { severity: 'warning', why: 'WS-Addressing on a request/response service is also how blocking calls are made: serving it blocking may be what is meant' },
};

describe('lint severities, from the guideline', () => {
  const ids = Object.keys(RULES) as (keyof typeof RULES)[];

  it('the excerpt holds the numbered rules of each pattern section', () => {
    expect([...sectionRules('3').keys()]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(sectionRules('5').get(4)!.text).toContain('status\n   MUST be **202 Accepted**');
    expect([...sectionRules('6').keys()]).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it.each(ids.filter((id) => !OWN.includes(id) && !(id in OTHER) && !String(RULES[id].source).startsWith('RAC_')))('%s: as the guideline rules it cites say', (id) => {
    const source = String(RULES[id].source);
    const cited = [...source.matchAll(/([A-Z_]+) rules? ([\d, and]+) \(§(\d)\)/g)];
    expect(cited.length, `${id} cites no guideline rule: ${source}`).toBeGreaterThan(0);
    let must = false;
    for (const [, pattern, numbers, section] of cited) {
      expect(SECTIONS[pattern], `${id}: ${pattern} is section ${section}`).toBe(section);
      const rules = sectionRules(section);
      for (const n of numbers
        .split(/,|and/)
        .map((s) => Number(s.trim()))
        .filter(Boolean)) {
        expect(rules.has(n), `${id}: ${pattern} has no rule ${n}`).toBe(true);
        must ||= rules.get(n)!.must;
      }
    }
    expect(must, `${id}: the rules it cites say MUST`).toBe(true);
    expect(RULES[id].severity).toBe(MILDER[id] ? 'warning' : 'error');
  });

  it.each(ids.filter((id) => String(RULES[id].source).startsWith('RAC_')))('%s: an implementation recommendation (§8), a warning', (id) => {
    const rac = /^RAC_[A-Z_]+_\d+/.exec(String(RULES[id].source))![0];
    expect(guideline).toContain(rac);
    expect(RULES[id].severity).toBe('warning');
  });

  it.each(Object.entries(OTHER))('%s: a rule of another document, its severity as reasoned here', (id, { severity }) => {
    expect(RULES[id as keyof typeof RULES].severity).toBe(severity);
  });

  it.each(OWN)("%s: Accordo's own rule, an error", (id) => {
    expect(RULES[id as keyof typeof RULES].severity).toBe('error');
  });

  it('every milder rule is one the README explains', () => {
    const readme = readFileSync(join(ROOT, 'src', 'lint', 'README.md'), 'utf8');
    expect(readme).toMatch(/an ACK\s+body, status or result operation the spec leaves out/);
    expect(readme).toMatch(/a BLOCK_REST operation\s+using PUT, PATCH or DELETE/);
    for (const id of Object.keys(MILDER)) expect(RULES[id as keyof typeof RULES].severity, id).toBe('warning');
  });
});
