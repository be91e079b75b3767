import type { Dimension, MetricType, Report } from '@candor/protocol';

/**
 * One stored row. A report is flattened into rows before storage (see rows.ts); no report id, address or
 * anything else about the sender is stored. Every report contributes exactly one summary row (bucket = -1) per
 * metric and key, so "how many reports are behind a cell" is a plain count of summary rows.
 */
export interface SampleRow {
  day: string;
  app: string;
  appVersion: string;
  modelFamily: string;
  os: string;
  osMajor: number;
  language: string;
  metric: string;
  /** Label, enumeration value, 'true'/'false', site, crash signature or event extras; '' for plain values. */
  key: string;
  /** Crash rows: the error type. Otherwise ''. */
  detail: string;
  /** -1 for the summary row; a bucket index for distribution bucket rows. */
  bucket: number;
  /** Summary row: counter value, quantity, label count or sample sum. Bucket row: 0. */
  value: number;
  /** Summary row of a distribution: sample count. Bucket row: samples in the bucket. Otherwise 1. */
  count: number;
}

export interface AggregateRequest {
  app: string;
  metric: string;
  type: MetricType;
  by: Dimension;
  /** Inclusive UTC days. */
  from: string;
  to: string;
}

/** Raw per-cell aggregates; the query layer applies the k-threshold, DP noise and LDP de-biasing. */
export interface AggregateRow {
  key: string;
  /** Number of reports behind the cell (count of summary rows). */
  reports: number;
  /** Sum of summary-row values. */
  value: number;
  /** Sum of summary-row counts. */
  count: number;
  /** Crash cells: the error type. */
  detail?: string;
  /** Distributions only: bucket index -> merged count. */
  buckets?: Map<number, number>;
}

/** A report id as dedupe remembers it: a keyed hash of the id (see dedupe/window.ts) and the report's day. */
export interface DedupeKey {
  key: string;
  day: string;
}

/** What every store (embedded DuckDB, ClickHouse) offers the collector and the query layer. */
export interface ReportStore {
  /**
   * Appends the rows of already validated, de-duplicated reports. Resolves once they are durable. A store that
   * keeps dedupe keys writes `dedupe` in the same transaction as the rows, so either both are kept or neither.
   */
  append(rows: SampleRow[], dedupe?: readonly DedupeKey[]): Promise<void>;
  /** Dedupe keys kept with the rows, of reports whose day is `fromDay` or later (stores that keep them). */
  dedupeKeys?(fromDay: string): Promise<DedupeKey[]>;
  aggregate(request: AggregateRequest): Promise<AggregateRow[]>;
  close(): Promise<void>;
}

export type { Report };

/**
 * Where the collector hands reports it has opened, validated, firewall-checked and de-duplicated. The client's
 * 2xx is sent only after `accept` resolves, so a resolved accept means the reports are durable: written to the
 * embedded store, or acknowledged by the JetStream stream in the scale-out setup.
 */
export interface ReportSink {
  /** `dedupe`: the reports' dedupe keys, for sinks whose store keeps them with the rows. */
  accept(reports: Report[], dedupe?: readonly DedupeKey[]): Promise<void>;
  close(): Promise<void>;
}
