import type { Delta } from '../day/aggregate.js';

/**
 * What must survive a page going away, written synchronously to localStorage: measured in Chromium, an
 * IndexedDB request started during pagehide (or just before a navigation) may never complete once the document
 * unloads, while a localStorage write is done when the call returns. Two things live here:
 *
 * - The person's consent choice, written the moment it is made. It is the authority in browsers: every update
 *   of the stored state reads it (inside the update), so a withdrawal made just before closing a page holds in
 *   every tab.
 * - Pending entries: what a hidden page recorded and had not folded yet, and reports acknowledged while it was
 *   going away. The next flush of any tab folds them into the stored day and then removes them. The stored
 *   state lists the entries already folded (in the same atomic update), so an entry is folded once even if
 *   the page goes away between the fold and the removal.
 */
export interface JournalEntry {
  /** Recorded values not yet folded into the day (as recorders took them; see day/resolve.ts). */
  delta?: Delta;
  /** Ids of reports the collector acknowledged while the page was going away: removed from the queue. */
  acked?: string[];
}

export interface Journal {
  write(entry: JournalEntry): boolean;
  /** Every pending entry with its key, oldest writer first; nothing is removed. */
  entries(): { key: string; entry: JournalEntry }[];
  remove(keys: string[]): void;
  /** Removes every pending entry (consent withdrawn). */
  clear(): void;
  consent(): 'granted' | 'denied' | null;
  setConsent(state: 'granted' | 'denied'): void;
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
  const consentKey = `candor:${app}:consent`;
  let written = 0;
  const keys = () => {
    const found: string[] = [];
    for (let i = 0; i < store.length; i++) {
      const key = store.key(i);
      if (key?.startsWith(prefix)) found.push(key);
    }
    return found;
  };
  const remove = (list: string[]) => {
    for (const key of list) store.removeItem(key);
  };
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
    entries() {
      return keys().flatMap((key) => {
        try {
          return [{ key, entry: (JSON.parse(store.getItem(key) ?? 'null') ?? {}) as JournalEntry }];
        } catch {
          store.removeItem(key); // unreadable: it holds nothing that can be folded
          return [];
        }
      });
    },
    remove,
    clear: () => remove(keys()),
    consent() {
      const value = store.getItem(consentKey);
      return value === 'granted' || value === 'denied' ? value : null;
    },
    setConsent(state) {
      try {
        store.setItem(consentKey, state);
      } catch {
        // Full or disabled: the stored state still holds the choice once its update completes.
      }
    },
  };
}
