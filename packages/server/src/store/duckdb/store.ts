import type { Dimension, MetricType } from '@candor/protocol';
import { type DuckDBAppender, type DuckDBConnection, DuckDBDateValue, DuckDBInstance } from '@duckdb/node-api';
import type { AggregateRequest, AggregateRow, ReportStore, SampleRow } from '../types.js';
import { migrate, STAGING_TABLE_SQL } from './migrations.js';
import { Rollup, type RollupRow } from './rollup.js';

const DAY_MS = 86_400_000;

/** Metric types where one report contributes several keys (labels, sites, signatures, event shapes). */
const MULTI_KEY_TYPES: ReadonlySet<MetricType> = new Set(['labeled_counter', 'site', 'crash', 'event']);

/** Dimensions only the full rollup has; every other query reads the per-day rollup. */
const DEVICE_DIMENSIONS: ReadonlySet<Dimension> = new Set(['modelFamily', 'os', 'osMajor', 'language', 'appVersion']);

const DIMENSION_SQL: Record<Dimension, string> = {
  day: "strftime(day, '%Y-%m-%d')",
  label: 'key',
  value: 'key',
  site: 'key',
  signature: 'key',
  modelFamily: 'model_family',
  os: 'os',
  osMajor: 'CAST(os_major AS VARCHAR)',
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

/**
 * The embedded store. It keeps rollups, not reports: rows are summed by their dimensions in memory for a few
 * milliseconds (group commit), then appended with DuckDB's appender. `append` resolves once its rows are
 * committed. See docs/storage.md.
 */
export class DuckDbStore implements ReportStore {
  private pending = new Rollup();
  private pendingWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
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
    await connection.run(STAGING_TABLE_SQL);
    return new DuckDbStore(instance, connection, options);
  }

  append(rows: SampleRow[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (rows.length === 0) return Promise.resolve();
    this.pending.add(rows);
    const done = new Promise<void>((resolve, reject) => this.pendingWaiters.push({ resolve, reject }));
    if (this.pending.size >= this.maxPendingRows) this.flushSoon(0);
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
    const waiters = this.pendingWaiters;
    if (waiters.length === 0 && batch.size === 0) return;
    this.pending = new Rollup();
    this.pendingWaiters = [];
    try {
      if (batch.size) await this.write(batch.groups.values());
      for (const w of waiters) w.resolve();
    } catch (error) {
      for (const w of waiters) w.reject(error);
    }
  }

  private async write(rows: Iterable<RollupRow>): Promise<void> {
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
    // Staged rows move to both rollups in one transaction: a reader never sees one table ahead of the other.
    await this.transaction([
      // Unsorted here (sorting every write costs more than it saves); compact() sorts by metric later.
      'INSERT INTO samples SELECT *, hash(metric) FROM staging',
      `INSERT INTO samples_daily
         SELECT day, app, metric, hash(metric), key, detail, bucket, sum(reports), sum(value), sum(count)
         FROM staging GROUP BY ALL ORDER BY metric`,
      'DELETE FROM staging',
    ]);
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
