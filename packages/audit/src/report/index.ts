export { renderHtml } from './html.js';
export { maskEvidence, redactResult } from './redact.js';
export { renderTerminal } from './terminal.js';
