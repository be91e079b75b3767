import type { Category, Severity } from './detect/types.js';

/** Where in a request a value was carried. */
export type FindingLocation = 'url' | 'query' | 'header' | 'cookie' | 'body';

/** One leak: a value of a personal-data category, found in one request. */
export interface Finding {
  category: Category;
  severity: Severity;
  /** The detector that recognised it (see docs/audit-json-schema.md). */
  detector: string;
  /** The capture file and the 0-based index of the entry in its log.entries. */
  file: string;
  entry: number;
  host: string;
  /** The destination's registrable domain (eTLD+1), or the host when it has none (an IP address). */
  domain: string;
  location: FindingLocation;
  /** Path inside the decoded payload, e.g. "data_list[0].properties.$model". */
  field: string;
  /** Decoding steps, outermost first, e.g. ["form", "base64", "gzip", "json"]. */
  decoding: string[];
  /** The value as found (after decoding), masked with --redact. */
  evidence: string;
  /** Extra facts: for known-value the name and form, for persistent-id how many requests and hosts share it. */
  note?: string;
}

export interface AuditWarning {
  file: string;
  entry?: number;
  message: string;
}
