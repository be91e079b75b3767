import { describe, expect, it, vi } from 'vitest';
import { DAY_MS, metricsReports, setup } from './support/setup.js';

// The public suffix list chunk fails to load (in a browser: offline when the chunk is first needed).
vi.mock('../src/site/domain.js', () => {
  throw new Error('chunk failed to load');
});

describe('site metric without its public suffix list', () => {
  it('drops the samples and counts them, never sending a host unreduced, and flush does not throw', async () => {
    const { candor, collector, clock } = await setup({ mode: 'production' });
    candor.site('page_load.time_by_site').record('https://mail.example.co.uk/inbox', 100);
    candor.counter('page_load.count').add();
    clock.advance(DAY_MS);
    await expect(candor.flush()).resolves.toBeUndefined();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'page_load.count': 1 }]);
    expect(candor.errors.droppedSamples.site_list_unavailable).toBe(1);
    expect(JSON.stringify(collector.reports)).not.toContain('example');
  });
});
