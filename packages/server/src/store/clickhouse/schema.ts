import { identifier } from './sql.js';

/** The table every sample row goes into (and, on a cluster, the local table behind the Distributed one). */
export const SAMPLES_TABLE = 'samples';

/**
 * Columns of the samples table: the SampleRow fields (one grouping's cell per row, `key` holding the cell) plus
 * `reports`, the device-days summed into the row, and `count`, used only by ingest markers. Nothing about the
 * sender, no report id, and never two device details in one row.
 */
export const SAMPLE_COLUMNS = `
  day Date,
  app String,
  metric String,
  dim String,
  key String,
  detail String,
  bucket Int16,
  reports UInt64,
  value Float64,
  count UInt64`;

/**
 * Monthly partitions keep every insert of one month's reports in one part (so it lands atomically, see
 * ingest.ts) and let old months be dropped whole. The sort key holds every dimension, so SummingMergeTree merges
 * rows with equal dimensions into one, summing the measures, and rows do not stay in arrival order.
 */
export const SAMPLES_LAYOUT = 'PARTITION BY toYYYYMM(day) ORDER BY (app, day, metric, dim, key, detail, bucket)';

/** The measures SummingMergeTree adds up when it merges rows with equal dimensions. */
export const SUMMED_COLUMNS = '(reports, value, count)';

/**
 * Released days: each attempt at a day's release writes its lines under a fresh release id, and the day's marker
 * names the attempt that completed; queries read only marked attempts (see store.ts saveRelease).
 */
export const RELEASE_TABLES = {
  days: 'released_days',
  groupings: 'release_groupings',
  lines: 'releases',
} as const;

function releaseSchema(db: string, on = ''): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${RELEASE_TABLES.days} ${on} (app String, day Date, release String) ENGINE = MergeTree() ORDER BY (app, day)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${RELEASE_TABLES.groupings} ${on} (app String, day Date, release String, metric String, dim String,
  epsilon Float64, delta Float64, reports_scale Float64, value_scale Float64, threshold Int64)
ENGINE = MergeTree() ORDER BY (app, metric, dim, day)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${RELEASE_TABLES.lines} ${on} (app String, day Date, release String, metric String, dim String,
  key String, detail String, bucket Int16, reports Int64, value Float64)
ENGINE = MergeTree() ORDER BY (app, metric, dim, day, key, bucket)`,
  ];
}

/**
 * Single-node DDL, run by the store on open. Works on ClickHouse 18.16 and later. Every query sums, so rows not
 * yet merged give the same answers as merged ones.
 */
export function singleNodeSchema(database: string): string[] {
  const db = identifier(database);
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${SAMPLES_TABLE} (${SAMPLE_COLUMNS}
) ENGINE = SummingMergeTree(${SUMMED_COLUMNS}) ${SAMPLES_LAYOUT}`,
    ...releaseSchema(db),
  ];
}

/**
 * Cluster DDL: a ReplicatedSummingMergeTree table on every node (shards x replicas, coordinated by ZooKeeper) and a
 * Distributed table over it for queries. Writers insert into the local table of one shard each, so one insert and
 * its ingest marker land in one part on one shard; replication then copies the whole part. Queries read the
 * Distributed table, which fans out and merges. docs/scale.md prints this.
 */
export function clusterSchema(database: string, cluster: string): string[] {
  const db = identifier(database);
  const on = `ON CLUSTER ${identifier(cluster)}`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${db} ${on}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${SAMPLES_TABLE}_local ${on} (${SAMPLE_COLUMNS}
) ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/${db}/${SAMPLES_TABLE}', '{replica}', ${SUMMED_COLUMNS})
  ${SAMPLES_LAYOUT}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${SAMPLES_TABLE} ${on} AS ${db}.${SAMPLES_TABLE}_local
  ENGINE = Distributed(${identifier(cluster)}, ${db}, ${SAMPLES_TABLE}_local, rand())`,
    // Releases are small and written by the collector that releases; they live unsharded on every node.
    ...releaseSchema(db, on),
  ];
}
