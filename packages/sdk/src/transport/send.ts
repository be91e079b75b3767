// What a send needs and nothing else needs: sealing and the upload request. The browser bundle loads this on the
// first send (and as soon as a report is queued, so it is there before a page hide): about a third of the SDK,
// used at most a few times a day. The Oblivious HTTP relay code is a further chunk, loaded only when one is set,
// and so is the Prio3 code, loaded only for a report with a secret-shared metric.
import type { Report } from '@candor/protocol';
import { acceptedDays } from '@candor/protocol/report/day';
import type { KeyConfig } from '@candor/protocol/wire/envelope';
import { REPORT_VERSION } from '../limits.js';
import { sealBatchJson } from '../seal/envelope.js';
import type { appendToLog } from '../transparency/log.js';
import { KeyCache } from './keys.js';
import type { SenderHost } from './sender.js';
import { type UploadOutcome, uploadEnvelope } from './upload.js';

/** Each instance's helper key config, fetched from the helper itself (kept in memory, not in storage). */
const helperKeys = new WeakMap<SenderHost, KeyCache>();

/**
 * The batch JSON as it leaves the device: secret-shared metrics (registry `prio3`) become Prio3 shares, the Prio3
 * code loaded only then (its own chunk, about 112 KB gzip). Throws while hiding without the helper key at hand:
 * nothing is sent and the reports wait for the next page.
 */
async function batchJson(batch: Report[], host: SenderHost, hiding: boolean): Promise<string> {
  // The options as the app gave them: a registry that failed its check records nothing, so is looked at warily.
  const { registry, prio3Helper } = host.options;
  let reports = batch;
  if (batch.some((r) => Object.keys(r.metrics).some((m) => registry?.metrics?.[m]?.prio3))) {
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

/**
 * Takes out of `batch`, in place, every report whose day the collector no longer accepts (protocol
 * report/day.ts): it would only be refused. It is dropped from the queue with a "late" entry in the transparency
 * log, so the log says it never left. The sender logs and removes what is left in `batch` as usual. Here, in the
 * send chunk, rather than in the sender: the core loaded with every page has no bytes to spare.
 */
async function dropLate(host: SenderHost, batch: Report[], hiding: boolean, append: typeof appendToLog): Promise<void> {
  const { from } = acceptedDays(host.now());
  const late = new Set(batch.filter((r) => r.day < from).map((r) => r.id));
  if (!late.size) return;
  const entries = batch
    .filter((r) => late.has(r.id))
    .map((report) => ({
      sentAt: `${new Date(host.now()).toISOString().slice(0, 16)}Z`,
      collector: host.collector,
      status: 'late' as const,
      httpStatus: null,
      report,
    }));
  batch.splice(0, batch.length, ...batch.filter((r) => !late.has(r.id)));
  const saving = host.mutate((s) => ({
    ...s,
    reports: s.reports.filter((r) => !late.has(r.id)),
    log: append(s.log, entries, host.settings.transparencyLogSize),
  }));
  // On page hide there is no waiting for storage; a report left stored is dropped at the next send.
  if (!hiding) await saving;
  host.logged();
}

/**
 * Seals a batch to the given key (or the current one, refetched when `refresh`) and uploads it, after taking the
 * reports too late to be accepted out of it (dropLate). Throws (a seal
 * failure: nothing left, the reports wait) while hiding without the Prio3 helper's key at hand.
 */
export async function sealAndSend(
  host: SenderHost,
  batch: Report[],
  key: KeyConfig | null,
  refresh: boolean,
  keepalive: boolean,
  signal: AbortSignal,
  // Passed in rather than imported: importing a core module here would split it into a chunk the core then loads.
  append: typeof appendToLog,
): Promise<UploadOutcome> {
  await dropLate(host, batch, keepalive, append);
  // Every report was too late: nothing to send, and nothing left for the sender to remove or log.
  if (!batch.length) return { kind: 'accepted', status: 204 };
  // Through a relay, the key fetch goes through it too, so the collector never sees the device's address.
  const relayed = host.relay && (await import('../ohttp/relay.js')).relayTransport(host);
  const json = await batchJson(batch, host, keepalive);
  const body = await sealBatchJson(json, key ?? (await host.keys.get(refresh)), { storedGzip: keepalive });
  if (relayed) return relayed(body, keepalive, signal);
  return uploadEnvelope(host.fetch, host.collector, body, { keepalive, signal });
}
