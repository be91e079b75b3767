/**
 * The upload manager: sends the stored queue in batches (sealed on demand), keeps the backoff and the retry
 * timer, removes what the collector answered for, logs every sealed attempt for the transparency log, and says
 * why an upload failed. It holds no queue of its own: it reads this tab's view of the stored one and changes
 * the stored one through the host's atomic updates.
 */
import type { Report } from '@candor/protocol';
import { type KeyConfig, PATHS } from '@candor/protocol/wire/envelope';
import type { ErrorCounters } from '../errors.js';
import type { Journal } from '../lifecycle/journal.js';
import { MAX_REPORTS_PER_BATCH } from '../limits.js';
import type { RelayOptions } from '../ohttp/relay.js';
import type { CandorOptions, Settings } from '../options.js';
import type { PersistedState } from '../queue/storage.js';
import { appendToLog, type TransparencyEntry } from '../transparency/log.js';
import { retryDelay } from './backoff.js';
import type { UploadFailure } from './diagnose.js';
import type { KeyCache } from './keys.js';
import type { UploadOutcome } from './upload.js';

export interface SenderHost {
  readonly collector: string;
  /** Send through this Oblivious HTTP relay instead of straight to the collector. */
  readonly relay: RelayOptions | undefined;
  readonly fetch: typeof fetch;
  readonly development: boolean;
  readonly settings: Settings;
  readonly counters: ErrorCounters;
  readonly keys: KeyCache;
  /** The app's options as given: its registry's `prio3` marks and the Prio3 helper (prio3/share.ts). */
  readonly options: Pick<CandorOptions, 'registry' | 'prio3Helper'>;
  readonly journal: Journal | null;
  now(): number;
  random(): number;
  /** This tab's view of the stored queue. */
  queued(): Report[];
  /** Consent given or presumed, private mode off, not shut down. */
  allowed(): boolean;
  /** An atomic change of the stored state. */
  mutate(change: (state: PersistedState) => PersistedState): Promise<unknown>;
  /** The transparency log changed. */
  logged(): void;
  /** Timers are on; `retry` runs a send when the backoff is over. */
  timersOn(): boolean;
  retry(): void;
}

