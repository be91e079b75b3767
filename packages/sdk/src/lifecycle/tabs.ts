/**
 * Coordination between the tabs of one app on one device: a BroadcastChannel tells the other tabs at once when
 * the consent choice or the stored state changed, and Web Locks keep two tabs from draining the page-hide
 * journal or sending the same queue at the same time. Where the platform has neither (Node), calls run directly:
 * there is one instance per storage there.
 */
export type TabMessage = { consent: 'granted' | 'denied' } | { changed: true };

export interface Tabs {
  /** Runs `fn` holding the app's lock `name`; with `ifAvailable`, returns undefined at once if another tab holds it. */
  locked<T>(name: string, fn: () => Promise<T>, ifAvailable?: boolean): Promise<T | undefined>;
  post(message: TabMessage): void;
  close(): void;
}

interface LockManagerLike {
  request<T>(name: string, options: { ifAvailable?: boolean }, fn: (lock: unknown) => Promise<T>): Promise<T>;
}

/** `app` null: an instance that shares its storage with no other (Node, a custom storage): nothing to coordinate. */
export function connectTabs(app: string | null, onMessage: (message: TabMessage) => void): Tabs {
  const locks = app === null ? undefined : (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  const channel = app !== null && typeof BroadcastChannel === 'function' ? new BroadcastChannel(`candor:${app}`) : null;
  if (channel) channel.onmessage = (event: MessageEvent<TabMessage>) => onMessage(event.data);
  return {
    locked(name, fn, ifAvailable = false) {
      if (!locks) return fn();
      return locks.request(`candor:${app}:${name}`, { ifAvailable }, (lock) =>
        lock === null ? Promise.resolve(undefined) : fn(),
      );
    },
    post(message) {
      channel?.postMessage(message);
    },
    close() {
      channel?.close();
    },
  };
}
