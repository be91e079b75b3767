import { candorBrowserRegistry, type Report } from '@candor/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleReport, seededRandom } from '../../testing/reports.js';
import { openScaleServices, type ScaleServices, scaleServicesAvailable } from '../../testing/scale-services.js';
import { DuckDbStore } from '../duckdb/store.js';
import { flattenReport } from '../rows.js';
import type { SampleRow } from '../types.js';
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
      metric: 'x.y',
      by: 'day',
      cell: day,
      detail: '',
      bucket: -1,
      value: 1,
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

  it('holds the same day lines as the DuckDB store for the same simulated reports', async () => {
    const random = seededRandom(2);
    const reports = Array.from({ length: 60 }, () => sampleReport(random, { app: 'same-test' } as Partial<Report>));
    const registry = { ...candorBrowserRegistry, app: 'same-test' };
    const rows = reports.flatMap((r) => flattenReport(r, registry));
    const duck = await DuckDbStore.open(':memory:');
    try {
      await Promise.all([duck.append(rows), store.append(rows)]);
      const sorted = (lines: Awaited<ReturnType<DuckDbStore['dayLines']>>) =>
        roundNumbers(
          [...lines].sort((a, b) =>
            `${a.metric}|${a.by}|${a.cell}|${a.bucket}` < `${b.metric}|${b.by}|${b.cell}|${b.bucket}` ? -1 : 1,
          ),
        );
      expect(sorted(await store.dayLines('same-test', '2026-11-20'))).toEqual(
        sorted(await duck.dayLines('same-test', '2026-11-20')),
      );
    } finally {
      await duck.close();
    }
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
    // Ingest markers never show up in an app's day lines.
    const lines = await store.dayLines('ingest-test', '2026-10-01');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.metric === INGEST_METRIC)).toBe(false);
  });
});

/** A JSON copy with every number rounded to 9 significant digits (floating sums differ in the last bits). */
function roundNumbers(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_key, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v));
}
