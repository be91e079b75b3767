import type { CapturedRequest } from './capture/har-entry.js';
import { readCaptureBatches } from './capture/read-capture.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './decode/index.js';
import { type CountryLookup, openGeoIp } from './destinations/geoip.js';
import { DestinationTable, type DomainSummary, type HostSummary } from './destinations/summary.js';
import { type KnownValue, KnownValues } from './detect/known.js';
import { CATEGORIES, type Category, SEVERITIES, type Severity, severityRank } from './detect/types.js';
import type { AuditWarning, Finding } from './findings.js';
import { LeafAnalyser } from './inspect/analysis.js';
import { FirstParty } from './inspect/first-party.js';
import { DestinationCache, inspectRequest } from './inspect/request.js';
import { LinkTracker, linkedFindings } from './link/index.js';

/** Version of the JSON report; see docs/audit-json-schema.md. Bumped on any incompatible change. */
export const AUDIT_SCHEMA = 'candor-audit/1';

export interface AuditOptions {
  known?: KnownValue[];
  /** A MaxMind-format database file, or an opened lookup. */
  geoip?: string | CountryLookup;
  limits?: Partial<DecodeLimits>;
  /** Bytes of the capture files read so far, for a progress bar. */
  onRawBytes?: (bytes: number) => void;
  /** Most findings kept in the report; counts in the summary stay complete. */
  maxFindings?: number;
  /**
   * The site being visited (any host under its registrable domain), for every request. Without it the first party
   * is read from each page of a browser capture; app captures have none.
   */
  firstParty?: string;
}

export interface AuditResult {
  schema: typeof AUDIT_SCHEMA;
  files: Array<{ file: string; requests: number }>;
  requests: number;
  /** Bytes of entry JSON read. */
  bytes: number;
  summary: {
    findings: number;
    bySeverity: Record<Severity, number>;
    byCategory: Partial<Record<Category, number>>;
    maxSeverity?: Severity;
  };
  findings: Finding[];
  hosts: HostSummary[];
  domains: DomainSummary[];
  warnings: AuditWarning[];
}

/** Audits HAR capture files (plain or .zhar), streaming each; throws CaptureError on a file that is not a HAR. */
export async function auditFiles(files: string[], options: AuditOptions = {}): Promise<AuditResult> {
  const counts = new Map<string, number>();
  const readWarnings: AuditWarning[] = [];
  async function* batches(): AsyncGenerator<CapturedRequest[]> {
    for (const file of files) {
      counts.set(file, 0);
      const onWarning = (message: string) => readWarnings.push({ file, message });
      for await (const batch of readCaptureBatches(file, { onRawBytes: options.onRawBytes, onWarning })) {
        counts.set(file, (counts.get(file) ?? 0) + batch.length);
        yield batch;
      }
    }
  }
  const result = await auditBatches(batches(), options);
  result.files = files.map((file) => ({ file, requests: counts.get(file) ?? 0 }));
  result.warnings.unshift(...readWarnings);
  return result;
}

/** Audits requests already in memory or produced by any source (used by the self-audit of candor's own SDK). */
export async function auditRequests(
  requests: AsyncIterable<CapturedRequest> | Iterable<CapturedRequest>,
  options: AuditOptions = {},
): Promise<AuditResult> {
  async function* single(): AsyncGenerator<CapturedRequest[]> {
    for await (const request of requests) yield [request];
  }
  return auditBatches(single(), options);
}

async function auditBatches(batches: AsyncIterable<CapturedRequest[]>, options: AuditOptions): Promise<AuditResult> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const known = new KnownValues(options.known ?? []);
  const link = new LinkTracker();
  const analyser = new LeafAnalyser();
  const table = new DestinationTable();
  const maxFindings = options.maxFindings ?? 100_000;
  const findings: Finding[] = [];
  const warnings: AuditWarning[] = [];
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byCategory: Partial<Record<Category, number>> = {};
  const files = new Map<string, number>();
  let total = 0;
  let bytes = 0;
  let dropped = 0;

  const record = (finding: Finding): void => {
    bySeverity[finding.severity]++;
    byCategory[finding.category] = (byCategory[finding.category] ?? 0) + 1;
    table.finding(finding);
    if (findings.length < maxFindings) findings.push(finding);
    else dropped++;
  };

  const ctx = { analyser, known, link, limits, destinations: new DestinationCache() };
  const firstParties = new FirstParty(options.firstParty);
  for await (const batch of batches) {
    for (const request of batch) {
      files.set(request.file, (files.get(request.file) ?? 0) + 1);
      bytes += request.size;
      const inspection = inspectRequest(request, total++, ctx, firstParties.of(request));
      if (inspection.local) continue;
      table.request(inspection.host, inspection.domain, request.serverIp);
      for (const finding of inspection.findings) record(finding);
      for (const message of inspection.warnings) warnings.push({ file: request.file, entry: request.entry, message });
    }
  }

  for (const linked of link.linked()) for (const finding of linkedFindings(linked)) record(finding);
  if (link.pruned)
    warnings.push({
      file: '',
      message: 'too many distinct identifier-like values to remember; some recurrences may be missed',
    });
  if (dropped > 0)
    warnings.push({
      file: '',
      message: `${dropped} findings beyond the first ${maxFindings} were counted but not listed`,
    });

  if (options.geoip) {
    const lookup = typeof options.geoip === 'string' ? await openGeoIp(options.geoip) : options.geoip;
    table.locate(lookup);
  }
  const fileOrder = new Map([...files.keys()].map((file, i) => [file, i]));
  findings.sort(
    (a, b) =>
      (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) ||
      a.entry - b.entry ||
      CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category),
  );
  const severities = SEVERITIES.filter((s) => bySeverity[s] > 0);
  return {
    schema: AUDIT_SCHEMA,
    files: [...files].map(([file, n]) => ({ file, requests: n })),
    requests: total,
    bytes,
    summary: {
      findings: findings.length + dropped,
      bySeverity,
      byCategory,
      maxSeverity: severities.sort((a, b) => severityRank(b) - severityRank(a))[0],
    },
    findings,
    hosts: table.byHost(),
    domains: table.byDomain(),
    warnings,
  };
}
