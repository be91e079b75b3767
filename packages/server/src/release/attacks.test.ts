import {
  candorBrowserRegistry,
  contributionBounds,
  defineRegistry,
  type MetricDefinition,
  type QueryResult,
  type Report,
} from '@candor/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { QueryParams } from '../query/params.js';
import { ClickHouseStore } from '../store/clickhouse/store.js';
import { DuckDbStore } from '../store/duckdb/store.js';
import type { ReportStore } from '../store/types.js';
import { releaseRig, seededNoise } from '../testing/release.js';
import { sampleReport, seededRandom } from '../testing/reports.js';
import { openScaleServices, type ScaleServices, scaleServicesAvailable } from '../testing/scale-services.js';

/**
 * The attacks a query-token holder made on the old query layer (issue 11), each as a test. Day D is closed at
 * `later`; the fleet is 300 ordinary device-days plus one victim.
 */
const D = '2026-11-20';
const D2 = '2026-11-21';
const later = new Date('2026-11-25T12:00:00Z');

/** The example registry, with the two metrics the old attacks used also released by OS, model and language. */
const metrics = candorBrowserRegistry.metrics;
const registry = defineRegistry({
  ...candorBrowserRegistry,
  metrics: {
    ...metrics,
    'page_load.count': {
      ...(metrics['page_load.count'] as MetricDefinition),
      release: { by: ['day', 'os', 'modelFamily', 'language'] },
    },
    'ui.open_tabs': { ...(metrics['ui.open_tabs'] as MetricDefinition), release: { by: ['day', 'os', 'language'] } },
  },
});

function fleet(count: number, seed: number, day = D): Report[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => sampleReport(random, { day }));
}

function victim(day = D, overrides: Record<string, unknown> = {}): Report {
  return sampleReport(seededRandom(99), {
    day,
    system: { modelFamily: 'victimphone', os: 'windows', osMajor: 3, language: 'is' },
    metrics: {
      'page_load.count': 1000,
      'page_load.time_by_site': { 'my-hiv-clinic.org': { sum: 900, count: 1, buckets: { '79': 1 } } },
      'ui.open_tabs': 77,
      ...overrides,
    },
  });
}

async function ask(rig: ReturnType<typeof releaseRig>, params: QueryParams): Promise<QueryResult> {
  const answer = await rig.queries.query(params);
  if (!answer.ok) throw new Error(`${answer.problem.title}: ${answer.problem.detail}`);
  return answer.result;
}

const cell = (result: QueryResult, key: string) => result.cells.find((c) => c.key === key);

