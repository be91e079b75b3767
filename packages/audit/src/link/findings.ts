import type { Severity } from '../detect/types.js';
import type { Finding } from '../findings.js';
import type { LinkedValue, Occurrence } from './tracker.js';

/**
 * The persistent-id findings for a value that recurs: one per occurrence given (all of them by default). A value
 * shared by several registrable domains lets them join their records, so it is the more serious case. Occurrences
 * sent to the site being visited count towards recurrence but are not reported themselves.
 */
export function linkedFindings(linked: LinkedValue, occurrences: Occurrence[] = linked.occurrences): Finding[] {
  const crossSite = linked.domains.length > 1;
  const severity: Severity = crossSite ? 'high' : 'medium';
  const note = `seen in ${linked.requests} requests to ${linked.hosts.length} host(s): ${linked.hosts.slice(0, 5).join(', ')}`;
  return occurrences
    .filter((o) => !o.firstParty)
    .map((o) => ({
      category: 'persistent-id',
      severity,
      detector: crossSite ? 'recurs-across-sites' : 'recurs-across-requests',
      file: o.file,
      entry: o.entry,
      host: o.host,
      domain: o.domain,
      location: o.location,
      field: o.field,
      decoding: o.decoding,
      evidence: linked.value,
      note,
    }));
}
