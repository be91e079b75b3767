import { Rollup } from '../duckdb/rollup.js';
import type { SampleRow } from '../types.js';

/** A sample row as the samples table names its columns (JSONEachRow). */
export interface ClickHouseSampleRow {
  day: string;
  app: string;
  app_version: string;
  model_family: string;
  os: string;
  os_major: number;
  language: string;
  metric: string;
  key: string;
  detail: string;
  bucket: number;
  /** Reports summed into this row (summary rows count one per report; bucket rows 0). */
  reports: number;
  value: number;
  count: number;
}

/**
 * Sums rows with equal dimensions (the DuckDB store's rollup), so an insert holds per-group totals rather than
 * one row set per report, and is smaller.
 */
export function rollUp(rows: readonly SampleRow[]): ClickHouseSampleRow[] {
  const rollup = new Rollup();
  rollup.add(rows);
  const out: ClickHouseSampleRow[] = [];
  for (const r of rollup.groups.values()) {
    out.push({
      day: r.day,
      app: r.app,
      app_version: r.appVersion,
      model_family: r.modelFamily,
      os: r.os,
      os_major: r.osMajor,
      language: r.language,
      metric: r.metric,
      key: r.key,
      detail: r.detail,
      bucket: r.bucket,
      reports: r.reports,
      value: r.value,
      count: r.count,
    });
  }
  return out;
}
