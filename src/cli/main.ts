import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { GATEWAY_TARGETS, type GatewayConfig, type GatewayTarget } from '../config/gateway.js';
import { CONFIG_FILE, loadConfig, type AgreementConfig } from '../config/index.js';
import type { Side } from '../emit/index.js';
import { generate, LintFailure } from '../generate.js';
import { formatInspect, inspectAgreement } from '../inspect/index.js';
import { formatFindings, hasErrors, lintAgreement } from '../lint/index.js';
import { SpecError } from '../load/errors.js';
import { inspectDelivery, listDeliveries, purgeDeliveries, retryDelivery } from '../runtime/admin.js';
import { MessageBox, MessageLeasedError, type BoxEntry } from '../runtime/message-box.js';
import { DEFAULT_STORE, openStore, TASK_STATES, type TaskRecord, type TaskState } from '../runtime/store/index.js';
import { loadClassified } from '../classify/index.js';
import { selectAgreements, UsageError, type SpecArgs } from './agreements.js';
import { fileSystemError } from './fs-errors.js';
import { runInit } from './init.js';
import { watchGenerate } from './watch.js';

/** package.json, two folders up from src/cli and dist/cli alike. */
const PACKAGE = createRequire(import.meta.url)('../../package.json') as { version: string };
import { diffAgreements, formatReport, IMPACTS, snapshotOf, type ChangeReport, type Impact } from '../diff/index.js';
import { GitError, treeAtRef } from '../diff/git.js';

/** Exit codes: 0 done; 1 a spec or config is wrong; 2 bad usage; 3 `--check` found stale output; 4 `diff --fail-on` met changes. */
export const EXIT = { ok: 0, input: 1, usage: 2, stale: 3, changes: 4 } as const;

