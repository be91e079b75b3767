export { CaptureError } from './errors.js';
export { type CapturedBody, type CapturedRequest, type NameValue, readEntry } from './har-entry.js';
export { type Exchange, type HarDocument, harFromExchanges, recordingFetch } from './har-writer.js';
export { ProgressBar } from './progress.js';
export { type ReadHarOptions, readHar, readHarBatches } from './read-har.js';
