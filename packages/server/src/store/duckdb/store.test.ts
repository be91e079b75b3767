import { candorBrowserRegistry, DEFAULT_DEVICE_DAYS_RELEASE } from '@candor/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseDay } from '../../release/release.js';
import { Releaser } from '../../release/releaser.js';
import { NO_NOISE_FOR_PLUMBING_TESTS } from '../../testing/release.js';
import { SAMPLE_DAY, sampleReport, seededRandom } from '../../testing/reports.js';
import type { PackedRows } from '../packed.js';
import { flattenReport } from '../rows.js';
import type { SampleRow } from '../types.js';
import { DuckDbStore } from './store.js';

const stores: DuckDbStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function open(): Promise<DuckDbStore> {
  const store = await DuckDbStore.open(':memory:');
  stores.push(store);
  return store;
}

describe('DuckDB store', () => {
  it('keeps one row per cell, never two device details in one row, and sums concurrent appends', async () => {
    const store = await open();
    const random = seededRandom(1);
    const reports = Array.from({ length: 40 }, () => sampleReport(random, { day: '2026-11-20' }));
    await Promise.all(reports.map((r) => store.append(flattenReport(r, candorBrowserRegistry))));
    const columns = (await store.connection.runAndReadAll('DESCRIBE day_rows')).getRowsJS().map((r) => String(r[0]));
    expect(columns).toEqual(['app', 'day', 'metric', 'dim', 'cell', 'detail', 'bucket', 'reports', 'value']);
    const lines = await store.dayLines('candor-browser', '2026-11-20');
    const activity = lines.filter((l) => l.metric === '$daily_activity' && l.bucket === -1);
    // Each device dimension's cells add up to every device-day, and the day cell counts them all.
    for (const by of DEFAULT_DEVICE_DAYS_RELEASE.by) {
      expect(activity.filter((l) => l.by === by).reduce((s, l) => s + l.reports, 0)).toBe(40);
    }
    const [[rows]] = (await store.connection.runAndReadAll('SELECT count(*) FROM day_rows')).getRowsJS() as [[bigint]];
    expect(Number(rows)).toBe(lines.length);
  });

  it('releases a closed day once: the release is stored, the raw rows deleted, later rows not counted', async () => {
    const store = await open();
    const random = seededRandom(2);
    await store.append(
      Array.from({ length: 30 }, () => sampleReport(random, { day: '2026-11-20' })).flatMap((r) =>
        flattenReport(r, candorBrowserRegistry),
      ),
    );
    const releaser = new Releaser({
      registry: candorBrowserRegistry,
      store,
      noise: NO_NOISE_FOR_PLUMBING_TESTS,
      now: () => new Date('2026-11-25T00:00:00Z'),
    });
    expect(await releaser.catchUp()).toEqual(['2026-11-20', '2026-11-21']);
    expect(await store.dayLines('candor-browser', '2026-11-20')).toEqual([]);
    const released = await store.released({
      app: 'candor-browser',
      metric: '$daily_activity',
      by: 'day',
      from: '2026-11-20',
      to: '2026-11-21',
    });
    expect(released.map((d) => [d.day, d.lines.map((l) => l.reports)])).toEqual([
      ['2026-11-20', [30]],
      ['2026-11-21', [0]],
    ]);
    // A second release of the same day is refused and changes nothing.
    await expect(
      store.saveRelease(
        'candor-browser',
        releaseDay('2026-11-20', [], releaser.plan, () => 0),
      ),
    ).rejects.toThrow();
    await store.append(flattenReport(sampleReport(random, { day: '2026-11-20' }), candorBrowserRegistry));
    expect(await store.dayLines('candor-browser', '2026-11-20')).toEqual([]);
  });

  it('stages a large merge in turns, so uploads are answered meanwhile, and stores every key', async () => {
    const store = await open();
    const day = new Date().toISOString().slice(0, 10);
    const keys = Array.from({ length: 3_500 }, (_, i) => ({ key: i.toString(16).padStart(32, '0'), day }));
    await store.append([], keys);
    // Counts turns of the event loop while the merge runs, and notes the count as each key is staged.
    let turns = 0;
    let merging = true;
    const tick = () => {
      turns++;
      if (merging) setImmediate(tick);
    };
    setImmediate(tick);
    const ids = (store as unknown as { appenders: { ids: { endRow: () => void } } }).appenders.ids;
    const endRow = ids.endRow.bind(ids);
    const turnAtKey: number[] = [];
    ids.endRow = () => {
      turnAtKey.push(turns);
      endRow();
    };
    await store.flush();
    merging = false;
    expect(turnAtKey).toHaveLength(keys.length);
    // Other work ran between the first key staged and the last: at least once per 1,000 keys.
    expect((turnAtKey.at(-1) as number) - (turnAtKey[0] as number)).toBeGreaterThanOrEqual(3);
    expect((await store.dedupeKeys(day)).length).toBe(keys.length);
  });

  it('a write that fails leaves nothing behind and does not affect the appends beside it or after it', async () => {
    const store = await open();
    const honest = (n: number) => flattenReport(sampleReport(seededRandom(n)), candorBrowserRegistry);
    // Rows no flattening would make: a bucket index past SMALLINT, which the write cannot store.
    const base = honest(1).find((r) => r.metric === 'page_load.count') as SampleRow;
    const poison: SampleRow[] = [{ ...base, bucket: 40_000 }];
    const results = await Promise.allSettled([
      store.append(honest(2), [{ key: 'a'.repeat(32), day: SAMPLE_DAY }]),
      store.append(poison, [{ key: 'b'.repeat(32), day: SAMPLE_DAY }]),
      store.append(honest(3), [{ key: 'c'.repeat(32), day: SAMPLE_DAY }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await store.append(honest(4), [{ key: 'd'.repeat(32), day: SAMPLE_DAY }]);
    const count = async (sql: string) => Number((await store.connection.runAndReadAll(sql)).getRowsJS()[0]?.[0]);
    expect(await count('SELECT count(*) FROM staging')).toBe(0);
    expect(await count('SELECT count(*) FROM staging_ids')).toBe(0);
    const lines = await store.dayLines('candor-browser', SAMPLE_DAY);
    const days = lines.find((l) => l.metric === 'page_load.count' && l.by === 'day' && l.bucket === -1);
    expect(days?.reports).toBe(3);
    // The dedupe keys of exactly the stored appends were kept with them.
    expect((await store.dedupeKeys(SAMPLE_DAY)).map((k) => k.key).sort()).toEqual(
      ['a', 'c', 'd'].map((c) => c.repeat(32)),
    );
  });

  it('refuses, before journaling, every row the database could not hold, plain or packed, and stores nothing of it', async () => {
    const store = await open();
    const base = flattenReport(sampleReport(seededRandom(6)), candorBrowserRegistry).find(
      (r) => r.metric === 'page_load.count' && r.by === 'day',
    ) as SampleRow;
    const bad: [string, Partial<SampleRow>][] = [
      ['day', { day: '2026-02-30' }],
      ['day', { day: '2026-13-45' }],
      ['day', { day: 'today' }],
      ['bucket', { bucket: 1.5 }],
      ['bucket', { bucket: -2 }],
      ['reports', { reports: -1 }],
      ['reports', { reports: 2 ** 40 }],
      ['value', { value: Number.NaN }],
      ['value', { value: -1 }],
      ['value', { value: Number.POSITIVE_INFINITY }],
    ];
    // The same row as an inspection thread packs it (store/packed.ts), for the store's packed path.
    const packed = (r: SampleRow): PackedRows => ({
      strings: [r.day, r.app, r.metric, r.by, r.cell, r.detail],
      text: Uint32Array.of(0, 1, 2, 3, 4, 5),
      numbers: Float64Array.of(r.bucket, r.value, r.reports ?? 1),
    });
    for (const [field, change] of bad) {
      const row = { ...base, cell: 'bad', ...change };
      await expect(store.append([row])).rejects.toThrow(`(${field})`);
      await expect(store.appendPacked(packed(row))).rejects.toThrow(`(${field})`);
    }
    const pointsPastItsStrings = { ...packed({ ...base, cell: 'bad' }), text: Uint32Array.of(0, 1, 2, 3, 4, 6) };
    await expect(store.appendPacked(pointsPastItsStrings)).rejects.toThrow('(text)');
    await store.append([{ ...base, cell: 'good' }]);
    await store.appendPacked(packed({ ...base, cell: 'good too' }));
    const lines = await store.dayLines('candor-browser', base.day);
    const cells = lines.filter((l) => l.metric === base.metric && l.by === 'day').map((l) => l.cell);
    expect(cells).toEqual(['good', 'good too']);
  });

  it('rows a failed write left in staging are never counted by a later write', async () => {
    const store = await open();
    const report = flattenReport(sampleReport(seededRandom(5)), candorBrowserRegistry);
    const base = report.find((r) => r.metric === 'page_load.count' && r.by === 'day') as SampleRow;
    // What a write whose clean-up also failed would leave: staged rows under a write number not the next one's.
    await store.connection.run(
      `INSERT INTO staging VALUES ('${base.app}', DATE '${base.day}', '${base.metric}', '${base.by}', '${base.cell}', '', -1, 1000, 1000, 0)`,
    );
    await store.append(report, [{ key: 'e'.repeat(32), day: base.day }]);
    const line = (await store.dayLines('candor-browser', base.day)).find(
      (l) => l.metric === base.metric && l.by === 'day' && l.bucket === -1,
    );
    expect(line?.reports).toBe(1);
    const count = async (sql: string) => Number((await store.connection.runAndReadAll(sql)).getRowsJS()[0]?.[0]);
    expect(await count('SELECT count(*) FROM staging')).toBe(0);
  });

  it('a merge that fails rolls back everything it did, keeps the rows journaled, and stores them once later', async () => {
    const store = await open();
    const honest = (n: number) => flattenReport(sampleReport(seededRandom(n)), candorBrowserRegistry);
    const base = honest(1).find((r) => r.metric === 'page_load.count' && r.by === 'day') as SampleRow;
    // A database no append could make: a cell already at the largest count, so adding to it overflows in the
    // upsert, after staging succeeded.
    const full: SampleRow[] = [{ ...base, cell: 'full-cell' }];
    await store.connection.run(
      `INSERT INTO day_rows VALUES ('${base.app}', DATE '${base.day}', '${base.metric}', '${base.by}', 'full-cell', '', -1, 9223372036854775807, 0)`,
    );
    await Promise.all([
      store.append(honest(2), [{ key: 'a'.repeat(32), day: SAMPLE_DAY }]),
      store.append(full, [{ key: 'b'.repeat(32), day: SAMPLE_DAY }]),
    ]);
    await expect(store.flush()).rejects.toThrow();
    const count = async (sql: string) => Number((await store.connection.runAndReadAll(sql)).getRowsJS()[0]?.[0]);
    const dayCell = async () =>
      (await store.dayLines('candor-browser', SAMPLE_DAY)).find(
        (l) => l.metric === 'page_load.count' && l.by === 'day' && l.cell === SAMPLE_DAY && l.bucket === -1,
      )?.reports;
    expect(await count('SELECT count(*) FROM staging')).toBe(0);
    expect(await count('SELECT count(*) FROM staging_ids')).toBe(0);
    expect(await count('SELECT count(*) FROM report_ids')).toBe(0);
    expect(await count(`SELECT count(*) FROM day_rows WHERE cell = '${SAMPLE_DAY}'`)).toBe(0);
    // Appends go on while merges fail; once the cell is repaired, everything journaled is stored once.
    await store.append(honest(3), [{ key: 'c'.repeat(32), day: SAMPLE_DAY }]);
    await expect(store.flush()).rejects.toThrow();
    await store.connection.run("UPDATE day_rows SET reports = 0 WHERE cell = 'full-cell'");
    expect(await dayCell()).toBe(2);
    expect(await count("SELECT reports FROM day_rows WHERE cell = 'full-cell'")).toBe(1);
    expect((await store.dedupeKeys(SAMPLE_DAY)).map((k) => k.key).sort()).toEqual(
      ['a', 'b', 'c'].map((c) => c.repeat(32)),
    );
  });

  it('while merges keep failing, appends are refused once the backlog is full, and accepted again after', async () => {
    const store = await DuckDbStore.open(':memory:', { maxBacklogRows: 1 });
    stores.push(store);
    const honest = (n: number) => flattenReport(sampleReport(seededRandom(n)), candorBrowserRegistry);
    const base = honest(1).find((r) => r.metric === 'page_load.count' && r.by === 'day') as SampleRow;
    await store.connection.run(
      `INSERT INTO day_rows VALUES ('${base.app}', DATE '${base.day}', '${base.metric}', '${base.by}', 'full-cell', '', -1, 9223372036854775807, 0)`,
    );
    await store.append([
      { ...base, cell: 'full-cell' },
      { ...base, cell: 'other' },
    ]);
    await expect(store.flush()).rejects.toThrow();
    await expect(store.append(honest(2))).rejects.toThrow('not merging');
    await store.connection.run("UPDATE day_rows SET reports = 0 WHERE cell = 'full-cell'");
    await store.flush();
    await store.append(honest(3));
    const days = (await store.dayLines('candor-browser', SAMPLE_DAY)).find(
      (l) => l.metric === 'page_load.count' && l.by === 'day' && l.cell === SAMPLE_DAY && l.bucket === -1,
    );
    expect(days?.reports).toBe(1);
  });

  it('everyone waiting on a merge learns that it failed, so no read goes on without the journaled rows', async () => {
    const store = await open();
    const base = flattenReport(sampleReport(seededRandom(7)), candorBrowserRegistry).find(
      (r) => r.metric === 'page_load.count' && r.by === 'day',
    ) as SampleRow;
    await store.connection.run(
      `INSERT INTO day_rows VALUES ('${base.app}', DATE '${base.day}', '${base.metric}', '${base.by}', 'full-cell', '', -1, 9223372036854775807, 0)`,
    );
    await store.append([{ ...base, cell: 'full-cell' }]);
    // The second caller comes while the first merge is queued: it must not be told all is merged.
    const [first, second] = [store.merge(), store.merge()];
    await expect(first).rejects.toThrow();
    await expect(second).rejects.toThrow();
    await store.connection.run("UPDATE day_rows SET reports = 0 WHERE cell = 'full-cell'");
    await store.flush();
  });
});