export async function main(argv: string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    let code: number = EXIT.ok;
    await yargs(argv)
      .scriptName('accordo')
      .usage('$0 <command> [options]')
      .command(
        'generate [spec]',
        'Generate TypeScript (types, provider, consumer, handler scaffolds) from a service agreement',
        (y) =>
          specOptions(y)
            .option('out', { type: 'string', describe: 'Output directory (default: the current directory)' })
            .option('side', { choices: ['provider', 'consumer', 'both'] as const, describe: 'Which side to generate (default: both)' })
            .option('gateway', { type: 'string', describe: `Gateway configurations to generate, comma-separated (${GATEWAY_TARGETS.join(', ')}); the facts come from "gateway:" in ${CONFIG_FILE}` })
            .option('check', { type: 'boolean', default: false, describe: 'Write nothing; exit 3 and list the files that are stale' })
            .option('lint', { type: 'boolean', default: true, describe: 'Refuse to generate when the specs break guideline rules (--no-lint to generate anyway)' })
            .option('watch', { type: 'boolean', default: false, describe: 'Generate, then again whenever a spec or the config changes, printing what changed (Ctrl-C stops)' })
            .example('$0 generate api/server.yaml --callback api/client.yaml --out src/agreement', 'Generate both sides')
            .example('$0 generate', `Use the settings of ./${CONFIG_FILE}`)
            .example('$0 generate --check', 'In CI: fail if the committed output no longer matches the specs')
            .example('$0 generate --watch', 'Regenerate while you edit the specs'),
        async (args) => {
          if (args.watch && args.check) throw new UsageError('--watch and --check do not go together: --check is for CI, --watch for editing');
          code = args.watch ? await watchUntilInterrupted(args, verbose) : await runGenerate(args);
        },
      )
      .command(
        'init',
        `Write a commented ${CONFIG_FILE} here, and say what the project needs (package.json, tsconfig)`,
        (y) =>
          y
            .option('spec', { type: 'string', describe: "The provider's spec, if you have it already" })
            .option('callback', { type: 'string', describe: "The consumer's callback spec" })
            .option('out', { type: 'string', describe: 'Output directory (default: src/agreement)' })
            .option('force', { type: 'boolean', default: false, describe: `Overwrite an existing ${CONFIG_FILE}` }),
        async (args) => {
          code = await runInit(args);
        },
      )
      .command(
        'lint [spec]',
        "Check the specs against the ModI guideline's rules for each operation's pattern",
        (y) =>
          specOptions(y)
            .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format (json for CI)' })
            .example('$0 lint api/server.yaml --callback api/client.yaml', 'Errors make the exit code 1')
            .example('$0 lint --format json', 'Findings as JSON, with the settings of ./accordo.config.yaml'),
        async (args) => {
          const findings = [];
          for (const a of await agreementsOf(args)) findings.push(...lintAgreement(await loadClassified(a)));
          const text = formatFindings(findings, args.format, { cwd: process.cwd() });
          if (text) console.log(text);
          code = hasErrors(findings) ? EXIT.input : EXIT.ok;
        },
      )
      .command(
        'inspect [spec]',
        'Print each operation with its pattern, its role and the facts that decided it',
        (y) =>
          specOptions(y)
            .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
            .example('$0 inspect api/server.yaml', 'One line per operation'),
        async (args) => {
          const agreements = await agreementsOf(args);
          const reports = [];
          for (const a of agreements) reports.push(inspectAgreement(await loadClassified(a)));
          if (args.format === 'json')
            console.log(
              agreements.length > 1
                ? JSON.stringify(
                    reports.map((r) => JSON.parse(formatInspect(r, 'json'))),
                    null,
                    2,
                  )
                : formatInspect(reports[0], 'json'),
            );
          else console.log(reports.map((r, i) => (agreements.length > 1 ? `${agreements[i].name}:\n` : '') + formatInspect(r, 'text')).join('\n\n'));
        },
      )
      .command(
        'diff [old] [new]',
        'Report what changed between two versions of the agreement, breaking or not for the provider and for the consumer',
        (y) =>
          y
            .positional('old', { type: 'string', describe: "The old version of the provider's spec (with --base: the spec, read at that revision and in the working tree)" })
            .positional('new', { type: 'string', describe: "The new version of the provider's spec" })
            .option('callback', { type: 'string', array: true, describe: 'The callback specs: <old> <new> (with --base: the one callback spec)' })
            .option('base', { type: 'string', describe: 'A git revision (branch, tag, commit): compare the specs as they are there with the working tree' })
            .option('config', { type: 'string', describe: `Config file (default: ./${CONFIG_FILE} when present): its spec and callback with --base, its patterns always` })
            .option('format', { choices: ['text', 'json', 'markdown'] as const, default: 'text' as const, describe: 'Output format (markdown for a pull-request comment)' })
            .option('fail-on', { choices: ['breaking', 'non-breaking', 'info'] as const, describe: `Exit ${EXIT.changes} when a change is at least this for a side (--side)` })
            .option('side', { choices: ['provider', 'consumer', 'both'] as const, default: 'both' as const, describe: 'Which side --fail-on judges' })
            .example('$0 diff v1/server.yaml v2/server.yaml', 'Two versions of a spec')
            .example('$0 diff v1/server.yaml v2/server.yaml --callback v1/client.yaml v2/client.yaml', 'Two versions of a pair')
            .example('$0 diff --base origin/main --fail-on breaking', `In CI: the specs of ${CONFIG_FILE} against the main branch; exit ${EXIT.changes} on a breaking change`),
        async (args) => {
          code = await runDiff(args);
        },
      )
      .command(
        'deliveries <action> [id]',
        'List, inspect, retry or purge the callback deliveries of push providers (their store)',
        (y) =>
          y
            .positional('action', { choices: ['list', 'inspect', 'retry', 'purge'] as const, demandOption: true, describe: 'What to do' })
            .positional('id', { type: 'string', describe: 'A CorrelationID (inspect, retry; purge of one)' })
            .option('store', { type: 'string', describe: `The providers' store: sqlite:<file> or a postgres:// URL (default: "store:" of ${CONFIG_FILE}, else ${DEFAULT_STORE})` })
            .option('config', { type: 'string', describe: `Config file (default: ./${CONFIG_FILE} when present)` })
            .option('state', { type: 'string', describe: `Only deliveries in these states, comma-separated (${TASK_STATES.join(', ')})` })
            .option('operation', { type: 'string', describe: 'Only deliveries of this operation id' })
            .option('before', { type: 'string', describe: 'Only deliveries last changed before this date-time (ISO 8601)' })
            .option('limit', { type: 'number', describe: 'At most this many (list)' })
            .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
            .example('$0 deliveries list --state dead', 'The dead letters, with their last response')
            .example('$0 deliveries retry 69a445fb-6a9f-44fe-b1c3-59c0f7fb568d', 'Send a dead callback again')
            .example('$0 deliveries purge --state delivered --before 2026-11-01', 'Delete old delivered ones'),
        async (args) => {
          code = await runDeliveries(args);
        },
      )
      .command(
        'messages <action> [id]',
        "List, show or delete the messages waiting in a consumer's message box (its store)",
        (y) =>
          y
            .positional('action', { choices: ['list', 'get', 'delete'] as const, demandOption: true, describe: 'What to do' })
            .positional('id', { type: 'string', describe: 'A message id (get, delete)' })
            .option('store', { type: 'string', describe: `The consumer's store: sqlite:<file> or a postgres:// URL (default: "store:" of ${CONFIG_FILE}, else ${DEFAULT_STORE})` })
            .option('config', { type: 'string', describe: `Config file (default: ./${CONFIG_FILE} when present)` })
            .option('operation', { type: 'string', describe: 'Only messages of this callback operation id (list, delete --all)' })
            .option('reference', { type: 'string', describe: 'The message that answers this CorrelationID (list, get)' })
            .option('all', { type: 'boolean', default: false, describe: 'delete: every message no drainer holds' })
            .option('limit', { type: 'number', describe: 'At most this many (list)' })
            .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
            .example('$0 messages list --operation PushResponseMessage', 'The messages waiting, newest first')
            .example('$0 messages get --reference 69a445fb-6a9f-44fe-b1c3-59c0f7fb568d', 'The message that answers a request')
            .example('$0 messages delete --all', 'Empty the box (messages a drainer holds stay)'),
        async (args) => {
          code = await runMessages(args);
        },
      )
      .option('verbose', { type: 'boolean', default: false, describe: 'Print stack traces of internal errors' })
      .strict()
      .demandCommand(1, 'name a command: generate, lint, inspect, deliveries, messages or init')
      .recommendCommands()
      .help()
      .alias('h', 'help')
      .version(PACKAGE.version)
      .fail((message, error) => {
        // recommendCommands says only "Did you mean generate?": name the word it corrects.
        const suggestion = /^Did you mean (\S+)\?$/.exec(message ?? '');
        throw error ?? new UsageError(suggestion ? `unknown command "${argv.find((a) => !a.startsWith('-'))}": did you mean ${suggestion[1]}?` : message);
      })
      .parseAsync();
    return code;
  } catch (e) {
    return reportError(e, verbose);
  }
}

