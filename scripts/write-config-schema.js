// Writes the JSON Schema of accordo.config.yaml (src/config/schema.ts, the one source) to
// dist/accordo.config.schema.json, which the package ships and `accordo init` points editors at.
import { writeFileSync } from 'node:fs';
import { CONFIG_SCHEMA, CONFIG_SCHEMA_FILE } from '../dist/config/schema.js';

writeFileSync(new URL(`../dist/${CONFIG_SCHEMA_FILE}`, import.meta.url), JSON.stringify(CONFIG_SCHEMA, null, 2) + '\n');
