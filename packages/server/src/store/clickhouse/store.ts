import { type ClickHouseClient, createClient } from '@clickhouse/client';
import type { AggregateRequest, AggregateRow, ReportStore, SampleRow } from '../types.js';
import { bucketsSql, isDistribution, summarySql } from './aggregate.js';
import { ExactlyOnceIngest } from './ingest.js';
import { toClickHouseRow } from './rows.js';
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
    this.ingest = new ExactlyOnceIngest(client, database, insertTable);
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

  /** Appends rows as they are (not idempotent: the queue writer uses `ingest` instead). */
  async append(rows: SampleRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({
      table: `${this.database}.${this.insertTable}`,
      values: rows.map(toClickHouseRow),
      format: 'JSONEachRow',
    });
  }

  async aggregate(request: AggregateRequest): Promise<AggregateRow[]> {
    const table = `${this.database}.${this.queryTable}`;
    const summary = await this.client.query({ query: summarySql(table, request), format: 'JSONEachRow' });
    const cells = new Map<string, AggregateRow>();
    type SummaryLine = {
      cell: string;
      reports: string | number;
      value: number;
      count: string | number;
      detail: string;
    };
    for (const line of await summary.json<SummaryLine>()) {
      const row: AggregateRow = {
        key: line.cell,
        reports: Number(line.reports),
        value: Number(line.value),
        count: Number(line.count),
      };
      if (request.type === 'crash') row.detail = line.detail;
      cells.set(line.cell, row);
    }
    if (isDistribution(request.type)) {
      for (const row of cells.values()) row.buckets = new Map();
      const buckets = await this.client.query({ query: bucketsSql(table, request), format: 'JSONEachRow' });
      type BucketLine = { cell: string; bucket: number; count: string | number };
      for (const line of await buckets.json<BucketLine>()) {
        cells.get(line.cell)?.buckets?.set(Number(line.bucket), Number(line.count));
      }
    }
    return [...cells.values()];
  }

  /** Summary rows (one per report and key) stored for one app and metric. */
  async countSummaryRows(app: string, metric: string): Promise<number> {
    const result = await this.client.query({
      query: `SELECT count() AS n FROM ${this.database}.${this.queryTable}
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
