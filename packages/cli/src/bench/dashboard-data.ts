// Synthetic stored data for `candor bench dashboard`: rollup rows equivalent to N reports from a browser fleet,
// written straight into the DuckDB store's table. Flattening 10 million reports one by one would take hours;
// the store keeps rollups, not reports, so the rows below are exactly what it would hold after compacting the
// same reports (one row per day, device class, metric, key and bucket).
import { bucketIndex, candorBrowserRegistry, type MetricDefinition } from '@candor/protocol';
import { DAILY_ACTIVITY_METRIC, type RollupRow, seededRandom } from '@candor/server';

const DAY_MS = 86_400_000;

interface DeviceClass {
  appVersion: string;
  modelFamily: string;
  os: string;
  osMajor: number;
  language: string;
  weight: number;
}

const MODELS: [string, string, number, number][] = [
  ['redmi note', 'android', 13, 22],
  ['mi', 'android', 13, 12],
  ['poco', 'android', 14, 10],
  ['galaxy a', 'android', 14, 12],
  ['galaxy s', 'android', 15, 8],
  ['pixel', 'android', 15, 8],
  ['iphone', 'ios', 18, 10],
  ['mi mix fold', 'android', 14, 0.3],
];
const LANGUAGES: [string, number][] = [
  ['en', 35],
  ['es', 18],
  ['hi', 12],
  ['zh', 10],
  ['ru', 9],
  ['id', 8],
  ['pt', 8],
];
const VERSIONS: [string, number][] = [
  ['3.4', 25],
  ['3.5', 50],
  ['3.6', 25],
];
const SITES = Array.from({ length: 40 }, (_, i) => `site-${String(i).padStart(2, '0')}.example`);

function deviceClasses(): DeviceClass[] {
  const classes: DeviceClass[] = [];
  for (const [appVersion, v] of VERSIONS) {
    for (const [modelFamily, os, osMajor, m] of MODELS) {
      for (const [language, l] of LANGUAGES)
        classes.push({ appVersion, modelFamily, os, osMajor, language, weight: v * m * l });
    }
  }
  const total = classes.reduce((t, c) => t + c.weight, 0);
  for (const c of classes) c.weight /= total;
  return classes;
}

/** Bucket counts for `samples` draws from a log-normal distribution around `median`. */
function histogram(
  random: () => number,
  samples: number,
  median: number,
): { sum: number; buckets: Map<number, number> } {
  const buckets = new Map<number, number>();
  let sum = 0;
  // 24 representative draws scaled up: the shape is what matters for percentiles, not every sample.
  const draws = 24;
  for (let i = 0; i < draws; i++) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const value = median * Math.exp(0.6 * normal);
    const index = bucketIndex(value);
    const n = Math.max(1, Math.round(samples / draws));
    buckets.set(index, (buckets.get(index) ?? 0) + n);
    sum += value * n;
  }
  return { sum, buckets };
}

export interface GeneratedData {
  rows: number;
  reports: number;
  days: number;
}

/**
 * Writes rollup rows for `reports` reports spread over the `days` UTC days ending today, metric by metric and
 * day by day (the order the store's compaction leaves the table in), through `write` in chunks.
 */
export async function generateFleetRollups(
  reports: number,
  days: number,
  write: (rows: RollupRow[]) => Promise<void>,
  now = Date.now(),
): Promise<GeneratedData> {
  const random = seededRandom(2026);
  const classes = deviceClasses();
  const app = candorBrowserRegistry.app;
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const dayKeys = Array.from({ length: days }, (_, i) =>
    new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10),
  );
  const perDay = reports / days;
  let written = 0;
  let chunk: RollupRow[] = [];
  const flushIfFull = async () => {
    if (chunk.length < 200_000) return;
    written += chunk.length;
    await write(chunk);
    chunk = [];
  };
  const metrics: [string, MetricDefinition | null][] = [
    [DAILY_ACTIVITY_METRIC, null],
    ...Object.entries(candorBrowserRegistry.metrics),
  ];
  for (const [metric, def] of metrics) {
    for (const day of dayKeys) {
      for (const c of classes) {
        const n = Math.round(perDay * c.weight);
        if (n === 0) continue;
        const row = (key: string, bucket: number, rowReports: number, value: number, count: number, detail = '') => {
          chunk.push({
            day,
            app,
            appVersion: c.appVersion,
            modelFamily: c.modelFamily,
            os: c.os,
            osMajor: c.osMajor,
            language: c.language,
            metric,
            key,
            detail,
            bucket,
            reports: rowReports,
            value,
            count,
          });
        };
        const distribution = (key: string, r: number, samplesPerReport: number, median: number) => {
          const samples = Math.max(1, Math.round(r * samplesPerReport));
          const h = histogram(random, samples, median);
          row(key, -1, r, h.sum, samples);
          for (const [index, count] of h.buckets) row(key, index, 0, 0, count);
        };
        if (!def) {
          row('', -1, n, n, n);
          await flushIfFull();
          continue;
        }
        switch (def.type) {
          case 'counter':
          case 'quantity':
            row('', -1, n, n * (def.max ? Math.min(def.max, 12) : 12) * random(), n);
            break;
          case 'boolean':
            row('true', -1, Math.round(n * 0.4), Math.round(n * 0.4), Math.round(n * 0.4));
            row('false', -1, n - Math.round(n * 0.4), n - Math.round(n * 0.4), n - Math.round(n * 0.4));
            break;
          case 'enumeration': {
            let left = n;
            for (const [i, value] of (def.values ?? []).entries()) {
              const share = i === (def.values?.length ?? 1) - 1 ? left : Math.round(left * 0.5);
              left -= share;
              if (share > 0) row(value, -1, share, share, share);
            }
            break;
          }
          case 'labeled_counter':
            for (const [i, label] of (def.labels ?? []).entries()) {
              const r = Math.max(1, Math.round(n / (i + 2)));
              row(label, -1, r, r * 2, r);
            }
            break;
          case 'timing_distribution':
            distribution('', n, 8, metric === 'media.listening_time' ? 900_000 : 1500);
            break;
          case 'memory_distribution':
            distribution('', n, 30, 60_000);
            break;
          case 'site':
            for (const [i, site] of SITES.entries()) {
              const r = Math.round((n * 0.8) / (i + 1));
              if (r > 0) distribution(site, r, 2, 600 + 90 * i);
            }
            break;
          case 'crash':
            for (let i = 0; i < 12; i++) {
              const r = Math.round((n * 0.02) / (i + 1));
              if (r > 0)
                row(
                  `${(0xabcdef0123456789n + BigInt(i)).toString(16).slice(0, 16)}`,
                  -1,
                  r,
                  r,
                  r,
                  i % 2 ? 'RangeError' : 'TypeError',
                );
            }
            break;
          case 'event': {
            const r = Math.round(n * 0.3);
            if (r > 0) row('from_toolbar=false,item=settings', -1, r, r, r);
            if (r > 0) row('from_toolbar=true,item=new_tab', -1, r, r * 2, r);
            break;
          }
        }
        await flushIfFull();
      }
    }
  }
  if (chunk.length) {
    written += chunk.length;
    await write(chunk);
  }
  return { rows: written, reports, days };
}
