import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { CONFIG_FILE, loadConfig, type AccordoConfig, type AgreementConfig } from '../config/index.js';

export class UsageError extends Error {}

export interface SpecArgs {
  spec?: string;
  callback?: string;
  config?: string;
  agreement?: string;
}

/** The agreements a command works on, and a line saying which config file it applies (or ignores), if any. */
export interface Selection {
  config?: AccordoConfig;
  agreements: (AgreementConfig & { spec: string })[];
  note?: string;
}

/**
 * The agreements to work on. Without spec arguments: the config's (all of them, or `--agreement`).
 * With one: the config's agreement for that spec when there is one; a config named by `--config`
 * applies to it all the same; the working directory's config about other specs is ignored, and
 * the run says so: a run never picks up another agreement's settings silently.
 */
export async function selectAgreements(args: SpecArgs): Promise<Selection> {
  const configPath = args.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  const config = configPath ? await loadConfig(configPath) : undefined;
  const shown = (file: string) => relative(process.cwd(), file) || file;
  const named = (list: AgreementConfig[]) => {
    if (!args.agreement) return list;
    const found = list.filter((a) => a.name === args.agreement);
    if (!found.length) throw new UsageError(`no agreement named "${args.agreement}" in ${shown(config!.file!)} (${list.map((a) => a.name).join(', ')})`);
    return found;
  };
  if (!args.spec) {
    const agreements = config ? named(config.agreements).filter((a): a is AgreementConfig & { spec: string } => !!a.spec) : [];
    if (!agreements.length) throw new UsageError(`no spec given: pass one, or write ${CONFIG_FILE} with "spec:" (accordo init writes one)`);
    return { config, agreements, note: args.callback ? `--callback ${args.callback} applies to the config's agreement` : undefined };
  }
  const spec = resolve(args.spec);
  const callback = args.callback ? resolve(args.callback) : undefined;
  if (!config) return { agreements: [{ spec, callback }] };
  const match = named(config.agreements).find((a) => a.spec === spec);
  const label = (a: AgreementConfig) => (config.agreements.length > 1 ? ` (agreement ${a.name})` : '');
  if (match) return { config, agreements: [{ ...match, spec, callback: callback ?? match.callback }], note: `applying ${shown(config.file!)}${label(match)}` };
  if (args.config && config.agreements.length === 1) {
    const [only] = config.agreements;
    return { config, agreements: [{ ...only, name: undefined, spec, callback }], note: `applying ${shown(config.file!)} to ${shown(spec)} (its spec is ${only.spec ? shown(only.spec) : 'not set'})` };
  }
  if (args.config) throw new UsageError(`none of the agreements in ${shown(config.file!)} has the spec ${shown(spec)}: pick one with --agreement, or leave out the spec argument`);
  return { agreements: [{ spec, callback }], note: `ignoring ${shown(config.file!)}: its specs are not ${shown(spec)} (pass --config to apply it)` };
}
