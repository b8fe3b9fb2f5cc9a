import { dirname, extname, relative, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import { GENERATED_DIR } from '../emit/index.js';
import { GATEWAY_DIR } from '../emit/gateway/index.js';
import { selectAgreements } from './agreements.js';
import type { GenerateArgs } from './main.js';

/** Files a spec may be made of: the spec, the files its `$ref`s and imports name. */
const SPEC_EXTENSIONS = new Set(['.yaml', '.yml', '.json', '.wsdl', '.xsd', '.xml']);

export interface WatchOptions {
  /** Stops watching (the CLI aborts it on Ctrl-C). */
  signal?: AbortSignal;
  /** Prints an error of one run; the watch goes on. */
  onError: (e: unknown) => void;
}

/**
 * `accordo generate --watch`: a run now, then one after every change to the specs' folders (spec
 * files only, output folders left out) or to the config file, printing what changed and what the
 * run wrote. A run that fails prints its error and the watch goes on. Resolves when stopped.
 */
export async function watchGenerate(args: GenerateArgs, run: (args: GenerateArgs) => Promise<number>, options: WatchOptions): Promise<number> {
  const runOnce = async () => {
    try {
      await run(args);
    } catch (e) {
      options.onError(e);
    }
  };
  await runOnce();
  const { config, agreements } = await selectAgreements(args).catch(() => ({ config: undefined, agreements: [] }));
  const outputs = agreements.flatMap((a) => {
    const out = args.out ? resolve(args.out) : (a.out ?? process.cwd());
    return [resolve(out, GENERATED_DIR), resolve(out, GATEWAY_DIR)];
  });
  const folders = [
    ...new Set(
      agreements
        .flatMap((a) => [a.spec, a.callback])
        .filter((f): f is string => !!f)
        .map((f) => dirname(f)),
    ),
  ];
  const paths = [...folders, ...(config?.file ? [config.file] : [])];
  const ignored = (path: string, stats?: { isFile(): boolean }) =>
    path.split(sep).includes('node_modules') || outputs.some((o) => path === o || path.startsWith(o + sep)) || (!!stats?.isFile() && path !== config?.file && !SPEC_EXTENSIONS.has(extname(path)));
  const watcher = watch(paths, { ignoreInitial: true, ignored });
  await new Promise<void>((ready) => watcher.once('ready', () => ready()));
  console.log(`watching ${paths.map((p) => relative(process.cwd(), p) || '.').join(', ')} (Ctrl-C stops)`);

  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const onChange = (path: string) => {
    changed.add(relative(process.cwd(), path) || path);
    clearTimeout(timer);
    // Editors write a file in several steps: one run for a burst of events.
    timer = setTimeout(() => {
      const files = [...changed].sort();
      changed = new Set();
      running = running.then(async () => {
        console.log(`changed: ${files.join(', ')}`);
        await runOnce();
      });
    }, 100);
  };
  watcher.on('add', onChange).on('change', onChange).on('unlink', onChange);

  await new Promise<void>((stop) => {
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', () => stop(), { once: true });
  });
  clearTimeout(timer);
  await watcher.close();
  await running;
  return 0;
}
