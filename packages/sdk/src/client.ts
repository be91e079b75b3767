/**
 * createCandor: the SDK an app calls. It wires the recorders (metrics/), consent and private mode (the gate every
 * recording call checks first), the device-day aggregate (day/), the offline queue (queue/), sealing (seal/) and
 * uploads (transport/), and keeps the transparency log (transparency/).
 *
 * The device-day report: what is recorded is folded, at every flush, into one stored aggregate per UTC day (and
 * clamped there to each metric's bounds for the whole day). When the day has ended, at the first flush after it,
 * the aggregate becomes that day's one report, kind "daily", and is queued and sent. A day with consent and the
 * SDK running is one active device-day, so each report counts one device-day and no identifier is needed.
 *
 * Consent: the app picks the regime. Under "opt-in", an unknown choice records and sends nothing; under
 * "opt-out", an unknown choice is presumed consent (record and send) until the person says no. "denied" stops
 * recording and drops everything pending and queued (the queue on disk too); a later "granted" starts from
 * nothing. The choice is stored with the queue so it survives restarts; setConsent() always wins.
 *
 * Private mode: while on (setPrivate(true) or inside withPrivate()), recording calls return at once, no report
 * is folded or sent and the day is not marked active. It is held in memory only and no report field tells
 * whether it was ever on.
 */
import type { MetricDefinition, MetricType, Registry, SystemInfo } from '@candor/protocol';
import type { Candor } from './candor.js';
import { Consent } from './consent.js';
import { crashSignature } from './crash/signature.js';
import { type Delta, dailyMetrics, isExpired, nextDay, utcDay } from './day/aggregate.js';
import { foldDay } from './day/fold.js';
import { needsResolving, withoutUnreducedSites } from './day/sites.js';
import { CandorUsageError, createErrorCounters, type DropReason, type ErrorCounters } from './errors.js';
import { type Journal, localStorageJournal } from './lifecycle/journal.js';
import { onPageHide } from './lifecycle/page-hide.js';
import { connectTabs, type TabMessage, type Tabs } from './lifecycle/tabs.js';
import { type NoopHandles, noopHandles } from './metrics/noop.js';
import {
  type AnyRecorder,
  BooleanRecorder,
  CounterRecorder,
  CrashRecorder,
  createRecorder,
  DistributionRecorder,
  EnumerationRecorder,
  EventRecorder,
  type Gate,
  LabeledCounterRecorder,
  QuantityRecorder,
  SiteRecorder,
} from './metrics/recorders.js';
import type {
  BooleanHandle,
  CounterHandle,
  CrashHandle,
  DistributionHandle,
  EnumerationHandle,
  EventHandle,
  ExtrasOf,
  LabeledCounterHandle,
  LabelOf,
  MetricNameOf,
  QuantityHandle,
  SiteHandle,
  ValueOf,
} from './metrics/types.js';
import {
  type CandorOptions,
  type ConsentState,
  type FlushOptions,
  isRegistry,
  optionProblems,
  resolveSettings,
  type Settings,
} from './options.js';
import { trimQueue } from './queue/bounds.js';
import { indexedDbQueueStorage } from './queue/indexeddb.js';
import { memoryQueueStorage } from './queue/memory.js';
import { emptyState, type PersistedState, type QueueStorage } from './queue/storage.js';
import { siteReducer } from './site/reduce.js';
import { coarseAppVersion, coarseSystem } from './system/coarse.js';
import { detectSystem } from './system/detect.js';
import type { TransparencyEntry } from './transparency/log.js';
import type { UploadFailure } from './transport/diagnose.js';
import { KeyCache } from './transport/keys.js';
import { Sender } from './transport/sender.js';
import { randomReportId } from './util/bytes.js';

/** The registry type a handle method asks for: its own name but for three. */
function typeFor(method: keyof NoopHandles): MetricType {
  return method === 'timing'
    ? 'timing_distribution'
    : method === 'memory'
      ? 'memory_distribution'
      : method === 'labeledCounter'
        ? 'labeled_counter'
        : method;
}

export { utcDay };

/** Handles that do nothing at all: metrics past their expiry day. */
const EXPIRED = noopHandles(() => undefined);

