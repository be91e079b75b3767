import { setImmediate as nextTurn } from 'node:timers/promises';
import { acceptedDays, type Dimension, parseDay } from '@candor/protocol';
import { type DuckDBAppender, type DuckDBConnection, DuckDBDateValue, DuckDBInstance } from '@duckdb/node-api';
import type { CellLine, DayRelease } from '../../release/types.js';
import { daysToRelease } from '../days.js';
import type { PackedRows } from '../packed.js';
import { NUMBER_FIELDS, TEXT_FIELDS } from '../row-arrays.js';
import type { DedupeKey, ReleasedDay, ReleasedRequest, ReportStore, SampleRow } from '../types.js';
import { encodeRecord, Journal, type JournalRecord } from './journal.js';
import { migrate, STAGING_TABLES_SQL } from './migrations.js';
import { Rollup, type RollupRow } from './rollup.js';

export interface DuckDbStoreOptions {
  /**
   * How long appended rows wait for others to share one journal write (group commit; default 5 ms). A journal
   * write is a file append and a sync, a fraction of a millisecond, and every upload waits for its write.
   */
  flushIntervalMs?: number;
  /**
   * How long journaled rows wait before they are merged into the database (default 1,000 ms). A merge costs about
   * 8-10 ms of CPU whatever its size (see docs/collector.md), and nothing waits for it but reads.
   */
  mergeIntervalMs?: number;
  /** Merge at once when this many journaled rows are waiting. */
  maxPendingRows?: number;
  /**
   * Refuse appends while this many journaled rows wait for a merge that keeps failing (the database is full or
   * broken): memory stays bounded and uploads get 503, to be retried.
   */
  maxBacklogRows?: number;
  /** Called when a merge started by the timer fails (the rows stay journaled and are merged later). */
  onMergeFailed?: (error: unknown) => void;
}

/**
 * The DuckDB date of each real calendar day seen, or null for a string that is no date (protocol `parseDay`). One
 * cache serves both checking rows before they are journaled and staging them: an upload's rows and a merge's
 * thousands of rows and keys share a few days, and parsing each one's day cost 5% of ingest.
 */
const dates = new Map<string, DuckDBDateValue | null>();

function dateOf(day: string): DuckDBDateValue | null {
  let date = dates.get(day);
  if (date === undefined) {
    const number = parseDay(day);
    date = number === null ? null : new DuckDBDateValue(number);
    if (dates.size > 10_000) dates.clear();
    dates.set(day, date);
  }
  return date;
}

/** The date of a day the store was given: rows are checked before they are journaled, so this never throws there. */
function toDate(day: string): DuckDBDateValue {
  const date = dateOf(day);
  if (!date) throw new Error('not a calendar day');
  return date;
}

/**
 * Staged rows and keys between two turns of the event loop. A merge stages about ten keys per upload of the last
 * second on the main thread; in one go, at 1,000 uploads/s, that held every request for 20-60 ms once a second
 * (measured under `candor bench collector`), most of its p99.
 */
const STAGE_CHUNK = 1_000;

/**
 * The columns of day_rows and releases, which share them: app, day, metric, dim, cell, detail, bucket, reports,
 * value. The caller ends the row (staging adds a column).
 */
