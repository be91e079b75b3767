import type { Delta } from '../day/aggregate.js';

/**
 * What a page going away could not fold into storage, written synchronously to localStorage. Measured in
 * Chromium, an IndexedDB request started during pagehide may never complete once the document unloads, while a
 * localStorage write is done when the call returns. The next flush of any tab of the app drains the journal
 * into the stored day (under a Web Lock, so one tab drains each entry once) and removes it.
 */
export interface JournalEntry {
  /** Recorded values not yet folded into the day (as recorders took them; see day/resolve.ts). */
  delta?: Delta;
  /** Ids of reports the collector acknowledged while the page was going away: removed from the queue. */
  acked?: string[];
}

export interface Journal {
  write(entry: JournalEntry): boolean;
  drain(): JournalEntry[];
}

export function localStorageJournal(app: string): Journal | null {
  let store: Storage;
  try {
    store = globalThis.localStorage;
    if (!store) return null;
  } catch {
    return null; // storage disabled for this page
  }
  const prefix = `candor:${app}:pending:`;
  let written = 0;
  return {
    write(entry) {
      try {
        // Unique within the page by a counter, across pages by a short random part; not an identifier of anything.
        store.setItem(`${prefix}${written++}.${Math.random().toString(36).slice(2, 8)}`, JSON.stringify(entry));
        return true;
      } catch {
        return false;
      }
    },
    drain() {
      const entries: JournalEntry[] = [];
      for (let i = store.length - 1; i >= 0; i--) {
        const key = store.key(i);
        if (!key?.startsWith(prefix)) continue;
        const text = store.getItem(key);
        store.removeItem(key);
        try {
          entries.push(JSON.parse(text ?? 'null') ?? {});
        } catch {
          // An unreadable entry holds nothing that can be folded.
        }
      }
      return entries;
    },
  };
}
