import type { Dimension } from '@candor/protocol';
import type { PackedRows } from '../packed.js';
import { NUMBER_FIELDS, RowArrays, Runs, StringNumbers, TEXT_FIELDS } from '../row-arrays.js';
import type { SampleRow } from '../types.js';

/** A rolled-up group of sample rows with identical dimensions: what one stored row holds. */
export type RollupRow = SampleRow & {
  /** Device-days summed into this row (summary rows count one per report; bucket rows 0). */
  reports: number;
};

const FIRST_CAPACITY = 512;
/** A cell's number and its bucket make one small integer key when they fit (see `cellKey`). */
const BUCKET_LIMIT = 2 ** 11;
const CELL_LIMIT = 2 ** 19;

/** One key for a row within its run: a small integer when it has no detail and fits, text otherwise. */
function cellKey(cell: number, detail: number, hasDetail: boolean, bucket: number): number | string {
  const b = bucket + 1;
  if (!hasDetail && cell < CELL_LIMIT && b >= 0 && b < BUCKET_LIMIT && Number.isInteger(b)) {
    return cell * BUCKET_LIMIT + b;
  }
  return `${cell} ${detail} ${bucket}`;
}

/** Buckets compare as text, as they did when rows were ordered by one joined key. */
function compareBuckets(a: number, b: number): number {
  if (a === b) return 0;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Sums sample rows with the same dimensions before they are written, so what is written is per-cell totals and
 * never one report's rows side by side.
 *
 * Sums live in typed arrays, each string once, and a row object is made only when the sums are taken (`sorted`):
 * a merge's rollup holds up to a second of uploads, and as objects every one of its rows was copied by each young
 * collection until promoted, which made the collector's main-thread collections the most costly of the process
 * (measured with --trace-gc under `candor bench collector`). Rows are keyed per run (day, app, metric and
 * grouping) by small integers; a report's rows come in runs, so a run is looked up once for all its rows.
 */
export class Rollup {
  private readonly names = new StringNumbers();
  private readonly runs = new Runs();
  /** Per run: the row of each cell, detail and bucket. */
  private readonly rowsOfRun: Map<number | string, number>[] = [];
  /** The sums: bucket, value and device-days per row, in the layout of packed rows. */
  private readonly rows = new RowArrays(FIRST_CAPACITY);
  private readonly empty = this.names.of('');

  private run(day: number, app: number, metric: number, by: number): number {
    const run = this.runs.of(day, app, metric, by);
    if (run === this.rowsOfRun.length) this.rowsOfRun.push(new Map());
    return run;
  }

  /** The index of a run's rows by cell, detail and bucket. */
  private cellsOf(run: number): Map<number | string, number> {
    return this.rowsOfRun[run] as Map<number | string, number>;
  }

  /** One key for a row within its run (see `cellKey`). */
  private keyOf(cell: number, detail: number, bucket: number): number | string {
    return cellKey(cell, detail, detail !== this.empty, bucket);
  }

  add(rows: readonly SampleRow[]): void {
    let last: SampleRow | undefined;
    let run = -1;
    let day = 0;
    let app = 0;
    let metric = 0;
    let by = 0;
    let cell = 0;
    for (const r of rows) {
      if (!last || r.day !== last.day || r.app !== last.app || r.metric !== last.metric || r.by !== last.by) {
        day = this.names.of(r.day);
        app = this.names.of(r.app);
        metric = this.names.of(r.metric);
        by = this.names.of(r.by);
        run = this.run(day, app, metric, by);
        cell = this.names.of(r.cell);
      } else if (r.cell !== last.cell) cell = this.names.of(r.cell);
      last = r;
      const detail = r.detail === '' ? this.empty : this.names.of(r.detail);
      const reports = r.reports ?? (r.bucket < 0 ? 1 : 0);
      const key = this.keyOf(cell, detail, r.bucket);
      this.rows.sum(this.cellsOf(run), key, day, app, metric, by, cell, detail, r.bucket, r.value, reports);
    }
  }

  /** Adds an inspection thread's packed rows (store/packed.ts), whose own sums count the device-days. */
  addPacked(packed: PackedRows): void {
    this.addTable(packed.strings, packed.text, packed.numbers);
  }

  /** Adds another rollup's sums. */
  addRollup(other: Rollup): void {
    const { text, numbers } = other.rows.used();
    this.addTable(other.names.list, text, numbers);
  }

  /** Adds rows held as string numbers into `strings` and numbers (bucket, value, device-days). */
  private addTable(strings: readonly string[], text: Uint32Array, numbers: Float64Array): void {
    // Each string is looked up once, not once per row.
    const own = new Int32Array(strings.length).fill(-1);
    const numberOf = (i: number): number => {
      let n = own[i] as number;
      if (n < 0) {
        n = this.names.of(strings[i] as string);
        own[i] = n;
      }
      return n;
    };
    const count = text.length / TEXT_FIELDS;
    let run = -1;
    let day = -1;
    let app = -1;
    let metric = -1;
    let by = -1;
    for (let row = 0; row < count; row++) {
      const t = row * TEXT_FIELDS;
      const rowDay = numberOf(text[t] as number);
      const rowApp = numberOf(text[t + 1] as number);
      const rowMetric = numberOf(text[t + 2] as number);
      const rowBy = numberOf(text[t + 3] as number);
      // Rows of one run mostly sit together, as they were flattened: a run is looked up once for all of them.
      if (rowDay !== day || rowApp !== app || rowMetric !== metric || rowBy !== by) {
        day = rowDay;
        app = rowApp;
        metric = rowMetric;
        by = rowBy;
        run = this.run(day, app, metric, by);
      }
      const cell = numberOf(text[t + 4] as number);
      const detail = numberOf(text[t + 5] as number);
      const n = row * NUMBER_FIELDS;
      const bucket = numbers[n] as number;
      const key = this.keyOf(cell, detail, bucket);
      const cells = this.cellsOf(run);
      this.rows.sum(
        cells,
        key,
        day,
        app,
        metric,
        by,
        cell,
        detail,
        bucket,
        numbers[n + 1] as number,
        numbers[n + 2] as number,
      );
    }
  }

  /** Row numbers in a fixed order (by their dimensions as text, then bucket), whatever order rows came in. */
  private order(): number[] {
    const strings = this.names.list;
    const { text, numbers } = this.rows;
    // Each string's rank in text order, so rows compare by numbers.
    const byText = strings
      .map((_, i) => i)
      .sort((a, b) => {
        const x = strings[a] as string;
        const y = strings[b] as string;
        return x < y ? -1 : x > y ? 1 : 0;
      });
    const rank = new Uint32Array(strings.length);
    byText.forEach((n, r) => {
      rank[n] = r;
    });
    const order = Array.from({ length: this.rows.count }, (_, i) => i);
    return order.sort((a, b) => {
      for (let f = 0; f < TEXT_FIELDS; f++) {
        const d =
          (rank[text[a * TEXT_FIELDS + f] as number] as number) - (rank[text[b * TEXT_FIELDS + f] as number] as number);
        if (d !== 0) return d;
      }
      return compareBuckets(numbers[a * NUMBER_FIELDS] as number, numbers[b * NUMBER_FIELDS] as number);
    });
  }

  /** The groups in a fixed order (by their dimensions), so nothing written follows the order reports came in. */
  sorted(): RollupRow[] {
    const strings = this.names.list;
    const { text, numbers } = this.rows;
    return this.order().map((row) => {
      const t = row * TEXT_FIELDS;
      const n = row * NUMBER_FIELDS;
      return {
        day: strings[text[t] as number] as string,
        app: strings[text[t + 1] as number] as string,
        metric: strings[text[t + 2] as number] as string,
        by: strings[text[t + 3] as number] as Dimension,
        cell: strings[text[t + 4] as number] as string,
        detail: strings[text[t + 5] as number] as string,
        bucket: numbers[n] as number,
        reports: numbers[n + 2] as number,
        value: numbers[n + 1] as number,
      };
    });
  }

  /**
   * `sorted` without an object per row, for the journal: every string once, numbered in the order rows first use
   * them (so neither follows arrival order), and per row its six string numbers, bucket, device-days and value.
   */
  table(): { strings: string[]; rows: number[] } {
    const { text, numbers } = this.rows;
    const renumbered = new Int32Array(this.names.list.length).fill(-1);
    const strings: string[] = [];
    const rows: number[] = [];
    for (const row of this.order()) {
      for (let f = 0; f < TEXT_FIELDS; f++) {
        const own = text[row * TEXT_FIELDS + f] as number;
        let n = renumbered[own] as number;
        if (n < 0) {
          n = strings.length;
          strings.push(this.names.list[own] as string);
          renumbered[own] = n;
        }
        rows.push(n);
      }
      const at = row * NUMBER_FIELDS;
      rows.push(numbers[at] as number, numbers[at + 2] as number, numbers[at + 1] as number);
    }
    return { strings, rows };
  }

  get size(): number {
    return this.rows.count;
  }
}
