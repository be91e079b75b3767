// @candor/sdk: privacy-preserving telemetry for apps and browsers. Runs in browsers and Node (no node: imports
// here; Node-only extras are in @candor/sdk/node). Only what an app imports is here; tests reach the internals
// by path.
export type { Candor } from './candor.js';
export { createCandor } from './client.js';
export { CandorUsageError, DROP_REASONS, type DropReason, type ErrorCounters } from './errors.js';
export type * from './metrics/types.js';
export type { RelayOptions } from './ohttp/relay.js';
export type { CandorOptions, ConsentRegime, ConsentState, FlushOptions, Mode } from './options.js';
export { indexedDbQueueStorage } from './queue/indexeddb.js';
export { memoryQueueStorage } from './queue/memory.js';
export { emptyState, type PersistedState, type QueueStorage } from './queue/storage.js';
export type { SystemInput } from './system/coarse.js';
export {
  defineTransparencyLogElement,
  TRANSPARENCY_LOG_TAG,
  type TransparencyLogSource,
} from './transparency/element.js';
export type { TransparencyEntry } from './transparency/log.js';
export type { UploadFailure } from './transport/diagnose.js';
