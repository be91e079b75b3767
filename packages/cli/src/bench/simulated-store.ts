// Simulated stored data for the benchmarks: rollup rows equivalent to N reports from a phone fleet, written
// straight into the DuckDB store with SQL. Flattening 10 million reports one by one would take hours; the store
// keeps rollups, not reports, so these rows are what it would hold after compacting the same reports (one row per
// day, device class, metric, key and bucket).
import { bucketIndex, candorBrowserRegistry } from '@candor/protocol';
import { DAILY_ACTIVITY_METRIC, type DuckDbStore } from '@candor/server';
import { seededRandom } from '@candor/server/testing';

const FAMILIES: [string, 'android' | 'ios', number][] = [
  ['redmi note', 'android', 20],
  ['galaxy a', 'android', 16],
  ['iphone', 'ios', 18],
  ['mi', 'android', 8],
  ['galaxy s', 'android', 8],
  ['pixel', 'android', 6],
  ['poco', 'android', 5],
  ['oppo a', 'android', 5],
  ['vivo y', 'android', 5],
  ['moto g', 'android', 4],
  ['oneplus', 'android', 2],
  ['xperia', 'android', 0.3],
];
const LANGUAGES: [string, number][] = [
  ['en', 30],
  ['zh', 15],
  ['es', 12],
  ['hi', 10],
  ['ru', 8],
  ['de', 8],
  ['fr', 7],
  ['pt', 6],
];
const VERSIONS: [string, number][] = [
  ['3.2', 10],
  ['3.3', 25],
  ['3.4', 45],
  ['3.5', 20],
];
const OS_MAJORS = { android: [12, 13, 14], ios: [16, 17, 18] } as const;

const sqlList = (values: (string | number)[][]) =>
  values.map((row) => `(${row.map((v) => (typeof v === 'number' ? String(v) : `'${v}'`)).join(', ')})`).join(', ');

/** Zipf-like shares for n items. */
const zipf = (n: number, s = 1.1) => {
  const w = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
};

/** Bucket shares of a log-normal distribution with the given median, as fixed log-scale buckets. */
function logNormalBuckets(median: number, sigma: number, random: () => number): [number, number][] {
  const counts = new Map<number, number>();
  const n = 4000;
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const b = bucketIndex(median * Math.exp(sigma * z));
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return [...counts].map(([b, c]) => [b, c / n]);
}

export interface SimulatedData {
  /** Reports to simulate (each one is a device-day). */
  reports: number;
  days: number;
  /** The last UTC day, YYYY-MM-DD. */
  endDay: string;
}

/**
 * Loads rollup rows for `reports` reports directly with SQL: one row per day x device class x metric key x
 * bucket, exactly what ingest's rollups hold, inserted metric by metric (the order compaction leaves).
 */
