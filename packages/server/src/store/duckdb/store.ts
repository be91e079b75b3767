import { acceptedDays, type Dimension } from '@candor/protocol';
import { type DuckDBAppender, type DuckDBConnection, DuckDBDateValue, DuckDBInstance } from '@duckdb/node-api';
import type { CellLine, DayRelease } from '../../release/types.js';
import { daysToRelease } from '../days.js';
import type { DedupeKey, ReleasedDay, ReleasedRequest, ReportStore, SampleRow } from '../types.js';
import { migrate, STAGING_TABLES_SQL } from './migrations.js';
import { Rollup, type RollupRow } from './rollup.js';

const DAY_MS = 86_400_000;

export interface DuckDbStoreOptions {
  /**
   * How long appended rows wait for more to roll up with before being written (group commit; default 20 ms). A
   * commit costs about 8-10 ms of CPU whatever its size, so under load longer waits mean fewer commits; but every
   * upload waits for its commit, and in `candor bench collector` (128 uploads in flight) 50 ms cost more
   * throughput than it saved CPU, while 15-25 ms did best.
   */
  flushIntervalMs?: number;
  /** Write at once when this many distinct rollup rows are pending. */
  maxPendingRows?: number;
}

function toDate(day: string): DuckDBDateValue {
  return new DuckDBDateValue(Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS));
}

/**
 * The columns of day_rows and releases, which share them: app, day, metric, dim, cell, detail, bucket, reports,
 * value. The caller ends the row (staging adds a column).
 */
function appendCell(appender: DuckDBAppender, app: string, day: string, line: CellLine): void {
  appender.appendVarchar(app);
  appender.appendDate(toDate(day));
  appender.appendVarchar(line.metric);
  appender.appendVarchar(line.by);
  appender.appendVarchar(line.cell);
  appender.appendVarchar(line.detail);
  appender.appendSmallInt(line.bucket);
  appender.appendBigInt(BigInt(line.reports));
  appender.appendDouble(line.value);
}

function dayString(value: unknown): string {
  return String(value).slice(0, 10);
}

/** One `append` waiting for the next write. */
interface PendingAppend {
  rows: readonly SampleRow[];
  dedupe: readonly DedupeKey[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The embedded store. An open day is kept as per-cell totals, one row per (metric, grouping, cell, bucket),
 * updated in place; a closed day is released once, its release stored and its rows deleted in one transaction.
 * Appends wait a few milliseconds for others (group commit), their rows are summed in memory and upserted in one
 * transaction together with their dedupe keys.
 * `append` resolves once its rows are committed. A write that fails leaves nothing behind (the transaction is
 * rolled back, and what it staged is never read again) and is retried one append at a time, so one append that
 * cannot be stored fails alone. See docs/storage.md.
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
  /** Writes begun since open: each stages its rows under its own number. */
  private writes = 0;
  private appenders!: { rows: DuckDBAppender; ids: DuckDBAppender };

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    options: DuckDbStoreOptions,
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 20;
    this.maxPendingRows = options.maxPendingRows ?? 50_000;
  }

