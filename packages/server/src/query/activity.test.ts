import {
  ACTIVITY_METRICS,
  type ActivityReleasedDay,
  activityCells,
  DEVICE_DAYS_METRIC,
  dayNumber,
  dayOfNumber,
  defineRegistry,
  deriveActivity,
  type Report,
  recordUse,
  type UsageHistory,
} from '@candor/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Noise } from '../release/noise.js';
import { ClickHouseStore } from '../store/clickhouse/store.js';
import { DuckDbStore } from '../store/duckdb/store.js';
import type { ReportStore } from '../store/types.js';
import { NO_NOISE_FOR_PLUMBING_TESTS, releaseRig, seededNoise } from '../testing/release.js';
import { seededRandom } from '../testing/reports.js';
import { openScaleServices, type ScaleServices, scaleServicesAvailable } from '../testing/scale-services.js';

/**
 * Active devices and retention from released cells, against a simulated fleet's truth: devices arrive over 12
 * weeks, use the app on a share of days, and stop after a while; one in ten runs an SDK without the activity
 * section. Without noise the figures are exact; with noise the truth is inside the stated intervals.
 */
const registry = defineRegistry({
  app: 'activity-test',
  version: '2026.11.1',
  metrics: {
    'page_load.count': {
      type: 'counter',
      description: 'Pages loaded in the day.',
      category: 'page-load',
      owner: 'test',
      purpose: 'A metric beside the activity figures.',
      sensitivity: 'technical',
      expires: 'never',
    },
  },
});
const START = dayNumber('2026-08-31'); // a Monday
const DAYS = 84;
const END = START + DAYS - 1;
const later = new Date(`${dayOfNumber(END + 5)}T12:00:00Z`);

interface Device {
  days: number[];
  oldSdk: boolean;
}

function simulate(count: number, seed: number): { devices: Device[]; reports: Report[] } {
  const random = seededRandom(seed);
  const devices: Device[] = [];
  const reports: Report[] = [];
  for (let i = 0; i < count; i++) {
    const arrival = START + Math.floor(random() * DAYS);
    const lifetime = Math.ceil(-Math.log(1 - random()) * 35);
    const rate = 0.15 + random() * 0.8;
    const device: Device = { days: [], oldSdk: random() < 0.1 };
    let history: UsageHistory | null = null;
    for (let day = arrival; day <= END && day < arrival + lifetime; day++) {
      if (day !== arrival && random() > rate) continue;
      device.days.push(day);
      const use = recordUse(history, day);
      history = use.history;
      reports.push({
        id: (reports.length + 1).toString(16).padStart(32, '0'),
        app: registry.app,
        appVersion: '1.0',
        registry: registry.version,
        day: dayOfNumber(day),
        kind: 'daily',
        system: { modelFamily: 'pixel', os: 'android', osMajor: 14, language: 'en' },
        metrics: { 'page_load.count': 1 },
        ...(device.oldSdk ? {} : { activity: use.activity }),
      });
    }
    devices.push(device);
  }
  return { devices, reports };
}

/** The fleet's true figures, counted from each device's days of use. */
function truth(devices: Device[]) {
  const current = devices.filter((d) => !d.oldSdk);
  const activeIn = (from: number, to: number, list = current) =>
    list.filter((d) => d.days.some((x) => x >= from && x <= to)).length;
  const weekOf = (n: number) => n - ((n + 3) % 7);
  return {
    dau: (d: number) => activeIn(d, d, devices),
    wau: (d: number) => activeIn(d - 6, d),
    mau: (d: number) => activeIn(d - 27, d),
    cohort: (monday: number) => current.filter((d) => weekOf(d.days[0] as number) === monday),
    retained: (cohort: Device[], monday: number) => activeIn(monday, monday + 6, cohort),
  };
}

const FLEET = simulate(700, 1);
const TRUTH = truth(FLEET.devices);

async function answer(store: ReportStore, noise: Noise, reports: Report[], from: string, to: string) {
  const rig = releaseRig(store, noise, later, registry);
  await rig.send(reports);
  const result = await rig.activity.activity({ from, to });
  if (!result.ok) throw new Error(result.problem.detail);
  return { rig, result: result.result };
}

const inside = (e: { low: number; high: number } | null, value: number) => !!e && e.low <= value && value <= e.high;

