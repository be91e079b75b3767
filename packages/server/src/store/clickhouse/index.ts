export { ExactlyOnceIngest, INGEST_METRIC, type IngestItem, type IngestResult } from './ingest.js';
export { clusterSchema, SAMPLES_TABLE, singleNodeSchema } from './schema.js';
export { ClickHouseStore, type ClickHouseStoreOptions } from './store.js';
export { type ClickHouseLocation, parseClickHouseUrl } from './url.js';
