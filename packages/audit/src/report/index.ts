export { renderHtml } from './html.js';
export { maskEvidence, redactResult } from './redact.js';
export { AuditReportSchema, auditJsonSchema, FindingSchema } from './schema.js';
export { renderTerminal } from './terminal.js';