function appendCell(appender: DuckDBAppender, app: string, day: DuckDBDateValue, line: CellLine): void {
  appender.appendVarchar(app);
  appender.appendDate(day);
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

const SMALLINT_MAX = 32_767;

/**
 * Why a row cannot be stored, or null. Checked before a row is journaled: once journaled it is acknowledged, so
 * anything the merge could not write must be refused here, alone. Ingest never makes such rows.
 */
export function rowProblem(row: SampleRow): string | null {
  if (!dateOf(row.day)) return 'day';
  return numbersProblem(row.bucket, row.reports ?? 0, row.value);
}

function numbersProblem(bucket: number, reports: number, value: number): string | null {
  if (!Number.isInteger(bucket) || bucket < -1 || bucket > SMALLINT_MAX) return 'bucket';
  // At most 2^32 device-days a row: no cell's sum can reach the 2^63 of its column within a day.
  if (!Number.isInteger(reports) || reports < 0 || reports > 2 ** 32) return 'reports';
  if (!Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) return 'value';
  return null;
}

/** `rowProblem` for packed rows (store/packed.ts): each day is checked once per run of rows that share it. */
export function packedProblem(packed: PackedRows): string | null {
  const { strings, text, numbers } = packed;
  const count = numbers.length / NUMBER_FIELDS;
  if (!Number.isInteger(count) || text.length !== count * TEXT_FIELDS) return 'shape';
  for (let i = 0; i < text.length; i++) if ((text[i] as number) >= strings.length) return 'text';
  let checkedDay = -1;
  for (let row = 0; row < count; row++) {
    const day = text[row * TEXT_FIELDS] as number;
    if (day !== checkedDay) {
      if (!dateOf(strings[day] as string)) return 'day';
      checkedDay = day;
    }
    const n = row * NUMBER_FIELDS;
    const problem = numbersProblem(numbers[n] as number, numbers[n + 2] as number, numbers[n + 1] as number);
    if (problem) return problem;
  }
  return null;
}

/** Tasks run one at a time, in the order given; one that fails does not stop those after it. */
class Serial {
  private tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** Journaled records summed for the next merge. */
class Unmerged {
  readonly rollup = new Rollup();
  readonly keys: DedupeKey[] = [];
  /** Rows summed in (before summing): what bounds the backlog. */
  rows = 0;

  /** Adds a record read back from the journal. */
  add(record: JournalRecord): void {
    this.rollup.add(record.rows);
    this.addKeys(record.keys, record.rows.length);
  }

  /** Adds a group write's rollup, as journaled. */
  addRollup(rollup: Rollup, keys: readonly DedupeKey[]): void {
    this.rollup.addRollup(rollup);
    this.addKeys(keys, rollup.size);
  }

  private addKeys(keys: readonly DedupeKey[], rows: number): void {
    for (const key of keys) this.keys.push(key);
    this.rows += rows;
  }

  /** Adds what `later` holds, after this. */
  addAll(later: Unmerged): void {
    this.addRollup(later.rollup, later.keys);
  }

  get empty(): boolean {
    return this.rows === 0 && this.keys.length === 0;
  }
}

/** One `append` waiting for the next journal write: rows, or rows packed by an inspection thread. */
interface PendingAppend {
  rows: readonly SampleRow[] | PackedRows;
  dedupe: readonly DedupeKey[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The embedded store. An open day is kept as per-cell totals, one row per (metric, grouping, cell, bucket),
 * updated in place; a closed day is released once, its release stored and its rows deleted in one transaction.
 *
 * Appends wait a few milliseconds for others (group commit); their rows are summed per cell and written, with
 * their dedupe keys, as one record of the write-ahead journal (journal.ts). `append` resolves once that record is
 * synced. About once a second every journaled record is merged into day_rows and report_ids in one transaction,
 * which also records how far the journal is merged; reads merge first. A store in memory has no journal.
 * A merge that fails leaves nothing behind (the transaction is rolled back, and what it staged is never read
 * again) and is tried again later; while it keeps failing, appends are refused once `maxBacklogRows` wait.
 * See docs/storage.md.
 */
export class DuckDbStore implements ReportStore {
  private pending: PendingAppend[] = [];
  private pendingRows = 0;
  /**
   * Journaled rows not yet in the database, summed as they are journaled (so a merge does not stop the main thread
   * to sum a second's records at once), with their dedupe keys.
   */
  private unmerged = new Unmerged();
  /** The oldest day whose dedupe keys are kept, as of the last write. */
  private keptKeysFrom = '';
  private flushTimer: NodeJS.Timeout | null = null;
  private mergeTimer: NodeJS.Timeout | null = null;
  /** Journal writes, one at a time. */
  private readonly journalQueue = new Serial();
  /** Merges and releases, one at a time. */
  private readonly databaseQueue = new Serial();
  private closed = false;
  /** The journal write or merge queued and not yet begun: later callers wait for the same one. */
  private queuedJournalWrite: Promise<void> | null = null;
  private queuedMerge: Promise<void> | null = null;
  private readonly flushIntervalMs: number;
  private readonly mergeIntervalMs: number;
  private readonly maxPendingRows: number;
  private readonly maxBacklogRows: number;
  /** Writes begun since open: each stages its rows under its own number. */
  private writes = 0;
  private appenders!: { rows: DuckDBAppender; ids: DuckDBAppender };

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly journal: Journal | null,
    private readonly options: DuckDbStoreOptions,
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 5;
    this.mergeIntervalMs = options.mergeIntervalMs ?? 1_000;
    this.maxPendingRows = options.maxPendingRows ?? 200_000;
    this.maxBacklogRows = options.maxBacklogRows ?? 5_000_000;
  }

  /**
   * Opens (creating if needed) a database file, or ':memory:', and applies pending migrations. A file's journal
   * segments not yet merged (the process stopped without closing) are merged before it returns.
   */
  static async open(path: string, options: DuckDbStoreOptions = {}): Promise<DuckDbStore> {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await migrate(connection);
    for (const sql of STAGING_TABLES_SQL) await connection.run(sql);
    let journal: Journal | null = null;
    let replay: JournalRecord[] = [];
    let read = 0;
    if (path !== ':memory:') {
      const state = await connection.runAndReadAll('SELECT max(merged_through) FROM journal_state');
      const mergedThrough = Number(state.getRowsJS()[0]?.[0] ?? 0);
      const opened = await Journal.open(path, mergedThrough);
      journal = opened.journal;
      replay = opened.unmerged.flatMap((segment) => segment.records);
      read = Math.max(mergedThrough, ...opened.unmerged.map((segment) => segment.generation));
    }
    const store = new DuckDbStore(instance, connection, journal, options);
    await store.openAppenders();
    if (journal) {
      for (const record of replay) store.unmerged.add(record);
      await store.merge();
      // Read segments hold nothing more: merged now, or torn bytes no append was acknowledged for.
      await journal.removeThrough(read);
    }
    return store;
  }

  append(rows: SampleRow[], dedupe: readonly DedupeKey[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (rows.length === 0 && dedupe.length === 0) return Promise.resolve();
    for (const row of rows) {
      const field = rowProblem(row);
      if (field) return Promise.reject(new Error(`a row the store cannot hold (${field})`));
    }
    return this.enqueue(rows, rows.length, dedupe);
  }

  /** `append` for rows an inspection thread packed, summed without a row object made for each. */
  appendPacked(rows: PackedRows, dedupe: readonly DedupeKey[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    const count = rows.numbers.length / NUMBER_FIELDS;
    if (count === 0 && dedupe.length === 0) return Promise.resolve();
    const field = packedProblem(rows);
    if (field) return Promise.reject(new Error(`a row the store cannot hold (${field})`));
    return this.enqueue(rows, count, dedupe);
  }

  private enqueue(rows: PendingAppend['rows'], count: number, dedupe: readonly DedupeKey[]): Promise<void> {
    if (this.unmerged.rows > this.maxBacklogRows) {
      return Promise.reject(new Error('the store is not merging: too many journaled rows wait'));
    }
    const done = new Promise<void>((resolve, reject) => this.pending.push({ rows, dedupe, resolve, reject }));
    this.pendingRows += count;
    this.journalSoon(this.pendingRows >= this.maxPendingRows ? 0 : this.flushIntervalMs);
    return done;
  }

  private journalSoon(delay: number): void {
    if (this.flushTimer && delay > 0) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.writeJournal();
    }, delay);
  }

  private mergeSoon(delay: number): void {
    if (this.mergeTimer && delay > 0) return;
    if (this.mergeTimer) clearTimeout(this.mergeTimer);
    this.mergeTimer = setTimeout(() => {
      this.mergeTimer = null;
      void this.merge().catch((error: unknown) => this.options.onMergeFailed?.(error));
    }, delay);
    this.mergeTimer.unref();
  }

  /**
   * Journals everything pending. Journal writes never interleave; while one runs, new appends gather and the next
   * write takes all of them at once (group commit), so a slow disk makes writes bigger, not queues longer.
   */
  private writeJournal(): Promise<void> {
    this.queuedJournalWrite ??= this.journalQueue.run(() => {
      this.queuedJournalWrite = null;
      return this.journalPending();
    });
    return this.queuedJournalWrite;
  }

  private async journalPending(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingRows = 0;
    const rollup = new Rollup();
    for (const append of batch) {
      if (Array.isArray(append.rows)) rollup.add(append.rows);
      else rollup.addPacked(append.rows as PackedRows);
    }
    const keys = batch.flatMap((append) => append.dedupe);
    try {
      // Written in the rollup's fixed order, so the journal follows no arrival order either.
      await this.journal?.append(encodeRecord(rollup, keys));
    } catch (error) {
      for (const append of batch) append.reject(error);
      return;
    }
    for (const append of batch) append.resolve();
    this.unmerged.addRollup(rollup, keys);
    this.mergeSoon(this.unmerged.rows >= this.maxPendingRows ? 0 : this.mergeIntervalMs);
  }

  /** Journals what is pending and merges every journaled record into the database; reads call it first. */
  async flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    await this.writeJournal();
    await this.merge();
  }

  /**
   * Moves every journaled record into the database in one transaction. Appends go on meanwhile, into a new journal
   * segment. A merge that fails leaves nothing behind and everything journaled, and the next merge tries again; no
   * append can make a merge fail, as `rowProblem` refuses every row the database could not hold (the bounds leave
   * no sum that could overflow within a day).
   */
  merge(): Promise<void> {
    // The task runs later (after the queue ahead of it), so the promise is kept before it clears it.
    this.queuedMerge ??= this.databaseQueue.run(async () => {
      this.queuedMerge = null;
      if (this.mergeTimer) {
        clearTimeout(this.mergeTimer);
        this.mergeTimer = null;
      }
      // Taken between journal writes, so every record taken is in a segment up to `through`.
      const { taken, through } = await this.journalQueue.run(async () => {
        const taken = this.unmerged;
        this.unmerged = new Unmerged();
        return { taken, through: !taken.empty && this.journal ? await this.journal.rotate() : null };
      });
      if (taken.empty) return;
      try {
        await this.write(taken.rollup.sorted(), taken.keys, through);
      } catch (error) {
        // Still journaled, and first in line for the next merge.
        taken.addAll(this.unmerged);
        this.unmerged = taken;
        if (!this.closed) this.mergeSoon(this.mergeIntervalMs);
        throw error;
      }
      if (this.journal && through !== null) await this.journal.removeThrough(through);
    });
    return this.queuedMerge;
  }

  /**
   * Writes in one transaction: rows summed per cell into day_rows, dedupe keys into report_ids, and, from a
   * journal, how far it is merged (`through`).
   *
   * The transaction is begun, rows and keys are staged through appenders kept open (inside the transaction: rows
   * appended outside one stay in the temporary table as deleted rows, and every later write scanned them), and
   * everything else is one round trip: each awaited statement or appender creation waited for a thread-pool hop.
   * Staged rows carry this write's number and only those move on, so nothing a failed write staged can be counted
   * by a later one, even if its rollback failed. A failing statement stops the rest, COMMIT included, and is
   * rolled back.
   */
  private async write(rows: readonly RollupRow[], keys: readonly DedupeKey[], through: number | null): Promise<void> {
    const batch = ++this.writes;
    const { from } = acceptedDays(Date.now());
    try {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new Error(`not a day: ${from}`);
      await this.connection.run('BEGIN TRANSACTION');
      await this.stage(rows, keys, batch);
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
        ...(through !== null
          ? ['DELETE FROM journal_state', `INSERT INTO journal_state VALUES (${Math.trunc(through)})`]
          : []),
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

  /**
   * Appends one write's rows and dedupe keys to the staging tables, numbered `batch`, STAGE_CHUNK at a time so
   * uploads are answered in between. Inside the write's transaction, which holds the database queue meanwhile.
   */
  private async stage(rows: readonly RollupRow[], keys: readonly DedupeKey[], batch: number): Promise<void> {
    const number = BigInt(batch);
    const { rows: rowAppender, ids } = this.appenders;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as RollupRow;
      appendCell(rowAppender, r.app, toDate(r.day), r);
      rowAppender.appendUBigInt(number);
      rowAppender.endRow();
      if ((i + 1) % STAGE_CHUNK === 0) await nextTurn();
    }
    rowAppender.flushSync();
    for (let i = 0; i < keys.length; i++) {
      const d = keys[i] as DedupeKey;
      ids.appendUHugeInt(BigInt(`0x${d.key}`));
      ids.appendDate(toDate(d.day));
      ids.appendUBigInt(number);
      ids.endRow();
      if ((i + 1) % STAGE_CHUNK === 0) await nextTurn();
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
    // In a fixed order: however the rows were merged, the same day gives the same lines (and release input).
    const result = await this.connection.runAndReadAll(
      `SELECT metric, dim, cell, detail, bucket, sum(reports), sum(value) FROM day_rows
       WHERE app = $app AND day = CAST($day AS DATE) GROUP BY ALL ORDER BY ALL`,
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
    return this.databaseQueue.run(async () => {
      const appender = await this.connection.createAppender('release_staging', 'main', 'temp');
      try {
        const date = toDate(release.day);
        for (const line of release.lines) {
          appendCell(appender, app, date, line);
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
    try {
      await this.flush();
    } finally {
      // Whatever a failed last merge left stays journaled, and is merged on the next open.
      this.closed = true;
      if (this.flushTimer) clearTimeout(this.flushTimer);
      if (this.mergeTimer) clearTimeout(this.mergeTimer);
      await this.journal?.close();
      this.closeDatabase();
    }
  }

  private closeDatabase(): void {
    this.appenders.rows.closeSync();
    this.appenders.ids.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
