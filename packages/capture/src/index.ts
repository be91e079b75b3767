export { CaError, type CaptureCa, candorHome, caPaths, loadOrCreateCa } from './ca.js';
export { CAPTURE_USAGE, type CaptureIo, runCapture } from './cli.js';
export { HarAppendError, HarAppender } from './har-appender.js';
export { type LiveEvent, LiveView } from './live-view.js';
export { type CaptureListener, type CaptureOptions, CaptureSession, type LiveRequest } from './session.js';
