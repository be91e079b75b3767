export { type Collector, type CollectorOptions, startCollector } from './collector.js';
export type { Deviation, Rule } from './conformance/rules.js';
export {
  CONFORMANCE_PATHS,
  type ConformanceCollector,
  type ConformanceOptions,
  startConformanceCollector,
} from './conformance/server.js';
export type { ConformanceSummary, RuleResult, UploadRecord } from './conformance/session.js';
export { deviationLine, summaryMarkdown } from './conformance/summary.js';
export {
  createKey,
  DEFAULT_GRACE_MS,
  ensureKey,
  type KeyKind,
  KeyRing,
  readKeys,
  rotateKeys,
  type StoredKey,
} from './keys/keyring.js';
export { createToken, listTokens, revokeToken, type StoredToken } from './keys/tokens.js';
export { openEnvelope, sealEnvelope } from './open/envelope.js';
export { HpkeRecipient, sealBase } from './open/hpke.js';
export { type Helper, type HelperOptions, startHelper } from './prio3/helper.js';
export { ActivityService } from './query/activity.js';
export { QueryService } from './query/service.js';
export * from './queue/index.js';
export {
  createRelayApp,
  DEFAULT_RELAY_MAX_BODY_BYTES,
  type Relay,
  type RelayOptions,
  startRelay,
} from './relay/relay.js';
export { CryptoRandom, discreteLaplace, type Noise, type RandomSource } from './release/noise.js';
export { releaseDay } from './release/release.js';
export { Releaser } from './release/releaser.js';
export type * from './release/types.js';
export * from './store/clickhouse/index.js';
export type { RollupRow } from './store/duckdb/rollup.js';
export { DuckDbStore } from './store/duckdb/store.js';
export { DAILY_ACTIVITY_METRIC, flattenReport } from './store/rows.js';
export type * from './store/types.js';
export * from './writer/index.js';
