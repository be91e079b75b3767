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
import type { MetricDefinition, MetricType, Registry, Report, SystemInfo } from '@candor/protocol';
import {
  currentState,
  type DayAggregate,
  type Delta,
  dailyMetrics,
  isExpired,
  mergeDelta,
  nextDay,
  utcDay,
} from './day/aggregate.js';
import { CandorUsageError, createErrorCounters, type DropReason, type ErrorCounters } from './errors.js';
import { onPageHide } from './lifecycle/page-hide.js';
import { MAX_REPORTS_PER_BATCH, REPORT_VERSION } from './limits.js';
import { type AnyRecorder, createRecorder, type Gate } from './metrics/recorders.js';
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
import { trimQueue } from './queue/bounds.js';
import { indexedDbQueueStorage } from './queue/indexeddb.js';
import { memoryQueueStorage } from './queue/memory.js';
import { emptyState, type PersistedState, type QueueStorage } from './queue/storage.js';
import { sealBatchJson } from './seal/envelope.js';
import { coarseAppVersion, coarseSystem, type SystemInput } from './system/coarse.js';
import { detectSystem } from './system/detect.js';
import { appendToLog, type TransparencyEntry } from './transparency/log.js';
import { KeyCache } from './transport/keys.js';
import { retryDelay, type UploadOutcome, uploadEnvelope } from './transport/upload.js';
import { randomReportId } from './util/bytes.js';

export type ConsentState = 'unknown' | 'granted' | 'denied';
export type ConsentRegime = 'opt-in' | 'opt-out';
export type Mode = 'development' | 'production';

export interface CandorOptions<R extends Registry = Registry> {
  /** The metric registry; every name, label, value and extra is checked against it. */
  registry: R;
  /** Collector base URL; keys at GET /v1/keys, uploads to POST /v1/reports. */
  collector: string;
  /** The app's version; only major.minor leaves the device. */
  appVersion: string;
  /** Device details (coarsened). In browsers they are read from navigator when left out. */
  system?: SystemInput;
  /** The default when the person has not chosen; `state` seeds a choice the app already knows. */
  consent?: { regime: ConsentRegime; state?: ConsentState };
  /** development: misuse throws a CandorUsageError. production (default): the sample is dropped and counted. */
  mode?: Mode;
  /** Offline queue storage. Default: IndexedDB in browsers, memory elsewhere (use fileQueueStorage in Node). */
  storage?: QueueStorage;
  fetch?: typeof fetch;
  /** Uniform [0, 1): LDP randomization, send-time jitter and retry jitter. Report ids always use crypto. */
  random?: () => number;
  /** Milliseconds since the epoch: the report day and scheduling. */
  now?: () => number;
  /** Mean time between automatic sends, jittered to 0.5x-1.5x. 0 turns all timers off (flush() drives sends). */
  flushIntervalMs?: number;
  maxQueueBytes?: number;
  maxQueueReports?: number;
  transparencyLogSize?: number;
  /** Retry backoff: first delay and cap. */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Flush with keepalive on pagehide / visibilitychange to hidden. Default: on when a document exists. */
  pageLifecycle?: boolean;
}

export interface FlushOptions {
  /** Use fetch keepalive so the upload survives the page going away (used on page hide). */
  keepalive?: boolean;
}

