export { decodeReport, encodeReport } from './message.js';
export { isClickHouseSpec, openScaleOut, type ScaleOutParts } from './scale-out.js';
export { NatsReportSink, type NatsSinkOptions } from './sink.js';
export {
  type ConsumerSettings,
  DEFAULT_CONSUMER,
  DEFAULT_STREAM,
  deadLetterStream,
  ensureConsumer,
  ensureDeadLetterStream,
  ensureStream,
  messagesBelowAckFloor,
  type StreamSettings,
} from './stream.js';
export { parseNatsUrl } from './url.js';
