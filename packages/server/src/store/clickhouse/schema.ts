import { identifier } from './sql.js';

/** The table every sample row goes into (and, on a cluster, the local table behind the Distributed one). */
export const SAMPLES_TABLE = 'samples';

/**
 * Columns of the samples table, one per SampleRow field. Nothing about the sender, and no report id: rows of one
 * report cannot be told apart from rows of another with the same day, app and device details.
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
  value Float64,
  count UInt64`;

/**
 * Monthly partitions keep every insert of one month's reports in one part (so it lands atomically, see
 * ingest.ts) and let old months be dropped whole. The sort key leads with what every query filters on.
 */
export const SAMPLES_LAYOUT = 'PARTITION BY toYYYYMM(day) ORDER BY (app, metric, day, key, bucket)';

/** Single-node DDL, run by the store on open. Works on ClickHouse 18.16 and later. */
export function singleNodeSchema(database: string): string[] {
  const db = identifier(database);
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${SAMPLES_TABLE} (${SAMPLE_COLUMNS}
) ENGINE = MergeTree ${SAMPLES_LAYOUT}`,
  ];
}

/**
 * Cluster DDL: a ReplicatedMergeTree table on every node (shards x replicas, coordinated by ZooKeeper) and a
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
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${db}/${SAMPLES_TABLE}', '{replica}')
  ${SAMPLES_LAYOUT}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${SAMPLES_TABLE} ${on} AS ${db}.${SAMPLES_TABLE}_local
  ENGINE = Distributed(${identifier(cluster)}, ${db}, ${SAMPLES_TABLE}_local, rand())`,
  ];
}
