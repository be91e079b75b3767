import { z } from 'zod';
import { CATEGORIES, SEVERITIES } from '../detect/types.js';

/**
 * The JSON report (`candor audit --json`), version "candor-audit/1", as a schema: the documentation in
 * docs/audit-json-schema.md describes the same shape, and tests check real output against this.
 * Adding optional fields keeps the version; renaming, removing or changing the meaning of one bumps it.
 */
const Category = z.enum(CATEGORIES);
const Severity = z.enum(SEVERITIES);
const CategoryCounts = z.partialRecord(Category, z.number().int().positive());

export const FindingSchema = z.strictObject({
  category: Category,
  severity: Severity,
  detector: z.string(),
  file: z.string(),
  entry: z.number().int().nonnegative(),
  host: z.string(),
  domain: z.string(),
  location: z.enum(['url', 'query', 'header', 'cookie', 'body']),
  field: z.string(),
  decoding: z.array(z.string()),
  evidence: z.string(),
  note: z.string().optional(),
});

export const AuditReportSchema = z.strictObject({
  schema: z.literal('candor-audit/1'),
  files: z.array(z.strictObject({ file: z.string(), requests: z.number().int().nonnegative() })),
  requests: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  summary: z.strictObject({
    findings: z.number().int().nonnegative(),
    bySeverity: z.strictObject(Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().nonnegative()]))),
    byCategory: CategoryCounts,
    maxSeverity: Severity.optional(),
  }),
  findings: z.array(FindingSchema),
  hosts: z.array(
    z.strictObject({
      host: z.string(),
      domain: z.string(),
      requests: z.number().int().positive(),
      addresses: z.array(z.string()),
      countries: z.array(z.string()),
      categories: CategoryCounts,
      findings: z.number().int().nonnegative(),
      maxSeverity: Severity.optional(),
    }),
  ),
  domains: z.array(
    z.strictObject({
      domain: z.string(),
      hosts: z.array(z.string()),
      requests: z.number().int().positive(),
      countries: z.array(z.string()),
      categories: CategoryCounts,
      findings: z.number().int().nonnegative(),
      maxSeverity: Severity.optional(),
    }),
  ),
  warnings: z.array(z.strictObject({ file: z.string(), entry: z.number().int().optional(), message: z.string() })),
});

/** The same schema as JSON Schema (draft 2020-12), for tools outside TypeScript. */
export function auditJsonSchema(): unknown {
  return z.toJSONSchema(AuditReportSchema);
}
