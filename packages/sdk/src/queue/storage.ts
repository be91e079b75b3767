import type { Report } from '@candor/protocol';
import type { TransparencyEntry } from '../transparency/log.js';

/**
 * Everything the SDK keeps on the device, as one record. It holds no identifier: queued reports (each with its
 * own random dedupe id), the person's consent choice, the last UTC day a daily-activity report was made, and
 * the transparency log of what was sent. Private mode is never stored.
 */
export interface PersistedState {
  version: 1;
  reports: Report[];
  consent: 'granted' | 'denied' | null;
  lastDailyActivityDay: string | null;
  log: TransparencyEntry[];
}

/** Where the offline queue lives: memory (Node default), IndexedDB (browser default) or a file (Node). */
export interface QueueStorage {
  load(): Promise<PersistedState | null>;
  save(state: PersistedState): Promise<void>;
}

export function emptyState(): PersistedState {
  return { version: 1, reports: [], consent: null, lastDailyActivityDay: null, log: [] };
}

/** Accepts a stored record only if it has the expected shape; anything else starts empty. */
export function parseState(value: unknown): PersistedState | null {
  if (typeof value !== 'object' || value === null) return null;
  const s = value as Partial<PersistedState>;
  if (s.version !== 1 || !Array.isArray(s.reports) || !Array.isArray(s.log)) return null;
  return {
    version: 1,
    reports: s.reports,
    consent: s.consent === 'granted' || s.consent === 'denied' ? s.consent : null,
    lastDailyActivityDay: typeof s.lastDailyActivityDay === 'string' ? s.lastDailyActivityDay : null,
    log: s.log,
  };
}
