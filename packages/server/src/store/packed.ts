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

/** Numbers per row in `PackedRows.text` and in `PackedRows.numbers`. */
export const TEXT_FIELDS = 6;
export const NUMBER_FIELDS = 3;
/** Rows room is first made for: about what an upload of ten reports packs into. */
const FIRST_CAPACITY = 128;
/** A row's run, cell and bucket make one small integer when each fits in this many bits (see `rowKey`). */
const KEY_BITS = 10;
const KEY_LIMIT = 2 ** KEY_BITS;

/**
 * One key for a row within the upload: its run (day, app, metric and grouping), cell, detail and bucket. A small
 * integer, which V8 keeps unboxed and hashes cheaply, when the row has no detail and each part fits; text for the
 * rest (crash types, uploads of very many distinct strings). A string joined for every row, or a Map per run,
 * made packing slower and allocate more (measured on the bench's uploads).
 */
function rowKey(run: number, cell: number, detail: number, hasDetail: boolean, bucket: number): number | string {
  const b = bucket + 1;
  if (!hasDetail && run < KEY_LIMIT && cell < KEY_LIMIT && b >= 0 && b < KEY_LIMIT && Number.isInteger(b)) {
    return (run * KEY_LIMIT + cell) * KEY_LIMIT + b;
  }
  return `${run} ${cell} ${detail} ${bucket}`;
}

/**
 * Room for `rows` rows: numbers first, then text, in one buffer, as a buffer costs about as much to make as
 * packing a report's rows (sampled in `candor bench collector`), and one crosses threads whole.
 */
function rowArrays(rows: number): [Uint32Array, Float64Array] {
  const buffer = new ArrayBuffer(rows * (NUMBER_FIELDS * 8 + TEXT_FIELDS * 4));
  return [
    new Uint32Array(buffer, rows * NUMBER_FIELDS * 8, rows * TEXT_FIELDS),
    new Float64Array(buffer, 0, rows * NUMBER_FIELDS),
  ];
}

const PAIR_LIMIT = 2 ** 15;

/** One key for two indices into the upload's strings: a small integer when both fit. */
function pairKey(a: number, b: number): number | string {
  return a < PAIR_LIMIT && b < PAIR_LIMIT ? a * PAIR_LIMIT + b : `${a} ${b}`;
}

/**
 * Packs the rows of one upload's reports as they are flattened (rows.ts `writeRows`), summing rows of the same
 * cell, with no row object made, straight into the typed arrays that cross threads. Every string is kept once
 * per upload; a row repeats the previous row's metric and grouping more often than not, so the day, app, metric
 * and grouping are looked up once per run of rows.
 */
export class RowPacker {
  private readonly strings: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private text: Uint32Array;
  private numbers: Float64Array;
  private count = 0;
  /** Per day and app, then per metric and grouping: the number of the run. */
  private readonly runOf = new Map<number | string, Map<number | string, number>>();
  private runs = 0;
  /** The row of each run, cell, detail and bucket (see `rowKey`). */
  private readonly rowOf = new Map<number | string, number>();

  private intern(s: string): number {
    let i = this.indexOf.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.indexOf.set(s, i);
    }
    return i;
  }

  constructor() {
    [this.text, this.numbers] = rowArrays(FIRST_CAPACITY);
  }

  private grow(): void {
    const [text, numbers] = rowArrays((this.numbers.length / NUMBER_FIELDS) * 2);
    text.set(this.text);
    numbers.set(this.numbers);
    this.text = text;
    this.numbers = numbers;
  }

  /** Adds one report's rows (one device-day) to the sums. */
  add(report: Report, registry: Registry): void {
    const day = this.intern(report.day);
    const app = this.intern(report.app);
    const dayApp = pairKey(day, app);
    let runs = this.runOf.get(dayApp);
    if (!runs) {
      runs = new Map();
      this.runOf.set(dayApp, runs);
    }
    const runsOfDay = runs;
    let lastMetric = '';
    let lastBy = '';
    let metricIndex = -1;
    let byIndex = -1;
    let run = -1;
    // A summary row's histogram rows follow it with the same cell; details are empty but for crashes.
    let lastCell = '';
    let cellIndex = this.intern('');
    const noDetail = cellIndex;
    writeRows(report, registry, (metric, by, cell, detail, bucket, value) => {
      if (metric !== lastMetric || by !== lastBy || run < 0) {
        lastMetric = metric;
        lastBy = by;
        metricIndex = this.intern(metric);
        byIndex = this.intern(by);
        const pair = pairKey(metricIndex, byIndex);
        const known = runsOfDay.get(pair);
        if (known === undefined) {
          run = this.runs++;
          runsOfDay.set(pair, run);
        } else run = known;
      }
      if (cell !== lastCell) {
        lastCell = cell;
        cellIndex = this.intern(cell);
      }
      const detailIndex = detail === '' ? noDetail : this.intern(detail);
      const key = rowKey(run, cellIndex, detailIndex, detailIndex !== noDetail, bucket);
      const reports = bucket < 0 ? 1 : 0;
      const row = this.rowOf.get(key);
      if (row !== undefined) {
        const at = row * NUMBER_FIELDS;
        this.numbers[at + 1] = (this.numbers[at + 1] as number) + value;
        this.numbers[at + 2] = (this.numbers[at + 2] as number) + reports;
        return;
      }
      const at = this.count++;
      this.rowOf.set(key, at);
      if (this.count * NUMBER_FIELDS > this.numbers.length) this.grow();
      const t = at * TEXT_FIELDS;
      const text = this.text;
      text[t] = day;
      text[t + 1] = app;
      text[t + 2] = metricIndex;
      text[t + 3] = byIndex;
      text[t + 4] = cellIndex;
      text[t + 5] = detailIndex;
      const n = at * NUMBER_FIELDS;
      const numbers = this.numbers;
      numbers[n] = bucket;
      numbers[n + 1] = value;
      numbers[n + 2] = reports;
    });
  }

  /** The packed rows; the packer is done with once they are taken (their memory may be transferred). */
  done(): PackedRows {
    return {
      strings: this.strings,
      text: this.text.subarray(0, this.count * TEXT_FIELDS),
      numbers: this.numbers.subarray(0, this.count * NUMBER_FIELDS),
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
  // Each once: a transfer list naming a buffer twice is refused.
  return [...new Set([packed.text.buffer, packed.numbers.buffer])] as ArrayBuffer[];
}