export interface Candor<R extends Registry = Registry> {
  readonly consent: ConsentState;
  readonly isPrivate: boolean;
  /** Resolves once the stored queue, consent and day aggregate are loaded. */
  readonly ready: Promise<void>;
  /** A snapshot of the internal error counters. */
  readonly errors: ErrorCounters;
  /** The coarse system info every report carries. */
  readonly system: SystemInfo;
  setConsent(state: 'granted' | 'denied'): void;
  setPrivate(on: boolean): void;
  withPrivate<T>(fn: () => T | Promise<T>): Promise<T>;
  counter(name: MetricNameOf<R, 'counter'>): CounterHandle;
  labeledCounter<N extends MetricNameOf<R, 'labeled_counter'>>(name: N): LabeledCounterHandle<LabelOf<R, N>>;
  boolean(name: MetricNameOf<R, 'boolean'>): BooleanHandle;
  quantity(name: MetricNameOf<R, 'quantity'>): QuantityHandle;
  timing(name: MetricNameOf<R, 'timing_distribution'>): DistributionHandle;
  memory(name: MetricNameOf<R, 'memory_distribution'>): DistributionHandle;
  enumeration<N extends MetricNameOf<R, 'enumeration'>>(name: N): EnumerationHandle<ValueOf<R, N>>;
  site(name: MetricNameOf<R, 'site'>): SiteHandle;
  event<N extends MetricNameOf<R, 'event'>>(name: N): EventHandle<ExtrasOf<R, N>>;
  crash(name: MetricNameOf<R, 'crash'>): CrashHandle;
  /**
   * Folds what was recorded into the day's stored aggregate, turns any ended day into its report, then seals and
   * uploads what is queued; resolves when the attempt has finished.
   */
  flush(options?: FlushOptions): Promise<void>;
  /** The last N reports exactly as sent, decoded, with time, collector and outcome (oldest first). */
  transparencyLog(): TransparencyEntry[];
  /** Called after every upload attempt; returns an unsubscribe function. */
  onTransparencyLog(listener: (log: TransparencyEntry[]) => void): () => void;
  /** Number of reports waiting in the offline queue. */
  queuedReports(): number;
  /** Sends what it can, stops timers and listeners; later recording calls do nothing. */
  shutdown(): Promise<void>;
}

const DEFAULTS = {
  flushIntervalMs: 60_000,
  maxQueueBytes: 512 * 1024,
  maxQueueReports: 500,
  transparencyLogSize: 100,
  retryBaseMs: 5_000,
  retryCapMs: 15 * 60_000,
};

const HANDLE_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  labeledCounter: 'labeled_counter',
  boolean: 'boolean',
  quantity: 'quantity',
  timing: 'timing_distribution',
  memory: 'memory_distribution',
  enumeration: 'enumeration',
  site: 'site',
  event: 'event',
  crash: 'crash',
};

export { utcDay };

/** A handle for a metric that cannot be recorded (production mode): every use is a counted, dropped sample. */
function droppingHandle(gate: Gate, reason: DropReason, message: string): AnyRecorder {
  const drop = () => {
    if (gate.recording) gate.misuse(reason, message);
  };
  return { name: '', add: drop, set: drop, record: drop, take: () => undefined, clear() {} } as unknown as AnyRecorder;
}

/** The handle of a metric past its registry `expires` day: records nothing, quietly (as Glean does). */
function expiredHandle(): AnyRecorder {
  const nothing = () => undefined;
  return { name: '', add: nothing, set: nothing, record: nothing, take: nothing, clear() {} } as unknown as AnyRecorder;
}

class CandorClient implements Gate {
  recording = false;
  dirty = false;
  readonly system: SystemInfo;
  readonly ready: Promise<void>;

  private readonly registry: Registry;
  private readonly collector: string;
  private readonly appVersion: string;
  private readonly regime: ConsentRegime;
  private readonly development: boolean;
  private readonly storage: QueueStorage;
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly settings: typeof DEFAULTS;
  private readonly keys: KeyCache;
  private readonly recorders = new Map<string, AnyRecorder>();
  private readonly counters = createErrorCounters();
  private readonly listeners = new Set<(log: TransparencyEntry[]) => void>();

  private consentState: ConsentState;
  private consentChosen = false;
  private privateOn = false;
  private privateScopes = 0;
  private stopped = false;
  private loaded = false;
  private storageWritable = true;
  /** The UTC day of the first value recorded since the last fold. */
  private deltaDay = '';
  private state: PersistedState = emptyState();
  private retryAttempt = 0;
  private retryAt = 0;
  private work: Promise<unknown> = Promise.resolve();
  private inFlight: AbortController | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private removeLifecycle: (() => void) | null = null;

