import { REPORT_DAYS_LATE } from '@candor/protocol';
import { createFleet } from './fleet.js';

/** Phones in the demo fleet: enough device-days a day for the released figures to be read. */
export const DEFAULT_DEMO_DEVICES = 1_200;

export interface DemoTrafficOptions {
  target: string;
  /** The Prio3 helper the phones seal secret-shared metrics to. */
  prio3Helper?: string;
  /** Phones in the fleet: they live through a week of history, then keep reporting live. */
  devices: number;
  /** Simulate the week of history first (default true). Off when the store already holds it, so a restart does
   * not count the week twice. */
  history?: boolean;
  /** Seconds between live waves. */
  waveSeconds?: number;
  /** Moves the collector's clock: to each history day as it is simulated, then back to real time (null). */
  setCollectorDay?: (dayStart: number | null) => void;
  log?: (line: string) => void;
}

/** Days of history the demo simulates, and how many minutes each phone uses the app on each of them. */
export const DEMO_HISTORY_DAYS = 6;
const DEMO_MINUTES = 5;
const DAY_MS = 86_400_000;

/**
 * Traffic for `candor serve --simulate`: first six days of history from a fleet of phones (each phone sends a
 * day's one report after the day ends), then every few seconds a wave of the same phones using the app now,
 * until stopped. Waves fold into each phone's report for today, which goes out at the first wave after midnight
 * UTC or when the demo stops. The same phones, so installs are not counted anew with every wave.
 *
 * The history ends at the oldest day still accepted (REPORT_DAYS_LATE days ago), whose reports go out with the
 * first live wave; the days before it are closed by the time the history is done, and the collector releases them
 * with differential privacy at the first query: the dashboard has something to show within seconds. While the
 * history runs the collector's clock follows the simulated days (`setCollectorDay`), so each day's reports arrive
 * when real phones would send them (the morning after). Each day is released with
 * noise scaled to one device-day, so the fleet is large enough (DEFAULT_DEMO_DEVICES) for the figures to stand
 * out of their error bars; the live waves' days appear once they close.
 */
export function startDemoTraffic(options: DemoTrafficOptions): { ready: Promise<void>; stop(): Promise<void> } {
  const log = options.log ?? ((line: string) => console.log(line));
  const controller = new AbortController();
  const fleet = createFleet({
    target: options.target,
    ...(options.prio3Helper ? { prio3Helper: options.prio3Helper } : {}),
    devices: options.devices,
    minutes: DEMO_MINUTES,
    days: DEMO_HISTORY_DAYS,
    now: Date.now() - REPORT_DAYS_LATE * DAY_MS,
    onDay: (dayStart) => options.setCollectorDay?.(dayStart + DAY_MS / 2),
    signal: controller.signal,
  });
  let wave = 0;

  const ready = (async () => {
    if (options.history === false) return;
    const started = Date.now();
    try {
      await fleet.run();
    } finally {
      options.setCollectorDay?.(null);
    }
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