function activitySuite(name: string, openStore: () => Promise<ReportStore>) {
  describe(`activity figures from releases (${name})`, () => {
    const stores: ReportStore[] = [];
    const open = async () => {
      const store = await openStore();
      stores.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    it('without noise, DAU, WAU, MAU, stickiness and retention equal the fleet’s truth', async () => {
      const { result } = await answer(
        await open(),
        NO_NOISE_FOR_PLUMBING_TESTS,
        FLEET.reports,
        dayOfNumber(START),
        dayOfNumber(END),
      );
      expect(result.days).toHaveLength(DAYS);
      for (const [i, day] of result.days.entries()) {
        const n = START + i;
        expect(day.dau?.value, day.day).toBe(TRUTH.dau(n));
        // Windows reaching before the first released day have no figure.
        expect(day.wau?.value ?? null, day.day).toBe(i >= 6 ? TRUTH.wau(n) : null);
        expect(day.mau?.value ?? null, day.day).toBe(i >= 27 ? TRUTH.mau(n) : null);
      }
      expect(result.cohorts.map((c) => c.week)).toEqual(
        Array.from({ length: DAYS / 7 }, (_, w) => dayOfNumber(START + 7 * w)),
      );
      for (const cohort of result.cohorts) {
        const monday = dayNumber(cohort.week);
        const members = TRUTH.cohort(monday);
        expect(cohort.size.value, cohort.week).toBe(members.length);
        for (const r of cohort.retained) {
          const back = monday + 7 * r.week;
          if (back + 6 > END) {
            expect(r.share, `${cohort.week} +${r.week}`).toBeNull();
            continue;
          }
          const share = members.length ? TRUTH.retained(members, back) / members.length : 0;
          expect(r.share?.value, `${cohort.week} +${r.week}`).toBeCloseTo(share, 4);
        }
      }
      const withSection = FLEET.reports.filter((r) => r.activity);
      expect(result.coverage?.value).toBeCloseTo(withSection.length / FLEET.reports.length, 4);
      for (const [field, shares] of [
        ['activeDays7', result.stickiness.activeDays7],
        ['activeDays28', result.stickiness.activeDays28],
      ] as const) {
        for (const s of shares) {
          const have = withSection.filter((r) => r.activity?.[field] === s.days).length;
          expect(s.share.value, `${field} ${s.days}`).toBeCloseTo(have / withSection.length, 4);
        }
      }
    });

    it('with noise, the truth is inside the stated intervals', async () => {
      const { result } = await answer(
        await open(),
        seededNoise(5),
        FLEET.reports,
        dayOfNumber(START),
        dayOfNumber(END),
      );
      const checks: boolean[] = [];
      for (const [i, day] of result.days.entries()) {
        const n = START + i;
        checks.push(inside(day.dau, TRUTH.dau(n)));
        if (i >= 6) checks.push(inside(day.wau, TRUTH.wau(n)));
        if (i >= 27) checks.push(inside(day.mau, TRUTH.mau(n)));
      }
      for (const cohort of result.cohorts) {
        const members = TRUTH.cohort(dayNumber(cohort.week));
        checks.push(inside(cohort.size, members.length));
        for (const r of cohort.retained) {
          const back = dayNumber(cohort.week) + 7 * r.week;
          if (r.share && members.length >= 20) {
            checks.push(inside(r.share, TRUTH.retained(members, back) / members.length));
          }
        }
      }
      // 95% intervals: about one figure in twenty may miss; far more would mean understated noise.
      expect(checks.length).toBeGreaterThan(250);
      expect(checks.filter(Boolean).length / checks.length).toBeGreaterThan(0.88);
    });

    it('a token holder learns one device-day only through the release: neighbouring worlds differ by one count per metric', async () => {
      // The victim's device-day has a rare section: 17 days since its previous use, first used 11 weeks ago.
      const day = dayOfNumber(START + 50);
      const victim: Report = {
        ...(FLEET.reports[0] as Report),
        id: 'f'.repeat(32),
        day,
        activity: { sincePrevious: 17, activeDays7: 1, activeDays28: 2, weeksSinceFirstUse: 11 },
      };
      const without = await answer(await open(), seededNoise(9), FLEET.reports, day, day);
      const withVictim = await answer(await open(), seededNoise(9), [...FLEET.reports, victim], day, day);
      for (const metric of [DEVICE_DAYS_METRIC, ...Object.values(ACTIVITY_METRICS)]) {
        const by = metric === DEVICE_DAYS_METRIC ? 'day' : 'value';
        const lines = async (rig: typeof without.rig) =>
          (await rig.store.released({ app: registry.app, metric, by, from: day, to: day }))[0]?.lines ?? [];
        const a = await lines(without.rig);
        const b = await lines(withVictim.rig);
        // Closed domains: every value is released in both worlds, the victim's rare one included.
        expect(b.map((l) => l.cell)).toEqual(a.map((l) => l.cell));
        const moved = b.map((l, i) => l.reports - (a[i]?.reports ?? 0)).filter((d) => d !== 0);
        expect(moved, metric).toEqual([1]);
      }
      // Asking again, or over overlapping ranges, returns the same released figures: no fresh noise to average.
      const again = await withVictim.rig.activity.activity({ from: day, to: day });
      expect(again.ok && again.result).toEqual(withVictim.result);
      const wider = await withVictim.rig.activity.activity({ from: dayOfNumber(START + 40), to: day });
      expect(wider.ok && wider.result.days.at(-1)).toEqual(withVictim.result.days[0]);
    });
  });
}

activitySuite('DuckDB', () => DuckDbStore.open(':memory:'));

const clickhouse = await scaleServicesAvailable('activity figures on ClickHouse');
describe.skipIf(!clickhouse)('on ClickHouse', () => {
  let services: ScaleServices | undefined;
  beforeAll(async () => {
    services = await openScaleServices();
  }, 120_000);
  afterAll(async () => {
    await services?.close();
  }, 120_000);
  let n = 0;
  activitySuite('ClickHouse', async () => ClickHouseStore.open({ url: `${services?.storeUrl ?? ''}_a${n++}` }));
});

describe('what one hostile report can move', () => {
  /** Released days with zero noise (every count exact; variances from a typical plan), plus one extra report. */
  const byDay = new Map<number, ReturnType<typeof activityCells>[]>();
  for (const r of FLEET.reports)
    byDay.set(dayNumber(r.day), [...(byDay.get(dayNumber(r.day)) ?? []), activityCells(r)]);
  function world(extra: { day: number; cells: Record<string, string> } | null): ActivityReleasedDay[] {
    const out: ActivityReleasedDay[] = [];
    for (let n = START; n <= END; n++) {
      const reports = [...(byDay.get(n) ?? [])];
      if (extra?.day === n) reports.push(extra.cells as ReturnType<typeof activityCells>);
      const cells = Object.fromEntries(Object.values(ACTIVITY_METRICS).map((m) => [m, {}])) as NonNullable<
        ActivityReleasedDay['cells']
      >;
      for (const r of reports) {
        for (const [metric, cell] of Object.entries(r)) {
          const metricCells = cells[metric as keyof typeof cells];
          metricCells[cell] = { value: (metricCells[cell]?.value ?? 0) + 1, variance: 60 };
        }
      }
      out.push({ day: dayOfNumber(n), deviceDays: { value: reports.length, variance: 136 }, cells });
    }
    return out;
  }

  it('moves each WAU, MAU and cohort count by at most one, whatever its section says', () => {
    const from = dayOfNumber(START);
    const to = dayOfNumber(END);
    const base = deriveActivity(world(null), from, to);
    const day = START + 45;
    const sincePrevious = ['none', ...Array.from({ length: 28 }, (_, i) => String(i + 1)), 'unknown'];
    const cohortWeek = [...Array.from({ length: 14 }, (_, i) => String(i)), 'later', 'unknown'];
    let worst = 0;
    for (const sp of sincePrevious) {
      for (const cw of cohortWeek) {
        const moved = deriveActivity(
          world({
            day,
            cells: {
              [ACTIVITY_METRICS.sincePrevious]: sp,
              [ACTIVITY_METRICS.cohortWeek]: cw,
              [ACTIVITY_METRICS.activeDays7]: '1',
              [ACTIVITY_METRICS.activeDays28]: '1',
            },
          }),
          from,
          to,
        );
        for (const [i, d] of moved.days.entries()) {
          const b = base.days[i] as (typeof base.days)[number];
          for (const k of ['dau', 'wau', 'mau'] as const) {
            worst = Math.max(worst, Math.abs((d[k]?.value ?? 0) - (b[k]?.value ?? 0)));
          }
        }
        for (const [i, c] of moved.cohorts.entries()) {
          worst = Math.max(worst, Math.abs(c.size.value - (base.cohorts[i]?.size.value ?? 0)));
        }
      }
    }
    expect(worst).toBe(1);
  });
});
