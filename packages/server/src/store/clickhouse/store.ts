import { randomBytes } from 'node:crypto';
import type { Dimension } from '@candor/protocol';
import { type ClickHouseClient, ClickHouseLogLevel, createClient, type Logger } from '@clickhouse/client';
import { createLogger } from '../../log.js';
import type { CellLine, DayRelease } from '../../release/types.js';
import { daysToRelease } from '../days.js';
import type { ReleasedDay, ReleasedRequest, ReportStore, SampleRow } from '../types.js';
import { type DayLineRow, dayLinesSql, releasedLinesSql } from './aggregate.js';
import { refusalOf } from './guard.js';
import { ExactlyOnceIngest } from './ingest.js';
import { rollUp } from './rows.js';
import { RELEASE_TABLES, SAMPLES_TABLE, singleNodeSchema } from './schema.js';
import { dayLiteral, identifier, stringLiteral } from './sql.js';
import { type ClickHouseLocation, parseClickHouseUrl } from './url.js';

export interface ClickHouseStoreOptions {
  /** clickhouse://HOST:8123/DATABASE, or an already parsed location. */
  url: string | ClickHouseLocation;
  /** Create the database and samples table if missing (single node). Off when a cluster schema is managed by hand. */
  createSchema?: boolean;
  /** Table queries read; on a cluster, the Distributed table. */
  queryTable?: string;
  /** Table inserts go to; on a cluster, the shard's local ReplicatedMergeTree table. */
  insertTable?: string;
  /** Milliseconds before a ClickHouse request is given up on. */
  requestTimeoutMs?: number;
  /** Where the ClickHouse client's own warnings and errors go, one JSON line each (default: the server logger). */
  log?: StoreLog;
}

/** The part of a pino logger the store uses. */
export interface StoreLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * The ClickHouse client's logger class, writing one line per event to `log`. Its default logger prints multi-line
 * stack dumps to the console, which break a JSON log; the message is what an operator needs.
 */
function clientLoggerClass(log: StoreLog): new () => Logger {
  const fields = (module: string, args?: Record<string, unknown>, err?: Error) => ({
    component: 'clickhouse-client',
    module,
    ...(args ? { args } : {}),
    ...(err ? { err: err.message } : {}),
  });
  return class implements Logger {
    trace() {}
    debug() {}
    info() {}
    warn({
      module,
      message,
      args,
      err,
    }: {
      module: string;
      message: string;
      args?: Record<string, unknown>;
      err?: Error;
    }) {
      log.warn(fields(module, args, err), message);
    }
    error({
      module,
      message,
      args,
      err,
    }: {
      module: string;
      message: string;
      args?: Record<string, unknown>;
      err: Error;
    }) {
      log.error(fields(module, args, err), message);
    }
  };
}

/** ReportStore on ClickHouse (18.16 and later) through the official HTTP client. */
export class ClickHouseStore implements ReportStore {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly queryTable: string;
  readonly insertTable: string;
  /** The exactly-once path the queue writer uses. */
  readonly ingest: ExactlyOnceIngest;

  private constructor(client: ClickHouseClient, database: string, queryTable: string, insertTable: string) {
    this.client = client;
    this.database = database;
    this.queryTable = queryTable;
    this.insertTable = insertTable;
    this.ingest = new ExactlyOnceIngest(client, database, insertTable, queryTable);
  }

