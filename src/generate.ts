import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { diffAgreements, parseSnapshot, serializeSnapshot, snapshotOf, SNAPSHOT_FILE, type ChangeReport } from './diff/index.js';
import type { GatewayConfig } from './config/gateway.js';
import { emitGateway, JSON_MARK_KEY } from './emit/gateway/index.js';
import { emit, GENERATED_MARK, specNames, type Side } from './emit/index.js';
import { byPosition, lintAgreement, hasErrors, type Finding } from './lint/index.js';
import { loadClassified, type CarrierSettings } from './classify/index.js';
import type { SecurityOverride } from './classify/security.js';
import { gatewayFindings } from './emit/gateway/preconditions.js';
import type { Pattern } from './model/agreement.js';
import { writeOutput, type WriteResult } from './write/index.js';

export interface GenerateOptions {
  spec: string;
  callback?: string;
  out: string;
  side: Side;
  patterns?: Record<string, Pattern>;
  /** Security pattern overrides by operation id (accordo.config.yaml `security`). */
  security?: Record<string, SecurityOverride>;
  /** Callback operation ids whose results go to the consumer's message box (accordo.config.yaml `messageBox`). */
  messageBox?: string[];
  /** The consumer's endpoint path of each webhook, by name (accordo.config.yaml `webhookPaths`). */
  webhookPaths?: Record<string, string>;
  /** Where the carriers travel when the spec does not say (accordo.config.yaml `carriers`). */
  carriers?: CarrierSettings;
  /** Gateway deployment facts; its `targets` say which gateway configurations to emit. */
  gateway?: GatewayConfig;
  /** Compare with what is on disk instead of writing. */
  check?: boolean;
  /** Emit even when the guideline rules find errors (default: refuse). */
  ignoreLint?: boolean;
  /** Told how long each stage took, in ms, in pipeline order (for `npm run bench`). */
  onStage?: (stage: Stage, ms: number) => void;
}

/** `load`: read, resolve, validate the specs and build the model, and check the guideline rules; `view`, `format` (templates and prettier): emit; `write`: the disk. */
export type Stage = 'load' | 'view' | 'format' | 'write';

/** The guideline rules found errors in the specs: nothing was generated. */
export class LintFailure extends Error {
  /**
   * `blocking`: with --no-lint, the findings that stop generation all the same (the generated code
   * cannot be written while they hold); the CLI shows those.
   */
  constructor(
    readonly findings: Finding[],
    readonly blocking?: Finding[],
  ) {
    super(
      blocking
        ? `the specs break ${blocking.length} rule(s) that generation cannot do without, --no-lint or not`
        : `the specs break ${findings.filter((f) => f.severity === 'error').length} guideline rule(s)`,
    );
    this.name = 'LintFailure';
  }
}

export interface GenerateResult extends WriteResult {
  /** The guideline warnings, in the rules' order (`accordo lint` shows them sorted); their positions are read from the spec when first asked for. */
  findings: Finding[];
  /**
   * What changed in the agreement since the run that wrote the output directory's snapshot
   * (generated/.accordo-agreement.json), for each side; absent on a first run or when nothing did.
   * Spec files are named relative to the output directory.
   */
  changes?: ChangeReport;
}

/** The whole pipeline: load the specs, build the model, check the guideline rules, emit the files, write them (or check them). */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  let t = performance.now();
  const lap = (stage: Stage) => {
    const now = performance.now();
    options.onStage?.(stage, now - t);
    t = now;
  };
  const classified = await loadClassified({
    spec: options.spec,
    callback: options.callback,
    patterns: options.patterns,
    security: options.security,
    messageBox: options.messageBox,
    ...(options.webhookPaths ? { webhookPaths: options.webhookPaths } : {}),
    ...(options.carriers ? { carriers: options.carriers } : {}),
  });
  // The gateway targets' preconditions are checked with the rules, so that emitting never fails half-way.
  const gatewayChecks = options.gateway?.targets.length ? gatewayFindings(classified, options.gateway, options.gateway.targets, options.side) : [];
  // Unsorted, so that a spec without errors is never parsed for the positions of its warnings (the CLI counts them).
  const linted = lintAgreement(classified, { sorted: false });
  const findings = [...linted, ...gatewayChecks];
  // What the generated code cannot be written without stops generation even with --no-lint.
  const blocking = [...classified.findings, ...gatewayChecks].filter((f) => f.blocking);
  if (hasErrors(findings) && (!options.ignoreLint || blocking.length)) throw new LintFailure([...linted.sort(byPosition), ...gatewayChecks], options.ignoreLint ? blocking : undefined);
  lap('load');
  const outDir = resolve(options.out);
  const files = await emit(classified, { side: options.side, outDir, onStage: options.onStage });
  if (options.gateway?.targets.length) {
    const specs = specNames(classified.agreement, outDir);
    files.push(...(await emitGateway(classified, options.gateway, { side: options.side, targets: options.gateway.targets, specs, mark: GENERATED_MARK })));
  }
  // The agreement as classified, kept for the next run's change report (no line numbers: see snapshot.ts).
  const stored = serializeSnapshot(snapshotOf(classified, outDir, { lines: false }), {
    key: JSON_MARK_KEY,
    notice: `${GENERATED_MARK}: the agreement as classified, which the next "accordo generate" reports changes against. Do not edit.`,
  });
  files.push({ path: SNAPSHOT_FILE, owned: true, contents: stored });
  const previousText = await readFile(join(outDir, SNAPSHOT_FILE), 'utf8').catch(() => undefined);
  const previous = previousText !== undefined && previousText !== stored ? parseSnapshot(previousText) : undefined;
  const report = previous && diffAgreements(previous, snapshotOf(classified, outDir));
  t = performance.now();
  const result = await writeOutput(files, outDir, { check: options.check });
  lap('write');
  return { ...result, findings, ...(report && report.changes.length ? { changes: report } : {}) };
}
