import { type PersistedState, parseState, type QueueStorage } from './storage.js';

const DB_NAME = 'candor';
const STORE = 'state';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** IndexedDB storage, the browser default: one record per app, in database "candor", store "state". */
export function indexedDbQueueStorage(app: string, factory: IDBFactory = indexedDB): QueueStorage {
  let db: Promise<IDBDatabase> | null = null;
  const open = () => {
    db ??= new Promise((resolve, reject) => {
      const req = factory.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return db;
  };
  return {
    async load() {
      const tx = (await open()).transaction(STORE, 'readonly');
      return parseState(await request(tx.objectStore(STORE).get(app)));
    },
    async save(state: PersistedState) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(state, app);
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    },
  };
}
