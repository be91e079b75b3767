import { fork } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { candorBrowserRegistry } from '@candor/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../collector.js';
import { postRaw, sealForCollector } from '../../testing/client.js';
import { SAMPLE_DAY, sampleBatch, sampleReport, seededRandom } from '../../testing/reports.js';
import { flattenReport } from '../rows.js';
import type { DedupeKey, SampleRow } from '../types.js';
import { decodeRecords, encodeRecord, Journal, type JournalRecord } from './journal.js';
import { Rollup } from './rollup.js';
import { DuckDbStore } from './store.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-journal-'));
  dirs.push(dir);
  return dir;
}

/** A group write's rollup of one report, with its record as read back. */
function record(seed: number, keys: DedupeKey[] = []): JournalRecord & { rollup: Rollup } {
  const rollup = new Rollup();
  rollup.add(flattenReport(sampleReport(seededRandom(seed)), candorBrowserRegistry));
  return { rows: rollup.sorted(), keys, rollup };
}

const encoded = (r: ReturnType<typeof record>) => encodeRecord(r.rollup, r.keys);
const readBack = ({ rows, keys }: JournalRecord): JournalRecord => ({ rows, keys });

const dayCount = async (store: DuckDbStore) =>
  (await store.dayLines('candor-browser', SAMPLE_DAY)).find(
    (l) => l.metric === '$daily_activity' && l.by === 'day' && l.bucket === -1,
  )?.reports ?? 0;

