// @candor/sdk: privacy-preserving telemetry for apps and browsers. Runs in browsers and Node (no node: imports
// here; Node-only extras are in @candor/sdk/node).
export {
  type Candor,
  type CandorOptions,
  type ConsentRegime,
  type ConsentState,
  createCandor,
  type FlushOptions,
  type Mode,
  utcDay,
} from './client.js';
export { crashKey, crashSignature, crashType, normaliseFrames } from './crash/signature.js';
export { CandorUsageError, DROP_REASONS, type DropReason, type ErrorCounters } from './errors.js';
export { Distribution } from './metrics/distribution.js';
export type * from './metrics/types.js';
export { indexedDbQueueStorage } from './queue/indexeddb.js';
export { memoryQueueStorage } from './queue/memory.js';
export { emptyState, type PersistedState, type QueueStorage } from './queue/storage.js';
export { sealBatchJson } from './seal/envelope.js';
export { gunzip, gzip } from './seal/gzip.js';
export { sealBase } from './seal/hpke.js';
export { siteOrigin } from './site/reduce.js';
export {
  coarseAppVersion,
  coarseLanguage,
  coarseModelFamily,
  coarseOs,
  coarseOsMajor,
  coarseSystem,
  type SystemInput,
} from './system/coarse.js';
export { detectSystem } from './system/detect.js';
export { defineTransparencyLogElement, TRANSPARENCY_LOG_TAG } from './transparency/element.js';
export type { TransparencyEntry } from './transparency/log.js';
export { isSupportedKey } from './transport/keys.js';
export { retryDelay } from './transport/upload.js';