export class Sender {
  lastFailure: UploadFailure | null = null;
  private attempt = 0;
  private retryAt = 0;
  /** A 429's Retry-After: kept even by an explicit flush, since the collector asked for it. */
  private rateLimitedUntil = 0;
  private inFlight: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: SenderHost) {}

  /** An explicit flush: the app knows the network is back, so the backoff wait is cancelled. */
  cancelRetry(): void {
    clearTimeout(this.timer);
    this.retryAt = 0;
  }

  /** Consent withdrawn: the upload in flight is aborted and no retry is left pending. */
  abort(): void {
    this.inFlight?.abort();
    this.attempt = 0;
    this.cancelRetry();
  }

  /** `hiding`: the page is going away, so no backoff, no key fetch, no waiting for storage. */
  async send(hiding: boolean): Promise<void> {
    const host = this.host;
    // On page hide the backoff is ignored: it is the last chance this page has.
    if (!hiding && host.now() < Math.max(this.retryAt, this.rateLimitedUntil)) return;
    const sent = new Set<string>();
    while (host.allowed()) {
      const batch = host
        .queued()
        .filter((r) => !sent.has(r.id))
        .slice(0, MAX_REPORTS_PER_BATCH);
      if (!batch.length) return;
      for (const r of batch) sent.add(r.id);
      const controller = new AbortController();
      this.inFlight = controller;
      let outcome: UploadOutcome;
      let sealed = true;
      try {
        const key = hiding ? host.keys.cached() : null;
        if (hiding && !key) return;
        outcome = await this.sealAndUpload(batch, hiding, controller.signal, key);
      } catch (error) {
        // No key or no seal: nothing left the device, so nothing goes in the transparency log.
        host.counters.sealFailures++;
        sealed = false;
        outcome = { kind: 'retry', status: null };
        const status = (error as { status?: number }).status ?? null;
        await this.noteFailure(status ? 'http' : 'network', !status && error instanceof TypeError, status);
      } finally {
        this.inFlight = null;
      }
      const dropped = controller.signal.aborted;
      const entries = sealed ? this.logEntries(batch, status(outcome, dropped), outcome.status) : [];
      const ids = batch.map((r) => r.id);
      const done = outcome.kind !== 'retry';
      // Acknowledged (or refused) reports leave storage; while hiding, the journal says so synchronously.
      if (done && hiding) host.journal?.write({ acked: ids });
      const removing = done ? new Set(ids) : null;
      const saving = host.mutate((s) => ({
        ...s,
        reports: removing ? s.reports.filter((r) => !removing.has(r.id)) : s.reports,
        log: entries.length ? appendToLog(s.log, entries, host.settings.transparencyLogSize) : s.log,
      }));
      if (!hiding) await saving;
      if (entries.length) host.logged();
      if (outcome.kind === 'retry') {
        if (dropped) return;
        if (sealed) {
          const thrown = outcome.status === null;
          await this.noteFailure(thrown ? 'network' : 'http', thrown, outcome.status);
        }
        host.counters.retriedUploads++;
        if (outcome.retryAfterMs) this.rateLimitedUntil = host.now() + outcome.retryAfterMs;
        this.scheduleRetry(outcome.retryAfterMs ?? 0);
        return;
      }
      if (outcome.kind !== 'accepted') {
        host.counters.rejectedUploads++;
        host.counters.rejectedReports += batch.length;
        await this.noteFailure('rejected', false, outcome.status, outcome.kind === 'rejected' ? outcome.problem : null);
      }
      this.attempt = 0;
      this.retryAt = 0;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private scheduleRetry(atLeastMs: number): void {
    const { settings, random, now } = this.host;
    const backoff = retryDelay(this.attempt++, () => random(), settings.retryBaseMs, settings.retryCapMs);
    const delay = Math.max(backoff, atLeastMs);
    this.retryAt = now() + delay;
    if (!this.host.timersOn()) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.host.retry(), delay);
    // In Node a pending telemetry timer must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /**
   * Records why an upload failed in `lastFailure`. A thrown fetch is a CORS block or an outage; in development
   * mode a no-cors probe tells which, and the reason is printed to the console.
   */
  private async noteFailure(
    guess: UploadFailure['kind'],
    thrown: boolean,
    status: number | null,
    problem: string | null = null,
  ): Promise<void> {
    const host = this.host;
    this.lastFailure = { kind: guess, status, problem, message: '' };
    try {
      const { explainFailure } = await import('./diagnose.js');
      // The probe that tells CORS from an outage is one more request: made in development mode only.
      const failure = await explainFailure(
        host.fetch,
        host.collector,
        host.collector + PATHS.keys,
        guess,
        thrown && host.development,
        status,
        problem,
      );
      this.lastFailure = failure;
      if (host.development) console.warn(`candor: upload failed: ${failure.message}`);
    } catch {
      // Without the explanation the kind and status above still say what happened.
    }
  }

  /** Seals to the current key; an "unknown key id" answer refetches /v1/keys once and tries once more. */
  private async sealAndUpload(
    batch: Report[],
    keepalive: boolean,
    signal: AbortSignal,
    key: KeyConfig | null,
  ): Promise<UploadOutcome> {
    const host = this.host;
    const send = async (refresh: boolean) =>
      (await import('./send.js')).sealAndSend(host, batch, key, refresh, keepalive, signal, appendToLog);
    const first = await send(false);
    if (first.kind !== 'unknown-key') return first;
    // While hiding there is no time for another round trip: the reports stay stored for the next page.
    if (key) return { kind: 'retry', status: first.status };
    host.counters.keyRefetches++;
    return send(true);
  }

  private logEntries(
    batch: Report[],
    status: TransparencyEntry['status'],
    httpStatus: number | null,
  ): TransparencyEntry[] {
    // To the minute: enough for a person to recognise a send, not a timestamp that could match a server log.
    const sentAt = `${new Date(this.host.now()).toISOString().slice(0, 16)}Z`;
    return batch.map((report) => ({ sentAt, collector: this.host.collector, status, httpStatus, report }));
  }
}

function status(outcome: UploadOutcome, dropped: boolean): TransparencyEntry['status'] {
  if (dropped) return 'dropped';
  return outcome.kind === 'accepted' ? 'accepted' : outcome.kind === 'retry' ? 'retrying' : 'rejected';
}
