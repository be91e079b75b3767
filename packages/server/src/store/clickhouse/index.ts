export { ExactlyOnceIngest, type IngestItem, type IngestResult, REPORT_ID_METRIC, reportIdKey } from './ingest.js';
export { clusterSchema, SAMPLES_TABLE, singleNodeSchema } from './schema.js';
export { ClickHouseStore, type ClickHouseStoreOptions } from './store.js';
export { type ClickHouseLocation, parseClickHouseUrl } from './url.js';
