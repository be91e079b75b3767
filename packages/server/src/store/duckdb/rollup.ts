import type { SampleRow } from '../types.js';

/** A rolled-up group of sample rows with identical dimensions: what one stored row holds. */
export type RollupRow = SampleRow & {
  /** Device-days summed into this row (summary rows count one per report; bucket rows 0). */
  reports: number;
};

/** Groups of one (day, app, metric, grouping), by detail (a crash type, or ''), cell, then bucket. */
type Cells = Map<string, Map<string, Map<number, RollupRow>>>;

/** Gets `key` of `map`, adding an empty map for it first if needed. */
function inner<K, V extends Map<unknown, unknown>>(map: Map<K, V>, key: K, empty: new () => V): V {
  let found = map.get(key);
  if (!found) {
    // A constructor, not a factory closure: a closure was made for every call, several per row (a group write's
    // rollup measured about 6% faster without).
    found = new empty();
    map.set(key, found);
  }
  return found;
}

/**
 * Sums sample rows with the same dimensions before they are written, so what is written is per-cell totals and
 * never one report's rows side by side.
 *
 * Nested maps rather than one map keyed by all seven dimensions joined: joining and hashing a fresh key string per
 * row was the largest cost of the main thread in `candor bench collector`. Every level is looked up by a string as
 * it is (metric names and groupings are the registry's own strings, whose hashes V8 keeps), and a report's rows come
 * in runs that share day, app, metric and grouping, so those levels are looked up once per run.
 */
export class Rollup {
  /** Day and app, then metric, then grouping. */
  private readonly prefixes = new Map<string, Map<string, Map<string, Cells>>>();
  private count = 0;

  add(rows: readonly SampleRow[]): void {
    let last: SampleRow | undefined;
    let cells: Cells | undefined;
    let buckets: Map<number, RollupRow> | undefined;
    for (const r of rows) {
      if (!last || r.day !== last.day || r.app !== last.app || r.metric !== last.metric || r.by !== last.by) {
        const metrics = inner(this.prefixes, `${r.day}\u0000${r.app}`, Map<string, Map<string, Cells>>);
        cells = inner(inner(metrics, r.metric, Map<string, Cells>), r.by, Map as new () => Cells);
        buckets = undefined;
      }
      // A summary row's histogram rows follow it in the same cell: its buckets are looked up once for all of them.
      if (!buckets || r.cell !== last?.cell || r.detail !== last.detail) {
        buckets = inner(
          inner(cells as Cells, r.detail, Map<string, Map<number, RollupRow>>),
          r.cell,
          Map<number, RollupRow>,
        );
      }
      last = r;
      const reports = r.reports ?? (r.bucket < 0 ? 1 : 0);
      const group = buckets.get(r.bucket);
      if (group) {
        group.reports += reports;
        group.value += r.value;
      } else {
        this.count++;
        // Explicit fields: object spread is far slower here.
        buckets.set(r.bucket, {
          day: r.day,
          app: r.app,
          metric: r.metric,
          by: r.by,
          cell: r.cell,
          detail: r.detail,
          bucket: r.bucket,
          reports,
          value: r.value,
        });
      }
    }
  }

  /** The groups in a fixed order (by their dimensions), so nothing written follows the order reports came in. */
  sorted(): RollupRow[] {
    const keyed: [string, RollupRow][] = [];
    for (const metrics of this.prefixes.values()) {
      for (const groupings of metrics.values()) {
        for (const cells of groupings.values()) {
          for (const byCell of cells.values()) {
            for (const buckets of byCell.values()) {
              for (const r of buckets.values()) {
                const id = `${r.day}\u0000${r.app}\u0000${r.metric}\u0000${r.by}\u0000${r.cell}\u0000${r.detail}\u0000${r.bucket}`;
                keyed.push([id, r]);
              }
            }
          }
        }
      }
    }
    return keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
  }

  get size(): number {
    return this.count;
  }
}
