import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type PersistedState, parseState, type QueueStorage } from './storage.js';

/**
 * File storage for Node apps: one JSON file, replaced atomically (write to a temporary file, then rename) so a
 * crash mid-write never leaves half a queue. A file that cannot be read as a queue is kept aside as
 * "<path>.unreadable" rather than overwritten, so nothing already stored is silently lost.
 */
export function fileQueueStorage(path: string): QueueStorage {
  let writes: Promise<void> = Promise.resolve();
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      let state: PersistedState | null = null;
      try {
        state = parseState(JSON.parse(text));
      } catch {
        state = null;
      }
      if (!state) await rename(path, `${path}.unreadable`);
      return state;
    },
    save(state: PersistedState) {
      const run = async () => {
        const temporary = `${path}.tmp`;
        await mkdir(dirname(path), { recursive: true });
        await writeFile(temporary, JSON.stringify(state), { mode: 0o600 });
        await rename(temporary, path);
      };
      writes = writes.then(run, run);
      return writes;
    },
  };
}
