// @candor/server/testing: helpers for tests and benchmarks (local ClickHouse and NATS servers, free ports,
// sample reports, sealing for a running collector). Kept out of the package root, which holds only what a
// collector's user imports.

export { createVerdictChecker, type Verdict, type VerdictOptions } from './conformance/verdict.js';
export { postRaw, type RawResponse, sealForCollector } from './testing/client.js';
export { type Copies, countCopies, type FaultLoad, queueState, runFaultLoad } from './testing/fault-run.js';
export { clickHouseAvailable, type LocalClickHouse, startLocalClickHouse } from './testing/local-clickhouse.js';
export { type LocalNats, natsAvailable, startLocalNats } from './testing/local-nats.js';
export { countNumbered, numberedReport, reportNumber, storedNumbers } from './testing/numbered-reports.js';
export { freePort, waitFor, whichBinary } from './testing/processes.js';
export { NO_NOISE_FOR_PLUMBING_TESTS, seededNoise, seededSource } from './testing/release.js';
export { distribution, SAMPLE_DAY, sampleBatch, sampleReport, seededRandom } from './testing/reports.js';
export {
  openScaleServices,
  type ScaleServices,
  scaleServicesAvailable,
} from './testing/scale-services.js';
