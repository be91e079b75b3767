// candor's own SDK against `candor conformance`: it must pass every rule of docs/protocol.md, the retry test
// (503 with Retry-After) included. Test-only use of @candor/sdk, as in sdk-end-to-end.test.ts.
import { candorBrowserRegistry } from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { describe, expect, it } from 'vitest';
import { startConformanceCollector } from '../src/index.js';

const DAY_MS = 86_400_000;

describe('the SDK under candor conformance', () => {
  it('passes every rule, retry test included', async () => {
    const collector = await startConformanceCollector({ retryAfterSeconds: 1 });
    // The device records yesterday; its clock then moves to today, when yesterday's report is sent.
    let offset = -DAY_MS;
    const candor = createCandor({
      registry: candorBrowserRegistry,
      collector: collector.url,
      appVersion: '3.4.1',
      system: { modelFamily: 'Pixel 7', os: 'Android', osMajor: 14, language: 'en-GB' },
      consent: { regime: 'opt-in', state: 'granted' },
      storage: memoryQueueStorage(),
      // Timers on, so the SDK retries by itself; no automatic flush within the test.
      flushIntervalMs: 3_600_000,
      retryBaseMs: 50,
      pageLifecycle: false,
      now: () => Date.now() + offset,
    });
    try {
      await candor.ready;
      candor.site('page_load.time_by_site').record('https://en.wikipedia.org/wiki/HPKE?q=secret', 420);
      candor.timing('page_load.time').record(420);
      candor.counter('page_load.count').add(2);
      candor.labeledCounter('search.engine_use').add('duckduckgo');
      candor.boolean('settings.dark_mode').set(true);
      await candor.flush();
      const accepted = new Promise<void>((resolve) =>
        candor.onTransparencyLog((log) => log.some((e) => e.status === 'accepted') && resolve()),
      );
      offset = 0;
      await candor.flush();
      await collector.session.whenComplete();
      await accepted;
      const summary = collector.summary();
      expect(summary.rules.filter((r) => r.result !== 'pass')).toEqual([]);
      expect(summary.uploads.map((u) => u.status)).toEqual([503, 202]);
      expect(candor.transparencyLog().map((e) => [e.status, e.httpStatus])).toContainEqual(['accepted', 202]);
    } finally {
      await candor.shutdown();
      await collector.close();
    }
  });
});
