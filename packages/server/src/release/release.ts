import { RELEASE_BUCKET_COUNT, type ReleasePlan, releasedValue } from '@candor/protocol';
import type { Noise } from './noise.js';
import type { CellLine, DayRelease, GroupingRelease } from './types.js';

interface RawCell {
  reports: number;
  value: number;
  detail: string;
  detailReports: number;
  buckets: Map<number, number>;
}

function groupRaw(lines: readonly CellLine[]): Map<string, Map<string, RawCell>> {
  const groupings = new Map<string, Map<string, RawCell>>();
  for (const line of lines) {
    const id = `${line.metric}|${line.by}`;
    let cells = groupings.get(id);
    if (!cells) {
      cells = new Map();
      groupings.set(id, cells);
    }
    let cell = cells.get(line.cell);
    if (!cell) {
      cell = { reports: 0, value: 0, detail: '', detailReports: -1, buckets: new Map() };
      cells.set(line.cell, cell);
    }
    if (line.bucket < 0) {
      cell.reports += line.reports;
      cell.value += line.value;
      // A crash signature keeps the error type most of its device-days reported.
      if (line.reports > cell.detailReports) {
        cell.detail = line.detail;
        cell.detailReports = line.reports;
      }
    } else {
      cell.buckets.set(line.bucket, (cell.buckets.get(line.bucket) ?? 0) + line.value);
    }
  }
  return groupings;
}

/**
 * Computes one closed day's release from its raw lines: a pure function of the lines, the plan and the noise.
 *
 * For every planned grouping: the day grouping releases its one cell; a closed domain releases every value of
 * it, present or not; an open vocabulary releases a key only when its noisy device-day count reaches the plan's
 * threshold (partition selection). Each released cell gets a noisy device-day count and, by type, a noisy sum
 * or a noisy weight in every histogram bucket. Nothing else about the raw lines leaves this function.
 */
export function releaseDay(day: string, raw: readonly CellLine[], plan: ReleasePlan, noise: Noise): DayRelease {
  const groupings = groupRaw(raw);
  const released: GroupingRelease[] = [];
  const lines: CellLine[] = [];
  const empty: RawCell = { reports: 0, value: 0, detail: '', detailReports: 0, buckets: new Map() };
  // Closed groupings first: their noise draws then never depend on which open-vocabulary keys the data holds.
  const ordered = [
    ...plan.releases.filter((r) => r.domain || r.by === 'day'),
    ...plan.releases.filter((r) => !r.domain && r.by !== 'day'),
  ];
  for (const r of ordered) {
    const cells = groupings.get(`${r.metric}|${r.by}`) ?? new Map<string, RawCell>();
    const kind = releasedValue(r.definition.type);
    released.push({
      metric: r.metric,
      by: r.by,
      epsilon: r.epsilon,
      delta: r.delta,
      reportsScale: r.reportsScale,
      valueScale: r.valueScale,
      threshold: r.threshold,
    });
    const candidates: [string, RawCell][] =
      r.by === 'day'
        ? [[day, cells.get(day) ?? empty]]
        : r.domain
          ? r.domain.map((key) => [key, cells.get(key) ?? empty])
          : [...cells.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, cell] of candidates) {
      const reports = cell.reports + noise(r.reportsScale);
      if (!r.domain && r.by !== 'day' && reports < r.threshold) continue;
      const summary: CellLine = {
        metric: r.metric,
        by: r.by,
        cell: key,
        detail: cell.detail,
        bucket: -1,
        reports,
        value: 0,
      };
      lines.push(summary);
      if (kind === 'sum') summary.value = Math.round(cell.value) + noise(r.valueScale);
      if (kind === 'histogram') {
        for (let bucket = 0; bucket < RELEASE_BUCKET_COUNT; bucket++) {
          const weight = Math.round(cell.buckets.get(bucket) ?? 0) + noise(r.valueScale);
          lines.push({ metric: r.metric, by: r.by, cell: key, detail: '', bucket, reports: 0, value: weight });
        }
      }
    }
  }
  return { day, groupings: released, lines };
}
