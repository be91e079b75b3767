import { candorBrowserRegistry, type Report } from '@candor/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleReport, seededRandom } from '../../testing/reports.js';
import { openScaleServices, type ScaleServices, scaleServicesAvailable } from '../../testing/scale-services.js';
import { DuckDbStore } from '../duckdb/store.js';
import { flattenReport } from '../rows.js';
import type { SampleRow } from '../types.js';
import { partitionOf, refusalOf } from './guard.js';
import { chunksByPartition, type IngestItem, MAX_ROWS_PER_INSERT, REPORT_ID_METRIC, reportIdKey } from './ingest.js';
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
    expect(() => dayLiteral('2026-02-30')).toThrow(/real YYYY-MM-DD/);
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

  it('refuses days ClickHouse would file under another day, and numbers that would wrap or poison a sum', () => {
    const rows = [row('2026-11-02')];
    expect(refusalOf('2026-11-02', rows)).toBeNull();
    // ClickHouse stores 2026-02-30 as 2026-03-02 and 2026-13-45 as 0000-00-00; dates outside 1970..2105 wrap.
    for (const day of ['2026-02-30', '2026-13-45', '2025-02-29', '1969-12-31', '1970-01-01', '2106-01-01', '26-1-1']) {
      expect(refusalOf(day, [row(day)]), day).toMatch(/not a real calendar day/);
    }
    expect(refusalOf('2028-02-29', [row('2028-02-29')])).toBeNull();
    expect(refusalOf('2026-11-02', [row('2026-11-03')])).toMatch(/differs/);
    expect(refusalOf('2026-11-02', [{ ...row('2026-11-02'), bucket: 40_000 }])).toMatch(/bucket/);
    expect(refusalOf('2026-11-02', [{ ...row('2026-11-02'), value: 1.7e308 }])).toMatch(/value/);
    expect(refusalOf('2026-11-02', [{ ...row('2026-11-02'), value: Number.NaN }])).toMatch(/value/);
    expect(refusalOf('2026-11-02', [{ ...row('2026-11-02'), value: -Infinity }])).toMatch(/value/);
    expect(partitionOf('2026-02-28')).toBe(202602);
    expect(partitionOf('2026-02-30')).toBeNull();
  });

  it('cuts ingest chunks per real monthly partition and under the one-part row limit', () => {
    const big = Array.from({ length: MAX_ROWS_PER_INSERT / 2 }, () => row('2026-11-02'));
    const item = (sequence: number, day: string, rows: SampleRow[]): IngestItem => ({
      sequence,
      id: sequence.toString(16).padStart(32, '0'),
      day,
      rows,
    });
    const chunks = chunksByPartition([
      item(1, '2026-10-31', [row('2026-10-31')]),
      item(2, '2026-11-02', big),
      item(3, '2026-11-01', [row('2026-11-01')]),
      item(4, '2026-11-02', big),
    ]);
    // Each report adds its id row: 100,000 + 1 + 2 + 100,001 is over the limit.
    expect(chunks.map((c) => c.map((i) => i.sequence))).toEqual([[1], [2, 3], [4]]);
    expect(() => chunksByPartition([item(5, '2026-02-30', [])])).toThrow(/no partition/);
  });
});

