import { z } from 'zod';
import { RegistrySchema } from './schema.js';

/**
 * The JSON Schema of a registry file, generated from the zod schema so the two cannot drift. Editors use it to
 * complete and check a team's metrics file; `candor registry check` adds what JSON Schema cannot say (per-type
 * rules, expiry, bounds). Published as @candor/protocol/registry.schema.json.
 */
export function registryJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RegistrySchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  const properties = schema.properties as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://candor.dev/schemas/registry.schema.json',
    title: 'candor metric registry',
    // A file may name its schema for editors; the collector ignores the key.
    properties: { $schema: { type: 'string' }, ...properties },
  };
}
