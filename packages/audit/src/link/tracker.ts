import type { Finding } from '../findings.js';

/** Where a value was seen: the place fields of a finding, plus which request (across all capture files). */
export type Occurrence = Pick<Finding, 'file' | 'entry' | 'host' | 'domain' | 'location' | 'field' | 'decoding'> & {
  request: number;
  /** Sent to the site being visited: it counts towards recurrence but is not reported itself. */
  firstParty?: boolean;
};

interface Seen {
  requests: number;
  lastRequest: number;
  hosts: Set<string>;
  domains: Set<string>;
  occurrences: Occurrence[];
}

/** Whether the request of `occurrence` already carried the value in the same field (array items are one field). */
function sameRequestHas(occurrences: Occurrence[], occurrence: Occurrence): boolean {
  const field = occurrence.field.replace(/\[\d+\]/g, '[]');
  for (let i = occurrences.length - 1; i >= 0; i--) {
    const o = occurrences[i] as Occurrence;
    if (o.request !== occurrence.request) return false;
    if (o.location === occurrence.location && o.field.replace(/\[\d+\]/g, '[]') === field) return true;
  }
  return false;
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
  /** Values the capture names a site key or a product somewhere: never linked (bounded like `seen`). */
  private readonly shared = new Set<string>();
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
    } else if (sameRequestHas(seen.occurrences, occurrence)) return;
    // Every place the value went is kept (a request can carry it in a cookie and in its body under another name).
    if (seen.occurrences.length < this.maxOccurrencesPerValue) seen.occurrences.push(occurrence);
    seen.hosts.add(occurrence.host);
    seen.domains.add(occurrence.domain);
  }

  /** Records that `value` was sent under a field naming a site key or a product. */
  markShared(value: string): void {
    if (this.shared.size < this.maxValues) this.shared.add(value);
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
      if ('request' in seen || seen.requests < 2 || this.shared.has(value)) continue;
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
