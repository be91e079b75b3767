export { DEFAULT_LIMITS, DecodeContext, type DecodeLimits, type Leaf } from './context.js';
export { type ProtoField, parseProtobuf } from './protobuf.js';
export { decodeBody, decodeBytes, decodeForm, decodeString, decodeUrlParts, walkJson } from './walk.js';