  static async open(options: ClickHouseStoreOptions): Promise<ClickHouseStore> {
    const location = typeof options.url === 'string' ? parseClickHouseUrl(options.url) : options.url;
    const client = createClient({
      url: location.httpUrl,
      username: location.username,
      password: location.password,
      request_timeout: options.requestTimeoutMs ?? 30_000,
      // Old servers answer 64-bit integers quoted; numbers are converted explicitly where read.
      compression: { request: false, response: false },
      log: { LoggerClass: clientLoggerClass(options.log ?? createLogger()), level: ClickHouseLogLevel.WARN },
    });
    const store = new ClickHouseStore(
      client,
      identifier(location.database),
      identifier(options.queryTable ?? SAMPLES_TABLE),
      identifier(options.insertTable ?? SAMPLES_TABLE),
    );
    try {
      if (options.createSchema !== false) {
        for (const statement of singleNodeSchema(location.database)) await client.command({ query: statement });
      }
    } catch (error) {
      await client.close();
      throw new Error(
        `cannot set up ClickHouse at ${location.httpUrl}/${location.database}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return store;
  }

  /** Appends rows, rolled up (not idempotent: the queue writer uses `ingest` instead). */
  async append(rows: SampleRow[]): Promise<void> {
    if (rows.length === 0) return;
    for (const row of rows) {
      const refusal = refusalOf(row.day, [row]);
      if (refusal) throw new Error(`ClickHouse refuses this row: ${refusal}`);
    }
    await this.client.insert({
      table: `${this.database}.${this.insertTable}`,
      values: rollUp(rows),
      format: 'JSONEachRow',
    });
  }

  private async rows<T>(query: string): Promise<T[]> {
    const result = await this.client.query({ query, format: 'JSONEachRow' });
    return result.json<T>();
  }

  async unreleasedDays(app: string, through: string): Promise<string[]> {
    const released = new Set(
      (
        await this.rows<{ d: string }>(
          `SELECT toString(day) AS d FROM ${this.database}.${RELEASE_TABLES.days} WHERE app = ${stringLiteral(app)}`,
        )
      ).map((r) => r.d),
    );
    const [first] = await this.rows<{ first: string }>(
      `SELECT toString(min(day)) AS first FROM ${this.database}.${this.queryTable}
WHERE app = ${stringLiteral(app)} AND day <= ${dayLiteral(through)}`,
    );
    const starts = [...released];
    if (first && first.first > '1970-01-01') starts.push(first.first);
    if (starts.length === 0) return [];
    // A faked old day cannot make this walk back far: daysToRelease caps it.
    return daysToRelease(starts.sort()[0] as string, through, released);
  }

  async dayLines(app: string, day: string): Promise<CellLine[]> {
    const lines = await this.rows<DayLineRow>(dayLinesSql(`${this.database}.${this.queryTable}`, app, day));
    return lines.map((l) => ({
      metric: l.metric,
      by: l.dim as Dimension,
      cell: l.key,
      detail: l.detail,
      bucket: Number(l.bucket),
      reports: Number(l.reports),
      value: Number(l.value),
    }));
  }

  /**
   * Stores a day's release under a fresh id, then the day's marker naming it, then deletes the day's raw rows.
   * An attempt cut short before its marker is invisible to queries (they read only marked attempts); the next
   * attempt writes under a new id.
   */
  async saveRelease(app: string, release: DayRelease): Promise<void> {
    const where = `app = ${stringLiteral(app)} AND day = ${dayLiteral(release.day)}`;
    const id = randomBytes(8).toString('hex');
    await this.client.insert({
      table: `${this.database}.${RELEASE_TABLES.groupings}`,
      values: release.groupings.map((g) => ({
        app,
        day: release.day,
        release: id,
        metric: g.metric,
        dim: g.by,
        epsilon: g.epsilon,
        delta: g.delta,
        reports_scale: g.reportsScale,
        value_scale: g.valueScale,
        threshold: g.threshold,
      })),
      format: 'JSONEachRow',
    });
    if (release.lines.length) {
      await this.client.insert({
        table: `${this.database}.${RELEASE_TABLES.lines}`,
        values: release.lines.map((l) => ({
          app,
          day: release.day,
          release: id,
          metric: l.metric,
          dim: l.by,
          key: l.cell,
          detail: l.detail,
          bucket: l.bucket,
          reports: l.reports,
          value: l.value,
        })),
        format: 'JSONEachRow',
      });
    }
    await this.client.insert({
      table: `${this.database}.${RELEASE_TABLES.days}`,
      values: [{ app, day: release.day, release: id }],
      format: 'JSONEachRow',
    });
    // An asynchronous mutation: nothing reads a released day's raw rows, and they are gone once it has run.
    await this.client.command({ query: `ALTER TABLE ${this.database}.${this.insertTable} DELETE WHERE ${where}` });
  }

  async released(request: ReleasedRequest): Promise<ReleasedDay[]> {
    const sql = releasedLinesSql(this.database, request.app, request.metric, request.by, request.from, request.to);
    const days = new Map<string, ReleasedDay>();
    for (const g of await this.rows<{
      d: string;
      epsilon: number;
      delta: number;
      reports_scale: number;
      value_scale: number;
      threshold: number | string;
    }>(sql.groupings)) {
      days.set(g.d, {
        day: g.d,
        grouping: {
          metric: request.metric,
          by: request.by,
          epsilon: Number(g.epsilon),
          delta: Number(g.delta),
          reportsScale: Number(g.reports_scale),
          valueScale: Number(g.value_scale),
          threshold: Number(g.threshold),
        },
        lines: [],
      });
    }
    for (const l of await this.rows<{
      d: string;
      key: string;
      detail: string;
      bucket: number | string;
      reports: number | string;
      value: number;
    }>(sql.lines)) {
      days.get(l.d)?.lines.push({
        metric: request.metric,
        by: request.by,
        cell: l.key,
        detail: l.detail,
        bucket: Number(l.bucket),
        reports: Number(l.reports),
        value: Number(l.value),
      });
    }
    return [...days.values()];
  }

  /**
   * Summary rows stored for one app and metric, in the grouping with the most (for a metric released by day, its
   * device-days; by key, counted once per key).
   */
  async countReports(app: string, metric: string): Promise<number> {
    const result = await this.client.query({
      query: `SELECT max(n) AS n FROM (SELECT dim, sum(reports) AS n FROM ${this.database}.${this.queryTable}
WHERE app = ${stringLiteral(app)} AND metric = ${stringLiteral(metric)} AND bucket = -1 GROUP BY dim)`,
      format: 'JSONEachRow',
    });
    const [{ n } = { n: '0' }] = await result.json<{ n: string | null }>();
    return Number(n ?? 0);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
