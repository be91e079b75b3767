import { acceptedDays, type Dimension, type MetricType } from '@candor/protocol';
import { type DuckDBAppender, type DuckDBConnection, DuckDBDateValue, DuckDBInstance } from '@duckdb/node-api';
import type { AggregateRequest, AggregateRow, DedupeKey, ReportStore, SampleRow } from '../types.js';
import { migrate, STAGING_TABLE_SQL } from './migrations.js';
import { Rollup, type RollupRow } from './rollup.js';

const DAY_MS = 86_400_000;

/** Metric types where one report contributes several keys (labels, sites, signatures, event shapes). */
const MULTI_KEY_TYPES: ReadonlySet<MetricType> = new Set(['labeled_counter', 'site', 'crash', 'event']);

/** Dimensions only the full rollup has; every other query reads the per-day rollup. */
const DEVICE_DIMENSIONS: ReadonlySet<Dimension> = new Set([
  'modelFamily',
  'os',
  'osMajor',
  'osVersion',
  'language',
  'appVersion',
]);

const DIMENSION_SQL: Record<Dimension, string> = {
  day: "strftime(day, '%Y-%m-%d')",
  label: 'key',
  value: 'key',
  site: 'key',
  signature: 'key',
  modelFamily: 'model_family',
  os: 'os',
  osMajor: 'CAST(os_major AS VARCHAR)',
  osVersion: "os || ' ' || CAST(os_major AS VARCHAR)",
  language: 'language',
  appVersion: 'app_version',
};

export interface DuckDbStoreOptions {
  /** How long appended rows wait for more to roll up with before being written (group commit). */
  flushIntervalMs?: number;
  /** Write at once when this many distinct rollup rows are pending. */
  maxPendingRows?: number;
}

function toDate(day: string): DuckDBDateValue {
  return new DuckDBDateValue(Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS));
}

