// What a send needs and nothing else needs: sealing and the upload request. The browser bundle loads this on the
// first send (and as soon as a report is queued, so it is there before a page hide): about a third of the SDK,
// used at most a few times a day.
import type { Report } from '@candor/protocol';
import { REPORT_VERSION } from '../limits.js';
import { KeyCache } from './keys.js';
import type { SenderHost } from './sender.js';

export { sealBatchJson } from '../seal/envelope.js';
export { uploadEnvelope } from './upload.js';

/** Each instance's helper key config, fetched from the helper itself (kept in memory, not in storage). */
const helperKeys = new WeakMap<SenderHost, KeyCache>();

/**
 * The batch JSON as it leaves the device: secret-shared metrics (registry `prio3`) become Prio3 shares, the Prio3
 * code loaded only then (its own chunk, about 112 KB gzip). Throws while hiding without the helper key at hand:
 * nothing is sent and the reports wait for the next page.
 */
export async function batchJson(batch: Report[], host: SenderHost, hiding: boolean): Promise<string> {
  const { registry, prio3Helper } = host;
  let reports = batch;
  if (batch.some((r) => Object.keys(r.metrics).some((m) => registry.metrics[m]?.prio3))) {
    let keys: KeyCache | undefined;
    if (prio3Helper) {
      keys = helperKeys.get(host) ?? new KeyCache(host.fetch, prio3Helper.replace(/\/$/, ''), host.now, () => {});
      helperKeys.set(host, keys);
    }
    const helperKey = !keys ? null : hiding ? keys.cached() : await keys.get();
    if (hiding && keys && !helperKey) throw new Error('no Prio3 helper key at hand');
    const { shareReport } = await import('../prio3/share.js');
    reports = await Promise.all(batch.map((r) => shareReport(r, registry, helperKey, host.random)));
  }
  return JSON.stringify({ v: REPORT_VERSION, reports });
}