/** An error as the CLI prints it (one line naming the file and place, no stack), and its exit code. */
function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof LintFailure) {
    console.error(formatFindings(e.blocking ?? e.findings, 'text', { cwd: process.cwd() }));
    console.error(`error: ${e.message}; nothing was generated (${e.blocking ? 'fix them' : 'fix them, or pass --no-lint'})`);
    return EXIT.input;
  }
  if (e instanceof SpecError) {
    console.error(`error: ${e.describe()}`);
    return EXIT.input;
  }
  if (e instanceof GitError) {
    console.error(`error: ${e.message}`);
    return EXIT.input;
  }
  if (e instanceof UsageError) {
    console.error(`error: ${e.message}\nRun "accordo --help" for usage.`);
    return EXIT.usage;
  }
  const fsError = fileSystemError(e);
  if (fsError) {
    console.error(`error: ${fsError}`);
    return EXIT.input;
  }
  console.error(`internal error: ${(e as Error).message ?? String(e)}`);
  if (verbose) console.error((e as Error).stack);
  else console.error('Run again with --verbose for the details.');
  return EXIT.input;
}

export interface GenerateArgs extends SpecArgs {
  gateway?: string;
  out?: string;
  side?: Side;
  check: boolean;
  lint: boolean;
}

/** The options every command that reads specs takes. */
function specOptions<T>(y: Argv<T>) {
  return y
    .positional('spec', { type: 'string', describe: "The provider's spec: OpenAPI 3.0/3.1 (YAML or JSON) or WSDL 1.1" })
    .option('callback', { type: 'string', describe: "The consumer's callback spec (client.yaml, callback WSDL)" })
    .option('config', { type: 'string', describe: `Config file (default: ./${CONFIG_FILE} when present)` })
    .option('agreement', { type: 'string', describe: `With several agreements in ${CONFIG_FILE}: only the one of this name` });
}

/** The agreements to read (src/cli/agreements.ts), saying on stderr which config applies. */
async function agreementsOf(args: SpecArgs) {
  const { agreements, note } = await selectAgreements(args);
  if (note) console.error(note);
  return agreements;
}

async function watchUntilInterrupted(args: GenerateArgs, verbose: boolean): Promise<number> {
  const stop = new AbortController();
  const interrupted = () => stop.abort();
  process.once('SIGINT', interrupted);
  try {
    return await watchGenerate(args, runGenerate, { signal: stop.signal, onError: (e) => reportError(e, verbose) });
  } finally {
    process.off('SIGINT', interrupted);
  }
}

