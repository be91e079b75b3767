import { REPORT_GRACE_DAYS } from '@candor/protocol';
import { createFleet } from './fleet.js';

/** Phones in the demo fleet: enough device-days a day for the released figures to be read. */
export const DEFAULT_DEMO_DEVICES = 600;

export interface DemoTrafficOptions {
  target: string;
  /** Phones in the fleet: they live through a week of history, then keep reporting live. */
  devices: number;
  /** Seconds between live waves. */
  waveSeconds?: number;
  log?: (line: string) => void;
}

/** Days of history the demo simulates, and how many minutes each phone uses the app on each of them. */
export const DEMO_HISTORY_DAYS = 6;
const DEMO_MINUTES = 5;
const DAY_MS = 86_400_000;

/**
 * Traffic for `candor serve --simulate`: first six days of history from a fleet of phones, then every few
 * seconds a wave of the same phones using the app now, until stopped. The same phones, so installs are not
 * counted anew with every wave.
 *
 * The history ends two days ago: those days are closed (REPORT_GRACE_DAYS), so the collector releases them with
 * differential privacy at the first query and the dashboard has something to show within seconds. Each day is
 * released with noise scaled to one device-day, so the fleet is large enough (DEFAULT_DEMO_DEVICES) for the
 * figures to stand out of their error bars; today's waves stay open and appear once their day closes.
 */
export function startDemoTraffic(options: DemoTrafficOptions): { ready: Promise<void>; stop(): Promise<void> } {
  const log = options.log ?? ((line: string) => console.log(line));
  const controller = new AbortController();
  const fleet = createFleet({
    target: options.target,
    devices: options.devices,
    minutes: DEMO_MINUTES,
    days: DEMO_HISTORY_DAYS,
    now: Date.now() - (REPORT_GRACE_DAYS + 1) * DAY_MS,
    signal: controller.signal,
  });
  let wave = 0;

  const ready = (async () => {
    const started = Date.now();
    await fleet.run();
    log(
      `simulated ${DEMO_HISTORY_DAYS} days of ${options.devices} phones in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
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