class CandorClient<R extends Registry> implements Candor<R>, Gate {
  recording = false;
  dirty = false;
  readonly system: SystemInfo;
  readonly ready: Promise<void>;
  readonly registry: R;
  private readonly reg: Registry;

  private readonly collector: string;
  private readonly appVersion: string;
  private readonly development: boolean;
  private readonly storage: QueueStorage;
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly settings: Settings;
  private readonly keys: KeyCache;
  private readonly sender: Sender;
  private readonly recorders = new Map<string, AnyRecorder>();
  private readonly counters = createErrorCounters();
  private readonly listeners = new Set<(log: TransparencyEntry[]) => void>();

  private readonly consentGate: Consent;
  private stopped = false;
  private loaded = false;
  private storageWritable = true;
  /** The UTC day of the first value recorded since the last fold. */
  private deltaDay = '';
  private state: PersistedState = emptyState();
  /** Storage updates issued by this tab; only the newest one's result becomes this tab's view. */
  private updates = 0;
  private work: Promise<unknown> = Promise.resolve();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private removeLifecycle: (() => void) | null = null;
  /** Page-hide journal and tab coordination: browsers only (see lifecycle/). */
  private readonly journal: Journal | null;
  private readonly tabs: Tabs;

  constructor(options: CandorOptions<R>) {
    this.development = options.mode === 'development';
    const problems = optionProblems(options);
    this.stopped = problems.length > 0;
    if (problems.length) {
      if (this.development)
        throw new CandorUsageError('invalid_config', `invalid options:\n  ${problems.join('\n  ')}`);
      this.counters.droppedSamples.invalid_config++;
    }
    this.registry = options.registry;
    // What the SDK works from; an app without a usable registry gets an inert instance (see optionProblems).
    this.reg = isRegistry(options.registry) ? options.registry : { app: 'invalid', version: '0000.0.0', metrics: {} };
    this.collector = String(options.collector ?? '').replace(/\/+$/, '');
    this.appVersion = coarseAppVersion(String(options.appVersion ?? '')) ?? '0.0';
    this.consentGate = new Consent(
      options.consent?.regime === 'opt-out' ? 'opt-out' : 'opt-in',
      options.consent?.state ?? 'unknown',
    );
    const nav = typeof navigator === 'undefined' ? undefined : navigator;
    this.system = coarseSystem(options.system ?? detectSystem(nav));
    const browser = typeof indexedDB !== 'undefined' && typeof document !== 'undefined';
    this.storage = options.storage ?? (browser ? indexedDbQueueStorage(this.reg.app) : memoryQueueStorage());
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.settings = resolveSettings(options);
    this.keys = new KeyCache(this.fetchImpl, this.collector, this.now, (key) => {
      void this.mutate((s) => ({ ...s, key }));
    });
    const page = !this.stopped && typeof document !== 'undefined';
    this.journal = page ? localStorageJournal(this.reg.app) : null;
    this.sender = new Sender({
      collector: this.collector,
      relay: options.relay,
      fetch: this.fetchImpl,
      development: this.development,
      settings: this.settings,
      counters: this.counters,
      keys: this.keys,
      journal: this.journal,
      now: this.now,
      random: this.random,
      queued: () => this.state.reports,
      allowed: () => this.sendingAllowed,
      mutate: (change) => this.mutate(change),
      logged: () => this.notify(),
      timersOn: () => this.timersOn(),
      // One tab sends the shared queue at a time; a tab that finds another sending leaves it to that one.
      retry: () => void this.serial(() => this.tabs.locked('send', () => this.sender.send(false), true)),
    });
    this.tabs = connectTabs(page ? this.reg.app : null, (message) => this.onTabMessage(message));
    this.updateGate();
    if (!this.stopped && (options.pageLifecycle ?? typeof document !== 'undefined')) {
      this.removeLifecycle = onPageHide(() => this.flush({ keepalive: true }));
    }
    this.ready = this.load();
  }

  // ---- gate (see metrics/recorders.ts) ----

  touch(): void {
    this.dirty = true;
    this.deltaDay = utcDay(this.now());
  }