/** `accordo generate`: every agreement selected, one after the other; the worst exit code wins. */
export async function runGenerate(args: GenerateArgs): Promise<number> {
  const agreements = await agreementsOf(args);
  if (args.out && agreements.length > 1) throw new UsageError('--out with several agreements: pick one with --agreement, or set "out:" per agreement');
  let code: number = EXIT.ok;
  for (const agreement of agreements) {
    if (agreements.length > 1) console.log(`${agreement.name}:`);
    code = Math.max(code, await generateOne(agreement, args));
  }
  return code;
}

async function generateOne(agreement: AgreementConfig & { spec: string }, args: GenerateArgs): Promise<number> {
  const out = args.out ? resolve(args.out) : (agreement.out ?? process.cwd());
  const result = await generate({
    spec: agreement.spec,
    callback: agreement.callback,
    out,
    side: args.side ?? agreement.side ?? 'both',
    patterns: agreement.patterns,
    security: agreement.security,
    messageBox: agreement.messageBox,
    ...(agreement.webhookPaths ? { webhookPaths: agreement.webhookPaths } : {}),
    carriers: agreement.carriers,
    gateway: gatewayOption(args.gateway, agreement.gateway),
    check: args.check,
    ignoreLint: !args.lint,
  });
  const warnings = result.findings.length;
  if (warnings) console.error(`${warnings} guideline warning(s): run "accordo lint" to see them`);
  // Handler files are named as the user's editor opens them: relative to the working directory, with the line.
  const where = (path: string, line?: number) => `${relative(process.cwd(), join(out, path)) || path}${line ? `:${line}` : ''}`;
  const orphans = result.orphans.flatMap((o) => o.handlers.map((h) => `  kept     ${where(o.path)}: handler ${h} has no operation in the specs any more (delete it when you no longer need it)`));
  const unplaced = result.unplaced.map((u) => `${where(u.path, u.line)}: ${u.reason}; add these handlers there (${u.handlers.join(', ')}):\n${u.stubs}`);
  if (result.changes) {
    // The report names spec files relative to the output directory; print them relative to here.
    for (const c of result.changes.changes) if (c.at) c.at.file = relative(process.cwd(), resolve(out, c.at.file)) || c.at.file;
    for (const side of [result.changes.old, result.changes.new]) side.file = relative(process.cwd(), resolve(out, side.file)) || side.file;
    result.changes.old.file += ' (last generation)';
    const text = `the agreement changed since the last generation:\n${formatReport(result.changes, 'text').trimEnd()}`;
    if (args.check) console.error(text);
    else console.log(text);
  }
  if (args.check) {
    if (result.stale.length) {
      const missing = new Map([...result.stubbed, ...result.unplaced].map((s) => [s.path, s.handlers]));
      const line = (f: string) => (missing.has(f) ? `  ${f} (handlers missing: ${missing.get(f)!.join(', ')})` : `  ${f}`);
      console.error(`stale generated files (run "accordo generate"):\n${result.stale.map(line).join('\n')}`);
      if (orphans.length) console.error(orphans.join('\n'));
      return EXIT.stale;
    }
    console.log(`up to date: ${result.unchanged.length} generated files match the specs`);
    if (orphans.length) console.error(orphans.join('\n'));
    return EXIT.ok;
  }
  const lines = [
    ...result.written.map((f) => `  wrote    ${f}`),
    ...result.created.map((f) => `  created  ${f} (yours from now on)`),
    ...result.stubbed.map((s) => `  stubbed  ${where(s.path, s.line)}: ${s.handlers.join(', ')} (new operations: fill them in)`),
    ...result.removed.map((f) => `  removed  ${f}`),
    ...orphans,
  ];
  console.log(lines.length ? lines.join('\n') : 'nothing to do: everything is up to date');
  if (unplaced.length) console.error(unplaced.join('\n'));
  return EXIT.ok;
}

interface DiffArgs {
  old?: string;
  new?: string;
  callback?: string[];
  base?: string;
  config?: string;
  format: 'text' | 'json' | 'markdown';
  failOn?: Impact;
  side: Side;
}

