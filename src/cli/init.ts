import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE } from '../config/index.js';
import { CONFIG_SCHEMA_FILE } from '../config/schema.js';
import { UsageError } from './agreements.js';

/** The package root, from src/cli and dist/cli alike; `npm run build` writes the config schema in its dist/. */
const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What a project that runs generated code needs in its tsconfig.json (NodeNext ESM, as the generated imports are written). */
export const TSCONFIG_SUGGESTION = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'] },
};

export interface InitArgs {
  spec?: string;
  callback?: string;
  out?: string;
  force: boolean;
}

/** `accordo init`: a commented accordo.config.yaml, and what package.json and tsconfig.json need. */
export async function runInit(args: InitArgs): Promise<number> {
  const file = resolve(CONFIG_FILE);
  if (existsSync(file) && !args.force) throw new UsageError(`${CONFIG_FILE} exists already: edit it, or pass --force to write a new one`);
  const here = (path: string) => relative(process.cwd(), resolve(path)).split(sep).join('/');
  const schema = relative(process.cwd(), join(PACKAGE_ROOT, 'dist', CONFIG_SCHEMA_FILE))
    .split(sep)
    .join('/');
  await writeFile(file, configText({ schema, spec: args.spec && here(args.spec), callback: args.callback && here(args.callback), out: args.out ? here(args.out) : 'src/agreement' }));
  console.log(`wrote ${CONFIG_FILE}: ${args.spec ? 'check it' : 'fill in "spec:"'}, then run "npx accordo generate"`);
  console.log(await projectAdvice());
  return 0;
}

function configText(v: { schema: string; spec?: string; callback?: string; out: string }): string {
  return `# yaml-language-server: $schema=${v.schema}
# Settings of \`accordo generate\`, \`lint\`, \`inspect\` and \`deliveries\`: the same as the command line,
# paths relative to this file. The schema named above lets editors complete and check them.

# The provider's spec: OpenAPI 3.0/3.1 (YAML or JSON) or WSDL 1.1.
spec: ${v.spec ?? 'specs/server.yaml'}
# The consumer's callback spec (push agreements). Without it, the \`callbacks\` of the provider's
# spec describe the consumer's callback endpoints.
${v.callback ? '' : '# '}callback: ${v.callback ?? 'specs/client.yaml'}
# Where generated/ and your *.handlers.ts files go.
out: ${v.out}
# Which side this project implements: provider, consumer or both.
side: both
# Pattern overrides by operation id, for an operation whose shape does not say its pattern:
# patterns:
#   PushMessage: NONBLOCK_PUSH_REST
# Callback operations whose results wait in the consumer's message box, drained by the application:
# messageBox: [PushResponseMessage]
# The providers' store, for \`accordo deliveries\` (a consumer's, for \`accordo messages\`): the same value as createProviderServer's
# \`store\` option (its default is sqlite:./accordo.db in the directory the server runs in).
# store: sqlite:./accordo.db
# Gateway configuration between the two organisations (GovWay, nginx): see "Gateways" in the README.
# gateway:
#   targets: [govway, nginx]
#   provider: { organisation: ENTE, backend: http://10.0.0.5:8080/api, gatewayUrl: https://gw.ente.example/govway }
#   consumer: { organisation: CLIENT, application: ClientApp, gatewayUrl: https://gw.client.example/govway }
# Several agreements in one project: instead of the settings above, a list of them, each with its
# own name, spec, callback, out, side, patterns and gateway.
# agreements:
#   - { name: orders, spec: specs/orders.yaml, out: src/orders }
#   - { name: payments, spec: specs/payments.wsdl, out: src/payments }
`;
}

/** What package.json and tsconfig.json need for the generated code, as far as this directory tells. */
async function projectAdvice(): Promise<string> {
  const lines: string[] = [];
  const pkg = await readFile('package.json', 'utf8').then(
    (t) => JSON.parse(t) as { type?: string; dependencies?: Record<string, string> },
    () => undefined,
  );
  if (!pkg) lines.push('- no package.json here: run "npm init -y", then set "type": "module" in it');
  else {
    if (pkg.type !== 'module') lines.push('- package.json: set "type": "module" (the generated code is ES modules)');
    if (!pkg.dependencies?.accordo) lines.push('- package.json: accordo is a dependency, not a devDependency (generated code imports accordo/runtime)');
  }
  if (!existsSync('tsconfig.json')) lines.push(`- no tsconfig.json here: write one such as\n${JSON.stringify(TSCONFIG_SUGGESTION, null, 2)}\n  (and "npm install --save-dev typescript @types/node")`);
  else
    lines.push(
      `- tsconfig.json: the generated code needs ${Object.entries(TSCONFIG_SUGGESTION.compilerOptions)
        .filter(([k]) => k === 'module' || k === 'moduleResolution')
        .map(([k, v]) => `"${k}": "${v}"`)
        .join(', ')}`,
    );
  return lines.length ? `The project:\n${lines.join('\n')}` : 'The project looks ready.';
}