  misuse(reason: DropReason, message: string): undefined {
    if (this.development) throw new CandorUsageError(reason, message);
    this.counters.droppedSamples[reason]++;
  }

  drop(reason: DropReason): undefined {
    this.counters.droppedSamples[reason]++;
  }

  // ---- consent and private mode ----

  get consent(): ConsentState {
    return this.consentGate.state;
  }

  get isPrivate(): boolean {
    return this.consentGate.isPrivate;
  }

  get lastFailure(): UploadFailure | null {
    return this.sender.lastFailure;
  }

  get errors(): ErrorCounters {
    return { ...this.counters, droppedSamples: { ...this.counters.droppedSamples } };
  }

  /** Reports may be built and sent: consent given or presumed, private mode off, not shut down. */
  private get sendingAllowed(): boolean {
    return !this.stopped && this.consentGate.allows && !this.consentGate.isPrivate;
  }

  private updateGate(): void {
    this.recording = this.sendingAllowed;
  }

  setConsent(state: 'granted' | 'denied'): undefined {
    if (state !== 'granted' && state !== 'denied') {
      return this.misuse('invalid_value', `setConsent(${JSON.stringify(state)}): expected "granted" or "denied"`);
    }
    this.consentGate.chosen = true;
    // Durable at once (a page may go away before its storage update completes), and read by every update.
    this.journal?.setConsent(state);
    this.applyConsent(state);
    // Every other tab of the app applies it at once (and finds it in storage on its next update anyway).
    this.tabs.post({ consent: state });
  }

  /** `write` false: the choice came from another tab or from storage, which already holds it. */
  private applyConsent(state: ConsentState, write = true): void {
    const allowedBefore = this.consentGate.allows;
    this.consentGate.state = state;
    const dropping = state === 'denied' || (state === 'granted' && !allowedBefore);
    if (dropping) this.dropEverything();
    // Withdrawn: what hidden pages left in the journal goes too, in whichever tab hears of it.
    if (state === 'denied') this.journal?.clear();
    this.updateGate();
    if (!this.loaded || !write) {
      if (this.loaded && this.sendingAllowed) this.scheduleFlush();
      return;
    }
    const stored = this.consentGate.stored;
    // The day is read now: the update may run later, after the clock has moved on.
    const today = utcDay(this.now());
    const active = this.sendingAllowed;
    void this.mutate((s) =>
      this.fold(
        { ...s, consent: stored, ...(dropping ? { reports: [], day: null, usage: null } : {}) },
        [],
        today,
        active,
      ),
    );
    if (active) this.scheduleFlush();
  }

  /** A choice found in storage (made in another tab) wins over this tab's view. */
  private syncConsent(state: PersistedState): void {
    if (state.consent && state.consent !== this.consentGate.state) {
      this.consentGate.chosen = true;
      this.applyConsent(state.consent, false);
    }
  }

  private onTabMessage(message: TabMessage): void {
    if ('consent' in message) {
      if (message.consent !== this.consentGate.state) {
        this.consentGate.chosen = true;
        this.applyConsent(message.consent, false);
      }
      return;
    }
    // Another tab changed the stored queue or log: read it again so this tab shows the same.
    void this.storage.load().then(
      (state) => {
        if (!state) return;
        this.state = state;
        this.keys.seed(state.key);
        this.syncConsent(state);
        this.notify();
      },
      () => undefined,
    );
  }

  /** Consent withdrawn: nothing pending, nothing queued, nothing in flight survives. */
  private dropEverything(): void {
    for (const recorder of this.recorders.values()) recorder.clear();
    this.dirty = false;
    this.state = { ...this.state, reports: [], day: null, usage: null };
    this.sender.abort();
  }

  setPrivate(on: boolean): void {
    this.consentGate.setPrivate(on);
    this.updateGate();
  }

  async withPrivate<T>(fn: () => T | Promise<T>): Promise<T> {
    this.consentGate.enterPrivate();
    this.updateGate();
    try {
      return await fn();
    } finally {
      this.consentGate.leavePrivate();
      this.updateGate();
    }
  }

  // ---- metric handles ----