describe('write-ahead journal', () => {
  it('reads back every whole record, and stops at a record cut short or altered', () => {
    const written = [record(1, [{ key: 'a'.repeat(32), day: SAMPLE_DAY }]), record(2), record(3)];
    const records = written.map(readBack);
    const bytes = Buffer.concat(written.map(encoded));
    expect(decodeRecords(bytes)).toEqual({ records, tornBytes: 0 });
    const cut = bytes.subarray(0, bytes.length - 3);
    const last = encoded(written[2] as (typeof written)[number]).length;
    expect(decodeRecords(cut)).toEqual({ records: records.slice(0, 2), tornBytes: last - 3 });
    const altered = Buffer.from(bytes);
    const second = encoded(written[0] as (typeof written)[number]).length + 20;
    altered[second] = (altered[second] as number) ^ 1;
    expect(decodeRecords(altered).records).toEqual(records.slice(0, 1));
  });

  it('an acknowledged append survives kill -9 and is merged once on the next open, with its dedupe keys', async () => {
    const dir = await tempDir();
    const path = join(dir, 'candor.duckdb');
    const child = fork(fileURLToPath(new URL('../../../test/fixtures/store-child.ts', import.meta.url)), [path], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const messages: unknown[] = [];
    const acknowledged = new Promise<void>((resolve, reject) => {
      child.on('message', (m) => {
        messages.push(m);
        if (m === 'ready') {
          for (let n = 0; n < 3; n++) {
            const rows: SampleRow[] = flattenReport(sampleReport(seededRandom(10 + n)), candorBrowserRegistry);
            child.send({ rows, keys: [{ key: String(n).repeat(32), day: SAMPLE_DAY }], n });
          }
        }
        if (messages.filter((x) => typeof x === 'object' && x && 'acknowledged' in x).length === 3) resolve();
        if (typeof m === 'object' && m && 'failed' in m) reject(new Error(JSON.stringify(m)));
      });
      child.once('exit', (code) => reject(new Error(`store child exited (${code})`)));
    });
    await acknowledged;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Nothing was merged: the rows are only in the journal.
    expect((await readdir(dir)).filter((f) => f.includes('.journal.')).length).toBeGreaterThan(0);

    const store = await DuckDbStore.open(path);
    try {
      expect(await dayCount(store)).toBe(3);
      expect((await store.dedupeKeys(SAMPLE_DAY)).map((k) => k.key).sort()).toEqual(
        ['0', '1', '2'].map((c) => c.repeat(32)),
      );
    } finally {
      await store.close();
    }
    // Merged once: a second open replays nothing, and no segment is left behind.
    const again = await DuckDbStore.open(path);
    try {
      expect(await dayCount(again)).toBe(3);
    } finally {
      await again.close();
    }
    expect((await readdir(dir)).filter((f) => f.includes('.journal.'))).toEqual([]);
  }, 60_000);

  it('writes each record with synchronized data writes: an append resolves once the record is on disk', async (context) => {
    // Linux reports an open file's flags in /proc; elsewhere the journal syncs after each write instead.
    if (process.platform !== 'linux' || constants.O_DSYNC === undefined) context.skip();
    const base = join(await tempDir(), 'store.duckdb');
    const { journal } = await Journal.open(base, 0);
    try {
      const segment = `${base}.journal.${journal.generation}`;
      const fds = await readdir('/proc/self/fd');
      const flags: number[] = [];
      for (const fd of fds) {
        const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
        if (target !== segment) continue;
        const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
        flags.push(Number.parseInt(/^flags:\s+([0-7]+)$/m.exec(info)?.[1] ?? '0', 8));
      }
      expect(flags).toHaveLength(1);
      expect((flags[0] as number) & constants.O_DSYNC).toBe(constants.O_DSYNC);
    } finally {
      await journal.close();
    }
  });

  it('a record torn by a crash mid-write is dropped, the whole ones before it are kept', async () => {
    const dir = await tempDir();
    const path = join(dir, 'candor.duckdb');
    await (await DuckDbStore.open(path)).close();
    const segment = join(dir, 'candor.duckdb.journal.7');
    const whole = encoded(record(4, [{ key: 'e'.repeat(32), day: SAMPLE_DAY }]));
    const torn = encoded(record(5, [{ key: 'f'.repeat(32), day: SAMPLE_DAY }]));
    await writeFile(segment, Buffer.concat([whole, torn]));
    await truncate(segment, whole.length + torn.length - 10);
    const store = await DuckDbStore.open(path);
    try {
      expect(await dayCount(store)).toBe(1);
      expect((await store.dedupeKeys(SAMPLE_DAY)).map((k) => k.key)).toEqual(['e'.repeat(32)]);
    } finally {
      await store.close();
    }
  });

  it('someone holding the disk cannot tell from a record the order its uploads came in', () => {
    const uploads = [21, 22, 23].map((seed) => {
      const reports = sampleBatch(4, seededRandom(seed)).reports;
      const rows = reports.flatMap((r) => flattenReport(r, candorBrowserRegistry));
      const keys = reports.map((r, i) => ({ key: `${seed}${i}`.padStart(32, 'c'), day: r.day }));
      return { rows, keys };
    });
    const record = (order: typeof uploads) => {
      const rollup = new Rollup();
      for (const upload of order) rollup.add(upload.rows);
      return encodeRecord(
        rollup,
        order.flatMap((upload) => upload.keys),
      );
    };
    expect(record([...uploads].reverse())).toEqual(record(uploads));
  });

  it('someone reading the journal of a running collector finds no report id or address, and rows in cell order', async () => {
    const dir = await tempDir();
    const path = join(dir, 'candor.duckdb');
    // Never merged while the test reads: the journal is all there is of these uploads on disk.
    const store = await DuckDbStore.open(path, { mergeIntervalMs: 3_600_000 });
    const collector = await startCollector({
      keysDir: join(dir, 'keys'),
      store,
      dashboardDir: null,
      log: { level: 'silent' },
    });
    try {
      const batches = [sampleBatch(5, seededRandom(21)), sampleBatch(5, seededRandom(22))];
      for (const batch of batches) {
        const answer = await postRaw(collector.url, await sealForCollector(collector.url, batch), {
          localAddress: '127.0.0.77',
        });
        expect(answer.status).toBe(202);
      }
      const segments = (await readdir(dir)).filter((f) => f.includes('.journal.'));
      const bytes = Buffer.concat(await Promise.all(segments.map((f) => readFile(join(dir, f)))));
      const { records } = decodeRecords(bytes);
      expect(records.flatMap((r) => r.keys)).toHaveLength(10);
      const text = bytes.toString('latin1');
      for (const report of batches.flatMap((b) => b.reports)) expect(text).not.toContain(report.id);
      expect(text).not.toContain('127.0.0.77');
      for (const record of records) {
        const order = record.rows.map((r) => [r.day, r.app, r.metric, r.by, r.cell, r.detail, r.bucket].join('\u0000'));
        expect(order).toEqual([...order].sort());
      }
    } finally {
      await collector.close();
      await store.close();
    }
  });
});
