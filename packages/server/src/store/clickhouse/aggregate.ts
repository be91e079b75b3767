import type { Dimension, MetricType } from '@candor/protocol';
import type { AggregateRequest } from '../types.js';
import { dayLiteral, stringLiteral } from './sql.js';

/** The column (as a String expression) each query dimension groups by; formatted as the DuckDB store does. */
const DIMENSION_EXPRESSION: Record<Dimension, string> = {
  day: 'toString(day)',
  label: 'key',
  value: 'key',
  site: 'key',
  signature: 'key',
  modelFamily: 'model_family',
  os: 'os',
  osMajor: 'toString(os_major)',
  osVersion: "concat(os, ' ', toString(os_major))",
  language: 'language',
  appVersion: 'app_version',
};

/** Metric types where one report contributes several keys (labels, sites, signatures, event shapes). */
const MULTI_KEY_TYPES: ReadonlySet<MetricType> = new Set(['labeled_counter', 'site', 'crash', 'event']);
const DISTRIBUTION_TYPES: ReadonlySet<MetricType> = new Set(['timing_distribution', 'memory_distribution', 'site']);

export function isDistribution(type: MetricType): boolean {
  return DISTRIBUTION_TYPES.has(type);
}

/** One line of the aggregate query: a cell's summary (bucket -1) or one of its histogram buckets. */
export interface AggregateLine {
  cell: string;
  bucket: number;
  reports: string | number;
  value: number;
  count: string | number;
  detail: string;
}

/**
 * The same aggregation as the DuckDB store, so the shared query layer gives the same answers on either: sums per
 * cell and bucket, where a cell that groups a multi-key metric across its keys counts its reports as the largest
 * per-key count (a lower bound of the distinct reports, which keeps the k-threshold safe). Rows are summed
 * here whether or not ClickHouse has merged them yet.
 */
export function aggregateSql(table: string, request: AggregateRequest): string {
  const cell = DIMENSION_EXPRESSION[request.by];
  const reportsAcrossKeys = MULTI_KEY_TYPES.has(request.type) && cell !== 'key' ? 'max' : 'sum';
  const where = [
    `app = ${stringLiteral(request.app)}`,
    `metric = ${stringLiteral(request.metric)}`,
    `day >= ${dayLiteral(request.from)}`,
    `day <= ${dayLiteral(request.to)}`,
  ].join(' AND ');
  return `SELECT cell, bucket, ${reportsAcrossKeys}(key_reports) AS reports, sum(key_value) AS value,
  sum(key_count) AS count, any(key_detail) AS detail
FROM (
  SELECT ${cell} AS cell, key, bucket, sum(reports) AS key_reports, sum(value) AS key_value,
    sum(count) AS key_count, any(detail) AS key_detail
  FROM ${table}
  WHERE ${where}
  GROUP BY cell, key, bucket
)
GROUP BY cell, bucket`;
}