export async function loadSimulatedReports(
  store: DuckDbStore,
  { reports, days, endDay }: SimulatedData,
): Promise<void> {
  const random = seededRandom(2026);
  const con = store.connection;
  const combos: (string | number)[][] = [];
  let weightSum = 0;
  const end = Date.parse(`${endDay}T00:00:00Z`);
  for (let d = 0; d < days; d++) {
    const day = new Date(end - (days - 1 - d) * 86_400_000).toISOString().slice(0, 10);
    for (const [family, os, fw] of FAMILIES)
      for (const osMajor of OS_MAJORS[os])
        for (const [language, lw] of LANGUAGES)
          for (const [version, vw] of VERSIONS) {
            const w = fw * lw * vw * (0.5 + random());
            combos.push([day, version, family, os, osMajor, language, w]);
            weightSum += w;
          }
  }
  for (const c of combos) c[6] = Math.round(((c[6] as number) / weightSum) * reports);
  const populated = combos.filter((c) => (c[6] as number) > 0);
  await con.run(
    'CREATE TEMP TABLE combos (day DATE, app_version VARCHAR, model_family VARCHAR, os VARCHAR, os_major SMALLINT, language VARCHAR, n BIGINT)',
  );
  for (let i = 0; i < populated.length; i += 5000)
    await con.run(`INSERT INTO combos VALUES ${sqlList(populated.slice(i, i + 5000))}`);

  const dims = "day, 'candor-browser', app_version, model_family, os, os_major, language";
  const insert = (metric: string, sql: string) =>
    con.run(`INSERT INTO samples SELECT *, hash('${metric}') FROM (${sql})`);
  const counter = (metric: string, mean: number) =>
    insert(metric, `SELECT ${dims}, '${metric}', '', '', -1, n, n * ${mean}, n FROM combos`);
  const keyed = async (metric: string, keys: [string, number][], mean: number, detail = "''") => {
    await con.run(`CREATE OR REPLACE TEMP TABLE keys AS SELECT * FROM (VALUES ${sqlList(keys)}) t(k, p)`);
    await insert(
      metric,
      `SELECT ${dims}, '${metric}', k, ${detail}, -1, r, r * ${mean}, r FROM (SELECT *, CAST(round(n * p) AS BIGINT) AS r FROM combos, keys) WHERE r > 0`,
    );
  };
  const distribution = async (
    metric: string,
    keys: [string, number][],
    median: number,
    sigma: number,
    samples: number,
  ) => {
    await con.run(`CREATE OR REPLACE TEMP TABLE keys AS SELECT * FROM (VALUES ${sqlList(keys)}) t(k, p)`);
    await con.run(
      `CREATE OR REPLACE TEMP TABLE buckets AS SELECT * FROM (VALUES ${sqlList(logNormalBuckets(median, sigma, random))}) t(b, f)`,
    );
    await con.run(
      'CREATE OR REPLACE TEMP TABLE keyed AS SELECT *, CAST(round(n * p) AS BIGINT) AS r FROM combos, keys',
    );
    await insert(
      metric,
      `SELECT ${dims}, '${metric}', k, '', -1, r, r * ${samples * median * 1.1}, r * ${samples} FROM keyed WHERE r > 0`,
    );
    await insert(
      metric,
      `SELECT ${dims}, '${metric}', k, '', b, 0, 0, c FROM (SELECT *, CAST(round(r * ${samples} * f) AS BIGINT) AS c FROM keyed, buckets WHERE r > 0) WHERE c > 0`,
    );
  };
  const labels = (metric: string) => {
    const def = candorBrowserRegistry.metrics[metric as keyof typeof candorBrowserRegistry.metrics];
    const names =
      (def as { labels?: string[]; values?: string[] }).labels ?? (def as { values?: string[] }).values ?? [];
    const shares = zipf(names.length, 0.9);
    return names.map((name, i) => [name, shares[i] as number] as [string, number]);
  };

  await counter(DAILY_ACTIVITY_METRIC, 1);
  await counter('page_load.count', 14);
  await counter('memory.low_memory_warnings', 0.3);
  await counter('media.tracks_played', 4);
  await counter('ui.open_tabs', 7);
  for (const m of ['search.engine_use', 'search.method', 'ui.feature_used', 'media.source'])
    await keyed(m, labels(m), 2);
  for (const m of [
    'settings.default_search_engine',
    'settings.text_size',
    'system.memory_class',
    'system.screen_class',
  ])
    await keyed(m, labels(m), 1);
  await keyed(
    'settings.dark_mode',
    [
      ['true', 0.42],
      ['false', 0.58],
    ],
    1,
  );
  await keyed(
    'settings.ad_blocking',
    [
      ['true', 0.2],
      ['false', 0.8],
    ],
    1,
  );
  await keyed(
    'ui.menu_action',
    ['new_tab', 'settings', 'downloads', 'bookmarks', 'history', 'exit'].flatMap((item, i) => [
      [`from_toolbar=true,item=${item}`, 0.3 / (i + 1)] as [string, number],
      [`from_toolbar=false,item=${item}`, 0.5 / (i + 1)] as [string, number],
    ]),
    1.5,
  );
  const signatures = zipf(40, 1.2).map(
    (p, i) => [(i * 2654435761).toString(16).padStart(16, '0').slice(-16), p * 0.08] as [string, number],
  );
  await keyed('crash.app', signatures, 1.1, "'TypeError'");
  await distribution('page_load.time', [['', 1]], 1800, 0.8, 14);
  await distribution('memory.js_heap', [['', 1]], 60_000, 0.5, 30);
  await distribution('media.listening_time', [['', 0.4]], 600_000, 1, 2);
  const sites = zipf(40, 1.0).map((p, i) => [`site${i}.example`, Math.min(1, p * 3)] as [string, number]);
  await distribution('page_load.time_by_site', sites, 1800, 0.8, 2);
  // The per-day rollup, as the store's write path keeps it.
  await con.run(`INSERT INTO samples_daily
    SELECT day, app, metric, metric_key, key, detail, bucket, sum(reports), sum(value), sum(count)
    FROM samples GROUP BY ALL ORDER BY metric_key, day`);
}
