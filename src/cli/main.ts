import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { GATEWAY_TARGETS, type GatewayConfig, type GatewayTarget } from '../config/gateway.js';
import { CONFIG_FILE, loadConfig } from '../config/index.js';
import type { Side } from '../emit/index.js';
import { generate, LintFailure } from '../generate.js';
import { formatInspect, inspectAgreement } from '../inspect/index.js';
import { formatFindings, hasErrors, lintAgreement } from '../lint/index.js';
import { SpecError } from '../load/errors.js';
import { inspectDelivery, listDeliveries, purgeDeliveries, retryDelivery } from '../runtime/admin.js';
import { DEFAULT_STORE, openStore, TASK_STATES, type TaskRecord, type TaskState } from '../runtime/store/index.js';
import { loadClassified } from '../classify/index.js';

/** Exit codes: 0 done; 1 a spec or config is wrong; 2 bad usage; 3 `--check` found stale output. */
export const EXIT = { ok: 0, input: 1, usage: 2, stale: 3 } as const;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    let code: number = EXIT.ok;
    await yargs(argv)
      .scriptName('accordo')
      .usage('$0 <command> [options]')
      .command(
        ['generate [spec]', '$0 [spec]'],
        'Generate TypeScript (types, provider, consumer, handler scaffolds) from a service agreement',
        (y) =>
          specOptions(y)
            .option('out', { type: 'string', describe: 'Output directory (default: the current directory)' })
            .option('side', { choices: ['provider', 'consumer', 'both'] as const, describe: 'Which side to generate (default: both)' })
            .option('gateway', { type: 'string', describe: `Gateway configurations to generate, comma-separated (${GATEWAY_TARGETS.join(', ')}); the facts come from "gateway:" in ${CONFIG_FILE}` })
            .option('check', { type: 'boolean', default: false, describe: 'Write nothing; exit 3 and list the files that are stale' })
            .option('lint', { type: 'boolean', default: true, describe: 'Refuse to generate when the specs break guideline rules (--no-lint to generate anyway)' })
            .example('$0 generate api/server.yaml --callback api/client.yaml --out src/agreement', 'Generate both sides')
            .example('$0 generate', `Use the settings of ./${CONFIG_FILE}`)
            .example('$0 generate --check', 'In CI: fail if the committed output no longer matches the specs'),
        async (args) => {
          code = await runGenerate(args);
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
          const findings = lintAgreement(await loadClassified(await sources(args)));
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
          console.log(formatInspect(inspectAgreement(await loadClassified(await sources(args))), args.format));
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
      .option('verbose', { type: 'boolean', default: false, describe: 'Print stack traces of internal errors' })
      .strict()
      .demandCommand(1)
      .help()
      .alias('h', 'help')
      .version(false)
      .fail((message, error) => {
        throw error ?? new UsageError(message);
      })
      .parseAsync();
    return code;
  } catch (e) {
    if (e instanceof LintFailure) {
      console.error(formatFindings(e.blocking ?? e.findings, 'text', { cwd: process.cwd() }));
      console.error(`error: ${e.message}; nothing was generated (${e.blocking ? 'fix them' : 'fix them, or pass --no-lint'})`);
      return EXIT.input;
    }
    if (e instanceof SpecError) {
      console.error(`error: ${e.describe()}`);
      return EXIT.input;
    }
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\nRun "accordo --help" for usage.`);
      return EXIT.usage;
    }
    console.error(`internal error: ${(e as Error).message ?? String(e)}`);
    if (verbose) console.error((e as Error).stack);
    else console.error('Run again with --verbose for the details.');
    return EXIT.input;
  }
}

interface SpecArgs {
  spec?: string;
  callback?: string;
  config?: string;
}

interface GenerateArgs extends SpecArgs {
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
    .option('config', { type: 'string', describe: `Config file (default: ./${CONFIG_FILE} when present)` });
}

/** The specs to read: from the command line, else from the config file. */
async function sources(args: SpecArgs) {
  const configPath = args.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  const config = configPath ? await loadConfig(configPath) : {};
  const spec = args.spec ? resolve(args.spec) : config.spec;
  if (!spec) throw new UsageError(`no spec given: pass one, or write ${CONFIG_FILE} with "spec:"`);
  return { config, spec, callback: args.callback ? resolve(args.callback) : config.callback, patterns: config.patterns, security: config.security };
}

async function runGenerate(args: GenerateArgs): Promise<number> {
  const { config, spec, callback, patterns, security } = await sources(args);
  const result = await generate({
    spec,
    callback,
    out: args.out ? resolve(args.out) : (config.out ?? process.cwd()),
    side: args.side ?? config.side ?? 'both',
    patterns,
    security,
    gateway: gatewayOption(args.gateway, config.gateway),
    check: args.check,
    ignoreLint: !args.lint,
  });
  const warnings = result.findings.length;
  if (warnings) console.error(`${warnings} guideline warning(s): run "accordo lint" to see them`);
  if (args.check) {
    if (result.stale.length) {
      console.error(`stale generated files (run "accordo generate"):\n${result.stale.map((f) => `  ${f}`).join('\n')}`);
      return EXIT.stale;
    }
    console.log(`up to date: ${result.unchanged.length} generated files match the specs`);
    return EXIT.ok;
  }
  const lines = [
    ...result.written.map((f) => `  wrote    ${f}`),
    ...result.created.map((f) => `  created  ${f} (yours from now on)`),
    ...result.removed.map((f) => `  removed  ${f}`),
  ];
  console.log(lines.length ? lines.join('\n') : 'nothing to do: everything is up to date');
  return EXIT.ok;
}

/** `--gateway govway,nginx` picks the targets; the facts they need come from the config file. */
function gatewayOption(flag: string | undefined, config: GatewayConfig | undefined): GatewayConfig | undefined {
  if (flag === undefined) return config;
  const targets = flag.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of targets) if (!(GATEWAY_TARGETS as readonly string[]).includes(t)) throw new UsageError(`unknown gateway target "${t}" (known: ${GATEWAY_TARGETS.join(', ')})`);
  if (!config) throw new UsageError(`--gateway needs the "gateway:" section of ${CONFIG_FILE} (organisations, backends, gateway URLs)`);
  return { ...config, targets: targets as GatewayTarget[] };
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
  const configPath = args.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  const config = configPath ? await loadConfig(configPath) : {};
  const states = args.state?.split(',').map((s) => s.trim()) as TaskState[] | undefined;
  const unknown = states?.find((s) => !TASK_STATES.includes(s));
  if (unknown) throw new UsageError(`unknown state "${unknown}" (known: ${TASK_STATES.join(', ')})`);
  const before = args.before === undefined ? undefined : Date.parse(args.before);
  if (before !== undefined && Number.isNaN(before)) throw new UsageError(`--before: not a date-time: ${args.before}`);
  if ((args.action === 'inspect' || args.action === 'retry') && !args.id) throw new UsageError(`deliveries ${args.action} needs a CorrelationID`);
  const store = await openStore(args.store ?? config.store ?? DEFAULT_STORE);
  const print = (value: unknown, text: () => string) => console.log(args.format === 'json' ? JSON.stringify(value, null, 2) : text());
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
