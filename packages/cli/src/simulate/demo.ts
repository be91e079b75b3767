import { createFleet } from './fleet.js';
import { GROWING_APP } from './lifecycle.js';
import { weekdayFromMonday } from './truth.js';

/** Phones in the demo fleet: enough device-days a day for the released figures to be read. */
export const DEFAULT_DEMO_DEVICES = 1_000;

export interface DemoTrafficOptions {
  target: string;
  /** The Prio3 helper the phones seal secret-shared metrics to. */
  prio3Helper?: string;
  /** Phones in the fleet: they arrive and leave over the history, then those still using the app report live. */
  devices: number;
  /** Simulate the weeks of history first (default true). Off when the store already holds them, so a restart does
   * not count them twice. */
  history?: boolean;
  /** Seconds between live waves. */
  waveSeconds?: number;
  /** Moves the collector's clock: to each history day as it is simulated, then back to real time (null). */
  setCollectorDay?: (dayStart: number | null) => void;
  log?: (line: string) => void;
}

/**
 * Days of history the demo simulates: nine weeks, so monthly active devices and eight weeks of retention have
 * something to show.
 */
export const DEMO_HISTORY_DAYS = 63;
/** Minutes each phone uses the app on its days of use. The time goes into uploads: one minute is no quicker. */
const DEMO_MINUTES = 5;
const DAY_MS = 86_400_000;
/**
 * Phones uploading at once while the history runs: about a busy day's phones, so the collector and both Prio3
 * aggregators take each day's uploads in groups (one write for many) rather than a few at a time.
 */
const DEMO_CONCURRENCY = 128;

/**
 * The history's length for one that ends on `lastDay` (ms): at least DEMO_HISTORY_DAYS, reaching back to a Monday,
 * so the launch week's cohort (the largest) is a whole week and is released as a cohort.
 */
export function demoHistoryDays(lastDay: number): number {
  const first = Math.floor(lastDay / DAY_MS) - (DEMO_HISTORY_DAYS - 1);
  return DEMO_HISTORY_DAYS + weekdayFromMonday(first);
}

/**
 * Traffic for `candor serve --simulate`: first nine weeks of history from the phones of a growing app that arrive
 * over those weeks, most in the recent ones, and many leave again (`lifecycle.ts`, GROWING_APP), then every few seconds a wave of the phones still using the app,
 * until stopped. A phone sends a day's one report when it is next used (the SDK runs only then), so a phone next
 * used after the day's accepted window drops that report unsent, as real phones do; waves fold
 * into each phone's report for today. The same phones, so installs are not counted anew with every wave.
 *
 * The history ends yesterday, so every day older than the accepted window (REPORT_DAYS_LATE days) had its whole
 * window for late reports from phones next used after it, as with real phones; the collector releases those days
 * with differential privacy at the first query: the dashboard has something to show within seconds. (A history
 * ending at the oldest accepted day left the last closed days only a day or two of next uses: they read low.) While the history runs the collector's clock follows the
 * simulated days (`setCollectorDay`), so each report arrives when a real phone would send it. Each day is released
 * with noise scaled to one device-day, so the fleet is large enough (DEFAULT_DEMO_DEVICES) for daily figures to
 * stand out of their error bars; the live waves' days appear once they close.
 */
export function startDemoTraffic(options: DemoTrafficOptions): { ready: Promise<void>; stop(): Promise<void> } {
  const log = options.log ?? ((line: string) => console.log(line));
  const controller = new AbortController();
  const lastDay = Date.now() - DAY_MS;
  const days = demoHistoryDays(lastDay);
  const fleet = createFleet({
    target: options.target,
    ...(options.prio3Helper ? { prio3Helper: options.prio3Helper } : {}),
    devices: options.devices,
    minutes: DEMO_MINUTES,
    days,
    lifecycle: true,
    shape: GROWING_APP,
    now: lastDay,
    onDay: (dayStart) => options.setCollectorDay?.(dayStart + DAY_MS / 2),
    concurrency: DEMO_CONCURRENCY,
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
    log(`simulated ${days} days of ${options.devices} phones in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  })();
  let running: Promise<unknown> = ready;
  let timer: NodeJS.Timeout | undefined;
  // Waves start once the history is in: queued behind it, they would all run at once as the dashboard opens.
  void ready
    .catch(() => undefined)
    .then(() => {
      if (controller.signal.aborted) return;
      timer = setInterval(
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
    });

  return {
    ready,
    async stop() {
      controller.abort();
      clearInterval(timer);
      await running.catch(() => undefined);
      // The collector is back on real time: phones last used days ago log those reports as late, unsent.
      await fleet.finish(Date.now());
    },
  };
}
