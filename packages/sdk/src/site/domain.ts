// Loaded on demand (see site/reduce.ts): the registrable-domain reduction with the public suffix list.
export { registrableDomain } from '@candor/protocol/site';
