// Writes dist/registry.schema.json from the compiled zod schema (run after tsc), so the published JSON Schema is
// always the one the collector checks against.
import { writeFileSync } from 'node:fs';
import { registryJsonSchema } from '../dist/registry/json-schema.js';

writeFileSync(
  new URL('../dist/registry.schema.json', import.meta.url),
  `${JSON.stringify(registryJsonSchema(), null, 2)}\n`,
);
