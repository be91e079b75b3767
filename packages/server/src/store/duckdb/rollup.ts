import type { SampleRow } from '../types.js';

/** A rolled-up group of sample rows with identical dimensions: what one stored row holds. */
export type RollupRow = SampleRow & {
  /** Device-days summed into this row (summary rows count one per report; bucket rows 0). */
  reports: number;
};

/**
 * Sums sample rows with the same dimensions before they are written, so what is written is per-cell totals and
 * never one report's rows side by side.
 */
export class Rollup {
  readonly groups = new Map<string, RollupRow>();

  add(rows: readonly SampleRow[]): void {
    for (const r of rows) {
      const id = `${r.day}\u0000${r.app}\u0000${r.metric}\u0000${r.by}\u0000${r.cell}\u0000${r.detail}\u0000${r.bucket}`;
      const group = this.groups.get(id);
      const reports = r.bucket < 0 ? 1 : 0;
      if (group) {
        group.reports += reports;
        group.value += r.value;
      } else {
        // Explicit fields: object spread is far slower here.
        this.groups.set(id, {
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
    return [...this.groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
  }

  get size(): number {
    return this.groups.size;
  }
}