  /**
   * The recorder behind a handle, made on first use; or, for a metric that cannot be recorded, a no-op handle of
   * the asked-for type (metrics/noop.ts). In development mode a misused metric throws instead.
   */
  private handle<K extends keyof NoopHandles, T extends AnyRecorder>(
    method: K,
    name: string,
    kind: abstract new (...args: never[]) => T,
  ): T | NoopHandles[K] {
    const expected = typeFor(method);
    const def: MetricDefinition | undefined = Object.hasOwn(this.reg.metrics, name)
      ? this.reg.metrics[name]
      : undefined;
    const misused = (reason: DropReason, message: string) => {
      if (this.development) throw new CandorUsageError(reason, message);
      return noopHandles(() => {
        if (this.recording) this.misuse(reason, message);
      })[method];
    };
    if (!def) {
      return misused(
        'unknown_metric',
        `${method}("${name}"): metric "${name}" is not in registry "${this.reg.app}" ${this.reg.version}`,
      );
    }
    if (def.type !== expected) {
      return misused(
        'wrong_type',
        `${method}("${name}"): "${name}" is a ${def.type} in the registry, not a ${expected}`,
      );
    }
    const existing = this.recorders.get(name);
    if (existing instanceof kind) return existing;
    if (isExpired(def, utcDay(this.now()))) return EXPIRED[method];
    const recorder = createRecorder(name, def, this);
    this.recorders.set(name, recorder);
    return recorder instanceof kind ? recorder : EXPIRED[method];
  }

  counter(name: MetricNameOf<R, 'counter'>): CounterHandle {
    return this.handle('counter', name, CounterRecorder);
  }
  labeledCounter<N extends MetricNameOf<R, 'labeled_counter'>>(name: N): LabeledCounterHandle<LabelOf<R, N>> {
    return this.handle('labeledCounter', name, LabeledCounterRecorder);
  }
  boolean(name: MetricNameOf<R, 'boolean'>): BooleanHandle {
    return this.handle('boolean', name, BooleanRecorder);
  }
  quantity(name: MetricNameOf<R, 'quantity'>): QuantityHandle {
    return this.handle('quantity', name, QuantityRecorder);
  }
  timing(name: MetricNameOf<R, 'timing_distribution'>): DistributionHandle {
    return this.handle('timing', name, DistributionRecorder);
  }
  memory(name: MetricNameOf<R, 'memory_distribution'>): DistributionHandle {
    return this.handle('memory', name, DistributionRecorder);
  }
  enumeration<N extends MetricNameOf<R, 'enumeration'>>(name: N): EnumerationHandle<ValueOf<R, N>> {
    return this.handle('enumeration', name, EnumerationRecorder);
  }
  site(name: MetricNameOf<R, 'site'>): SiteHandle {
    return this.handle('site', name, SiteRecorder);
  }
  event<N extends MetricNameOf<R, 'event'>>(name: N): EventHandle<ExtrasOf<R, N>> {
    return this.handle('event', name, EventRecorder);
  }
  crash(name: MetricNameOf<R, 'crash'>): CrashHandle {
    return this.handle('crash', name, CrashRecorder);
  }

  // ---- storage ----

  private async load(): Promise<void> {
    let stored: PersistedState | null = null;
    try {
      stored = await this.storage.load();
    } catch {
      // Unreadable right now: keep working in memory and never write over what may still be stored.
      this.counters.storageFailures++;
      this.storageWritable = false;
    }
    // The stored choice first: applying it clears what is pending in memory, never what is stored.
    const choice = this.journal?.consent() ?? stored?.consent;
    if (choice && !this.consentGate.chosen) this.applyConsent(choice, false);
    this.keys.seed(stored?.key ?? null);
    this.loaded = true;
    const chosen = this.consentGate.chosen ? this.consentGate.stored : undefined;
    const today = utcDay(this.now());
    await this.foldIn(null, today, this.sendingAllowed, (s) => ({
      ...s,
      consent: chosen === undefined ? s.consent : chosen,
    }));
    if (this.state.reports.length) void import('./transport/send.js').catch(() => undefined);
    this.scheduleFlush();
  }

