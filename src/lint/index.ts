/**
 * `accordo lint`: the ModI guideline's rules for each operation's pattern, as findings with a
 * rule id, a severity, a position and a one-line fix. Pure: no printing, no exit codes; the CLI
 * formats the findings and `hasErrors` decides its exit code (and whether `generate` emits).
 */
import type { ClassifiedAgreement } from '../classify/index.js';
import type { Finding } from '../model/finding.js';
import { Linter } from './rules.js';

export { byPosition, formatFindings, hasErrors, type Finding, type Severity } from '../model/finding.js';
export { RULES, type RuleId, type RuleInfo } from './rules.js';

/**
 * Every finding of the agreement (provider and callback interface), sorted by file and position:
 * the guideline's rules for each operation's classified pattern and role, and what classification
 * found wrong with the agreement as a whole. With `sorted: false`, in the rules' order, and no
 * position read from the spec text until one is asked for.
 */
export function lintAgreement(classified: ClassifiedAgreement, options: { sorted?: boolean } = {}): Finding[] {
  return new Linter(classified).run(options.sorted ?? true);
}
