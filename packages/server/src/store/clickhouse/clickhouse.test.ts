import { candorBrowserRegistry, DIMENSIONS, type Report } from '@candor/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryService } from '../../query/service.js';
import { sampleReport, seededRandom } from '../../testing/reports.js';
import { openScaleServices, type ScaleServices, scaleServicesAvailable } from '../../testing/scale-services.js';
import { DuckDbStore } from '../duckdb/store.js';
import { flattenReport } from '../rows.js';
import type { AggregateRow, SampleRow } from '../types.js';
import { chunksByPartition, INGEST_METRIC, MAX_ROWS_PER_INSERT } from './ingest.js';
import { decodeSequences, encodeSequences } from './ledger.js';
import { dayLiteral, identifier, integerLiteral, stringLiteral } from './sql.js';
import { ClickHouseStore } from './store.js';
import { parseClickHouseUrl } from './url.js';

describe('ClickHouse SQL literals and URLs', () => {
  it('escapes quotes, backslashes and control characters so no value can end its literal', () => {
    expect(stringLiteral("it's")).toBe("'it\\'s'");
    expect(stringLiteral('a\\b')).toBe("'a\\\\b'");
    expect(stringLiteral("\\'")).toBe("'\\\\\\''");
    expect(stringLiteral('x\ny\0')).toBe("'x\\x0ay\\x00'");
    expect(() => integerLiteral(1.5)).toThrow(/safe integer/);
    expect(() => dayLiteral("2026-01-01' OR 1")).toThrow(/YYYY-MM-DD/);
    expect(() => identifier('samples; DROP')).toThrow(/identifier/);
  });

  it('parses clickhouse:// store URLs and names what is wrong', () => {
    expect(parseClickHouseUrl('clickhouse://db.internal:8123/candor')).toEqual({
      httpUrl: 'http://db.internal:8123',
      database: 'candor',
      username: 'default',
      password: '',
    });
    expect(parseClickHouseUrl('clickhouses://u:p%40ss@h/x').httpUrl).toBe('https://h:8123');
    expect(parseClickHouseUrl('clickhouses://u:p%40ss@h/x').password).toBe('p@ss');
    expect(() => parseClickHouseUrl('http://h:8123/db')).toThrow(/clickhouse:\/\//);
    expect(() => parseClickHouseUrl('clickhouse://h:8123/bad-name')).toThrow(/database name/);
  });

  it('writes stream sequence sets as ranges and reads them back', () => {
    expect(encodeSequences([7, 3, 4, 5, 9, 10, 12, 4])).toBe('3-5,7,9-10,12');
    expect(decodeSequences('3-5,7,9-10,12')).toEqual([3, 4, 5, 7, 9, 10, 12]);
    expect(decodeSequences('')).toEqual([]);
    expect(() => decodeSequences('3-x')).toThrow(/malformed/);
  });

  it('cuts ingest chunks per monthly partition and under the one-part row limit', () => {
    const row = (day: string): SampleRow => ({
      day,
      app: 'a',
      appVersion: '1.0',
      modelFamily: 'm',
      os: 'android',
      osMajor: 14,
      language: 'en',
      metric: 'x.y',
      key: '',
      detail: '',
      bucket: -1,
      value: 1,
      count: 1,
    });
    const big = Array.from({ length: MAX_ROWS_PER_INSERT / 2 + 1 }, () => row('2026-11-02'));
    const chunks = chunksByPartition([
      { sequence: 1, rows: [row('2026-10-31')] },
      { sequence: 2, rows: big },
      { sequence: 3, rows: [row('2026-11-01')] },
      { sequence: 4, rows: big },
    ]);
    expect(chunks.map((c) => c.map((i) => i.sequence))).toEqual([[1], [2, 3], [4]]);
  });
});

const available = await scaleServicesAvailable('ClickHouse store tests');

describe.skipIf(!available)('ClickHouse store on a real server', () => {
  let services: ScaleServices;
  let store: ClickHouseStore;
  beforeAll(async () => {
    services = await openScaleServices();
    store = await ClickHouseStore.open({ url: services.storeUrl });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await services?.close();
  }, 120_000);

  it('stores strings exactly, quotes and backslashes included', async () => {
    const awkward = 'o\'brien\\x " ; --';
    const row: SampleRow = {
      day: '2026-03-04',
      app: 'escape-test',
      appVersion: '1.0',
      modelFamily: 'm',
      os: 'android',
      osMajor: 9,
      language: 'en',
      metric: 'x.y',
      key: awkward,
      detail: '',
      bucket: -1,
      value: 2.5,
      count: 1,
    };
    await store.append([row, row]);
    const cells = await store.aggregate({
      app: 'escape-test',
      metric: 'x.y',
      type: 'labeled_counter',
      by: 'label',
      from: '2026-03-04',
      to: '2026-03-04',
    });
    expect(cells).toEqual([{ key: awkward, reports: 2, value: 5, count: 2 }]);
  });

  it('gives the same aggregates as the DuckDB store for the same simulated reports', async () => {
    const random = seededRandom(42);
    const days = ['2026-10-30', '2026-10-31', '2026-11-01'];
    const reports: Report[] = Array.from({ length: 1500 }, (_, i) => sampleReport(random, { day: days[i % 3] }));
    reports.push(
      ...Array.from({ length: 60 }, (_, i) => ({
        ...sampleReport(random),
        kind: 'daily' as const,
        day: days[i % 3] as string,
        metrics: {},
      })),
    );
    const rows = reports.flatMap((r) => flattenReport(r, candorBrowserRegistry));
    const duck = await DuckDbStore.open(':memory:');
    await duck.append(rows);
    await store.append(rows);

    // The shared query layer on either store: same k-threshold suppression, percentiles, shares, LDP estimates.
    const now = () => new Date('2026-11-02T12:00:00Z');
    const duckQueries = new QueryService({ registry: candorBrowserRegistry, store: duck, k: 20, now });
    const clickHouseQueries = new QueryService({ registry: candorBrowserRegistry, store, k: 20, now });
    let compared = 0;
    let released = 0;
    for (const [metric, definition] of Object.entries(candorBrowserRegistry.metrics)) {
      for (const by of DIMENSIONS) {
        const range = { from: '2026-10-01', to: '2026-11-30' };
        const request = { app: 'candor-browser', metric, type: definition.type, by, ...range };
        const [fromDuck, fromClickHouse] = await Promise.all([duck.aggregate(request), store.aggregate(request)]);
        expect(normalise(fromClickHouse), `${metric} by ${by}`).toEqual(normalise(fromDuck));
        compared += fromDuck.length;

        const params = { metric, by, ...range };
        const [answerDuck, answerClickHouse] = await Promise.all([
          duckQueries.query(params),
          clickHouseQueries.query(params),
        ]);
        expect(roundNumbers(answerClickHouse), `query ${metric} by ${by}`).toEqual(roundNumbers(answerDuck));
        if (answerDuck.ok) released += answerDuck.result.cells.filter((c) => !c.suppressed).length;
      }
    }
    expect(released).toBeGreaterThan(50);
    const activity = { app: 'candor-browser', metric: '$daily_activity', type: 'counter' as const, by: 'day' as const };
    const range = { from: '2026-10-31', to: '2026-11-01' };
    expect(normalise(await store.aggregate({ ...activity, ...range }))).toEqual(
      normalise(await duck.aggregate({ ...activity, ...range })),
    );
    expect(compared).toBeGreaterThan(200);

    // Rows are rolled up: far fewer than one set per report, and merging them further changes no answer.
    const storedRows = async () => {
      const result = await store.client.query({
        query: `SELECT count() AS n FROM ${store.database}.samples WHERE app = 'candor-browser'`,
        format: 'JSONEachRow',
      });
      return Number((await result.json<{ n: string }>())[0]?.n);
    };
    const beforeMerge = await storedRows();
    expect(beforeMerge).toBeLessThan(rows.length);
    await store.client.command({ query: `OPTIMIZE TABLE ${store.database}.samples FINAL` });
    expect(await storedRows()).toBeLessThanOrEqual(beforeMerge);
    for (const [metric, definition] of Object.entries(candorBrowserRegistry.metrics)) {
      for (const by of ['day', 'modelFamily', 'site', 'label'] as const) {
        const request = {
          app: 'candor-browser',
          metric,
          type: definition.type,
          by,
          from: '2026-10-01',
          to: '2026-11-30',
        };
        expect(normalise(await store.aggregate(request)), `merged: ${metric} by ${by}`).toEqual(
          normalise(await duck.aggregate(request)),
        );
      }
    }
    await duck.close();
  });

  it('ingests each stream sequence once, however often it is offered', async () => {
    const random = seededRandom(3);
    const items = Array.from({ length: 40 }, (_, i) => ({
      sequence: 1000 + i,
      rows: flattenReport(
        sampleReport(random, { app: 'ingest-test', day: i % 2 ? '2026-09-30' : '2026-10-01' } as Partial<Report>),
        { ...candorBrowserRegistry, app: 'ingest-test' },
      ),
    }));
    const source = 'TEST@2026-01-01T00:00:00Z';
    expect(await store.ingest.ingest(source, items.slice(0, 25))).toEqual({ inserted: 25, skipped: 0 });
    expect(await store.ingest.ingest(source, items.slice(10))).toEqual({ inserted: 15, skipped: 15 });
    expect(await store.ingest.ingest(source, items)).toEqual({ inserted: 0, skipped: 40 });
    // The same sequence numbers from another stream (a recreated one) are different messages.
    expect(await store.ingest.ingest('OTHER@2026-02-01T00:00:00Z', items.slice(0, 1))).toEqual({
      inserted: 1,
      skipped: 0,
    });
    expect(await store.countReports('ingest-test', 'page_load.count')).toBe(41);
    // Ingest markers never show up in an app's answers.
    const cells = await store.aggregate({
      app: '',
      metric: INGEST_METRIC,
      type: 'counter',
      by: 'day',
      from: '1970-01-01',
      to: '2100-01-01',
    });
    expect(cells.length).toBeGreaterThan(0);
    const real = await store.aggregate({
      app: 'ingest-test',
      metric: INGEST_METRIC,
      type: 'counter',
      by: 'day',
      from: '1970-01-01',
      to: '2100-01-01',
    });
    expect(real).toEqual([]);
  });
});

/** Cells sorted by key, floating sums rounded (the two engines add in different orders), buckets as objects. */
function normalise(rows: AggregateRow[]) {
  return [...rows]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => ({
      ...r,
      value: Math.round(r.value * 1e6) / 1e6,
      buckets: r.buckets ? Object.fromEntries([...r.buckets].sort((a, b) => a[0] - b[0])) : undefined,
    }));
}

/** A JSON copy with every number rounded to 9 significant digits (floating sums differ in the last bits). */
function roundNumbers(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_key, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v));
}
