// Entry of the browser bundle (dist/browser/candor.min.js): the core API. The transparency element is its own
// entry (candor-transparency.min.js) and the public suffix list a chunk the `site` metric loads on first use.
export { createCandor } from './client.js';
export { CandorUsageError } from './errors.js';
export { indexedDbQueueStorage } from './queue/indexeddb.js';
export { memoryQueueStorage } from './queue/memory.js';
