import { z } from 'zod';
import type { Registry } from '../registry/schema.js';
import { KeyConfigListSchema } from '../wire/keys.js';
import { ReportBatchSchema } from './schema.js';
import { valueSchemaFor } from './values.js';

/**
 * JSON Schemas published beside docs/protocol.md, generated from the zod schemas the collector checks with, so
 * the published form cannot drift from what is enforced (a test compares the committed files with these).
 * JSON Schema cannot say everything the checker checks (bucket counts adding up, days inside the window, sites
 * under the public suffix list); docs/protocol.md lists those rules beside each schema.
 */
export type JsonSchema = Record<string, unknown>;

/** The batch inside every envelope. `metrics` is open here; see metricsJsonSchema for one registry's values. */
export function reportBatchJsonSchema(): JsonSchema {
  return { ...z.toJSONSchema(ReportBatchSchema), title: 'candor report batch v1' };
}

/** The `metrics` object of a report for one registry: each metric's value shape and per-value bounds. */
export function metricsJsonSchema(registry: Registry): JsonSchema {
  const shape: Record<string, z.ZodType> = {};
  for (const name of Object.keys(registry.metrics).sort()) {
    shape[name] = valueSchemaFor(registry.metrics[name] as Registry['metrics'][string]).optional();
  }
  return {
    ...z.toJSONSchema(z.strictObject(shape)),
    title: `candor report metrics for ${registry.app} ${registry.version}`,
  };
}

/** GET /v1/keys. */
export function keyConfigJsonSchema(): JsonSchema {
  return { ...z.toJSONSchema(KeyConfigListSchema), title: 'candor key configuration (GET /v1/keys)' };
}
