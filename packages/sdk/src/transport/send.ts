// What a send needs and nothing else needs: sealing and the upload request. The browser bundle loads this on the
// first send (and as soon as a report is queued, so it is there before a page hide): about a third of the SDK,
// used at most a few times a day.
export { sealBatchJson } from '../seal/envelope.js';
export { uploadEnvelope } from './upload.js';
