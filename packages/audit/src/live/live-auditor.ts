import type { CapturedRequest } from '../capture/har-entry.js';
import { DEFAULT_LIMITS, type DecodeLimits } from '../decode/index.js';
import { type KnownValue, KnownValues } from '../detect/known.js';
import type { Finding } from '../findings.js';
import { LeafAnalyser } from '../inspect/analysis.js';
import { FirstParty } from '../inspect/first-party.js';
import { DestinationCache, type InspectContext, inspectRequest } from '../inspect/request.js';
import { LinkTracker, linkedFindings, type Occurrence } from '../link/index.js';

export interface LiveInspection {
  host: string;
  domain: string;
  /** What this request carried, and identifiers it shares with earlier requests. */
  findings: Finding[];
  warnings: string[];
}

/** Remembers which values the request being inspected offered to the tracker. */
class ObservingTracker extends LinkTracker {
  readonly touched = new Set<string>();

  override observe(value: string, occurrence: Occurrence): void {
    this.touched.add(value);
    super.observe(value, occurrence);
  }
}

/**
 * The auditor for traffic that is still arriving: the same decoding, detectors and linking as `candor audit`, one
 * request at a time. A recurring value is reported when its second request arrives (with the first occurrence),
 * then at each further request, instead of once at the end.
 */
export class LiveAuditor {
  private readonly link = new ObservingTracker();
  private readonly ctx: InspectContext;
  private readonly firstParties: FirstParty;
  private requests = 0;

  /** `firstParty`: as `candor audit --first-party`; without it, read from navigations as the audit does. */
  constructor(options: { known?: KnownValue[]; limits?: Partial<DecodeLimits>; firstParty?: string } = {}) {
    this.firstParties = new FirstParty(options.firstParty);
    this.ctx = {
      analyser: new LeafAnalyser(),
      destinations: new DestinationCache(),
      known: new KnownValues(options.known ?? []),
      link: this.link,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
    };
  }

  inspect(request: CapturedRequest): LiveInspection {
    const number = this.requests++;
    this.link.touched.clear();
    const inspection = inspectRequest(request, number, this.ctx, this.firstParties.of(request));
    if (inspection.local) return { host: '', domain: '', findings: [], warnings: [] };
    const findings = [...inspection.findings];
    for (const value of this.link.touched) {
      const linked = this.link.recurrence(value);
      if (!linked) continue;
      const fresh = linked.requests === 2 ? linked.occurrences : linked.occurrences.filter((o) => o.request === number);
      findings.push(...linkedFindings(linked, fresh));
    }
    return { host: inspection.host, domain: inspection.domain, findings, warnings: inspection.warnings };
  }
}
