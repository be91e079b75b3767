import { identifier } from './sql.js';

/** The table every sample row goes into (and, on a cluster, the local table behind the Distributed one). */
export const SAMPLES_TABLE = 'samples';

/**
 * Columns of the samples table: the SampleRow fields plus `reports`, the number of reports summed into the row
 * (as in the DuckDB store). Nothing about the sender and no report id: rows are rolled up by their dimensions
 * before they are written and merged further by ClickHouse, so single reports are not kept.
 */
export const SAMPLE_COLUMNS = `
  day Date,
  app String,
  app_version String,
  model_family String,
  os String,
  os_major UInt16,
  language String,
  metric String,
  key String,
  detail String,
  bucket Int16,
  reports UInt64,
  value Float64,
  count UInt64`;

/**
 * Monthly partitions keep every insert of one month's reports in one part (so it lands atomically, see
 * ingest.ts) and let old months be dropped whole. The sort key leads with what every query filters on and holds
 * every dimension, so SummingMergeTree merges rows with equal dimensions into one, summing the measures.
 */
export const SAMPLES_LAYOUT =
  'PARTITION BY toYYYYMM(day) ORDER BY (app, metric, day, key, bucket, app_version, model_family, os, os_major, language, detail)';

/** The measures SummingMergeTree adds up when it merges rows with equal dimensions. */
export const SUMMED_COLUMNS = '(reports, value, count)';

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
  ];
}
