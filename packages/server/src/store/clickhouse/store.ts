import { type ClickHouseClient, ClickHouseLogLevel, createClient, type Logger } from '@clickhouse/client';
import { createLogger } from '../../log.js';
import type { AggregateRequest, AggregateRow, ReportStore, SampleRow } from '../types.js';
import { type AggregateLine, aggregateSql, isDistribution } from './aggregate.js';
import { refusalOf } from './guard.js';
import { ExactlyOnceIngest } from './ingest.js';
import { rollUp } from './rows.js';
import { SAMPLES_TABLE, singleNodeSchema } from './schema.js';
import { identifier, stringLiteral } from './sql.js';
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

  async aggregate(request: AggregateRequest): Promise<AggregateRow[]> {
    const result = await this.client.query({
      query: aggregateSql(`${this.database}.${this.queryTable}`, request),
      format: 'JSONEachRow',
    });
    const distribution = isDistribution(request.type);
    const cells = new Map<string, AggregateRow>();
    for (const line of await result.json<AggregateLine>()) {
      let row = cells.get(line.cell);
      if (!row) {
        row = { key: line.cell, reports: 0, value: 0, count: 0 };
        if (distribution) row.buckets = new Map();
        cells.set(line.cell, row);
      }
      const bucket = Number(line.bucket);
      if (bucket < 0) {
        row.reports = Number(line.reports);
        row.value = Number(line.value);
        row.count = Number(line.count);
        if (line.detail) row.detail = line.detail;
      } else {
        row.buckets?.set(bucket, Number(line.count));
      }
    }
    return [...cells.values()];
  }

  /** Reports stored for one app and metric, counted once per key (a labeled counter's labels, a site metric's sites). */
  async countReports(app: string, metric: string): Promise<number> {
    const result = await this.client.query({
      query: `SELECT sum(reports) AS n FROM ${this.database}.${this.queryTable}
WHERE app = ${stringLiteral(app)} AND metric = ${stringLiteral(metric)} AND bucket = -1`,
      format: 'JSONEachRow',
    });
    const [{ n } = { n: '0' }] = await result.json<{ n: string }>();
    return Number(n);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
