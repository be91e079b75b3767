import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { emptyState, type PersistedState, parseState, type QueueStorage } from './storage.js';

/**
 * File storage for Node apps: one JSON file, replaced atomically (write to a temporary file, then rename) so a
 * crash mid-write never leaves half a queue. Updates from one process run one at a time. A file that cannot be
 * read as a queue is kept aside as "<path>.unreadable" rather than overwritten, so nothing stored is silently lost.
 */
export function fileQueueStorage(path: string): QueueStorage {
  let updates: Promise<unknown> = Promise.resolve();
  const load = async (): Promise<PersistedState | null> => {
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
  };
  return {
    load,
    update(change) {
      const run = async () => {
        const next = change((await load()) ?? emptyState());
        const temporary = `${path}.tmp`;
        await mkdir(dirname(path), { recursive: true });
        await writeFile(temporary, JSON.stringify(next), { mode: 0o600 });
        await rename(temporary, path);
        return next;
      };
      const result = updates.then(run, run);
      updates = result.catch(() => undefined);
      return result;
    },
  };
}
