import type { Dimension, Registry, Report } from '@candor/protocol';
import { NUMBER_FIELDS, RowArrays, Runs, StringNumbers, TEXT_FIELDS } from './row-arrays.js';
import { runSlotsOf, writeRows } from './rows.js';
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
 * Packs the rows of one upload's reports as they are flattened (rows.ts `writeRows`), summing rows of the same
 * cell, with no row object made, straight into the typed arrays that cross threads. Every string is kept once
 * per upload; a row repeats the previous row's metric and grouping more often than not, so its run is looked up
 * once for all of them.
 */
export class RowPacker {
  private readonly strings = new StringNumbers();
  private readonly rows = new RowArrays(FIRST_CAPACITY);
  private readonly runs = new Runs();
  /** The row of each run, cell, detail and bucket (see `rowKey`). */
  private readonly rowOf = new Map<number | string, number>();
  /**
   * Per run slot (rows.ts RunSlots) of the registry, day and app of the last report: its run, metric and grouping
   * numbers, or -1. A report's rows change run every row or two; two string lookups and two map lookups per change
   * were most of what packing spent outside summing (measured on the bench's uploads).
   */
  private slotRuns = new Int32Array(0);
  private slotMetrics = new Int32Array(0);
  private slotGroupings = new Int32Array(0);
  private slotsFor: { registry: Registry; day: number; app: number } | null = null;

  private intern(s: string): number {
    return this.strings.of(s);
  }

  /** Adds one report's rows (one device-day) to the sums. */
  add(report: Report, registry: Registry): void {
    const day = this.intern(report.day);
    const app = this.intern(report.app);
    const known = this.slotsFor;
    if (!known || known.registry !== registry || known.day !== day || known.app !== app) {
      const count = runSlotsOf(registry).count;
      if (this.slotRuns.length !== count) {
        this.slotRuns = new Int32Array(count);
        this.slotMetrics = new Int32Array(count);
        this.slotGroupings = new Int32Array(count);
      }
      this.slotRuns.fill(-1);
      this.slotsFor = { registry, day, app };
    }
    const { slotRuns, slotMetrics, slotGroupings } = this;
    let lastSlot = -1;
    let metricIndex = -1;
    let byIndex = -1;
    let run = -1;
    // A summary row's histogram rows follow it with the same cell; details are empty but for crashes.
    let lastCell = '';
    let cellIndex = this.intern('');
    const noDetail = cellIndex;
    writeRows(report, registry, (metric, by, cell, detail, bucket, value, slot) => {
      if (slot !== lastSlot) {
        lastSlot = slot;
        run = slotRuns[slot] as number;
        if (run < 0) {
          metricIndex = this.intern(metric);
          byIndex = this.intern(by);
          run = this.runs.of(day, app, metricIndex, byIndex);
          slotRuns[slot] = run;
          slotMetrics[slot] = metricIndex;
          slotGroupings[slot] = byIndex;
        } else {
          metricIndex = slotMetrics[slot] as number;
          byIndex = slotGroupings[slot] as number;
        }
      }
      if (cell !== lastCell) {
        lastCell = cell;
        cellIndex = this.intern(cell);
      }
      const detailIndex = detail === '' ? noDetail : this.intern(detail);
      const key = rowKey(run, cellIndex, detailIndex, detailIndex !== noDetail, bucket);
      const reports = bucket < 0 ? 1 : 0;
      this.rows.sum(this.rowOf, key, day, app, metricIndex, byIndex, cellIndex, detailIndex, bucket, value, reports);
    });
  }

  /** The packed rows; the packer is done with once they are taken (their memory may be transferred). */
  done(): PackedRows {
    return { strings: this.strings.list, ...this.rows.used() };
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
