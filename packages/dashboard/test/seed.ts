import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateFleet } from '@candor/cli/simulate/fleet';
import { startCollector } from '@candor/server';

export interface SeededCollector {
  url: string;
  token: string;
  /** The UTC days the fleet reported. */
  range: { from: string; to: string };
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * A real collector (embedded store) filled by the fleet simulator: simulated phones running the real SDK,
 * uploading sealed reports over HTTP. Differential privacy is on, as by default; the last two days are still
 * open, so what the dashboard shows is the days before.
 */
export async function startSeededCollector(
  options: {
    devices?: number;
    days?: number;
    /** Phones arrive and leave over the days (the fleet's lifecycle), each used for `minutes` on its days. */
    lifecycle?: boolean;
    minutes?: number;
    /** The last simulated day (ms; default today). */
    now?: number;
  } = {},
): Promise<SeededCollector> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-dashboard-'));
  // The collector's clock follows the simulated days, so each day's reports arrive on their day; afterwards it is
  // real time again and the days before the accepted-day window are released.
  let simulatedDay: number | null = null;
  const collector = await startCollector({
    keysDir: join(dir, 'keys'),
    now: () => simulatedDay ?? Date.now(),
    rateLimit: false,
    log: { level: 'silent' },
  });
  try {
    const token = collector.queryToken;
    if (!token) throw new Error('the collector did not create a query token');
    const days = options.days ?? 7;
    const now = options.now ?? Date.now();
    const result = await simulateFleet({
      target: collector.url,
      devices: options.devices ?? 100,
      minutes: options.minutes ?? 20,
      days,
      lifecycle: options.lifecycle ?? false,
      seed: 7,
      now,
      onDay: (start) => {
        simulatedDay = start + DAY_MS / 2;
      },
    });
    simulatedDay = null;
    if (result.uploadsAccepted === 0)
      throw new Error(`the fleet's uploads were all refused (${result.uploadsRejected})`);
    return {
      url: collector.url,
      token,
      range: { from: day(now - (days - 1) * DAY_MS), to: day(now) },
      async stop() {
        await collector.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await collector.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
