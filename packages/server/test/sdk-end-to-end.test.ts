// End to end: the real SDK records, seals (WebCrypto HPKE) and uploads to the real collector, which opens,
// checks, firewalls, stores and answers through the privacy-safe query API. Test-only use of @candor/sdk.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry, type QueryResult } from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { startCollector } from '@candor/server';
import { NO_NOISE_FOR_PLUMBING_TESTS } from '@candor/server/testing';
import { describe, expect, it } from 'vitest';

const DAY = Date.parse('2026-11-20T12:00:00Z');

describe('SDK -> seal -> collector -> store -> query API', () => {
  it('answers with the devices’ statistics, only registrable domains, rare ones never named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-e2e-'));
    // The collector's clock: on the day while the phones upload, then days later, when the day is released.
    let clock = DAY;
    const collector = await startCollector({
      keysDir: join(dir, 'keys'),
      store: 'duckdb::memory:',
      dashboardDir: null,
      log: { level: 'silent' },
      // Plumbing: the release adds no noise, so the figures are exact.
      noise: NO_NOISE_FOR_PLUMBING_TESTS,
      now: () => clock,
    });
    try {
      const devices = 24;
      for (let i = 0; i < devices; i++) {
        // Each device's clock: used on DAY; its one report for DAY is sent once that day has ended.
        let now = DAY;
        const candor = createCandor({
          registry: candorBrowserRegistry,
          collector: collector.url,
          appVersion: '3.4.0',
          system: { modelFamily: i % 2 ? 'Redmi Note 8' : 'Pixel 7', os: 'android', osMajor: 14, language: 'en-GB' },
          consent: { regime: 'opt-out' },
          storage: memoryQueueStorage(),
          flushIntervalMs: 0,
          pageLifecycle: false,
          now: () => now,
        });
        await candor.ready;
        candor
          .site('page_load.time_by_site')
          .record('https://en.wikipedia.org/wiki/Privacy?search=my+secret', 400 + i * 10);
        if (i < 2)
          candor
            .site('page_load.time_by_site')
            .record(`https://rare-site-${i}.example.net/account?user=jane@example.com`, 900);
        candor.counter('page_load.count').add(3);
        candor.boolean('settings.dark_mode').set(i % 3 === 0);
        await candor.flush();
        expect(candor.transparencyLog()).toEqual([]); // the day is not over: nothing sent yet
        now = DAY + 86_400_000;
        await candor.flush();
        expect(candor.queuedReports()).toBe(0);
        await candor.shutdown();
      }
      expect(collector.stats.accepted).toBeGreaterThanOrEqual(devices);
      clock = DAY + 5 * 86_400_000;

      const ask = async (metric: string, by: string) => {
        const response = await fetch(
          `${collector.url}/v1/query?metric=${metric}&by=${by}&from=2026-11-20&to=2026-11-20`,
          {
            headers: { authorization: `Bearer ${collector.queryToken}` },
          },
        );
        expect(response.status).toBe(200);
        return (await response.json()) as QueryResult;
      };
      const counts = await ask('page_load.count', 'day');
      expect(counts.cells).toMatchObject([{ key: '2026-11-20', reports: devices, sum: devices * 3 }]);

      // 24 device-days are far under the site threshold, so not even wikipedia.org is named; nothing of a URL
      // beyond its registrable domain ever reached the store.
      const sites = await ask('page_load.time_by_site', 'site');
      expect(sites.privacy.threshold).toBeGreaterThan(devices);
      expect(sites.cells).toEqual([]);
      const text = JSON.stringify(sites);
      for (const leak of ['rare-site', 'jane', 'secret', '/wiki', 'en.wikipedia']) expect(text).not.toContain(leak);

      const families = await ask('$daily_activity', 'modelFamily');
      // 12 devices per family: each is under the threshold, so neither is named.
      expect(families.cells).toEqual([]);
    } finally {
      await collector.close();
    }
  });
});