/** `accordo diff`: two versions given as files, or the working tree's specs against a git revision. */
async function runDiff(args: DiffArgs): Promise<number> {
  const callbacks = args.callback ?? [];
  const cwd = process.cwd();
  let report: ChangeReport;
  if (args.base !== undefined) {
    if (args.new) throw new UsageError('with --base, give one spec (its version at --base is the old one), not two');
    if (callbacks.length > 1) throw new UsageError('with --base, give one --callback (its version at --base is the old one)');
    const selected = await agreementsOf({ spec: args.old, callback: callbacks[0], config: args.config });
    if (selected.length > 1) throw new UsageError('with --base and several agreements in the config, give the spec to compare');
    const { spec, callback, patterns } = selected[0];
    const tree = await treeAtRef(args.base, spec);
    try {
      const [oldSpec, oldCallback] = [tree.at(spec), callback && tree.at(callback)];
      for (const [file, at] of [
        [spec, oldSpec],
        [callback, oldCallback],
      ]) {
        if (file && at && !existsSync(at)) throw new UsageError(`${file} does not exist at ${args.base}`);
      }
      // The old specs are named as the working tree's are, relative to the current directory.
      const old = snapshotOf(await loadClassified({ spec: oldSpec, callback: oldCallback, patterns }), cwd, { fileName: tree.original });
      const now = snapshotOf(await loadClassified({ spec, callback, patterns }), cwd);
      report = diffAgreements(old, now);
      report.old.file += ` (at ${args.base})`;
    } finally {
      await tree.remove();
    }
  } else {
    if (!args.old || !args.new) throw new UsageError('give the old and the new spec, or one spec and --base <git revision>');
    if (callbacks.length === 1) throw new UsageError('--callback takes the old and the new callback spec: --callback <old> <new>');
    if (callbacks.length > 2) throw new UsageError('--callback takes two files: the old and the new callback spec');
    const configPath = args.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
    const patterns = configPath ? (await loadConfig(configPath)).patterns : undefined;
    const load = async (spec: string, callback: string | undefined) => snapshotOf(await loadClassified({ spec: resolve(spec), callback: callback && resolve(callback), patterns }), cwd);
    report = diffAgreements(await load(args.old, callbacks[0]), await load(args.new, callbacks[1]));
  }
  console.log(formatReport(report, args.format).trimEnd());
  if (!args.failOn) return EXIT.ok;
  const threshold = IMPACTS.indexOf(args.failOn);
  const sides = args.side === 'both' ? (['provider', 'consumer'] as const) : [args.side];
  const met = report.changes.some((c) => sides.some((side) => IMPACTS.indexOf(c[side]) <= threshold));
  return met ? EXIT.changes : EXIT.ok;
}

/** `--gateway govway,nginx` picks the targets; the facts they need come from the config file. */
function gatewayOption(flag: string | undefined, config: GatewayConfig | undefined): GatewayConfig | undefined {
  if (flag === undefined) return config;
  const targets = flag
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of targets) if (!(GATEWAY_TARGETS as readonly string[]).includes(t)) throw new UsageError(`unknown gateway target "${t}" (known: ${GATEWAY_TARGETS.join(', ')})`);
  if (!config) throw new UsageError(`--gateway needs the "gateway:" section of ${CONFIG_FILE} (organisations, backends, gateway URLs)`);
  return { ...config, targets: targets as GatewayTarget[] };
}

/** The store a store-reading command opens: `--store`, else `store:` of the config file (`--config` or ./accordo.config.yaml), else the default. */
async function storeSetting(args: { store?: string; config?: string }): Promise<string> {
  const configPath = args.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  const config = configPath ? await loadConfig(configPath) : undefined;
  return args.store ?? config?.store ?? DEFAULT_STORE;
}

/** Prints a command's answer: the value as JSON, or its text form. */
function printer(format: 'text' | 'json'): (value: unknown, text: () => string) => void {
  return (value, text) => console.log(format === 'json' ? JSON.stringify(value, null, 2) : text());
}

interface DeliveriesArgs {
  action: 'list' | 'inspect' | 'retry' | 'purge';
  id?: string;
  store?: string;
  config?: string;
  state?: string;
  operation?: string;
  before?: string;
  limit?: number;
  format: 'text' | 'json';
}