function row(day: string): SampleRow {
  return {
    day,
    app: 'a',
    metric: 'x.y',
    by: 'day',
    cell: day,
    detail: '',
    bucket: -1,
    value: 1,
  };
}

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
      metric: 'x.y',
      by: 'site',
      cell: awkward,
      detail: '',
      bucket: -1,
      value: 2,
    };
    await store.append([row, row]);
    expect(await store.dayLines('escape-test', '2026-03-04')).toEqual([
      { metric: 'x.y', by: 'site', cell: awkward, detail: '', bucket: -1, reports: 2, value: 4 },
    ]);
  });

  it('holds the same day lines as the DuckDB store for the same simulated reports, in the same order', async () => {
    const random = seededRandom(2);
    const reports = Array.from({ length: 60 }, () =>
      sampleReport(random, { app: 'same-test', day: '2026-11-20' } as Partial<Report>),
    );
    const registry = { ...candorBrowserRegistry, app: 'same-test' };
    const rows = reports.flatMap((r) => flattenReport(r, registry));
    const duck = await DuckDbStore.open(':memory:');
    try {
      await Promise.all([duck.append(rows), store.append(rows)]);
      const lines = await store.dayLines('same-test', '2026-11-20');
      expect(lines.length).toBeGreaterThan(100);
      expect(roundNumbers(lines)).toEqual(roundNumbers(await duck.dayLines('same-test', '2026-11-20')));
    } finally {
      await duck.close();
    }
  });

  it('ingests each report once, however often and under whatever sequence it is offered', async () => {
    const random = seededRandom(3);
    const registry = { ...candorBrowserRegistry, app: 'ingest-test' };
    const items: IngestItem[] = Array.from({ length: 40 }, (_, i) => {
      const report = sampleReport(random, {
        app: 'ingest-test',
        day: i % 2 ? '2026-09-30' : '2026-10-01',
      } as Partial<Report>);
      return { sequence: 1000 + i, id: report.id, day: report.day, rows: flattenReport(report, registry) };
    });
    const outcome = (inserted: number, skipped: number, repeats: number[] = []) => ({
      inserted,
      skipped,
      repeats,
      refused: [],
    });
    expect(await store.ingest.ingest(items.slice(0, 25))).toEqual(outcome(25, 0));
    expect(await store.ingest.ingest(items.slice(10))).toEqual(outcome(15, 15));
    expect(await store.ingest.ingest(items)).toEqual(outcome(0, 40));
    // Merged parts keep the id rows (SummingMergeTree drops rows whose summed columns are all zero).
    await store.client.command({ query: `OPTIMIZE TABLE ${store.database}.samples FINAL` });
    expect(await store.ingest.ingest(items)).toEqual(outcome(0, 40));
    // A report sent again after the stream forgot its id: a new sequence, the same report id.
    const resent = items.slice(0, 5).map((item, i) => ({ ...item, sequence: 5000 + i }));
    expect(await store.ingest.ingest(resent)).toEqual(outcome(0, 5));
    expect(await store.countReports('ingest-test', 'page_load.count')).toBe(40);

    // Repeats within one batch, as a restarted nats-server delivers them: by sequence, and by report id.
    const fresh = Array.from({ length: 6 }, () => {
      const report = sampleReport(random, { app: 'ingest-test', day: '2026-10-02' } as Partial<Report>);
      return { sequence: 0, id: report.id, day: report.day, rows: flattenReport(report, registry) };
    }).map((item, i) => ({ ...item, sequence: 2000 + i }));
    const [a, b] = fresh as [IngestItem, IngestItem];
    const batch = [...fresh, a, { ...a }, { ...b, sequence: 2999 }];
    expect(await store.ingest.ingest(batch)).toEqual(outcome(6, 0, [2000, 2000, 2999]));
    expect(await store.countReports('ingest-test', 'page_load.count')).toBe(46);

    // Id rows never show up in an app's answers, and hold hashes, not the ids.
    const anIdRow = await store.client.query({
      query: `SELECT key FROM ${store.database}.samples WHERE metric = '${REPORT_ID_METRIC}' LIMIT 1`,
      format: 'JSONEachRow',
    });
    const [{ key } = { key: '' }] = await anIdRow.json<{ key: string }>();
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(items.some((i) => i.id === key)).toBe(false);
    expect(items.some((i) => reportIdKey(i.id) === key) || fresh.some((i) => reportIdKey(i.id) === key)).toBe(true);
    // Id rows never show up in an app's day lines.
    const lines = await store.dayLines('ingest-test', '2026-10-01');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.metric === REPORT_ID_METRIC)).toBe(false);
  });

  it('refuses what ClickHouse would store as garbage, and stores the rest of the batch', async () => {
    const random = seededRandom(4);
    const registry = { ...candorBrowserRegistry, app: 'guard-test' };
    const make = (sequence: number, day: string, change?: (rows: SampleRow[]) => void): IngestItem => {
      const report = sampleReport(random, { app: 'guard-test', day: '2026-02-27' } as Partial<Report>);
      const rows = flattenReport({ ...report, day }, registry);
      change?.(rows);
      return { sequence, id: report.id, day, rows };
    };
    const setBucket = (rows: SampleRow[]) => {
      const summary = rows.find((r) => r.metric === 'page_load.time' && r.bucket === -1) as SampleRow;
      summary.bucket = 40_000;
    };
    const setSum = (rows: SampleRow[]) => {
      const summary = rows.find((r) => r.metric === 'page_load.time' && r.bucket === -1) as SampleRow;
      summary.value = 1.7e308;
    };
    const result = await store.ingest.ingest([
      make(1, '2026-02-27'),
      make(2, '2026-02-30'),
      make(3, '2026-13-45'),
      make(4, '2026-02-27', setBucket),
      make(5, '2026-02-27', setSum),
      make(6, '2026-02-28'),
    ]);
    expect(result.inserted).toBe(2);
    expect(result.refused.map((r) => r.sequence)).toEqual([2, 3, 4, 5]);
    expect(result.refused[0]?.reason).toMatch(/2026-02-30/);
    const days = await store.client.query({
      query: `SELECT DISTINCT toString(day) AS day FROM ${store.database}.samples WHERE app = 'guard-test' ORDER BY day`,
      format: 'JSONEachRow',
    });
    expect(await days.json()).toEqual([{ day: '2026-02-27' }, { day: '2026-02-28' }]);
    for (const day of ['2026-02-27', '2026-02-28']) {
      for (const line of await store.dayLines('guard-test', day)) expect(Number.isFinite(line.value)).toBe(true);
    }
  });
});

/** A JSON copy with every number rounded to 9 significant digits (floating sums differ in the last bits). */
function roundNumbers(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_key, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v));
}
