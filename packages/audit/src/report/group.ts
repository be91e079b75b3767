import { SEVERITIES } from '../detect/types.js';
import type { Finding } from '../findings.js';

export interface FindingGroup {
  first: Finding;
  field: string;
  count: number;
}

/** Groups findings by what leaked where: category, detector, host, location and field with indexes as [*]. */
export function groupFindings(findings: Finding[]): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of findings) {
    const field = f.field.replace(/\[\d+\]/g, '[*]');
    const key = `${f.category}|${f.detector}|${f.host}|${f.location}|${field}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { first: f, field, count: 1 });
  }
  return [...groups.values()].sort(
    (a, b) => SEVERITIES.indexOf(b.first.severity) - SEVERITIES.indexOf(a.first.severity) || b.count - a.count,
  );
}
