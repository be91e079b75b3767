import type { Dimension, MetricType } from '@candor/protocol';
import type { AggregateRequest } from '../types.js';
import { dayLiteral, stringLiteral } from './sql.js';

/** The column (as a String expression) each query dimension groups by. */
const DIMENSION_EXPRESSION: Record<Dimension, string> = {
  day: 'toString(day)',
  label: 'key',
  value: 'key',
  site: 'key',
  signature: 'key',
  modelFamily: 'model_family',
  os: 'os',
  osMajor: 'toString(os_major)',
  language: 'language',
  appVersion: 'app_version',
};

const DISTRIBUTION_TYPES: ReadonlySet<MetricType> = new Set(['timing_distribution', 'memory_distribution', 'site']);

export function isDistribution(type: MetricType): boolean {
  return DISTRIBUTION_TYPES.has(type);
}

function whereClause(request: AggregateRequest): string {
  return [
    `app = ${stringLiteral(request.app)}`,
    `metric = ${stringLiteral(request.metric)}`,
    `day >= ${dayLiteral(request.from)}`,
    `day <= ${dayLiteral(request.to)}`,
  ].join(' AND ');
}

/** Per-cell report count and sums over summary rows (bucket = -1). */
export function summarySql(table: string, request: AggregateRequest): string {
  const cell = DIMENSION_EXPRESSION[request.by];
  const detail = request.type === 'crash' ? 'min(detail)' : "''";
  return `SELECT ${cell} AS cell, count() AS reports, sum(value) AS value, sum(count) AS count, ${detail} AS detail
FROM ${table}
WHERE ${whereClause(request)} AND bucket = -1
GROUP BY cell
ORDER BY cell`;
}

/** Per-cell merged histogram of a distribution metric (bucket rows only). */
export function bucketsSql(table: string, request: AggregateRequest): string {
  const cell = DIMENSION_EXPRESSION[request.by];
  return `SELECT ${cell} AS cell, bucket, sum(count) AS count
FROM ${table}
WHERE ${whereClause(request)} AND bucket >= 0
GROUP BY cell, bucket
ORDER BY cell, bucket`;
}
