import type { Dimension, Registry, Report } from '@candor/protocol';
import { writeRows } from './rows.js';
import type { SampleRow } from './types.js';

/**
 * One upload's flattened rows, grouped by report, in a form that crosses from an inspection thread to the main
 * thread as a few typed arrays and one short string table. Posting the rows as objects, or the report text to
 * flatten again there, cost the main thread more than anything else in `candor bench collector`; this costs a
 * copy of the arrays and one object per row taken.
 */
export interface PackedRows {
  /** Every distinct string the rows use, once. */
  strings: string[];
  /** Six per row: day, app, metric, grouping, cell and detail, as indices into `strings`. */
  text: Uint32Array;
  /** Two per row: bucket, value. */
  numbers: Float64Array;
  /** Per report, in upload order: the index one past its last row. */
  ends: Uint32Array;
}

const TEXT_FIELDS = 6;

/**
 * Packs the rows of one upload's reports as they are flattened (rows.ts `writeRows`), with no row object made.
 * Every string is kept once per upload; a row repeats the previous row's metric and grouping more often than not.
 */
export class RowPacker {
  private readonly strings: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly text: number[] = [];
  private readonly numbers: number[] = [];
  private readonly ends: number[] = [];

  private intern(s: string): number {
    let i = this.indexOf.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.indexOf.set(s, i);
    }
    return i;
  }

  /** Adds one report's rows; reports are numbered in the order they are added. */
  add(report: Report, registry: Registry): void {
    const day = this.intern(report.day);
    const app = this.intern(report.app);
    let lastMetric = '';
    let lastBy = '';
    let metricIndex = -1;
    let byIndex = -1;
    writeRows(report, registry, (metric, by, cell, detail, bucket, value) => {
      if (metric !== lastMetric) {
        lastMetric = metric;
        metricIndex = this.intern(metric);
      }
      if (by !== lastBy) {
        lastBy = by;
        byIndex = this.intern(by);
      }
      this.text.push(day, app, metricIndex, byIndex, this.intern(cell), this.intern(detail));
      this.numbers.push(bucket, value);
    });
    this.ends.push(this.numbers.length / 2);
  }

  done(): PackedRows {
    return {
      strings: this.strings,
      text: Uint32Array.from(this.text),
      numbers: Float64Array.from(this.numbers),
      ends: Uint32Array.from(this.ends),
    };
  }
}

/** The rows of the reports at `reports` (indices in upload order), as rows again. */
export function unpackRows(packed: PackedRows, reports: Iterable<number>): SampleRow[] {
  const { strings, text, numbers, ends } = packed;
  const at = (i: number) => strings[text[i] as number] as string;
  const rows: SampleRow[] = [];
  for (const report of reports) {
    const end = ends[report] ?? 0;
    for (let row = report === 0 ? 0 : (ends[report - 1] ?? 0); row < end; row++) {
      const t = row * TEXT_FIELDS;
      rows.push({
        day: at(t),
        app: at(t + 1),
        metric: at(t + 2),
        by: at(t + 3) as Dimension,
        cell: at(t + 4),
        detail: at(t + 5),
        bucket: numbers[row * 2] as number,
        value: numbers[row * 2 + 1] as number,
      });
    }
  }
  return rows;
}

/** The buffers to transfer rather than copy when posting `packed` to another thread. */
export function packedBuffers(packed: PackedRows): ArrayBuffer[] {
  return [packed.text.buffer, packed.numbers.buffer, packed.ends.buffer] as ArrayBuffer[];
}