  constructor(options: CandorOptions) {
    this.development = options.mode === 'development';
    const problems = optionProblems(options);
    this.stopped = problems.length > 0;
    if (problems.length) {
      if (this.development)
        throw new CandorUsageError('invalid_config', `invalid options:\n  ${problems.join('\n  ')}`);
      this.counters.droppedSamples.invalid_config++;
    }
    this.registry = options.registry ?? { app: 'invalid', version: '0000.0.0', metrics: {} };
    this.collector = String(options.collector ?? '').replace(/\/+$/, '');
    this.appVersion = coarseAppVersion(String(options.appVersion ?? '')) ?? '0.0';
    this.regime = options.consent?.regime === 'opt-out' ? 'opt-out' : 'opt-in';
    this.consentState = options.consent?.state ?? 'unknown';
    const nav = typeof navigator === 'undefined' ? undefined : navigator;
    this.system = coarseSystem(options.system ?? detectSystem(nav));
    const browser = typeof indexedDB !== 'undefined' && typeof document !== 'undefined';
    this.storage = options.storage ?? (browser ? indexedDbQueueStorage(this.registry.app) : memoryQueueStorage());
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.settings = {
      flushIntervalMs: options.flushIntervalMs ?? DEFAULTS.flushIntervalMs,
      maxQueueBytes: options.maxQueueBytes ?? DEFAULTS.maxQueueBytes,
      maxQueueReports: options.maxQueueReports ?? DEFAULTS.maxQueueReports,
      transparencyLogSize: options.transparencyLogSize ?? DEFAULTS.transparencyLogSize,
      retryBaseMs: options.retryBaseMs ?? DEFAULTS.retryBaseMs,
      retryCapMs: options.retryCapMs ?? DEFAULTS.retryCapMs,
    };
    this.keys = new KeyCache(this.fetchImpl, this.collector);
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
    return this.consentState;
  }

  get isPrivate(): boolean {
    return this.privateOn || this.privateScopes > 0;
  }

  get errors(): ErrorCounters {
    return { ...this.counters, droppedSamples: { ...this.counters.droppedSamples } };
  }

  private get consentAllows(): boolean {
    return this.consentState === 'granted' || (this.consentState === 'unknown' && this.regime === 'opt-out');
  }

  /** Reports may be built and sent: consent given or presumed, private mode off, not shut down. */
  private get sendingAllowed(): boolean {
    return !this.stopped && this.consentAllows && !this.isPrivate;
  }

  private updateGate(): void {
    this.recording = this.sendingAllowed;
  }

  setConsent(state: 'granted' | 'denied'): undefined {
    if (state !== 'granted' && state !== 'denied') {
      return this.misuse('invalid_value', `setConsent(${JSON.stringify(state)}): expected "granted" or "denied"`);
    }
    this.consentChosen = true;
    this.applyConsent(state);
  }

  private applyConsent(state: ConsentState): void {
    const allowedBefore = this.consentAllows;
    this.consentState = state;
    const dropping = state === 'denied' || (state === 'granted' && !allowedBefore);
    if (dropping) this.dropEverything();
    this.updateGate();
    if (!this.loaded) return;
    const stored = state === 'unknown' ? null : state;
    // The day is read now: the update may run later, after the clock has moved on.
    const today = utcDay(this.now());
    const active = this.sendingAllowed;
    void this.mutate((s) =>
      this.fold({ ...s, consent: stored, ...(dropping ? { reports: [], day: null } : {}) }, null, today, active),
    );
    if (active) this.scheduleFlush();
  }

  /** Consent withdrawn: nothing pending, nothing queued, nothing in flight survives. */
  private dropEverything(): void {
    for (const recorder of this.recorders.values()) recorder.clear();
    this.dirty = false;
    this.state = { ...this.state, reports: [], day: null };
    this.inFlight?.abort();
    this.retryAttempt = 0;
    this.retryAt = 0;
    clearTimeout(this.retryTimer);
  }

  setPrivate(on: boolean): void {
    // Anything truthy turns private mode on: a wrong type must never leave it off by mistake.
    this.privateOn = Boolean(on);
    this.updateGate();
  }

  async withPrivate<T>(fn: () => T | Promise<T>): Promise<T> {
    this.privateScopes++;
    this.updateGate();
    try {
      return await fn();
    } finally {
      this.privateScopes--;
      this.updateGate();
    }
  }

