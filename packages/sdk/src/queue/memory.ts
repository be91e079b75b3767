import { type PersistedState, parseState, type QueueStorage } from './storage.js';

/** In-memory storage: the Node default and the simulator's choice. Keeps a serialised copy, as a disk would. */
export function memoryQueueStorage(): QueueStorage & { contents(): string | null } {
  let stored: string | null = null;
  return {
    async load() {
      return stored === null ? null : parseState(JSON.parse(stored));
    },
    async save(state: PersistedState) {
      stored = JSON.stringify(state);
    },
    contents: () => stored,
  };
}
