// Regenerates every example from its accordo.config.yaml (npm run examples).
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../dist/cli/main.js';

const root = new URL('../examples/', import.meta.url).pathname;
let code = 0;
for (const name of readdirSync(root).sort()) {
  const config = join(root, name, 'accordo.config.yaml');
  if (!existsSync(config)) continue;
  console.log(`examples/${name}:`);
  code ||= await main(['generate', '--config', config, ...process.argv.slice(2)]);
}
process.exitCode = code;
