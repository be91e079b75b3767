// `candor bench privacy`: how far the differentially private daily release is from the simulator's truth, at
// 1,000, 10,000 and 100,000 device-days in one day. Device-day reports are drawn from the simulator's population
// directly (the SDK's path is tested elsewhere and would take minutes at these sizes), stored and released with
// the real noise (discrete Laplace from the OS's CSPRNG). The truth is computed from the generated reports
// themselves, so the error includes contribution bounds and histogram buckets as well as noise.
import {
  candorBrowserRegistry,
  DEFAULT_PRIVACY_BUDGET,
  type QueryResult,
  type Report,
  registrableDomain,
} from '@candor/protocol';
import {
  DAILY_ACTIVITY_METRIC,
  type DayRelease,
  DuckDbStore,
  flattenReport,
  QueryService,
  type ReleasedDay,
  type ReleasedRequest,
  Releaser,
  type ReportStore,
  releaseDay,
} from '@candor/server';
import { distribution, sampleReport } from '@candor/server/testing';
import { randomProfile } from '../simulate/device.js';
import { SEARCH_ENGINES, SEARCH_METHODS, SITES } from '../simulate/population.js';
import { logNormal, pickWeighted, seededRandom } from '../simulate/random.js';

const DAY = '2026-11-20';
const CLOSED = new Date('2026-11-23T12:00:00Z');
const SIZES = [1_000, 10_000, 100_000];
const SUMMED_METRICS = ['page_load.count', 'ui.open_tabs', 'media.tracks_played'] as const;
const LABELED_METRICS = ['search.engine_use', 'search.method'] as const;

/** What the generated reports really say: the simulator's truth. */
class Truth {
  deviceDays = 0;
  sums = new Map<string, number>();
  labels = new Map<string, Map<string, number>>();
  siteLoads = new Map<string, number[]>();
  siteDays = new Map<string, number>();

  add(report: Report): void {
    this.deviceDays++;
    for (const metric of SUMMED_METRICS) {
      this.sums.set(metric, (this.sums.get(metric) ?? 0) + Number(report.metrics[metric] ?? 0));
    }
    for (const metric of LABELED_METRICS) {
      const counts = this.labels.get(metric) ?? new Map<string, number>();
      for (const [label, n] of Object.entries((report.metrics[metric] ?? {}) as Record<string, number>)) {
        counts.set(label, (counts.get(label) ?? 0) + n);
      }
      this.labels.set(metric, counts);
    }
  }

  addSite(site: string, ms: number[]): void {
    this.siteDays.set(site, (this.siteDays.get(site) ?? 0) + 1);
    const all = this.siteLoads.get(site) ?? [];
    for (const v of ms) all.push(v);
    this.siteLoads.set(site, all);
  }
}

/** One device-day as the SDK would report it, from the simulator's population and habits. */
function deviceDay(random: () => number, truth: Truth): Report {
  const profile = randomProfile(random);
  const sites = new Map<string, number[]>();
  const loads: number[] = [];
  const count = 1 + Math.floor(random() * 25);
  for (let i = 0; i < count; i++) {
    const site = pickWeighted(
      random,
      SITES.map((s) => [s, s.weight] as const),
    );
    const domain = registrableDomain(site.urls[0] ?? '');
    if (!domain) continue;
    const ms = logNormal(random, site.medianLoadMs * profile.speedFactor, 0.5);
    loads.push(ms);
    sites.set(domain, [...(sites.get(domain) ?? []), ms]);
  }
  const labeled = (choices: readonly (readonly [string, number])[], n: number) => {
    const out: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const label = pickWeighted(random, choices);
      out[label] = (out[label] ?? 0) + 1;
    }
    return out;
  };
  const searches = Math.floor(random() * 8);
  for (const [site, ms] of [...sites].slice(0, 10)) truth.addSite(site, ms);
  // The report's envelope fields (id, kind, registry version) as the test helper writes them for this protocol.
  const report = sampleReport(random, {
    appVersion: profile.appVersion.split('.').slice(0, 2).join('.'),
    day: DAY,
    system: {
      modelFamily: profile.modelFamily,
      os: profile.os,
      osMajor: profile.osMajor,
      language: profile.language.slice(0, 2),
    },
    metrics: {
      'page_load.count': loads.length,
      ...(loads.length ? { 'page_load.time': distribution(loads) } : {}),
      ...(sites.size
        ? {
            'page_load.time_by_site': Object.fromEntries(
              [...sites].slice(0, 10).map(([site, ms]) => [site, distribution(ms)]),
            ),
          }
        : {}),
      ...(searches ? { 'search.engine_use': labeled(SEARCH_ENGINES, searches) } : {}),
      ...(searches ? { 'search.method': labeled(SEARCH_METHODS, searches) } : {}),
      'ui.open_tabs': Math.floor(random() * 30),
      ...(profile.listensToMusic ? { 'media.tracks_played': Math.floor(random() * 40) } : {}),
    },
  });
  truth.add(report);
  return report;
}

