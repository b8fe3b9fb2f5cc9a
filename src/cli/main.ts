import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import yargs from 'yargs';
import { CONFIG_FILE, loadConfig } from '../config/index.js';
import type { Side } from '../emit/index.js';
import { generate } from '../generate.js';
import { SpecError } from '../load/errors.js';

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
          y
            .positional('spec', { type: 'string', describe: "The provider's spec: OpenAPI 3.0/3.1 (YAML or JSON)" })
            .option('callback', { type: 'string', describe: "The consumer's callback spec (e.g. client.yaml)" })
            .option('out', { type: 'string', describe: 'Output directory (default: the current directory)' })
            .option('side', { choices: ['provider', 'consumer', 'both'] as const, describe: 'Which side to generate (default: both)' })
            .option('config', { type: 'string', describe: `Config file (default: ./${CONFIG_FILE} when present)` })
            .option('check', { type: 'boolean', default: false, describe: 'Write nothing; exit 3 and list the files that are stale' })
            .example('$0 generate api/server.yaml --callback api/client.yaml --out src/agreement', 'Generate both sides')
            .example('$0 generate', `Use the settings of ./${CONFIG_FILE}`)
            .example('$0 generate --check', 'In CI: fail if the committed output no longer matches the specs'),
        async (args) => {
          code = await runGenerate(args);
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

interface GenerateArgs {
  spec?: string;
  callback?: string;
  out?: string;
  side?: Side;
  config?: string;
  check: boolean;
}

async function runGenerate(args: GenerateArgs): Promise<number> {
  const configPath = args.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  const config = configPath ? await loadConfig(configPath) : {};
  const spec = args.spec ? resolve(args.spec) : config.spec;
  if (!spec) throw new UsageError(`no spec given: pass one, or write ${CONFIG_FILE} with "spec:"`);
  const result = await generate({
    spec,
    callback: args.callback ? resolve(args.callback) : config.callback,
    out: args.out ? resolve(args.out) : (config.out ?? process.cwd()),
    side: args.side ?? config.side ?? 'both',
    patterns: config.patterns,
    check: args.check,
  });
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
