import { createFleet } from './fleet.js';

export interface DemoTrafficOptions {
  target: string;
  /** Phones in the fleet: they live through a week of history, then keep reporting live. */
  devices: number;
  /** Simulate the week of history first (default true). Off when the store already holds it, so a restart does
   * not count the week twice. */
  history?: boolean;
  /** Seconds between live waves. */
  waveSeconds?: number;
  log?: (line: string) => void;
}

/**
 * Traffic for `candor serve --simulate`: first a week of history from a fleet of phones, so the dashboard has
 * something to show within seconds (the six finished days; each phone sends a day's one report after it ends),
 * then every few seconds a wave of the same phones using the app now, until stopped. Waves fold into each
 * phone's report for today, which goes out at the first wave after midnight UTC or when the demo stops. The
 * same phones, so installs are not counted anew with every wave.
 */
export function startDemoTraffic(options: DemoTrafficOptions): { ready: Promise<void>; stop(): Promise<void> } {
  const log = options.log ?? ((line: string) => console.log(line));
  const controller = new AbortController();
  const fleet = createFleet({
    target: options.target,
    devices: options.devices,
    minutes: 15,
    days: 7,
    signal: controller.signal,
  });
  let wave = 0;

  const ready = (async () => {
    if (options.history === false) return;
    const started = Date.now();
    await fleet.run();
    log(`simulated a week of ${options.devices} phones in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  })();
  let running: Promise<unknown> = ready;

  const timer = setInterval(
    () => {
      if (controller.signal.aborted) return;
      running = running.then(() => {
        wave++;
        return fleet
          .wave(Math.ceil(options.devices / 10), 5)
          .then((accepted) => log(`live wave ${wave}: ${accepted} uploads accepted`))
          .catch((error: unknown) => log(`live wave ${wave} failed: ${(error as Error).message}`));
      });
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
      await fleet.finish();
    },
  };
}
