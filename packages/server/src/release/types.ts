import type { Dimension } from '@candor/protocol';

/**
 * One line of a grouping: a cell's summary (bucket -1: device-days in `reports`, the summed value in `value`) or
 * one histogram bucket of it (bucket >= 0: its weight in `value`). Stores hold raw lines for open days and
 * released (noised) lines for closed ones.
 */
export interface CellLine {
  metric: string;
  by: Dimension;
  /** The day, a label, value, site, signature, event shape or device value. */
  cell: string;
  /** Crash cells: the error type. Otherwise ''. */
  detail: string;
  bucket: number;
  reports: number;
  value: number;
}

/** What was spent on one grouping of one day, stored with its release so answers can state their uncertainty. */
export interface GroupingRelease {
  metric: string;
  by: Dimension;
  epsilon: number;
  delta: number;
  reportsScale: number;
  valueScale: number;
  /** Open vocabulary: the noisy device-day count a key needed; 0 for closed domains. */
  threshold: number;
}

/** One day's release: every grouping's parameters and its noised lines. */
export interface DayRelease {
  day: string;
  groupings: GroupingRelease[];
  lines: CellLine[];
}