  /**
   * Applies a change to the stored state as one atomic step and keeps the result as this tab's view of it. When
   * storage fails, the change is applied in memory (and counted).
   */
  private async mutate(change: (state: PersistedState) => PersistedState): Promise<boolean> {
    try {
      const update = ++this.updates;
      if (this.storageWritable) {
        try {
          const state = await this.storage.update(change);
          // An older update finishing late must not replace what a newer one (say, a consent change) wrote.
          if (update === this.updates) {
            this.state = state;
            this.syncConsent(state);
          }
          return true;
        } catch {
          this.counters.storageFailures++;
        }
      }
      this.state = change(this.state);
    } catch {
      this.counters.internalErrors++;
    }
    return false;
  }

  /**
   * Folds this tab's delta and whatever pages left in the page-hide journal into the stored day, in one update
   * that also records which journal entries it folded; the entries are removed after it. Under a lock, so one
   * tab at a time does this, and each entry is folded once even if the page goes away in between.
   */
  private async foldIn(
    delta: Delta | null,
    today: string,
    active: boolean,
    before: (state: PersistedState) => PersistedState = (s) => s,
  ): Promise<void> {
    const journal = this.journal;
    const run = async () => {
      const listed = journal?.entries() ?? [];
      const drop = (reason: DropReason, n: number) => {
        this.counters.droppedSamples[reason] += n;
      };
      const resolve = async (d: Delta): Promise<Delta> => {
        if (!needsResolving(d, this.reg)) return d;
        const { resolveDelta } = await import('./day/resolve.js');
        return resolveDelta(d, { registry: this.reg, hash: crashSignature, loadReducer: siteReducer.load, drop });
      };
      const pending = await Promise.all(
        listed.map(async ({ key, entry }) => ({
          key,
          acked: entry.acked ?? [],
          delta: entry.delta ? await resolve(entry.delta) : null,
        })),
      );
      const own = delta ? await resolve(delta) : null;
      const stored = await this.mutate((s) => {
        const fresh = pending.filter((p) => !s.folded.includes(p.key));
        const acked = new Set(fresh.flatMap((p) => p.acked));
        const base = before(acked.size ? { ...s, reports: s.reports.filter((r) => !acked.has(r.id)) } : s);
        const deltas = fresh.flatMap((p) => (p.delta ? [p.delta] : []));
        if (own) deltas.push(own);
        return { ...this.fold(base, deltas, today, active), folded: listed.map((p) => p.key) };
      });
      if (stored) journal?.remove(listed.map((p) => p.key));
    };
    await (journal ? this.tabs.locked('journal', run) : run());
  }

  /** The day bookkeeping (day/fold.ts) with this instance's registry, consent view and report header. */
  private fold(stored: PersistedState, deltas: Delta[], today: string, active: boolean): PersistedState {
    // In browsers the choice written synchronously is the newest one (lifecycle/journal.ts).
    const state = { ...stored, consent: this.journal?.consent() ?? stored.consent };
    const next = foldDay(state, deltas, today, active, {
      registry: this.reg,
      allowedWithoutChoice: this.consentGate.allows,
      report: (aggregate, activity) => ({
        id: randomReportId(),
        app: this.reg.app,
        appVersion: this.appVersion,
        registry: this.reg.version,
        day: aggregate.day,
        kind: 'daily',
        system: this.system,
        metrics: dailyMetrics(aggregate, this.reg, this.random),
        activity,
      }),
      overBound: () => {
        this.counters.droppedSamples.over_daily_bound++;
      },
    });
    const { reports, dropped } = trimQueue(next.reports, this.settings.maxQueueReports, this.settings.maxQueueBytes);
    this.counters.queueOverflow += dropped;
    return { ...next, reports };
  }

  // ---- reports ----

  /** Takes every recorder's value in one synchronous pass (see day/resolve.ts for what happens next). */
  private takeDelta(): Delta {
    const day = this.dirty ? this.deltaDay : utcDay(this.now());
    this.dirty = false;
    const metrics: Record<string, unknown> = {};
    for (const recorder of this.recorders.values()) {
      const value = recorder.take();
      if (value !== undefined) metrics[recorder.name] = value;
    }
    return { day, metrics };
  }

