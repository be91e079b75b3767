export * from './queue/index.js';
export * from './store/clickhouse/index.js';
export { DAILY_ACTIVITY_METRIC, flattenReport } from './store/rows.js';
export type * from './store/types.js';
export { clickHouseAvailable, type LocalClickHouse, startLocalClickHouse } from './testing/local-clickhouse.js';
export { type LocalNats, natsAvailable, startLocalNats } from './testing/local-nats.js';
export * from './writer/index.js';
