import { createHash, randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { SampleRow } from '../types.js';
import { partitionOf, refusalOf } from './guard.js';
import { type ClickHouseSampleRow, rollUp } from './rows.js';
import { SAMPLE_COLUMNS } from './schema.js';
import { dayLiteral, stringLiteral } from './sql.js';

/**
 * Exactly-once ingest from a message stream into a plain MergeTree table, on any ClickHouse from 18.16 on.
 *
 * The writer acknowledges a message only after its rows are stored, so after a crash, a failed insert or a
 * restarted NATS the stream delivers it again, sometimes several times in one batch, and a client whose answer
 * was lost may send the same report again under a new stream sequence. What identifies a report is its id, so
 * each insert carries, next to the report's rows, one **id row** per report: metric `$report`, app '' (no real app
 * has an empty name, so no query ever sees it), the report's day, and a hash of its id as the key. Before writing,
 * reports whose id row is already stored for their day are skipped. Id rows sit in the table's sort order (by
 * hash), not in arrival order, and say nothing about which data rows came from which report.
 *
 * That only works if rows and id rows land together or not at all. A MergeTree INSERT of fewer than
 * min_insert_block_size_rows rows into one partition becomes one part, written to a temporary directory and
 * renamed: atomic. But a client that dies mid-upload leaves ClickHouse 18.16 inserting the truncated body
 * (checked: it does, with Content-Length and with chunked bodies), which could store rows without their id rows.
 * So each chunk is first uploaded into a per-writer Memory staging table, its row count is checked, and only
 * then copied server-side with INSERT ... SELECT into the samples table: one part with the rows and their ids,
 * or nothing. Chunks are cut per partition computed as ClickHouse computes it (toYYYYMM of a real day).
 */

export const REPORT_ID_METRIC = '$report';
/** Rows per atomic insert, well under min_insert_block_size_rows (1,048,576) so the copy is one part. */
export const MAX_ROWS_PER_INSERT = 200_000;
/** Staging tables untouched this long belong to writers that died (a live one lives for one chunk's insert). */
const STALE_STAGING_SECONDS = 120;
const STAGING_PREFIX = 'ingest_staging_';
/** Hashes per id lookup, so the query stays well under max_query_size (256 KiB). */
const LOOKUP_SLICE = 2_000;

/** One stream message: a report's id, day and rows, named by its stream sequence. */
export interface IngestItem {
  sequence: number;
  /** The report id (32 hex characters). */
  id: string;
  day: string;
  rows: SampleRow[];
}

export interface IngestResult {
  /** Reports whose rows were inserted now. */
  inserted: number;
  /** Reports stored by an earlier insert (a redelivery, or a copy sent again under another sequence). */
  skipped: number;
  /** Sequences of this call that repeat an earlier item of it (same sequence or same report id). */
  repeats: number[];
  /** Reports ClickHouse must never be given, with the reason; the writer dead-letters them. */
  refused: { sequence: number; reason: string }[];
}

/** What an id row stores for a report id: a hash, so the stored key is not the id a device's log shows. */
export function reportIdKey(id: string): string {
  return createHash('sha256').update(`candor-report-id:${id}`).digest('hex').slice(0, 32);
}

export class ExactlyOnceIngest {
  readonly #client: ClickHouseClient;
  readonly #database: string;
  readonly #table: string;
  readonly #lookupTable: string;
  readonly #staging: string;

  /**
   * `table` takes the inserts; `lookupTable` is where ids are looked up: the same table on a single node, the
   * Distributed table on a cluster, so a writer sees what any writer stored on any shard.
   */
  constructor(client: ClickHouseClient, database: string, table: string, lookupTable = table) {
    this.#client = client;
    this.#database = database;
    this.#table = table;
    this.#lookupTable = lookupTable;
    this.#staging = `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`;
  }

  /** The staging table this writer uses (dropped after every chunk). */
  get stagingTable(): string {
    return this.#staging;
  }

  /** Drops staging tables left by writers that were killed mid-insert; returns how many. */
  async dropStaleStaging(): Promise<number> {
    const result = await this.#client.query({
      query: `SELECT name FROM system.tables
WHERE database = ${stringLiteral(this.#database)} AND startsWith(name, ${stringLiteral(STAGING_PREFIX)})
  AND name != ${stringLiteral(this.#staging)} AND metadata_modification_time < now() - ${STALE_STAGING_SECONDS}`,
      format: 'JSONEachRow',
    });
    const names = await result.json<{ name: string }>();
    for (const { name } of names) {
      await this.#client.command({ query: `DROP TABLE IF EXISTS ${this.#database}.${name}` });
    }
    return names.length;
  }

  async dropStaging(): Promise<void> {
    await this.#client.command({ query: `DROP TABLE IF EXISTS ${this.#database}.${this.#staging}` });
  }

  /** Which of these reports (id and day) some earlier insert already stored; answers with their ids. */
  async storedIds(reports: readonly { id: string; day: string }[]): Promise<Set<string>> {
    const stored = new Set<string>();
    const idsByKey = new Map(reports.map((r) => [reportIdKey(r.id), r.id]));
    const keys = [...idsByKey.keys()];
    const days = [...new Set(reports.map((r) => r.day))];
    for (let i = 0; i < keys.length; i += LOOKUP_SLICE) {
      const slice = keys.slice(i, i + LOOKUP_SLICE);
      const result = await this.#client.query({
        query: `SELECT DISTINCT key FROM ${this.#database}.${this.#lookupTable}
WHERE app = '' AND metric = ${stringLiteral(REPORT_ID_METRIC)} AND day IN (${days.map(dayLiteral).join(', ')})
  AND key IN (${slice.map(stringLiteral).join(', ')})`,
        format: 'JSONEachRow',
      });
      for (const { key } of await result.json<{ key: string }>()) {
        const id = idsByKey.get(key);
        if (id !== undefined) stored.add(id);
      }
    }
    return stored;
  }

  /**
   * Stores every item not already stored, exactly once. Safe to call again with the same items after any
   * failure: what landed is skipped, what did not is written. Items ClickHouse would mangle are refused, not
   * thrown on, so one bad report never holds up the others.
   */
  async ingest(items: readonly IngestItem[]): Promise<IngestResult> {
    const result: IngestResult = { inserted: 0, skipped: 0, repeats: [], refused: [] };
    const sequences = new Set<number>();
    const ids = new Set<string>();
    const candidates: IngestItem[] = [];
    for (const item of items) {
      // A restarted NATS can hand out one sequence several times in a batch; a resent report has a new one.
      if (sequences.has(item.sequence) || ids.has(item.id)) {
        result.repeats.push(item.sequence);
        continue;
      }
      sequences.add(item.sequence);
      ids.add(item.id);
      const refusal = refusalOf(item.day, item.rows);
      if (refusal) result.refused.push({ sequence: item.sequence, reason: refusal });
      else candidates.push(item);
    }
    if (candidates.length === 0) return result;
    const stored = await this.storedIds(candidates);
    const fresh = candidates.filter((i) => !stored.has(i.id));
    for (const chunk of chunksByPartition(fresh)) await this.#insertChunk(chunk);
    result.inserted = fresh.length;
    result.skipped = candidates.length - fresh.length;
    return result;
  }

  async #insertChunk(chunk: IngestItem[]): Promise<void> {
    const rows = rollUp(chunk.flatMap((item) => item.rows));
    for (const item of chunk) rows.push(idRow(item));

    const staging = `${this.#database}.${this.#staging}`;
    await this.#client.command({ query: `DROP TABLE IF EXISTS ${staging}` });
    await this.#client.command({ query: `CREATE TABLE ${staging} (${SAMPLE_COLUMNS}) ENGINE = Memory` });
    await this.#client.insert({ table: staging, values: rows, format: 'JSONEachRow' });
    const counted = await this.#client.query({ query: `SELECT count() AS n FROM ${staging}`, format: 'JSONEachRow' });
    const [{ n } = { n: '0' }] = await counted.json<{ n: string }>();
    if (Number(n) !== rows.length) {
      throw new Error(`staging holds ${n} of ${rows.length} rows; the upload was cut short, retrying`);
    }
    await this.#client.command({
      query: `INSERT INTO ${this.#database}.${this.#table} SELECT * FROM ${staging}`,
      clickhouse_settings: { max_block_size: String(MAX_ROWS_PER_INSERT + 1) },
    });
    // The writer that made the staging table drops it; one killed in between leaves it to dropStaleStaging.
    await this.#client.command({ query: `DROP TABLE IF EXISTS ${staging}` });
  }
}

