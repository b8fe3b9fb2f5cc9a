/**
 * `accordo lint`: the ModI guideline's rules for each operation's pattern, as findings with a
 * rule id, a severity, a position and a one-line fix. Pure: no printing, no exit codes; the CLI
 * formats the findings and `hasErrors` decides its exit code (and whether `generate` emits).
 */
import type { Agreement } from '../model/agreement.js';
import type { Finding } from './finding.js';
import { Linter } from './rules.js';

export { formatFindings, hasErrors, type Finding, type Severity } from './finding.js';
export { RULES, type RuleId, type RuleInfo } from './rules.js';

/** Every finding of the agreement (provider and callback interface), sorted by file and position. */
export function lintAgreement(agreement: Agreement): Finding[] {
  return new Linter(agreement).run();
}