  // ---- metric handles ----

  private handle(method: string, name: string): AnyRecorder {
    const existing = this.recorders.get(name);
    const expected = HANDLE_TYPES[method] as MetricType;
    const def: MetricDefinition | undefined = Object.hasOwn(this.registry.metrics, name)
      ? this.registry.metrics[name]
      : undefined;
    if (!def) {
      const message = `${method}("${name}"): metric "${name}" is not in registry "${this.registry.app}" ${this.registry.version}`;
      if (this.development) throw new CandorUsageError('unknown_metric', message);
      return droppingHandle(this, 'unknown_metric', message);
    }
    if (def.type !== expected) {
      const message = `${method}("${name}"): "${name}" is a ${def.type} in the registry, not a ${expected}`;
      if (this.development) throw new CandorUsageError('wrong_type', message);
      return droppingHandle(this, 'wrong_type', message);
    }
    if (existing) return existing;
    if (isExpired(def, utcDay(this.now()))) return expiredHandle();
    const recorder = createRecorder(name, def, this);
    this.recorders.set(name, recorder);
    return recorder;
  }

  counter = (name: string) => this.handle('counter', name) as unknown as CounterHandle;
  labeledCounter = (name: string) => this.handle('labeledCounter', name) as unknown as LabeledCounterHandle;
  boolean = (name: string) => this.handle('boolean', name) as unknown as BooleanHandle;
  quantity = (name: string) => this.handle('quantity', name) as unknown as QuantityHandle;
  timing = (name: string) => this.handle('timing', name) as unknown as DistributionHandle;
  memory = (name: string) => this.handle('memory', name) as unknown as DistributionHandle;
  enumeration = (name: string) => this.handle('enumeration', name) as unknown as EnumerationHandle;
  site = (name: string) => this.handle('site', name) as unknown as SiteHandle;
  event = (name: string) => this.handle('event', name) as unknown as EventHandle;
  crash = (name: string) => this.handle('crash', name) as unknown as CrashHandle;

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
    if (stored?.consent && !this.consentChosen) this.applyConsent(stored.consent);
    this.loaded = true;
    const chosen = this.consentChosen ? (this.consentState === 'unknown' ? null : this.consentState) : undefined;
    const allows = this.consentAllows;
    const today = utcDay(this.now());
    const active = this.sendingAllowed;
    await this.mutate((s) => {
      const next = { ...s, consent: chosen === undefined ? s.consent : chosen };
      return this.fold(allows ? next : { ...next, reports: [], day: null }, null, today, active);
    });
    this.scheduleFlush();
  }

  /**
   * Applies a change to the stored state as one atomic step and keeps the result as this tab's view of it. When
   * storage fails, the change is applied in memory (and counted). While the page is being hidden the write is
   * started but not awaited: measured in Chromium, IndexedDB requests made during pagehide may never complete.
   */
  private mutate(change: (state: PersistedState) => PersistedState, hiding = false): Promise<void> {
    const run = async () => {
      if (this.storageWritable) {
        try {
          this.state = await this.storage.update(change);
          return;
        } catch {
          this.counters.storageFailures++;
        }
      }
      this.state = change(this.state);
    };
    const done = run().catch(() => {
      this.counters.internalErrors++;
    });
    return hiding ? Promise.resolve() : done;
  }

  /**
   * The day bookkeeping, run inside one storage update: folds a delta into its day's aggregate, marks today active
   * when asked, and turns every day that has ended into its one report. A day already closed is never reopened,
   * so a clock moved back cannot make a second report for it.
   */
  private fold(state: PersistedState, delta: Delta | null, today: string, active: boolean): PersistedState {
    const next: PersistedState = { ...state, reports: [...state.reports] };
    const close = (aggregate: DayAggregate) => {
      next.reports.push(this.dailyReport(aggregate));
      next.lastClosedDay = aggregate.day;
      next.day = null;
    };
    let carried: Record<string, unknown> = {};
    const open = (day: string): DayAggregate => {
      if (next.day && next.day.day < day) {
        carried = currentState(next.day, this.registry);
        close(next.day);
      }
      if (!next.day) {
        const earliest = next.lastClosedDay ? nextDay(next.lastClosedDay) : day;
        next.day = { day: day < earliest ? earliest : day, metrics: carried };
      } else {
        next.day = { day: next.day.day, metrics: { ...next.day.metrics } };
      }
      return next.day;
    };
    if (delta && Object.keys(delta.metrics).length) {
      mergeDelta(open(delta.day), delta, this.registry, () => {
        this.counters.droppedSamples.over_daily_bound++;
      });
    }
    if (active) open(today);
    if (next.day && next.day.day < today) close(next.day);
    const { reports, dropped } = trimQueue(next.reports, this.settings.maxQueueReports, this.settings.maxQueueBytes);
    this.counters.queueOverflow += dropped;
    next.reports = reports;
    return next;
  }

  // ---- reports ----

  private dailyReport(aggregate: DayAggregate): Report {
    return {
      id: randomReportId(),
      app: this.registry.app,
      appVersion: this.appVersion,
      registry: this.registry.version,
      day: aggregate.day,
      kind: 'daily',
      system: this.system,
      metrics: dailyMetrics(aggregate, this.registry, this.random),
    };
  }

  /** Takes every recorder's value in one synchronous pass, then resolves the async ones (site, crash). */
  private async takeDelta(): Promise<Delta> {
    const day = this.dirty ? this.deltaDay : utcDay(this.now());
    this.dirty = false;
    const taken: [string, unknown][] = [];
    for (const recorder of this.recorders.values()) taken.push([recorder.name, recorder.take()]);
    const metrics: Record<string, unknown> = {};
    for (const [name, value] of taken) {
      const resolved = await value;
      if (resolved !== undefined) metrics[name] = resolved;
    }
    return { day, metrics };
  }

  flush(options: FlushOptions = {}): Promise<void> {
    const hiding = options.keepalive === true;
    const task = () => this.flushTask(hiding);
    // On page hide the work cannot wait behind an earlier send: the document may be gone by then. A report
    // sent twice this way carries the same id both times, and the collector drops the duplicate.
    return hiding ? task() : this.serial(task);
  }

  /** Never rejects: whatever goes wrong is counted in `errors`, not thrown into the app. */
  private async flushTask(hiding: boolean): Promise<void> {
    try {
      await this.ready;
      if (!this.sendingAllowed) return;
      const today = utcDay(this.now());
      const delta = await this.takeDelta();
      // Consent could have been withdrawn while site/crash values were resolving.
      if (!this.sendingAllowed) return;
      await this.mutate((s) => this.fold(s, delta, today, true), hiding);
      await this.sendQueued(hiding);
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

  private async sendQueued(hiding: boolean): Promise<void> {
    const keepalive = hiding;
    // On page hide the backoff is ignored: it is the last chance this page has.
    if (!keepalive && this.now() < this.retryAt) return;
    while (this.state.reports.length && this.sendingAllowed) {
      const batch = this.state.reports.slice(0, MAX_REPORTS_PER_BATCH);
      const json = JSON.stringify({ v: REPORT_VERSION, reports: batch });
      const controller = new AbortController();
      this.inFlight = controller;
      let outcome: UploadOutcome;
      let sealed = true;
      try {
        outcome = await this.sealAndUpload(json, keepalive, controller.signal);
      } catch {
        // No key or no seal: nothing left the device, so nothing goes in the transparency log.
        this.counters.sealFailures++;
        sealed = false;
        outcome = { kind: 'retry', status: null };
      } finally {
        this.inFlight = null;
      }
      const dropped = controller.signal.aborted;
      const entries = sealed ? this.logEntries(batch, status(outcome, dropped), outcome.status) : [];
      const ids = new Set(batch.map((r) => r.id));
      const done = outcome.kind !== 'retry';
      await this.mutate(
        (s) => ({
          ...s,
          reports: done ? s.reports.filter((r) => !ids.has(r.id)) : s.reports,
          log: entries.length ? appendToLog(s.log, entries, this.settings.transparencyLogSize) : s.log,
        }),
        hiding,
      );
      if (entries.length) this.notify();
      if (outcome.kind === 'retry') {
        if (dropped) return;
        this.counters.retriedUploads++;
        this.scheduleRetry(outcome.retryAfterMs ?? 0);
        return;
      }
      if (outcome.kind !== 'accepted') {
        this.counters.rejectedUploads++;
        this.counters.rejectedReports += batch.length;
      }
      this.retryAttempt = 0;
      this.retryAt = 0;
      // While hiding, the stored state may not have been updated yet: this tab's view must still move on.
      if (hiding) this.state = { ...this.state, reports: this.state.reports.filter((r) => !ids.has(r.id)) };
    }
  }

  /** Seals to the current key; an "unknown key id" answer refetches /v1/keys once and tries once more. */
  private async sealAndUpload(json: string, keepalive: boolean, signal: AbortSignal): Promise<UploadOutcome> {
    const send = async (refresh: boolean) => {
      const body = await sealBatchJson(json, await this.keys.get(refresh), { storedGzip: keepalive });
      return uploadEnvelope(this.fetchImpl, this.collector, body, { keepalive, signal });
    };
    const first = await send(false);
    if (first.kind !== 'unknown-key') return first;
    this.counters.keyRefetches++;
    return send(true);
  }

  private logEntries(
    batch: Report[],
    status: TransparencyEntry['status'],
    httpStatus: number | null,
  ): TransparencyEntry[] {
    const sentAt = new Date(this.now()).toISOString();
    return batch.map((report) => ({ sentAt, collector: this.collector, status, httpStatus, report }));
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
        void this.flush().finally(() => this.scheduleFlush());
      }, delay),
    );
  }

  private scheduleRetry(atLeastMs: number): void {
    const backoff = retryDelay(this.retryAttempt++, this.random, this.settings.retryBaseMs, this.settings.retryCapMs);
    const delay = Math.max(backoff, atLeastMs);
    this.retryAt = this.now() + delay;
    if (!this.timersOn()) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = unrefTimer(setTimeout(() => void this.serial(() => this.sendQueued(false)), delay));
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.flush();
    await this.work;
    this.stopped = true;
    this.updateGate();
    clearTimeout(this.flushTimer);
    clearTimeout(this.retryTimer);
    this.removeLifecycle?.();
  }
}

