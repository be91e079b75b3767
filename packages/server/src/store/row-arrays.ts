/**
 * Rows held as numbers, shared by the inspection threads' packer (packed.ts) and the store's rollup
 * (duckdb/rollup.ts): per row six string numbers (day, app, metric, grouping, cell, detail) and three numbers
 * (bucket, summed value, device-days). As objects, rows were most of what ingest allocated and the main thread's
 * collections copied (measured for `candor bench collector`, docs/collector.md).
 */
export const TEXT_FIELDS = 6;
export const NUMBER_FIELDS = 3;

const PAIR_LIMIT = 2 ** 15;

/** One key for two string numbers: a small integer when both fit, which V8 keeps unboxed and hashes cheaply. */
function pairKey(a: number, b: number): number | string {
  return a < PAIR_LIMIT && b < PAIR_LIMIT ? a * PAIR_LIMIT + b : `${a} ${b}`;
}

/** Each distinct string once, numbered in the order first seen. */
export class StringNumbers {
  readonly list: string[] = [];
  private readonly numbers = new Map<string, number>();

  of(s: string): number {
    let n = this.numbers.get(s);
    if (n === undefined) {
      n = this.list.length;
      this.list.push(s);
      this.numbers.set(s, n);
    }
    return n;
  }
}

/**
 * Numbers for runs of rows: rows that share day, app, metric and grouping. A report's rows come in runs, so a run
 * is looked up once for all of its rows.
 */
export class Runs {
  private readonly byDayApp = new Map<number | string, Map<number | string, number>>();
  count = 0;

  of(day: number, app: number, metric: number, by: number): number {
    const dayApp = pairKey(day, app);
    let runs = this.byDayApp.get(dayApp);
    if (!runs) {
      runs = new Map();
      this.byDayApp.set(dayApp, runs);
    }
    const metricBy = pairKey(metric, by);
    let run = runs.get(metricBy);
    if (run === undefined) {
      run = this.count++;
      runs.set(metricBy, run);
    }
    return run;
  }
}

/** Rows in typed arrays that grow by doubling: numbers first, then text, in one buffer (one to make and to transfer). */
export class RowArrays {
  text: Uint32Array;
  numbers: Float64Array;
  count = 0;

  constructor(capacity: number) {
    [this.text, this.numbers] = allocate(capacity);
  }

  /**
   * Adds a value and device-days to the row `index` holds under `key`, or appends the row and records it there:
   * how the packer and the rollup sum rows, each with its own key for a cell.
   */
  sum(
    index: Map<number | string, number>,
    key: number | string,
    day: number,
    app: number,
    metric: number,
    by: number,
    cell: number,
    detail: number,
    bucket: number,
    value: number,
    reports: number,
  ): void {
    const found = index.get(key);
    if (found !== undefined) {
      const n = found * NUMBER_FIELDS;
      this.numbers[n + 1] = (this.numbers[n + 1] as number) + value;
      this.numbers[n + 2] = (this.numbers[n + 2] as number) + reports;
      return;
    }
    const row = this.count++;
    index.set(key, row);
    if (this.count * NUMBER_FIELDS > this.numbers.length) this.grow();
    const t = row * TEXT_FIELDS;
    const text = this.text;
    text[t] = day;
    text[t + 1] = app;
    text[t + 2] = metric;
    text[t + 3] = by;
    text[t + 4] = cell;
    text[t + 5] = detail;
    const n = row * NUMBER_FIELDS;
    const numbers = this.numbers;
    numbers[n] = bucket;
    numbers[n + 1] = value;
    numbers[n + 2] = reports;
  }

  /** The rows so far, as views of the arrays. */
  used(): { text: Uint32Array; numbers: Float64Array } {
    return {
      text: this.text.subarray(0, this.count * TEXT_FIELDS),
      numbers: this.numbers.subarray(0, this.count * NUMBER_FIELDS),
    };
  }

  private grow(): void {
    const [text, numbers] = allocate((this.numbers.length / NUMBER_FIELDS) * 2);
    text.set(this.text);
    numbers.set(this.numbers);
    this.text = text;
    this.numbers = numbers;
  }
}

/** Room for `rows` rows in one buffer; a buffer costs about as much to make as packing a report's rows. */
function allocate(rows: number): [Uint32Array, Float64Array] {
  const buffer = new ArrayBuffer(rows * (NUMBER_FIELDS * 8 + TEXT_FIELDS * 4));
  return [
    new Uint32Array(buffer, rows * NUMBER_FIELDS * 8, rows * TEXT_FIELDS),
    new Float64Array(buffer, 0, rows * NUMBER_FIELDS),
  ];
}
