import type { Dimension, Registry, Report } from '@candor/protocol';
import { writeRows } from './rows.js';
import type { SampleRow } from './types.js';

/**
 * One upload's flattened rows, summed per cell over its reports, in a form that crosses from an inspection thread
 * to the main thread as a few typed arrays and one short string table. Posting the rows as objects, or the report
 * text to flatten again there, cost the main thread more than anything else in `candor bench collector`; summing
 * here leaves it about a third of the rows (ten reports of one day share most cells).
 */
export interface PackedRows {
  /** Every distinct string the rows use, once. */
  strings: string[];
  /** Six per row: day, app, metric, grouping, cell and detail, as indices into `strings`. */
  text: Uint32Array;
  /** Three per row: bucket, summed value, and the device-days summed into it (SampleRow.reports). */
  numbers: Float64Array;
}

const TEXT_FIELDS = 6;
const NUMBER_FIELDS = 3;
/** Cell, detail and bucket make one number when they fit (see `cellKey`); other cells are keyed by a string. */
const DETAIL_BITS = 11;
const BUCKET_BITS = 10;

/** One number for a cell, detail and bucket within one run of rows, or null when any is out of range. */
function cellKey(cell: number, detail: number, bucket: number): number | null {
  const b = bucket + 1;
  if (detail >= 2 ** DETAIL_BITS || b < 0 || b >= 2 ** BUCKET_BITS || !Number.isInteger(b)) return null;
  return (cell * 2 ** DETAIL_BITS + detail) * 2 ** BUCKET_BITS + b;
}

const PAIR_LIMIT = 2 ** 15;

/**
 * One key for two indices into the upload's strings: a small integer when both fit, which V8 keeps unboxed. Runs
 * are looked up for most rows; a string joined per lookup made packing about 13% slower (measured on the bench's
 * uploads).
 */
function pairKey(a: number, b: number): number | string {
  return a < PAIR_LIMIT && b < PAIR_LIMIT ? a * PAIR_LIMIT + b : `${a} ${b}`;
}

/**
 * Packs the rows of one upload's reports as they are flattened (rows.ts `writeRows`), summing rows of the same
 * cell, with no row object made. Every string is kept once per upload; a row repeats the previous row's metric and
 * grouping more often than not, so the day, app, metric and grouping are looked up once per run of rows.
 */
export class RowPacker {
  private readonly strings: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly text: number[] = [];
  private readonly numbers: number[] = [];
  /** Per day and app, then per metric and grouping: the row of each cell, detail and bucket. */
  private readonly rowOf = new Map<number | string, Map<number | string, Map<number | string, number>>>();

  private intern(s: string): number {
    let i = this.indexOf.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.indexOf.set(s, i);
    }
    return i;
  }

  /** Adds one report's rows (one device-day) to the sums. */
  add(report: Report, registry: Registry): void {
    const day = this.intern(report.day);
    const app = this.intern(report.app);
    const dayApp = pairKey(day, app);
    let runs = this.rowOf.get(dayApp);
    if (!runs) {
      runs = new Map();
      this.rowOf.set(dayApp, runs);
    }
    const runsOfDay = runs;
    let lastMetric = '';
    let lastBy = '';
    let metricIndex = -1;
    let byIndex = -1;
    let rows: Map<number | string, number> | undefined;
    // A summary row's histogram rows follow it with the same cell; details are empty but for crashes.
    let lastCell = '';
    let cellIndex = this.intern('');
    const noDetail = cellIndex;
    writeRows(report, registry, (metric, by, cell, detail, bucket, value) => {
      if (metric !== lastMetric || by !== lastBy || !rows) {
        lastMetric = metric;
        lastBy = by;
        metricIndex = this.intern(metric);
        byIndex = this.intern(by);
        const run = pairKey(metricIndex, byIndex);
        rows = runsOfDay.get(run);
        if (!rows) {
          rows = new Map();
          runsOfDay.set(run, rows);
        }
      }
      if (cell !== lastCell) {
        lastCell = cell;
        cellIndex = this.intern(cell);
      }
      const detailIndex = detail === '' ? noDetail : this.intern(detail);
      const key = cellKey(cellIndex, detailIndex, bucket) ?? `${cellIndex} ${detailIndex} ${bucket}`;
      const reports = bucket < 0 ? 1 : 0;
      const row = rows.get(key);
      if (row !== undefined) {
        const at = row * NUMBER_FIELDS;
        this.numbers[at + 1] = (this.numbers[at + 1] as number) + value;
        this.numbers[at + 2] = (this.numbers[at + 2] as number) + reports;
        return;
      }
      rows.set(key, this.numbers.length / NUMBER_FIELDS);
      this.text.push(day, app, metricIndex, byIndex, cellIndex, detailIndex);
      this.numbers.push(bucket, value, reports);
    });
  }

  done(): PackedRows {
    return {
      strings: this.strings,
      text: Uint32Array.from(this.text),
      numbers: Float64Array.from(this.numbers),
    };
  }
}

/** The packed rows as rows again, each with the device-days summed into it. */
export function unpackRows(packed: PackedRows): SampleRow[] {
  const { strings, text, numbers } = packed;
  const at = (i: number) => strings[text[i] as number] as string;
  const rows: SampleRow[] = [];
  const count = numbers.length / NUMBER_FIELDS;
  for (let row = 0; row < count; row++) {
    const t = row * TEXT_FIELDS;
    const n = row * NUMBER_FIELDS;
    rows.push({
      day: at(t),
      app: at(t + 1),
      metric: at(t + 2),
      by: at(t + 3) as Dimension,
      cell: at(t + 4),
      detail: at(t + 5),
      bucket: numbers[n] as number,
      value: numbers[n + 1] as number,
      reports: numbers[n + 2] as number,
    });
  }
  return rows;
}

/** The buffers to transfer rather than copy when posting `packed` to another thread. */
export function packedBuffers(packed: PackedRows): ArrayBuffer[] {
  return [packed.text.buffer, packed.numbers.buffer] as ArrayBuffer[];
}
