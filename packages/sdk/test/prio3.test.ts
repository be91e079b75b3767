// Secret-shared metrics (registry `prio3`) from the SDK's side: what leaves the device, sealed to whom.
import { candorBrowserRegistry, prio3Kind } from '@candor/protocol';
import { prio3For, shareSizes } from '@candor/protocol/prio3';
import { describe, expect, it } from 'vitest';
import { FakeCollector, openEnvelope } from './support/collector.js';
import { setup } from './support/setup.js';

const HELPER_URL = 'https://helper.test';
const SCREEN = 'system.screen_class';

describe('secret-shared metrics in the SDK', () => {
  it('without a helper, a secret-shared value is not sent at all; the device keeps it in its log', async () => {
    const { candor, collector, endDay } = await setup();
    candor.enumeration(SCREEN).set('tablet');
    candor.counter('page_load.count').add(2);
    await endDay();
    const [report] = collector.reports;
    expect(report?.metrics['page_load.count']).toBe(2);
    expect(report?.metrics).not.toHaveProperty(SCREEN);
    expect(candor.transparencyLog()[0]?.report.metrics[SCREEN]).toBe('tablet');
  });

  it('with a helper: two shares, the helper share sealed to the helper key it fetched from the helper', async () => {
    const helper = await FakeCollector.create();
    await helper.rotate(7);
    const routed = await FakeCollector.create();
    const { candor, endDay } = await setup({
      prio3Helper: HELPER_URL,
      fetch: (input, init) =>
        String(input).startsWith(HELPER_URL) ? helper.fetch(input, init) : routed.fetch(input, init),
    });
    candor.enumeration(SCREEN).set('tablet');
    await endDay();
    // The helper's key came from the helper, not from the collector.
    expect(helper.requests.map((r) => r.url)).toEqual([`${HELPER_URL}/v1/keys`]);
    const [report] = routed.reports;
    const value = report?.metrics[SCREEN] as { public: string; leader: string; helper: string };
    const sizes = shareSizes(prio3For(prio3Kind(candorBrowserRegistry.metrics[SCREEN])));
    expect(Buffer.from(value.public, 'base64url').length).toBe(sizes.public);
    expect(Buffer.from(value.leader, 'base64url').length).toBe(sizes.leader);
    // Sealed to the helper's newest key (id 7), bound to this report and metric; the collector's keys cannot open it.
    const envelope = new Uint8Array(Buffer.from(value.helper, 'base64url'));
    expect(envelope[0]).toBe(7);
    await expect(openEnvelope(envelope, routed.keys)).rejects.toThrow();
    const sealed = (await openEnvelope(envelope, helper.keys)) as unknown as {
      id: string;
      metric: string;
      share: string;
    };
    expect(sealed).toMatchObject({ id: report?.id, metric: SCREEN });
    expect(JSON.stringify(routed.batches)).not.toContain('tablet');
  });
});
