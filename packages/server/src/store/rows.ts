import type { Distribution, EventRecord, Registry, Report } from '@candor/protocol';
import type { SampleRow } from './types.js';

/** The metric every daily report adds one row to: each report is one active device-day. */
export const DAILY_ACTIVITY_METRIC = '$daily_activity';

/** Flattens one validated report into storage rows. Shared by every store so they hold the same data. */
export function flattenReport(report: Report, registry: Registry): SampleRow[] {
  const base = {
    day: report.day,
    app: report.app,
    appVersion: report.appVersion,
    modelFamily: report.system.modelFamily,
    os: report.system.os,
    osMajor: report.system.osMajor,
    language: report.system.language,
  };
  const rows: SampleRow[] = [];
  // An explicit literal, not `{ ...base }`: object spread is two orders of magnitude slower on this hot path.
  const push = (metric: string, key: string, value: number, count = 1, bucket = -1, detail = '') =>
    rows.push({
      day: base.day,
      app: base.app,
      appVersion: base.appVersion,
      modelFamily: base.modelFamily,
      os: base.os,
      osMajor: base.osMajor,
      language: base.language,
      metric,
      key,
      detail,
      bucket,
      value,
      count,
    });
  const pushDistribution = (metric: string, key: string, d: Distribution) => {
    push(metric, key, d.sum, d.count);
    for (const [index, n] of Object.entries(d.buckets)) push(metric, key, 0, n, Number(index));
  };

  push(DAILY_ACTIVITY_METRIC, '', 1);
  for (const [metric, value] of Object.entries(report.metrics)) {
    const type = registry.metrics[metric]?.type;
    switch (type) {
      case 'counter':
      case 'quantity':
        push(metric, '', value as number);
        break;
      case 'boolean':
        push(metric, String(value), 1);
        break;
      case 'enumeration':
        push(metric, value as string, 1);
        break;
      case 'labeled_counter':
        for (const [label, n] of Object.entries(value as Record<string, number>)) push(metric, label, n);
        break;
      case 'timing_distribution':
      case 'memory_distribution':
        pushDistribution(metric, '', value as Distribution);
        break;
      case 'site':
        for (const [site, d] of Object.entries(value as Record<string, Distribution>))
          pushDistribution(metric, site, d);
        break;
      case 'crash':
        for (const c of value as { type: string; signature: string; count: number }[])
          push(metric, c.signature, c.count, 1, -1, c.type);
        break;
      case 'event': {
        // One summary row per distinct extras combination, valued by how often it happened in this report.
        const counts = new Map<string, number>();
        for (const e of value as EventRecord[]) {
          const key = Object.keys(e)
            .sort()
            .map((k) => `${k}=${e[k]}`)
            .join(',');
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        for (const [key, n] of counts) push(metric, key, n);
        break;
      }
      case undefined:
        break;
    }
  }
  return rows;
}
