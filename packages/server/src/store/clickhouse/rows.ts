import { Rollup } from '../duckdb/rollup.js';
import type { SampleRow } from '../types.js';

/** A sample row as the samples table names its columns (JSONEachRow). */
export interface ClickHouseSampleRow {
  day: string;
  app: string;
  metric: string;
  dim: string;
  /** The grouping's cell: the day, a key or a device value. */
  key: string;
  detail: string;
  bucket: number;
  /** Device-days summed into this row (summary rows count one per report; bucket rows 0). */
  reports: number;
  value: number;
  /** Ingest markers only. */
  count: number;
}

/**
 * Sums rows with equal dimensions (the DuckDB store's rollup), so an insert holds per-cell totals rather than
 * one row set per report, and is smaller.
 */
export function rollUp(rows: readonly SampleRow[]): ClickHouseSampleRow[] {
  const rollup = new Rollup();
  rollup.add(rows);
  return rollup.sorted().map((r) => ({
    day: r.day,
    app: r.app,
    metric: r.metric,
    dim: r.by,
    key: r.cell,
    detail: r.detail,
    bucket: r.bucket,
    reports: r.reports,
    value: r.value,
    count: 0,
  }));
}
