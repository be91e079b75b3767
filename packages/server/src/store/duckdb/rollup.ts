import type { SampleRow } from '../types.js';

/** A rolled-up group of sample rows with identical dimensions: what one `samples` table row holds. */
export type RollupRow = SampleRow & {
  /** Reports summed into this row (summary rows count one per report; bucket rows 0). */
  reports: number;
};

/**
 * Sums sample rows with the same dimensions before they are written. Reports from the same day, app version and
 * device class collapse into one row, which is what makes ingest cheap and means single reports are never kept.
 */
export class Rollup {
  readonly groups = new Map<string, RollupRow>();

  add(rows: readonly SampleRow[]): void {
    // Rows of one report share their first seven dimensions; their part of the group id is built once.
    let previous: SampleRow | undefined;
    let prefix = '';
    for (const r of rows) {
      if (
        !previous ||
        r.day !== previous.day ||
        r.app !== previous.app ||
        r.appVersion !== previous.appVersion ||
        r.modelFamily !== previous.modelFamily ||
        r.os !== previous.os ||
        r.osMajor !== previous.osMajor ||
        r.language !== previous.language
      ) {
        prefix = `${r.day}\u0000${r.app}\u0000${r.appVersion}\u0000${r.modelFamily}\u0000${r.os}\u0000${r.osMajor}\u0000${r.language}\u0000`;
      }
      previous = r;
      const id = `${prefix}${r.metric}\u0000${r.key}\u0000${r.detail}\u0000${r.bucket}`;
      const group = this.groups.get(id);
      const reports = r.bucket < 0 ? 1 : 0;
      if (group) {
        group.reports += reports;
        group.value += r.value;
        group.count += r.count;
      } else {
        // Explicit fields: object spread is far slower here.
        this.groups.set(id, {
          day: r.day,
          app: r.app,
          appVersion: r.appVersion,
          modelFamily: r.modelFamily,
          os: r.os,
          osMajor: r.osMajor,
          language: r.language,
          metric: r.metric,
          key: r.key,
          detail: r.detail,
          bucket: r.bucket,
          reports,
          value: r.value,
          count: r.count,
        });
      }
    }
  }

  get size(): number {
    return this.groups.size;
  }
}
