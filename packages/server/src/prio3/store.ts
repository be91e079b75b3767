import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * Each aggregator's own Prio3 state, in its own DuckDB database (never the other aggregator's): the leader's
 * reports waiting for preparation, each aggregator's verified output shares, the helper's answered aggregation
 * jobs, and each aggregator's noised aggregate share per released cell. Bytes are kept as base64url text.
 * No table holds a measurement: only shares, which alone are uniformly random.
 */
const SCHEMA = [
  // Leader: one row per report and secret-shared metric. `state`: pending, done, rejected.
  `CREATE TABLE IF NOT EXISTS p3_reports (id VARCHAR, metric VARCHAR, app VARCHAR, registry VARCHAR, day VARCHAR,
     public VARCHAR, leader VARCHAR, helper VARCHAR, job VARCHAR, state VARCHAR, PRIMARY KEY (id, metric))`,
  // Both: verified output shares. The helper also keeps a row (output NULL) for a rejected report, so a replayed
  // report id is refused whatever became of the first.
  `CREATE TABLE IF NOT EXISTS p3_outputs (id VARCHAR, metric VARCHAR, app VARCHAR, day VARCHAR, output VARCHAR,
     PRIMARY KEY (id, metric))`,
  // Helper: the answer to each aggregation job, so a retried job gets the same answer and loses nothing.
  `CREATE TABLE IF NOT EXISTS p3_jobs (job VARCHAR PRIMARY KEY, response VARCHAR)`,
  // Both: the noised aggregate share of one released cell, drawn once so it is never re-drawn and averaged.
  `CREATE TABLE IF NOT EXISTS p3_collected (app VARCHAR, day VARCHAR, metric VARCHAR, count INTEGER,
     checksum VARCHAR, share VARCHAR, PRIMARY KEY (app, day, metric))`,
];

export type Row = Record<string, string | number | null>;

/**
 * Rows as one `VALUES` list with named parameters, for one statement over many rows: DuckDB's cost is mostly per
 * statement (a few ms each), so a statement per report was most of the Prio3 aggregators' time.
 */
export function valuesList(rows: readonly Row[], columns: readonly string[]): { sql: string; params: Row } {
  const params: Row = {};
  const tuples = rows.map((row, i) => {
    const names = columns.map((column) => {
      params[`${column}_${i}`] = row[column] ?? null;
      return `$${column}_${i}`;
    });
    return `(${names.join(', ')})`;
  });
  return { sql: tuples.join(', '), params };
}

export class Prio3Store {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** 'PATH' or ':memory:'. */
  static async open(path: string): Promise<Prio3Store> {
    if (path !== ':memory:') await mkdir(dirname(resolve(path)), { recursive: true });
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    for (const sql of SCHEMA) await connection.run(sql);
    return new Prio3Store(instance, connection);
  }

  /** Runs statements one caller at a time, in one transaction. */
  transaction<T>(work: (run: (sql: string, params?: Row) => Promise<Row[]>) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const result = await work(async (sql, params) => {
          const reader = await this.connection.runAndReadAll(sql, params as never);
          return reader.getRowObjectsJS() as Row[];
        });
        await this.connection.run('COMMIT');
        return result;
      } catch (error) {
        await this.connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  query(sql: string, params?: Row): Promise<Row[]> {
    return this.transaction((run) => run(sql, params));
  }

  async close(): Promise<void> {
    await this.queue;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