function status(outcome: UploadOutcome, dropped: boolean): TransparencyEntry['status'] {
  if (dropped) return 'dropped';
  return outcome.kind === 'accepted' ? 'accepted' : outcome.kind === 'retry' ? 'retrying' : 'rejected';
}

function unrefTimer(timer: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  // In Node a pending telemetry timer must not keep the process alive.
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

function optionProblems(options: CandorOptions): string[] {
  const problems: string[] = [];
  const registry = options?.registry as Registry | undefined;
  if (!registry || typeof registry.app !== 'string' || typeof registry.metrics !== 'object') {
    problems.push('registry: expected a metric registry (see defineRegistry in @candor/protocol)');
  }
  if (typeof options?.collector !== 'string' || !/^https?:\/\/[^/?#]+/.test(options.collector)) {
    problems.push(`collector: expected an http(s) base URL, got ${JSON.stringify(options?.collector)}`);
  }
  if (typeof options?.appVersion !== 'string' || coarseAppVersion(options.appVersion) === null) {
    problems.push(`appVersion: expected a version such as "3.4.1", got ${JSON.stringify(options?.appVersion)}`);
  }
  if (options?.consent && options.consent.regime !== 'opt-in' && options.consent.regime !== 'opt-out') {
    problems.push(`consent.regime: expected "opt-in" or "opt-out", got ${JSON.stringify(options.consent.regime)}`);
  }
  if (options?.mode !== undefined && options.mode !== 'development' && options.mode !== 'production') {
    problems.push(`mode: expected "development" or "production", got ${JSON.stringify(options.mode)}`);
  }
  return problems;
}

/** Creates an SDK instance. Cheap: recorders are made on first use, nothing is fetched until the first send. */
export function createCandor<const R extends Registry>(options: CandorOptions<R>): Candor<R> {
  return new CandorClient(options as CandorOptions) as unknown as Candor<R>;
}
