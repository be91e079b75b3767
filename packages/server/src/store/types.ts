import type { Dimension, Report } from '@candor/protocol';
import type { CellLine, DayRelease, GroupingRelease } from '../release/types.js';
import type { PackedRows } from './packed.js';

/**
 * One stored row of an open day: one device-day's contribution to one cell of one grouping of one metric (see
 * rows.ts). Rows hold one dimension each, never a combination of device details, and no report id, address or
 * time. Every report adds exactly one summary row (bucket = -1) per cell it touches, so the device-days behind a
 * cell are a count of summary rows (`reports` when rows of several reports were already summed).
 */
export interface SampleRow {
  day: string;
  app: string;
  metric: string;
  by: Dimension;
  /** The day, a label, value, site, signature or event shape, or one device value. */
  cell: string;
  /** Crash rows: the error type. Otherwise ''. */
  detail: string;
  /** -1 for the summary row; a release bucket index for histogram rows. */
  bucket: number;
  /** Summary row: the (clamped) summed value. Bucket row: the device-day's weight in that bucket. */
  value: number;
  /**
   * Device-days summed into this row, when it sums several reports' rows (store/packed.ts). Absent: one report's
   * row, which counts 1 if it is a summary row and 0 if a bucket row.
   */
  reports?: number;
}

/** What a query reads: one grouping of one metric over a range of released days. */
export interface ReleasedRequest {
  app: string;
  metric: string;
  by: Dimension;
  /** Inclusive UTC days. */
  from: string;
  to: string;
}

/** Released lines of one day, with what that day's release of the grouping spent. */
export interface ReleasedDay {
  day: string;
  grouping: GroupingRelease;
  lines: CellLine[];
}

/** A report id as dedupe remembers it: the id encrypted under a secret key (see dedupe/window.ts) and the report's day. */
export interface DedupeKey {
  key: string;
  day: string;
}

/**
 * What every store (embedded DuckDB, ClickHouse) offers. Raw rows exist only for open days; a closed day is
 * released once (release/releaser.ts) and from then on only its release is read.
 */
export interface ReportStore {
  /**
   * Appends the rows of already validated, de-duplicated reports. Resolves once they are durable. A store that
   * keeps dedupe keys writes `dedupe` in the same transaction as the rows, so either both are kept or neither.
   */
  append(rows: SampleRow[], dedupe?: readonly DedupeKey[]): Promise<void>;
  /** `append` for rows an inspection thread flattened and packed (store/packed.ts), for a store that sums them so. */
  appendPacked?(rows: PackedRows, dedupe?: readonly DedupeKey[]): Promise<void>;
  /** Dedupe keys kept with the rows, of reports whose day is `fromDay` or later (stores that keep them). */
  dedupeKeys?(fromDay: string): Promise<DedupeKey[]>;
  /** Days up to `through` that hold raw rows or have not been released, oldest first. */
  unreleasedDays(app: string, through: string): Promise<string[]>;
  /** Raw lines of one day, summed per grouping, cell and bucket: the release's only input. */
  dayLines(app: string, day: string): Promise<CellLine[]>;
  /** Stores a day's release and deletes the day's raw rows, so the day is released once and only once. */
  saveRelease(app: string, release: DayRelease): Promise<void>;
  /** Released days in a range, each with its lines for one grouping. */
  released(request: ReleasedRequest): Promise<ReleasedDay[]>;
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
  /**
   * For a sink that stores flattened rows (store/rows.ts): the rows of reports already flattened, by an
   * inspection thread, so the main thread does not flatten them again. A sink without it is given reports.
   */
  acceptRows?(rows: PackedRows, dedupe?: readonly DedupeKey[]): Promise<void>;
  close(): Promise<void>;
}
