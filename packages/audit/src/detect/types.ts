/** The only categories a finding may have. Order is the order reports list them in. */
export const CATEGORIES = [
  'browsing-history',
  'search-query',
  'private-mode',
  'hardware-id',
  'platform-id',
  'account-id',
  'contact',
  'location',
  'app-activity',
  'media-activity',
  'device-fingerprint',
  'persistent-id',
  'known-value',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** One thing a detector recognised in one value. */
export interface Detection {
  category: Category;
  /** Which detector fired, e.g. "imei" or "email"; stable names, listed in docs/audit-json-schema.md. */
  detector: string;
}

/** Default severity of each category; the auditor may raise it (e.g. an id shared across sites). */
export const CATEGORY_SEVERITY: Record<Category, Severity> = {
  'browsing-history': 'high',
  'search-query': 'high',
  'private-mode': 'high',
  'hardware-id': 'critical',
  'platform-id': 'high',
  'account-id': 'high',
  contact: 'critical',
  location: 'high',
  'app-activity': 'medium',
  'media-activity': 'medium',
  'device-fingerprint': 'medium',
  'persistent-id': 'medium',
  'known-value': 'critical',
};