function idRow(item: IngestItem): ClickHouseSampleRow {
  return {
    day: item.day,
    app: '',
    app_version: '',
    model_family: '',
    os: '',
    os_major: 0,
    language: '',
    metric: REPORT_ID_METRIC,
    key: reportIdKey(item.id),
    detail: '',
    bucket: -1,
    reports: 0,
    value: 0,
    // Not 0: SummingMergeTree deletes rows whose summed columns are all zero when it merges parts.
    count: 1,
  };
}

/**
 * Groups items by the partition ClickHouse files them under (toYYYYMM of the day) and cuts each group to at most
 * MAX_ROWS_PER_INSERT rows, id rows included. Every item must have passed refusalOf.
 */
export function chunksByPartition(items: readonly IngestItem[]): IngestItem[][] {
  const byPartition = new Map<number, IngestItem[]>();
  for (const item of items) {
    const partition = partitionOf(item.day);
    if (partition === null) throw new Error(`day "${item.day}" has no partition; refusalOf should have refused it`);
    const group = byPartition.get(partition) ?? [];
    group.push(item);
    byPartition.set(partition, group);
  }
  const chunks: IngestItem[][] = [];
  for (const group of byPartition.values()) {
    let chunk: IngestItem[] = [];
    let rows = 0;
    for (const item of group) {
      const size = item.rows.length + 1;
      if (chunk.length > 0 && rows + size > MAX_ROWS_PER_INSERT) {
        chunks.push(chunk);
        chunk = [];
        rows = 0;
      }
      chunk.push(item);
      rows += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
  }
  return chunks;
}
