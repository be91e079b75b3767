import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { SampleRow } from '../types.js';
import { decodeSequences, encodeSequences } from './ledger.js';
import { type ClickHouseSampleRow, rollUp } from './rows.js';
import { SAMPLE_COLUMNS } from './schema.js';
import { integerLiteral, stringLiteral } from './sql.js';

/**
 * Exactly-once ingest from a message stream into a plain MergeTree table, on any ClickHouse from 18.16 on.
 *
 * The writer acknowledges a message only after its rows are stored, so after a crash or a failed insert the
 * stream delivers it again. Each insert therefore carries an ingest marker row — metric `$ingest`, app '' (no
 * real app has an empty name, so no query ever sees it) — listing the stream sequences it holds. Before writing,
 * sequences already named by a marker are skipped.
 *
 * That only works if rows and marker land together or not at all. A MergeTree INSERT of fewer than
 * min_insert_block_size_rows rows into one partition becomes one part, written to a temporary directory and
 * renamed: atomic. But a client that dies mid-upload leaves ClickHouse 18.16 inserting the truncated body
 * (checked: it does, with Content-Length and with chunked bodies), which could store rows without their marker.
 * So each chunk is first uploaded into a per-writer Memory staging table, its row count is checked, and only
 * then copied server-side with INSERT ... SELECT into the samples table: one part with the rows and their
 * marker, or nothing.
 */

export const INGEST_METRIC = '$ingest';
/** Rows per atomic insert, well under min_insert_block_size_rows (1,048,576) so the copy is one part. */
export const MAX_ROWS_PER_INSERT = 200_000;
/** Staging tables untouched this long belong to writers that died; they are dropped. */
const STALE_STAGING_SECONDS = 600;
const STAGING_PREFIX = 'ingest_staging_';

/** The rows of one stream message (one report), named by its stream sequence. */
export interface IngestItem {
  sequence: number;
  rows: SampleRow[];
}

export interface IngestResult {
  /** Messages whose rows were inserted now. */
  inserted: number;
  /** Messages already stored by an earlier attempt (a redelivery). */
  skipped: number;
}

export class ExactlyOnceIngest {
  readonly #client: ClickHouseClient;
  readonly #database: string;
  readonly #table: string;
  readonly #lookupTable: string;
  readonly #staging: string;

  /**
   * `table` takes the inserts; `lookupTable` is where markers are looked up: the same table on a single node, the
   * Distributed table on a cluster, so a writer sees what any writer stored on any shard.
   */
  constructor(client: ClickHouseClient, database: string, table: string, lookupTable = table) {
    this.#client = client;
    this.#database = database;
    this.#table = table;
    this.#lookupTable = lookupTable;
    this.#staging = `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`;
  }

  /** Drops staging tables left by writers that were killed. */
  async dropStaleStaging(): Promise<void> {
    const result = await this.#client.query({
      query: `SELECT name FROM system.tables
WHERE database = ${stringLiteral(this.#database)} AND startsWith(name, ${stringLiteral(STAGING_PREFIX)})
  AND metadata_modification_time < now() - ${STALE_STAGING_SECONDS}`,
      format: 'JSONEachRow',
    });
    for (const { name } of await result.json<{ name: string }>()) {
      await this.#client.command({ query: `DROP TABLE IF EXISTS ${this.#database}.${name}` });
    }
  }

  async dropStaging(): Promise<void> {
    await this.#client.command({ query: `DROP TABLE IF EXISTS ${this.#database}.${this.#staging}` });
  }

  /** Which of `sequences` (from stream `source`) some earlier insert already stored. */
  async storedSequences(source: string, sequences: readonly number[]): Promise<Set<number>> {
    const stored = new Set<number>();
    if (sequences.length === 0) return stored;
    const wanted = new Set(sequences);
    const min = Math.min(...sequences);
    const max = Math.max(...sequences);
    const result = await this.#client.query({
      query: `SELECT key FROM ${this.#database}.${this.#lookupTable}
WHERE app = '' AND metric = ${stringLiteral(INGEST_METRIC)} AND detail = ${stringLiteral(source)}
  AND value <= ${integerLiteral(max)} AND count >= ${integerLiteral(min)}`,
      format: 'JSONEachRow',
    });
    for (const { key } of await result.json<{ key: string }>()) {
      for (const sequence of decodeSequences(key)) if (wanted.has(sequence)) stored.add(sequence);
    }
    return stored;
  }

  /**
   * Stores every item not already stored, exactly once. Safe to call again with the same items after any
   * failure: what landed is skipped, what did not is written.
   */
  async ingest(source: string, items: readonly IngestItem[]): Promise<IngestResult> {
    const stored = await this.storedSequences(
      source,
      items.map((i) => i.sequence),
    );
    const fresh = items.filter((i) => !stored.has(i.sequence));
    for (const chunk of chunksByPartition(fresh)) await this.#insertChunk(source, chunk);
    return { inserted: fresh.length, skipped: items.length - fresh.length };
  }

  async #insertChunk(source: string, chunk: IngestItem[]): Promise<void> {
    const rows = rollUp(chunk.flatMap((item) => item.rows));
    let firstDay = '';
    for (const row of rows) if (firstDay === '' || row.day < firstDay) firstDay = row.day;
    const sequences = chunk.map((i) => i.sequence);
    // The marker goes in the same partition as the rows (a report with no rows still needs one, so its day is
    // the chunk's, or the epoch month when the chunk has no rows at all).
    rows.push(markerRow(source, sequences, firstDay || '1970-01-01'));

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
  }
}

function markerRow(source: string, sequences: number[], day: string): ClickHouseSampleRow {
  return {
    day,
    app: '',
    metric: INGEST_METRIC,
    dim: '',
    key: encodeSequences(sequences),
    detail: source,
    bucket: -1,
    reports: 0,
    // The sequence span, so a lookup can skip markers that cannot overlap.
    value: Math.min(...sequences),
    count: Math.max(...sequences),
  };
}

/** Groups items by monthly partition and cuts each group to at most MAX_ROWS_PER_INSERT rows. */
export function chunksByPartition(items: readonly IngestItem[]): IngestItem[][] {
  const byMonth = new Map<string, IngestItem[]>();
  for (const item of items) {
    const month = item.rows[0]?.day.slice(0, 7) ?? '';
    const group = byMonth.get(month) ?? [];
    group.push(item);
    byMonth.set(month, group);
  }
  const chunks: IngestItem[][] = [];
  for (const group of byMonth.values()) {
    let chunk: IngestItem[] = [];
    let rows = 0;
    for (const item of group) {
      if (chunk.length > 0 && rows + item.rows.length > MAX_ROWS_PER_INSERT) {
        chunks.push(chunk);
        chunk = [];
        rows = 0;
      }
      chunk.push(item);
      rows += item.rows.length;
    }
    if (chunk.length > 0) chunks.push(chunk);
  }
  return chunks;
}