/** One `append` waiting for the next write. */
interface PendingAppend {
  rows: readonly SampleRow[];
  dedupe: readonly DedupeKey[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The embedded store. It keeps rollups, not reports: appends wait a few milliseconds for others (group commit),
 * their rows are summed by dimensions in memory and written in one transaction together with their dedupe keys.
 * `append` resolves once its rows are committed. A write that fails leaves nothing behind (the transaction,
 * staging tables included, is rolled back) and is retried one append at a time, so one append that cannot be
 * stored fails alone. See docs/storage.md.
 */
export class DuckDbStore implements ReportStore {
  private pending: PendingAppend[] = [];
  private pendingRows = 0;
  /** The oldest day whose dedupe keys are kept, as of the last write. */
  private keptKeysFrom = '';
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private drainQueued = false;
  private readonly flushIntervalMs: number;
  private readonly maxPendingRows: number;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    options: DuckDbStoreOptions,
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 5;
    this.maxPendingRows = options.maxPendingRows ?? 50_000;
  }

  /** Opens (creating if needed) a database file, or ':memory:', and applies pending migrations. */
  static async open(path: string, options: DuckDbStoreOptions = {}): Promise<DuckDbStore> {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await migrate(connection);
    for (const sql of STAGING_TABLE_SQL) await connection.run(sql);
    return new DuckDbStore(instance, connection, options);
  }

  append(rows: SampleRow[], dedupe: readonly DedupeKey[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (rows.length === 0 && dedupe.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.pending.push({ rows, dedupe, resolve, reject }));
    this.pendingRows += rows.length;
    if (this.pendingRows >= this.maxPendingRows) this.flushSoon(0);
    else this.flushSoon(this.flushIntervalMs);
    return done;
  }

  private flushSoon(delay: number): void {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  /**
   * Writes everything pending. Writes never interleave; while one runs, new rows keep rolling up in memory and
   * the next write takes all of them at once (group commit), so a slow commit makes batches bigger, not queues
   * longer.
   */
  flush(): Promise<void> {
    if (!this.drainQueued) {
      this.drainQueued = true;
      this.writing = this.writing.then(() => {
        this.drainQueued = false;
        return this.drain();
      });
    }
    return this.writing;
  }

  private async drain(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingRows = 0;
    try {
      await this.write(batch);
      for (const append of batch) append.resolve();
    } catch (error) {
      if (batch.length === 1) {
        (batch[0] as PendingAppend).reject(error);
        return;
      }
      // Whatever failed, it was one append or the database: alone, each honest append is stored or fails alone.
      for (const append of batch) {
        try {
          await this.write([append]);
          append.resolve();
        } catch (alone) {
          append.reject(alone);
        }
      }
    }
  }

  /** Writes appends in one transaction: rolled-up rows into both rollups, dedupe keys into report_ids. */
  private async write(appends: readonly PendingAppend[]): Promise<void> {
    const rollup = new Rollup();
    for (const append of appends) rollup.add(append.rows);
    await this.connection.run('BEGIN TRANSACTION');
    try {
      // Appenders write inside the open transaction, so a rollback also empties the staging tables.
      await this.stageRows(rollup.groups.values());
      await this.stageDedupe(appends);
      const { from } = acceptedDays(Date.now());
      if (from !== this.keptKeysFrom) {
        // Keys of days no longer accepted guard nothing: a report of such a day is refused anyway.
        await this.connection.run('DELETE FROM report_ids WHERE day < CAST($from AS DATE)', { from });
      }
      // Staged rows move to both rollups in one transaction: a reader never sees one table ahead of the other.
      for (const sql of [
        // Unsorted here (sorting every write costs more than it saves); compact() sorts by metric later.
        'INSERT INTO samples SELECT *, hash(metric) FROM staging',
        `INSERT INTO samples_daily
           SELECT day, app, metric, hash(metric), key, detail, bucket, sum(reports), sum(value), sum(count)
           FROM staging GROUP BY ALL ORDER BY metric`,
        'INSERT INTO report_ids SELECT * FROM staging_ids ORDER BY key',
        'DELETE FROM staging',
        'DELETE FROM staging_ids',
      ]) {
        await this.connection.run(sql);
      }
      await this.connection.run('COMMIT');
      this.keptKeysFrom = from;
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      // Belt and braces: nothing staged may outlive a failed write, whatever state the rollback left.
      await this.connection.run('DELETE FROM staging').catch(() => undefined);
      await this.connection.run('DELETE FROM staging_ids').catch(() => undefined);
      throw error;
    }
  }

  private async stageDedupe(appends: readonly PendingAppend[]): Promise<void> {
    const appender: DuckDBAppender = await this.connection.createAppender('staging_ids', 'main', 'temp');
    try {
      for (const append of appends) {
        for (const d of append.dedupe) {
          appender.appendUHugeInt(BigInt(`0x${d.key}`));
          appender.appendDate(toDate(d.day));
          appender.endRow();
        }
      }
    } finally {
      appender.closeSync();
    }
  }

  private async stageRows(rows: Iterable<RollupRow>): Promise<void> {
    const appender: DuckDBAppender = await this.connection.createAppender('staging', 'main', 'temp');
    try {
      for (const r of rows) {
        appender.appendDate(toDate(r.day));
        appender.appendVarchar(r.app);
        appender.appendVarchar(r.appVersion);
        appender.appendVarchar(r.modelFamily);
        appender.appendVarchar(r.os);
        appender.appendSmallInt(r.osMajor);
        appender.appendVarchar(r.language);
        appender.appendVarchar(r.metric);
        appender.appendVarchar(r.key);
        appender.appendVarchar(r.detail);
        appender.appendSmallInt(r.bucket);
        appender.appendBigInt(BigInt(r.reports));
        appender.appendDouble(r.value);
        appender.appendBigInt(BigInt(r.count));
        appender.endRow();
      }
    } finally {
      appender.closeSync();
    }
  }

  /** Dedupe keys of stored reports whose day is `fromDay` or later; older ones are forgotten here. */
  async dedupeKeys(fromDay: string): Promise<DedupeKey[]> {
    await this.flush();
    await this.connection.run('DELETE FROM report_ids WHERE day < CAST($from AS DATE)', { from: fromDay });
    const result = await this.connection.runAndReadAll(
      "SELECT lpad(to_hex(key), 32, '0'), strftime(day, '%Y-%m-%d') FROM report_ids",
    );
    return result.getRowsJS().map(([key, day]) => ({ key: String(key).toLowerCase(), day: String(day) }));
  }

  private async transaction(statements: string[]): Promise<void> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      for (const sql of statements) await this.connection.run(sql);
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.connection.run('ROLLBACK');
      throw error;
    }
  }

  /**
   * Per-cell aggregates. For metrics where a report contributes several keys (a labeled counter's labels, a
   * site metric's sites, ...) a cell that groups across keys counts its reports as the largest per-key count:
   * a lower bound of the distinct reports, which keeps the k-threshold safe (summing would count one report
   * once per label).
   */
  async aggregate(request: AggregateRequest): Promise<AggregateRow[]> {
    await this.flush();
    const cell = DIMENSION_SQL[request.by];
    const byKey = cell === 'key';
    const table = DEVICE_DIMENSIONS.has(request.by) ? 'samples' : 'samples_daily';
    const reportsAcrossKeys = MULTI_KEY_TYPES.has(request.type) && !byKey ? 'max' : 'sum';
    const sql = `
      WITH per_key AS (
        SELECT ${cell} AS cell, key, bucket, sum(reports) AS reports, sum(value) AS value, sum(count) AS count,
               any_value(detail) AS detail
        FROM ${table}
        WHERE metric_key = hash($metric) AND metric = $metric AND app = $app AND day BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
        GROUP BY ALL
      )
      SELECT cell, bucket, ${reportsAcrossKeys}(reports) AS reports, sum(value) AS value, sum(count) AS count,
             any_value(detail) AS detail
      FROM per_key GROUP BY cell, bucket ORDER BY cell, bucket`;
    const result = await this.connection.runAndReadAll(sql, {
      metric: request.metric,
      app: request.app,
      from: request.from,
      to: request.to,
    });
    const cells = new Map<string, AggregateRow>();
    const distribution =
      request.type === 'timing_distribution' || request.type === 'memory_distribution' || request.type === 'site';
    for (const [key, bucket, reports, value, count, detail] of result.getRowsJS()) {
      const id = String(key);
      let row = cells.get(id);
      if (!row) {
        row = { key: id, reports: 0, value: 0, count: 0 };
        if (distribution) row.buckets = new Map();
        cells.set(id, row);
      }
      if (Number(bucket) < 0) {
        row.reports = Number(reports);
        row.value = Number(value);
        row.count = Number(count);
        if (detail) row.detail = String(detail);
      } else {
        row.buckets?.set(Number(bucket), Number(count));
      }
    }
    return [...cells.values()];
  }

  /**
   * Re-groups and re-sorts both rollups by (metric, day): rows from many small writes of the same group become
   * one, and each metric's rows sit together so queries skip the rest. Run it when ingest is quiet (e.g. daily).
   */
  async compact(): Promise<void> {
    await this.flush();
    this.writing = this.writing.then(() =>
      this.transaction([
        `CREATE OR REPLACE TEMP TABLE compacted AS
           SELECT day, app, app_version, model_family, os, os_major, language, metric, key, detail, bucket,
                  sum(reports)::BIGINT AS reports, sum(value) AS value, sum(count)::BIGINT AS count, metric_key
           FROM samples GROUP BY ALL ORDER BY metric_key, day`,
        'DELETE FROM samples',
        'INSERT INTO samples SELECT * FROM compacted',
        `CREATE OR REPLACE TEMP TABLE compacted AS
           SELECT day, app, metric, metric_key, key, detail, bucket,
                  sum(reports)::BIGINT AS reports, sum(value) AS value, sum(count)::BIGINT AS count
           FROM samples_daily GROUP BY ALL ORDER BY metric_key, day`,
        'DELETE FROM samples_daily',
        'INSERT INTO samples_daily SELECT * FROM compacted',
        'DROP TABLE compacted',
      ]),
    );
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
