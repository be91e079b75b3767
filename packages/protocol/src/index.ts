export * from './metrics/buckets.js';
export * from './privacy/ldp.js';
export * from './query/types.js';
export { candorBrowserRegistry } from './registry/candor-browser.js';
export * from './registry/schema.js';
export * from './report/schema.js';
export * from './report/values.js';
export { registrableDomain } from './site.js';
export * from './wire/envelope.js';
