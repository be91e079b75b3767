import { type Category, SEVERITIES, type Severity, severityRank } from '../detect/types.js';
import type { Finding } from '../findings.js';
import type { CountryLookup } from './geoip.js';

/** Everything that went to one host. */
export interface HostSummary {
  host: string;
  domain: string;
  requests: number;
  /** Server addresses the capture recorded for this host. */
  addresses: string[];
  /** ISO country codes of those addresses, with --geoip. */
  countries: string[];
  /** Findings per category. */
  categories: Partial<Record<Category, number>>;
  findings: number;
  maxSeverity?: Severity;
}

/** Everything that went to one registrable domain, over all its hosts. */
export interface DomainSummary {
  domain: string;
  hosts: string[];
  requests: number;
  countries: string[];
  categories: Partial<Record<Category, number>>;
  findings: number;
  maxSeverity?: Severity;
}

export class DestinationTable {
  private readonly hosts = new Map<string, HostSummary>();

  request(host: string, domain: string, address: string | undefined): void {
    let summary = this.hosts.get(host);
    if (!summary) {
      summary = { host, domain, requests: 0, addresses: [], countries: [], categories: {}, findings: 0 };
      this.hosts.set(host, summary);
    }
    summary.requests++;
    if (address && !summary.addresses.includes(address) && summary.addresses.length < 32)
      summary.addresses.push(address);
  }

  finding(finding: Finding): void {
    const summary = this.hosts.get(finding.host);
    if (!summary) return;
    summary.findings++;
    summary.categories[finding.category] = (summary.categories[finding.category] ?? 0) + 1;
    if (!summary.maxSeverity || severityRank(finding.severity) > severityRank(summary.maxSeverity))
      summary.maxSeverity = finding.severity;
  }

  locate(lookup: CountryLookup): void {
    for (const summary of this.hosts.values()) {
      const countries = new Set<string>();
      for (const address of summary.addresses) {
        const country = lookup.country(address);
        if (country) countries.add(country);
      }
      summary.countries = [...countries].sort();
    }
  }

  /** Hosts, those with the most serious findings first. */
  byHost(): HostSummary[] {
    return [...this.hosts.values()].sort(
      (a, b) => rank(b.maxSeverity) - rank(a.maxSeverity) || b.findings - a.findings || a.host.localeCompare(b.host),
    );
  }

  byDomain(): DomainSummary[] {
    const domains = new Map<string, DomainSummary>();
    for (const h of this.hosts.values()) {
      let d = domains.get(h.domain);
      if (!d) {
        d = { domain: h.domain, hosts: [], requests: 0, countries: [], categories: {}, findings: 0 };
        domains.set(h.domain, d);
      }
      d.hosts.push(h.host);
      d.requests += h.requests;
      d.findings += h.findings;
      for (const c of h.countries) if (!d.countries.includes(c)) d.countries.push(c);
      for (const [category, n] of Object.entries(h.categories) as Array<[Category, number]>)
        d.categories[category] = (d.categories[category] ?? 0) + n;
      if (h.maxSeverity && rank(h.maxSeverity) > rank(d.maxSeverity)) d.maxSeverity = h.maxSeverity;
    }
    return [...domains.values()].sort(
      (a, b) =>
        rank(b.maxSeverity) - rank(a.maxSeverity) || b.findings - a.findings || a.domain.localeCompare(b.domain),
    );
  }
}

function rank(severity: Severity | undefined): number {
  return severity ? SEVERITIES.indexOf(severity) : -1;
}
