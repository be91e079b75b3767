import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Versioned schema migrations, applied in order inside one transaction each and recorded in schema_migrations.
 * Add a new entry to change the schema; never edit one that has shipped.
 */
export const MIGRATIONS: { version: number; description: string; sql: string[] }[] = [
  {
    version: 1,
    description: 'rolled-up samples',
    sql: [
      // One row per (day, app and device dimensions, metric, key, bucket) rollup group. `reports` counts the
      // reports behind the row (summary rows only), `value` and `count` are sums. No report id, no address.
      `CREATE TABLE samples (
        day DATE NOT NULL,
        app VARCHAR NOT NULL,
        app_version VARCHAR NOT NULL,
        model_family VARCHAR NOT NULL,
        os VARCHAR NOT NULL,
        os_major SMALLINT NOT NULL,
        language VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        key VARCHAR NOT NULL,
        detail VARCHAR NOT NULL,
        bucket SMALLINT NOT NULL,
        reports BIGINT NOT NULL,
        value DOUBLE NOT NULL,
        count BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    description: 'metric hash for row-group pruning, per-day rollup, staging table',
    sql: [
      // Metric names share long prefixes ("page_load.time", "page_load.time_by_site"), which string min/max
      // statistics cannot tell apart; an integer hash of the name lets DuckDB skip other metrics' row groups.
      'ALTER TABLE samples ADD COLUMN metric_key UBIGINT',
      'UPDATE samples SET metric_key = hash(metric)',
      // The same rollup without device dimensions: queries by day, label, value, site or signature (most of
      // the dashboard) read this much smaller table.
      `CREATE TABLE samples_daily AS
         SELECT day, app, metric, metric_key, key, detail, bucket,
                sum(reports)::BIGINT AS reports, sum(value) AS value, sum(count)::BIGINT AS count
         FROM samples GROUP BY ALL`,
      // Writes land here first and move to both tables in one transaction.
      'CREATE TABLE samples_staging AS SELECT * EXCLUDE (metric_key) FROM samples LIMIT 0',
    ],
  },
  {
    version: 3,
    description: 'staging moves to a per-connection temporary table',
    // Appending into a temporary table skips the write-ahead log; the move into the rollups is what commits.
    sql: ['DROP TABLE samples_staging'],
  },
  {
    version: 4,
    description: 'dedupe keys, written with the rows they guard',
    // The dedupe key of each stored report id (dedupe/window.ts), kept while the report's day is accepted; each
    // write adds its keys sorted by hash, not in arrival order. No primary key: the collector owning the file
    // claims every key in memory before writing it (loaded from here on start), and an index cost a quarter of
    // each write in `candor bench collector`.
    sql: ['CREATE TABLE report_ids (key UHUGEINT NOT NULL, day DATE NOT NULL)'],
  },
  {
    version: 5,
    description: 'per-grouping rows of open days, released days',
    sql: [
      // The device-combination rollups go: rows now hold one dimension each (store/rows.ts). Their contents
      // cannot be split into such rows, so stored days from before this version are not released.
      'DROP TABLE samples',
      'DROP TABLE samples_daily',
      // Open days: one row per (metric, grouping, cell, bucket), updated in place as reports arrive, so rows never
      // sit in arrival order. Deleted when the day is released.
      `CREATE TABLE day_rows (
        app VARCHAR NOT NULL,
        day DATE NOT NULL,
        metric VARCHAR NOT NULL,
        dim VARCHAR NOT NULL,
        cell VARCHAR NOT NULL,
        detail VARCHAR NOT NULL,
        bucket SMALLINT NOT NULL,
        reports BIGINT NOT NULL,
        value DOUBLE NOT NULL,
        PRIMARY KEY (app, day, metric, dim, cell, detail, bucket)
      )`,
      // Closed days: what was released (noised) and what each grouping spent. Written once per day.
      `CREATE TABLE released_days (app VARCHAR NOT NULL, day DATE NOT NULL, PRIMARY KEY (app, day))`,
      `CREATE TABLE release_groupings (
        app VARCHAR NOT NULL,
        day DATE NOT NULL,
        metric VARCHAR NOT NULL,
        dim VARCHAR NOT NULL,
        epsilon DOUBLE NOT NULL,
        delta DOUBLE NOT NULL,
        reports_scale DOUBLE NOT NULL,
        value_scale DOUBLE NOT NULL,
        threshold BIGINT NOT NULL
      )`,
      `CREATE TABLE releases (
        app VARCHAR NOT NULL,
        day DATE NOT NULL,
        metric VARCHAR NOT NULL,
        dim VARCHAR NOT NULL,
        cell VARCHAR NOT NULL,
        detail VARCHAR NOT NULL,
        bucket SMALLINT NOT NULL,
        reports BIGINT NOT NULL,
        value DOUBLE NOT NULL
      )`,
    ],
  },
  {
    version: 6,
    description: 'write-ahead journal position',
    // The last journal segment whose records are in day_rows and report_ids (store/duckdb/journal.ts); written
    // in the same transaction as those rows, so a segment is replayed after a crash exactly when it is not merged.
    sql: ['CREATE TABLE journal_state (merged_through UBIGINT NOT NULL)'],
  },
];

/**
 * Created on every open: the in-memory tables writes are appended to before they move into the stored ones. Rows
 * and ids are staged under the number of the write that staged them (`batch`, see DuckDbStore.write).
 */
export const STAGING_TABLES_SQL = [
  'CREATE TEMP TABLE IF NOT EXISTS staging AS SELECT *, CAST(0 AS UBIGINT) AS batch FROM day_rows LIMIT 0',
  'CREATE TEMP TABLE IF NOT EXISTS staging_ids AS SELECT *, CAST(0 AS UBIGINT) AS batch FROM report_ids LIMIT 0',
  'CREATE TEMP TABLE IF NOT EXISTS release_staging AS SELECT * FROM releases LIMIT 0',
];

export async function migrate(connection: DuckDBConnection): Promise<number> {
  await connection.run(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)',
  );
  const applied = new Set(
    (await connection.runAndReadAll('SELECT version FROM schema_migrations')).getRowsJS().map((r) => Number(r[0])),
  );
  let current = Math.max(0, ...applied);
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    await connection.run('BEGIN TRANSACTION');
    try {
      for (const statement of migration.sql) await connection.run(statement);
      await connection.run('INSERT INTO schema_migrations VALUES ($1, $2, now())', [
        migration.version,
        migration.description,
      ]);
      await connection.run('COMMIT');
    } catch (error) {
      await connection.run('ROLLBACK');
      throw new Error(`schema migration ${migration.version} (${migration.description}) failed: ${String(error)}`);
    }
    current = migration.version;
  }
  return current;
}