  flush(options: FlushOptions = {}): Promise<void> {
    // On page hide the work cannot wait behind an earlier send: the document may be gone by then.
    if (options.keepalive === true) return this.hide();
    const endDay = options.endDay === true && this.development;
    if (options.endDay === true && !endDay) {
      this.misuse('invalid_value', 'flush({ endDay: true }) is for development mode only');
    }
    return this.serial(() => this.flushTask(true, endDay));
  }

  /**
   * Never rejects: whatever goes wrong is counted in `errors`, not thrown into the app. `now` (an explicit
   * flush) sends at once, cancelling a pending retry wait; automatic flushes keep to the backoff.
   */
  private async flushTask(now: boolean, endDay = false): Promise<void> {
    try {
      await this.ready;
      if (!this.sendingAllowed) return;
      const today = utcDay(this.now());
      // Ending the day now: fold as if tomorrow had begun, without opening tomorrow.
      await this.foldIn(this.takeDelta(), endDay ? nextDay(today) : today, !endDay);
      // Consent could have been withdrawn (here or in another tab) while the day was being folded.
      if (!this.sendingAllowed) return;
      if (now) this.sender.cancelRetry();
      // Load the sealing code while the page is alive: on page hide there may be no time to fetch it.
      if (this.state.reports.length) void import('./transport/send.js').catch(() => undefined);
      // One tab sends the shared queue at a time; a tab that finds another sending leaves it to that one.
      await this.tabs.locked('send', () => this.sender.send(false), true);
      this.tabs.post({ changed: true });
    } catch {
      this.counters.internalErrors++;
    }
  }

  /**
   * Page hide. Everything that must survive happens synchronously, before any network call: what was recorded
   * goes to the journal (lifecycle/journal.ts). Then the stored queue is sent with keepalive, sealed with the
   * stored key; with no key stored, nothing is sent and the queue waits for the next page.
   */
  private async hide(): Promise<void> {
    try {
      if (!this.sendingAllowed) return;
      const delta = this.takeDelta();
      if (Object.keys(delta.metrics).length) {
        const kept = withoutUnreducedSites(delta, this.reg, (n) => {
          this.counters.droppedSamples.site_list_unavailable += n;
        });
        // Kept for the next flush of any tab; without a journal (no localStorage) folded the ordinary way.
        if (!this.journal?.write({ delta: kept })) await this.foldIn(delta, utcDay(this.now()), true);
      }
      if (this.loaded) await this.sender.send(true);
    } catch {
      this.counters.internalErrors++;
    }
  }

  /** One build-and-send at a time, in call order. */
  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.work.then(task, task);
    this.work = run.catch(() => undefined);
    return run;
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.transparencyLog());
  }

  transparencyLog(): TransparencyEntry[] {
    return structuredClone(this.state.log);
  }

  onTransparencyLog(listener: (log: TransparencyEntry[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  queuedReports(): number {
    return this.state.reports.length;
  }

  // ---- timers and page lifecycle ----

  private timersOn(): boolean {
    return this.settings.flushIntervalMs > 0 && !this.stopped;
  }

  /** Automatic sends at a jittered interval (0.5x-1.5x), so the send time says nothing about use. */
  private scheduleFlush(): void {
    if (!this.timersOn() || this.flushTimer !== undefined) return;
    const delay = this.settings.flushIntervalMs * (0.5 + this.random());
    this.flushTimer = unrefTimer(
      setTimeout(() => {
        this.flushTimer = undefined;
        void this.serial(() => this.flushTask(false)).finally(() => this.scheduleFlush());
      }, delay),
    );
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.flush();
    await this.work;
    this.stopped = true;
    this.updateGate();
    clearTimeout(this.flushTimer);
    this.sender.stop();
    this.removeLifecycle?.();
    this.tabs.close();
  }
}

function unrefTimer(timer: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  // In Node a pending telemetry timer must not keep the process alive.
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Creates an SDK instance. Cheap: recorders are made on first use, nothing is fetched until the first send. */
export function createCandor<const R extends Registry>(options: CandorOptions<R>): Candor<R> {
  return new CandorClient(options);
}
