import { simulateFleet } from './fleet.js';

export interface DemoTrafficOptions {
  target: string;
  /** Phones in the week of history simulated at start. */
  devices: number;
  /** Seconds between live waves of phones reporting today. */
  waveSeconds?: number;
  log?: (line: string) => void;
}

/**
 * Traffic for `candor serve --simulate`: first a week of history from a fleet of phones, so the dashboard has
 * something to show within seconds, then a small wave of phones reporting today every few seconds until stopped.
 */
export function startDemoTraffic(options: DemoTrafficOptions): { ready: Promise<void>; stop(): Promise<void> } {
  const log = options.log ?? ((line: string) => console.log(line));
  const controller = new AbortController();
  let wave = 0;
  let running: Promise<unknown> = Promise.resolve();

  const ready = (async () => {
    const started = Date.now();
    const history = await simulateFleet({
      target: options.target,
      devices: options.devices,
      minutes: 15,
      days: 7,
      signal: controller.signal,
    });
    log(
      `simulated a week of ${history.phones} phones in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `${history.uploadsAccepted} reports accepted`,
    );
  })();
  running = ready;

  const timer = setInterval(
    () => {
      if (controller.signal.aborted) return;
      running = running.then(() =>
        simulateFleet({
          target: options.target,
          devices: 25,
          minutes: 5,
          days: 1,
          seed: ++wave,
          signal: controller.signal,
        })
          .then((r) => log(`live wave ${wave}: ${r.uploadsAccepted} reports accepted`))
          .catch((error: unknown) => log(`live wave ${wave} failed: ${(error as Error).message}`)),
      );
    },
    (options.waveSeconds ?? 10) * 1000,
  );
  timer.unref();

  return {
    ready,
    async stop() {
      controller.abort();
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
