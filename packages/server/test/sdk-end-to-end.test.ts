// End to end: the real SDK records, seals (WebCrypto HPKE) and uploads to the real collector, which opens,
// checks, firewalls, stores and answers through the privacy-safe query API. Test-only use of @candor/sdk.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry, type QueryResult } from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { startCollector } from '@candor/server';
import { describe, expect, it } from 'vitest';

const DAY = Date.parse('2026-11-20T12:00:00Z');

describe('SDK -> seal -> collector -> store -> query API', () => {
  it('answers with the devices’ statistics, only registrable domains, rare ones suppressed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-e2e-'));
    const collector = await startCollector({
      keysDir: join(dir, 'keys'),
      store: 'duckdb::memory:',
      dashboardDir: null,
      log: { level: 'silent' },
      k: 20,
      now: () => DAY,
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
      expect(counts.cells).toEqual([{ key: '2026-11-20', suppressed: false, reports: devices, sum: devices * 3 }]);

      const sites = await ask('page_load.time_by_site', 'site');
      expect(sites.cells.find((c) => c.key === 'wikipedia.org')).toMatchObject({
        suppressed: false,
        reports: devices,
        count: devices,
      });
      expect(sites.cells.find((c) => c.key === '(other)')).toEqual({ key: '(other)', suppressed: true });
      const text = JSON.stringify(sites);
      for (const leak of ['rare-site', 'jane', 'secret', '/wiki', 'en.wikipedia']) expect(text).not.toContain(leak);

      const families = await ask('page_load.count', 'modelFamily');
      // 12 devices per family: each family is under k, so neither is named.
      expect(families.cells).toEqual([{ key: '(other)', suppressed: true }]);
    } finally {
      await collector.close();
    }
  });
});
