export {
  type AccuracyReport,
  type CategoryScore,
  encodedEmailRecall,
  LABEL_CATEGORIES,
  type LabelCategory,
  scoreCorpus,
} from './accuracy.js';
export { AUDIT_SCHEMA, type AuditOptions, type AuditResult, auditFiles, auditRequests } from './audit.js';
export {
  type CapturedRequest,
  CaptureError,
  type Exchange,
  type HarDocument,
  harFromExchanges,
  ProgressBar,
  readEntry,
  readHar,
  recordingFetch,
} from './capture/index.js';
export { AUDIT_USAGE, type AuditIo, runAudit } from './cli.js';
export { DEFAULT_LIMITS, type DecodeLimits } from './decode/index.js';
export { type CountryLookup, openGeoIp } from './destinations/geoip.js';
export type { DomainSummary, HostSummary } from './destinations/summary.js';
export type { Category, Detection, Severity } from './detect/index.js';
export { CATEGORIES, CATEGORY_SEVERITY, detectPersonalData, SEVERITIES } from './detect/index.js';
export type { KnownValue } from './detect/known.js';
export type { AuditWarning, Finding, FindingLocation } from './findings.js';
export { LiveAuditor, type LiveInspection } from './live/live-auditor.js';
export {
  AuditReportSchema,
  auditJsonSchema,
  FindingSchema,
  maskEvidence,
  redactResult,
  renderHtml,
  renderTerminal,
} from './report/index.js';
