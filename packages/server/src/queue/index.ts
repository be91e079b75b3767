export { decodeReport, encodeReport } from './message.js';
export { NatsReportSink, type NatsSinkOptions } from './sink.js';
export {
  type ConsumerSettings,
  DEFAULT_CONSUMER,
  DEFAULT_STREAM,
  ensureConsumer,
  ensureStream,
  type StreamSettings,
} from './stream.js';
export { parseNatsUrl } from './url.js';
