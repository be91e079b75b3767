import { emptyState, type PersistedState, parseState, type QueueStorage } from './storage.js';

const DB_NAME = 'candor';
const STORE = 'state';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * IndexedDB storage, the browser default: one record per app, in database "candor", store "state". An update
 * reads and writes the record in one readwrite transaction; IndexedDB runs overlapping readwrite transactions on
 * the same store one after another, across tabs too, so concurrent tabs merge rather than overwrite.
 */
export function indexedDbQueueStorage(app: string, factory: IDBFactory = indexedDB): QueueStorage {
  let db: Promise<IDBDatabase> | null = null;
  const open = () => {
    db ??= new Promise((resolve, reject) => {
      const req = factory.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => {
        // Another tab upgrading the database must not be blocked by this one.
        req.result.onversionchange = () => req.result.close();
        resolve(req.result);
      };
      req.onerror = () => reject(req.error);
    });
    return db;
  };
  return {
    async load() {
      const tx = (await open()).transaction(STORE, 'readonly');
      return parseState(await request(tx.objectStore(STORE).get(app)));
    },
    async update(change) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      let next: PersistedState | null = null;
      let failure: unknown = null;
      const get = store.get(app);
      // The change runs inside the request callback: awaiting anything else here would end the transaction.
      get.onsuccess = () => {
        try {
          next = change(parseState(get.result) ?? emptyState());
          store.put(next, app);
        } catch (error) {
          failure = error;
          tx.abort();
        }
      };
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(failure ?? tx.error);
        tx.onabort = () => reject(failure ?? tx.error);
      });
      if (next === null) throw new Error('candor: the stored state was not updated');
      return next;
    },
  };
}
