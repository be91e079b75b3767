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
  value: number;
  count: number;
}

export function toClickHouseRow(row: SampleRow): ClickHouseSampleRow {
  return {
    day: row.day,
    app: row.app,
    app_version: row.appVersion,
    model_family: row.modelFamily,
    os: row.os,
    os_major: row.osMajor,
    language: row.language,
    metric: row.metric,
    key: row.key,
    detail: row.detail,
    bucket: row.bucket,
    value: row.value,
    count: row.count,
  };
}

/** JSONEachRow text: one JSON object per line. */
export function jsonEachRow(rows: readonly ClickHouseSampleRow[]): string {
  let out = '';
  for (const row of rows) out += `${JSON.stringify(row)}\n`;
  return out;
}
