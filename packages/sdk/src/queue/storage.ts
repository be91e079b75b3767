import type { Report } from '@candor/protocol';
import type { UsageHistory } from '@candor/protocol/activity/history';
import type { DayAggregate } from '../day/aggregate.js';
import type { TransparencyEntry } from '../transparency/log.js';
import type { CachedKey } from '../transport/keys.js';

/**
 * Everything the SDK keeps on the device, as one record. It holds no identifier: queued reports (each with its
 * own random dedupe id), the person's consent choice, the open day's aggregate, the last day already closed
 * (so a clock moved back never makes a second report for it), the collector's public key config with its
 * expiry, and the transparency log of what was sent.
 * Private mode is never stored.
 */
export interface PersistedState {
  version: 2;
  reports: Report[];
  consent: 'granted' | 'denied' | null;
  day: DayAggregate | null;
  lastClosedDay: string | null;
  /** Days of use in the last 28 and the week of first use, for each report's activity section; never sent. */
  usage: UsageHistory | null;
  key: CachedKey | null;
  /** Page-hide journal entries already folded (lifecycle/journal.ts), so none is folded twice. */
  folded: string[];
  log: TransparencyEntry[];
}

/**
 * Where the state lives: memory (Node default), IndexedDB (browser default) or a file (Node). `update` applies a
 * synchronous change to the stored state as one atomic step (read, change, write) and returns the result, so
 * writers that share the storage (several tabs, say) merge instead of overwriting each other.
 */
export interface QueueStorage {
  load(): Promise<PersistedState | null>;
  update(change: (state: PersistedState) => PersistedState): Promise<PersistedState>;
}

export function emptyState(): PersistedState {
  return {
    version: 2,
    reports: [],
    consent: null,
    day: null,
    lastClosedDay: null,
    usage: null,
    key: null,
    folded: [],
    log: [],
  };
}

const isDay = (v: unknown): v is string => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);

/** Accepts a stored record only if it has the expected shape; anything else starts empty. */
export function parseState(value: unknown): PersistedState | null {
  if (typeof value !== 'object' || value === null) return null;
  const s = value as Partial<PersistedState>;
  if (s.version !== 2 || !Array.isArray(s.reports) || !Array.isArray(s.log)) return null;
  const day = s.day as Partial<DayAggregate> | null | undefined;
  return {
    version: 2,
    reports: s.reports,
    consent: s.consent === 'granted' || s.consent === 'denied' ? s.consent : null,
    day:
      day && isDay(day.day) && typeof day.metrics === 'object' && day.metrics !== null
        ? { day: day.day, metrics: day.metrics }
        : null,
    lastClosedDay: isDay(s.lastClosedDay) ? s.lastClosedDay : null,
    // A Monday's day number leaves 4 when divided by 7; anything else (or days not a list) starts a new history.
    usage: Array.isArray(s.usage?.days) && s.usage.firstWeek % 7 === 4 ? s.usage : null,
    key:
      s.key && typeof s.key === 'object' && typeof s.key.expires === 'number' && typeof s.key.config === 'object'
        ? s.key
        : null,
    folded: Array.isArray(s.folded) ? s.folded.filter((k) => typeof k === 'string') : [],
    log: s.log,
  };
}