function attackSuite(name: string, openStore: () => Promise<ReportStore>) {
  describe(`attacks on released figures (${name})`, () => {
    const stores: ReportStore[] = [];
    const open = async () => {
      const store = await openStore();
      stores.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    it('total minus visible cells does not give back one device-day', async () => {
      const rig = releaseRig(await open(), seededNoise(1), later, registry);
      await rig.send([...fleet(300, 1), victim()]);
      const total = await ask(rig, { metric: 'page_load.count', by: 'day', from: D, to: D });
      const families = await ask(rig, { metric: 'page_load.count', by: 'modelFamily', from: D, to: D });
      const byOs = await ask(rig, { metric: 'page_load.count', by: 'os', from: D, to: D });
      // The victim's rare model family is not released; every OS is, data or not, so no OS cell is missing.
      expect(families.cells.map((c) => c.key)).not.toContain('victimphone');
      expect(byOs.cells.map((c) => c.key).sort()).toEqual(
        ['android', 'chromeos', 'ios', 'linux', 'macos', 'other', 'windows'].sort(),
      );
      // The old attack: day total minus the visible cells. It gave back 1 report and exactly 1000.
      const visible = families.cells.reduce((s, c) => s + (c.sum ?? 0), 0);
      const guess = (cell(total, D)?.sum ?? 0) - visible;
      expect(guess).not.toBe(1000);
      // What the windows cell says is mostly noise: its interval is far wider than one device-day's bound.
      const windows = cell(byOs, 'windows');
      const [low, high] = windows?.sumInterval ?? [0, 0];
      expect(high - low).toBeGreaterThan(
        4 * contributionBounds(registry.metrics['page_load.count'] as MetricDefinition).value,
      );
    });

    it('asking before and after an upload, or again, returns the same published figures', async () => {
      const rig = releaseRig(await open(), seededNoise(2), later, registry);
      await rig.send(fleet(300, 2));
      const before = await ask(rig, { metric: 'ui.open_tabs', by: 'os', from: D, to: D });
      // The victim's report arrives after the day was released: it is not counted, nothing changes.
      await rig.send([victim()]);
      const after = await ask(rig, { metric: 'ui.open_tabs', by: 'os', from: D, to: D });
      expect(after).toEqual(before);
      // Repeating a query does not draw new noise to average away.
      const repeats = await Promise.all(
        Array.from({ length: 10 }, () => ask(rig, { metric: 'ui.open_tabs', by: 'os', from: D, to: D })),
      );
      for (const r of repeats) expect(r).toEqual(before);
    });

    it('a day still open is not in any answer', async () => {
      const rig = releaseRig(await open(), seededNoise(3), new Date(`${D}T12:00:00Z`), registry);
      await rig.send([...fleet(50, 3), victim()]);
      const today = await ask(rig, { metric: 'page_load.count', by: 'day', from: D, to: D });
      expect(today.days).toBe(0);
      expect(today.cells).toEqual([]);
      expect(today.releasedThrough < D).toBe(true);
    });

    it('overlapping ranges are sums of the same released days, so differencing them gives nothing new', async () => {
      const rig = releaseRig(await open(), seededNoise(4), later, registry);
      await rig.send([...fleet(200, 4, D), ...fleet(200, 5, D2), victim(D2)]);
      const one = await ask(rig, { metric: 'ui.open_tabs', by: 'language', from: D, to: D });
      const two = await ask(rig, { metric: 'ui.open_tabs', by: 'language', from: D2, to: D2 });
      const both = await ask(rig, { metric: 'ui.open_tabs', by: 'language', from: D, to: D2 });
      for (const c of both.cells) {
        expect(c.sum).toBe((cell(one, c.key)?.sum ?? 0) + (cell(two, c.key)?.sum ?? 0));
        expect(c.reports).toBe((cell(one, c.key)?.reports ?? 0) + (cell(two, c.key)?.reports ?? 0));
      }
      // The victim's language is not released on any range.
      expect(both.cells.map((c) => c.key)).not.toContain('is');
    });

    it('a moved clock or faked days do not buy fresh noise about a released day', async () => {
      const rig = releaseRig(await open(), seededNoise(5), later, registry);
      await rig.send([...fleet(300, 6), victim()]);
      const first = await ask(rig, { metric: 'page_load.count', by: 'os', from: D, to: D });
      // Days pass (the old ledger renewed every day); reports for the released day keep coming (faked days).
      for (let i = 1; i <= 4; i++) {
        rig.clock.now = new Date(later.getTime() + i * 86_400_000);
        await rig.send([victim(D)]);
        const again = await ask(rig, { metric: 'page_load.count', by: 'os', from: D, to: D });
        expect(again.cells).toEqual(first.cells);
        expect(again.totalReports).toBe(first.totalReports);
      }
    });

    it('a rare key is not released, not even by name, however many reports one device sends', async () => {
      const rig = releaseRig(await open(), seededNoise(6), later, registry);
      // The old attack: 20 reports from one device released its rare site by name.
      await rig.send([...fleet(1000, 7), ...Array.from({ length: 20 }, () => victim())]);
      const sites = await ask(rig, { metric: 'page_load.time_by_site', by: 'site', from: D, to: D });
      expect(JSON.stringify(sites)).not.toContain('my-hiv-clinic');
      expect(sites.privacy.threshold).toBeGreaterThan(20);
      const families = await ask(rig, { metric: '$daily_activity', by: 'modelFamily', from: D, to: D });
      expect(JSON.stringify(families)).not.toContain('victimphone');
      // Sites many device-days have are released.
      expect(sites.cells.length).toBeGreaterThan(0);
    });

    it('a poisoning report moves a released value by no more than its declared bound', async () => {
      const bound = contributionBounds(registry.metrics['page_load.count'] as MetricDefinition).value;
      const release = async (extra: Report[]) => {
        const rig = releaseRig(await open(), seededNoise(7), later, registry);
        await rig.send([...fleet(300, 8), ...extra]);
        return ask(rig, { metric: 'page_load.count', by: 'day', from: D, to: D });
      };
      const clean = await release([]);
      // A client that can seal anything sends a value far over the bound (ingest refuses it; the store clamps too).
      const poisoned = await release([victim(D, { 'page_load.count': 1e12 })]);
      const moved = (cell(poisoned, D)?.sum ?? 0) - (cell(clean, D)?.sum ?? 0);
      expect(moved).toBeGreaterThan(0);
      expect(moved).toBeLessThanOrEqual(bound);
    });
  });
}

attackSuite('DuckDB', () => DuckDbStore.open(':memory:'));

const clickhouse = await scaleServicesAvailable('release attacks on ClickHouse');
describe.skipIf(!clickhouse)('on ClickHouse', () => {
  let services: ScaleServices | undefined;
  beforeAll(async () => {
    services = await openScaleServices();
  }, 120_000);
  afterAll(async () => {
    await services?.close();
  }, 120_000);
  let n = 0;
  attackSuite('ClickHouse', async () => {
    const base = services?.storeUrl ?? '';
    return ClickHouseStore.open({ url: `${base}_${n++}` });
  });
});
