// Regenerates config/vigil.schema.json from the code's schema (npm run schema).
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/schema.ts';
import { PROBE_KINDS } from '../src/probes/registry.ts';

const target = new URL('../config/vigil.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(configJsonSchema(PROBE_KINDS), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