/** `accordo deliveries`: the operator's view of the store the providers share. */
async function runDeliveries(args: DeliveriesArgs): Promise<number> {
  const states = args.state?.split(',').map((s) => s.trim()) as TaskState[] | undefined;
  const unknown = states?.find((s) => !TASK_STATES.includes(s));
  if (unknown) throw new UsageError(`unknown state "${unknown}" (known: ${TASK_STATES.join(', ')})`);
  const before = args.before === undefined ? undefined : Date.parse(args.before);
  if (before !== undefined && Number.isNaN(before)) throw new UsageError(`--before: not a date-time: ${args.before}`);
  if ((args.action === 'inspect' || args.action === 'retry') && !args.id) throw new UsageError(`deliveries ${args.action} needs a CorrelationID`);
  const store = await openStore(await storeSetting(args));
  const print = printer(args.format);
  try {
    const filter = { states, operation: args.operation, updatedBefore: before, limit: args.limit };
    switch (args.action) {
      case 'list': {
        const list = await listDeliveries(store, filter);
        print(list, () => (list.length ? list.map(deliveryLine).join('\n') : 'no deliveries'));
        return EXIT.ok;
      }
      case 'inspect':
      case 'retry': {
        const record = args.action === 'inspect' ? await inspectDelivery(store, args.id!) : await retryDelivery(store, args.id!);
        if (!record) {
          console.error(`error: no ${args.action === 'retry' ? 'dead or expired ' : ''}delivery ${JSON.stringify(args.id)}`);
          return EXIT.input;
        }
        print(record, () => (args.action === 'retry' ? `queued again: ${deliveryLine(record)}` : JSON.stringify(record, null, 2)));
        return EXIT.ok;
      }
      case 'purge': {
        let count: number;
        try {
          count = await purgeDeliveries(store, { ...filter, id: args.id });
        } catch (e) {
          throw e instanceof RangeError ? new UsageError(e.message) : e;
        }
        print({ purged: count }, () => `purged ${count} finished deliveries`);
        return EXIT.ok;
      }
    }
  } finally {
    await store.close();
  }
}

function deliveryLine(t: TaskRecord): string {
  const last = t.lastStatus ? ` last HTTP ${t.lastStatus}` : t.lastError ? ` last error: ${t.lastError}` : '';
  return `${t.id}  ${t.operation}  ${t.state}  attempts ${t.attempts}${last}  updated ${new Date(t.updatedAt).toISOString()}`;
}

interface MessagesArgs {
  action: 'list' | 'get' | 'delete';
  id?: string;
  store?: string;
  config?: string;
  operation?: string;
  reference?: string;
  all: boolean;
  limit?: number;
  format: 'text' | 'json';
}

/** `accordo messages`: the operator's view of a consumer's message box (docs/delivery.md). */
async function runMessages(args: MessagesArgs): Promise<number> {
  if (args.action === 'get' && !args.id && !args.reference) throw new UsageError('messages get needs a message id or --reference');
  if (args.action === 'delete' && !args.id === !args.all) throw new UsageError('messages delete needs a message id, or --all');
  // Reading needs no operations: those only say which messages `next` takes.
  const box = await MessageBox.open(await storeSetting(args), { operations: [] });
  const print = printer(args.format);
  try {
    switch (args.action) {
      case 'list': {
        const found = args.reference !== undefined ? await box.getByReference(args.reference) : undefined;
        const list: BoxEntry[] =
          args.reference !== undefined ? (found ? [found] : []) : await box.list({ ...(args.operation ? { operation: args.operation } : {}), ...(args.limit ? { limit: args.limit } : {}) });
        print(list, () => (list.length ? list.map(messageLine).join('\n') : 'no messages'));
        return EXIT.ok;
      }
      case 'get': {
        const message = args.id ? await box.get(args.id) : await box.getByReference(args.reference!);
        if (!message) {
          console.error(`error: no message ${args.id ? JSON.stringify(args.id) : `for reference ${JSON.stringify(args.reference)}`}`);
          return EXIT.input;
        }
        print(message, () => JSON.stringify(message, null, 2));
        return EXIT.ok;
      }
      case 'delete': {
        if (args.all) {
          const deleted = await box.deleteAll(args.operation ? { operation: args.operation } : {});
          print({ deleted }, () => `deleted ${deleted} messages`);
          return EXIT.ok;
        }
        try {
          if (!(await box.delete(args.id!))) {
            console.error(`error: no message ${JSON.stringify(args.id)}`);
            return EXIT.input;
          }
        } catch (e) {
          if (!(e instanceof MessageLeasedError)) throw e;
          console.error(`error: ${e.message}`);
          return EXIT.input;
        }
        print({ deleted: 1 }, () => `deleted message ${args.id}`);
        return EXIT.ok;
      }
    }
  } finally {
    await box.close();
  }
}

function messageLine(m: BoxEntry): string {
  return `${m.id}  ${m.operation}  reference ${m.reference}  received ${m.receivedAt}${m.leaseUntil ? `  held until ${m.leaseUntil}` : ''}`;
}
