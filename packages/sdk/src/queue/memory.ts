import { emptyState, type PersistedState, parseState, type QueueStorage } from './storage.js';

/** In-memory storage: the Node default and the simulator's choice. Keeps a serialised copy, as a disk would. */
export function memoryQueueStorage(): QueueStorage & { contents(): string | null } {
  let stored: string | null = null;
  const read = () => (stored === null ? null : parseState(JSON.parse(stored)));
  return {
    async load() {
      return read();
    },
    async update(change) {
      const next = change(read() ?? emptyState());
      stored = JSON.stringify(next);
      return parseState(JSON.parse(stored)) as PersistedState;
    },
    contents: () => stored,
  };
}