/** A store that holds one day's release and nothing else: what a query sees after the day closed. */
class OneRelease implements ReportStore {
  constructor(private readonly release: DayRelease) {}
  async append(): Promise<void> {}
  async unreleasedDays(): Promise<string[]> {
    return [];
  }
  async dayLines() {
    return [];
  }
  async saveRelease(): Promise<void> {}
  async released(request: ReleasedRequest): Promise<ReleasedDay[]> {
    const grouping = this.release.groupings.find((g) => g.metric === request.metric && g.by === request.by);
    if (!grouping) return [];
    const lines = this.release.lines.filter((l) => l.metric === request.metric && l.by === request.by);
    return [{ day: this.release.day, grouping, lines }];
  }
  async close(): Promise<void> {}
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN) : Number.NaN;
};
const relative = (noisy: number, exact: number) => Math.abs(noisy - exact) / Math.max(1e-9, Math.abs(exact));
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');

/** The median of the samples, as the truth for a released p50. */
const p50 = (samples: number[]) => median(samples);

async function measure(size: number) {
  const store = await DuckDbStore.open(':memory:');
  try {
    const random = seededRandom(size);
    const truth = new Truth();
    for (let start = 0; start < size; start += 2_000) {
      const rows = [];
      for (let i = start; i < Math.min(size, start + 2_000); i++) {
        rows.push(...flattenReport(deviceDay(random, truth), candorBrowserRegistry));
      }
      await store.append(rows);
    }
    const lines = await store.dayLines(candorBrowserRegistry.app, DAY);
    const releaser = new Releaser({ registry: candorBrowserRegistry, store, now: () => CLOSED });
    const t = performance.now();
    const release = releaseDay(DAY, lines, releaser.plan, releaser.noise);
    const releaseMs = performance.now() - t;
    const service = new QueryService({
      registry: candorBrowserRegistry,
      store: new OneRelease(release),
      releaser: { plan: releaser.plan, catchUp: async () => [], closedThrough: () => DAY } as unknown as Releaser,
    });
    const ask = async (metric: string, by: string): Promise<QueryResult> => {
      const answer = await service.query({ metric, by, from: DAY, to: DAY });
      if (!answer.ok) throw new Error(`${metric} by ${by}: ${answer.problem.detail}`);
      return answer.result;
    };

    const totals: number[] = [relative((await ask(DAILY_ACTIVITY_METRIC, 'day')).cells[0]?.reports ?? 0, size)];
    for (const metric of SUMMED_METRICS) {
      totals.push(relative((await ask(metric, 'day')).cells[0]?.sum ?? 0, truth.sums.get(metric) ?? 0));
    }

    const sites = await ask('page_load.time_by_site', 'site');
    const top = [...truth.siteDays].sort((a, b) => b[1] - a[1]).slice(0, 10);
    const siteErrors: number[] = [];
    let named = 0;
    for (const [site] of top) {
      const released = sites.cells.find((c) => c.key === site)?.p50;
      if (released === undefined) continue;
      named++;
      siteErrors.push(relative(released, p50(truth.siteLoads.get(site) ?? [])));
    }

    const shareErrors: number[] = [];
    for (const metric of LABELED_METRICS) {
      const answer = await ask(metric, 'label');
      const released = answer.cells.reduce((s, c) => s + Math.max(0, c.sum ?? 0), 0);
      const counts = truth.labels.get(metric) ?? new Map<string, number>();
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      for (const [label, n] of counts) {
        const share = n / Math.max(1, total);
        if (share < 0.05) continue; // shares under 5% are left out of the median
        const cell = answer.cells.find((c) => c.key === label);
        shareErrors.push(relative(Math.max(0, cell?.sum ?? 0) / Math.max(1, released), share));
      }
    }
    return { size, totals: median(totals), sites: median(siteErrors), named, shares: median(shareErrors), releaseMs };
  } finally {
    await store.close();
  }
}

export async function benchPrivacy(argv: string[]): Promise<void> {
  const sizes = argv.includes('--quick') ? SIZES.slice(0, 2) : SIZES;
  console.log(
    `each device-day protected by epsilon = ${DEFAULT_PRIVACY_BUDGET.epsilon}, delta = ${DEFAULT_PRIVACY_BUDGET.delta}; one day, released once`,
  );
  console.log('device-days  daily totals  top-10 site p50s (named)  label shares  release');
  for (const size of sizes) {
    const r = await measure(size);
    console.log(
      `${r.size.toLocaleString('en-US').padStart(11)}  ${pct(r.totals).padStart(12)}  ${`${pct(r.sites)} (${r.named}/10)`.padStart(24)}  ${pct(r.shares).padStart(12)}  ${r.releaseMs.toFixed(0).padStart(4)} ms`,
    );
  }
  console.log(
    'median relative error against the simulator truth: totals of device-days, page loads, open tabs and tracks;\n' +
      'p50 load time of the 10 sites most device-days had (only named ones count); shares of labels over 5%',
  );
}
