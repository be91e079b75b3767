import type { Finding } from '../findings.js';

/** Where a value was seen: the place fields of a finding, plus which request (across all capture files). */
export type Occurrence = Pick<Finding, 'file' | 'entry' | 'host' | 'domain' | 'location' | 'field' | 'decoding'> & {
  request: number;
};

interface Seen {
  requests: number;
  lastRequest: number;
  hosts: Set<string>;
  domains: Set<string>;
  occurrences: Occurrence[];
}

/** A value that recurs across requests: the thread that ties them, and the person behind them, together. */
export interface LinkedValue {
  value: string;
  requests: number;
  hosts: string[];
  domains: string[];
  occurrences: Occurrence[];
}

/**
 * Remembers identifier-like values and the requests that carried them. Memory is bounded: past `maxValues`
 * distinct values, values seen in only one request are forgotten (a later repeat of one of them is missed, and
 * the audit says so in a warning).
 */
export class LinkTracker {
  // A value seen once is kept as its single Occurrence; only a recurring value gets the fuller record.
  private readonly seen = new Map<string, Seen | Occurrence>();
  pruned = false;

  constructor(
    private readonly maxValues = 500_000,
    private readonly maxOccurrencesPerValue = 1000,
  ) {}

  observe(value: string, occurrence: Occurrence): void {
    const previous = this.seen.get(value);
    if (previous === undefined) {
      if (this.seen.size >= this.maxValues) this.prune();
      this.seen.set(value, occurrence);
      return;
    }
    let seen: Seen;
    if ('request' in previous) {
      if (previous.request === occurrence.request) return;
      seen = {
        requests: 1,
        lastRequest: previous.request,
        hosts: new Set([previous.host]),
        domains: new Set([previous.domain]),
        occurrences: [previous],
      };
      this.seen.set(value, seen);
    } else seen = previous;
    if (seen.lastRequest !== occurrence.request) {
      seen.requests++;
      seen.lastRequest = occurrence.request;
      if (seen.occurrences.length < this.maxOccurrencesPerValue) seen.occurrences.push(occurrence);
    }
    seen.hosts.add(occurrence.host);
    seen.domains.add(occurrence.domain);
  }

  private prune(): void {
    for (const [value, seen] of this.seen) if ('request' in seen) this.seen.delete(value);
    this.pruned = true;
  }

  /** The value's record when at least two different requests carried it (used to report recurrences live). */
  recurrence(value: string): LinkedValue | undefined {
    const seen = this.seen.get(value);
    if (seen === undefined || 'request' in seen || seen.requests < 2) return undefined;
    const { requests, hosts, domains, occurrences } = seen;
    return { value, requests, hosts: [...hosts], domains: [...domains], occurrences };
  }

  /** Values carried by at least two different requests. */
  linked(): LinkedValue[] {
    const out: LinkedValue[] = [];
    for (const [value, seen] of this.seen) {
      if ('request' in seen || seen.requests < 2) continue;
      out.push({
        value,
        requests: seen.requests,
        hosts: [...seen.hosts],
        domains: [...seen.domains],
        occurrences: seen.occurrences,
      });
    }
    return out;
  }
}