  /** Opens (creating if needed) a database file, or ':memory:', and applies pending migrations. */
  static async open(path: string, options: DuckDbStoreOptions = {}): Promise<DuckDbStore> {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await migrate(connection);
    for (const sql of STAGING_TABLES_SQL) await connection.run(sql);
    const store = new DuckDbStore(instance, connection, options);
    await store.openAppenders();
    return store;
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

  /** Runs `task` after every write queued so far, and before any queued later. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.writing.then(task);
    this.writing = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
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

  /**
   * Writes appends in one transaction: rolled-up rows into day_rows, dedupe keys into report_ids.
   *
   * The transaction is begun, rows and keys are staged through appenders kept open (inside the transaction: rows
   * appended outside one stay in the temporary table as deleted rows, and every later write scanned them), and
   * everything else is one round trip: each awaited statement or appender creation waited for a thread-pool hop,
   * and under load those waits made most of a group commit's latency in `candor bench collector`. Staged rows
   * carry this write's number and only those move on, so nothing a failed write staged can be counted by a later
   * one, even if its rollback failed. A failing statement stops the rest, COMMIT included, and is rolled back.
   */
  private async write(appends: readonly PendingAppend[]): Promise<void> {
    const rollup = new Rollup();
    for (const append of appends) rollup.add(append.rows);
    const batch = ++this.writes;
    const { from } = acceptedDays(Date.now());
    try {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new Error(`not a day: ${from}`);
      await this.connection.run('BEGIN TRANSACTION');
      this.stage(rollup.sorted(), appends, batch);
      const statements = [
        // Keys of days no longer accepted guard nothing: a report of such a day is refused anyway.
        ...(from !== this.keptKeysFrom ? [`DELETE FROM report_ids WHERE day < DATE '${from}'`] : []),
        // Rows are upserts keyed by their cell, so nothing on disk follows the order reports came in (staged rows
        // are sorted by their cell too). Rows of a day already released are not counted: the day was published
        // once and stays as published. MERGE rather than INSERT ... ON CONFLICT: about a quarter less per write.
        `MERGE INTO day_rows d
         USING (
           SELECT s.* EXCLUDE (batch) FROM staging s
           WHERE s.batch = ${batch}
             AND NOT EXISTS (SELECT 1 FROM released_days r WHERE r.app = s.app AND r.day = s.day)
         ) s
         ON (d.app = s.app AND d.day = s.day AND d.metric = s.metric AND d.dim = s.dim AND d.cell = s.cell
             AND d.detail = s.detail AND d.bucket = s.bucket)
         WHEN MATCHED THEN UPDATE SET reports = d.reports + s.reports, value = d.value + s.value
         WHEN NOT MATCHED THEN INSERT VALUES (s.app, s.day, s.metric, s.dim, s.cell, s.detail, s.bucket, s.reports, s.value)`,
        `INSERT INTO report_ids SELECT * EXCLUDE (batch) FROM staging_ids WHERE batch = ${batch} ORDER BY key`,
        'DELETE FROM staging',
        'DELETE FROM staging_ids',
        'COMMIT',
      ];
      await this.connection.run(statements.join(';\n'));
      this.keptKeysFrom = from;
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      // An append that threw mid-row leaves a partial row in its appender: both start afresh.
      await this.openAppenders().catch(() => undefined);
      // Staged rows of a failed write are never read (see above); they are dropped here when possible.
      await this.connection.run('DELETE FROM staging; DELETE FROM staging_ids').catch(() => undefined);
      throw error;
    }
  }

  /** Appends one write's rows and dedupe keys to the staging tables, numbered `batch`. */
  private stage(rows: readonly RollupRow[], appends: readonly PendingAppend[], batch: number): void {
    const number = BigInt(batch);
    const { rows: rowAppender, ids } = this.appenders;
    for (const r of rows) {
      appendCell(rowAppender, r.app, r.day, r);
      rowAppender.appendUBigInt(number);
      rowAppender.endRow();
    }
    rowAppender.flushSync();
    for (const append of appends) {
      for (const d of append.dedupe) {
        ids.appendUHugeInt(BigInt(`0x${d.key}`));
        ids.appendDate(toDate(d.day));
        ids.appendUBigInt(number);
        ids.endRow();
      }
    }
    ids.flushSync();
  }

  /** (Re)creates the staging appenders, discarding whatever the old ones held. */
  private async openAppenders(): Promise<void> {
    const old = this.appenders;
    this.appenders = {
      rows: await this.connection.createAppender('staging', 'main', 'temp'),
      ids: await this.connection.createAppender('staging_ids', 'main', 'temp'),
    };
    for (const appender of old ? [old.rows, old.ids] : []) {
      try {
        appender.clear();
        appender.closeSync();
      } catch {
        // An appender left in a failed state has nothing worth keeping.
      }
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

  async unreleasedDays(app: string, through: string): Promise<string[]> {
    await this.flush();
    const result = await this.connection.runAndReadAll(
      `SELECT strftime(min(day), '%Y-%m-%d') FROM (
         SELECT min(day) AS day FROM day_rows WHERE app = $app
         UNION ALL SELECT min(day) FROM released_days WHERE app = $app)`,
      { app },
    );
    const first = result.getRowsJS()[0]?.[0];
    if (first === null || first === undefined) return [];
    const released = new Set(
      (
        await this.connection.runAndReadAll(
          "SELECT strftime(day, '%Y-%m-%d') FROM released_days WHERE app = $app AND day <= CAST($through AS DATE)",
          { app, through },
        )
      )
        .getRowsJS()
        .map((r) => dayString(r[0])),
    );
    return daysToRelease(dayString(first), through, released);
  }

  async dayLines(app: string, day: string): Promise<CellLine[]> {
    await this.flush();
    const result = await this.connection.runAndReadAll(
      `SELECT metric, dim, cell, detail, bucket, sum(reports), sum(value) FROM day_rows
       WHERE app = $app AND day = CAST($day AS DATE) GROUP BY ALL`,
      { app, day },
    );
    return result.getRowsJS().map(([metric, by, cell, detail, bucket, reports, value]) => ({
      metric: String(metric),
      by: String(by) as Dimension,
      cell: String(cell),
      detail: String(detail),
      bucket: Number(bucket),
      reports: Number(reports),
      value: Number(value),
    }));
  }

  saveRelease(app: string, release: DayRelease): Promise<void> {
    return this.serially(async () => {
      const appender = await this.connection.createAppender('release_staging', 'main', 'temp');
      try {
        for (const line of release.lines) {
          appendCell(appender, app, release.day, line);
          appender.endRow();
        }
      } finally {
        appender.closeSync();
      }
      const day = `DATE '${release.day}'`;
      const text = (s: string) => `'${s.replaceAll("'", "''")}'`;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(release.day)) throw new Error(`not a day: ${release.day}`);
      const groupings = release.groupings.map(
        (g) =>
          `(${text(app)}, ${day}, ${text(g.metric)}, ${text(g.by)}, ${g.epsilon}, ${g.delta}, ${g.reportsScale}, ${g.valueScale}, ${g.threshold})`,
      );
      await this.transaction([
        // Released once: a second release of the same day fails on the primary key and rolls back.
        `INSERT INTO released_days VALUES (${text(app)}, ${day})`,
        ...(groupings.length ? [`INSERT INTO release_groupings VALUES ${groupings.join(',\n')}`] : []),
        'INSERT INTO releases SELECT * FROM release_staging ORDER BY ALL',
        `DELETE FROM day_rows WHERE app = ${text(app)} AND day = ${day}`,
        'DELETE FROM release_staging',
      ]).catch(async (error: unknown) => {
        await this.connection.run('DELETE FROM release_staging');
        throw error;
      });
    });
  }

  async released(request: ReleasedRequest): Promise<ReleasedDay[]> {
    const params = { app: request.app, metric: request.metric, by: request.by, from: request.from, to: request.to };
    const where =
      'app = $app AND metric = $metric AND dim = $by AND day BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)';
    const groupings = await this.connection.runAndReadAll(
      `SELECT strftime(day, '%Y-%m-%d'), epsilon, delta, reports_scale, value_scale, threshold
       FROM release_groupings WHERE ${where} ORDER BY day`,
      params,
    );
    const days = new Map<string, ReleasedDay>();
    for (const [day, epsilon, delta, reportsScale, valueScale, threshold] of groupings.getRowsJS()) {
      days.set(String(day), {
        day: String(day),
        grouping: {
          metric: request.metric,
          by: request.by,
          epsilon: Number(epsilon),
          delta: Number(delta),
          reportsScale: Number(reportsScale),
          valueScale: Number(valueScale),
          threshold: Number(threshold),
        },
        lines: [],
      });
    }
    const lines = await this.connection.runAndReadAll(
      `SELECT strftime(day, '%Y-%m-%d'), cell, detail, bucket, reports, value FROM releases WHERE ${where}`,
      params,
    );
    for (const [day, cell, detail, bucket, reports, value] of lines.getRowsJS()) {
      days.get(String(day))?.lines.push({
        metric: request.metric,
        by: request.by,
        cell: String(cell),
        detail: String(detail),
        bucket: Number(bucket),
        reports: Number(reports),
        value: Number(value),
      });
    }
    return [...days.values()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
    this.closed = true;
    this.appenders.rows.closeSync();
    this.appenders.ids.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
