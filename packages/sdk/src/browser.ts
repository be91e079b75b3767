// Entry of the browser bundle (dist/browser/candor.min.js): the core API plus the transparency element.
// The public suffix list is not in it: the `site` metric loads it as a separate chunk on first use.
export {
  CandorUsageError,
  createCandor,
  defineTransparencyLogElement,
  indexedDbQueueStorage,
  memoryQueueStorage,
  TRANSPARENCY_LOG_TAG,
} from './index.js';
