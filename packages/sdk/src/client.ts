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
import { type KeyConfig, PATHS } from '@candor/protocol/wire/envelope';
import { crashSignature } from './crash/signature.js';
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
import { needsResolving, withoutUnreducedSites } from './day/sites.js';
import { CandorUsageError, createErrorCounters, type DropReason, type ErrorCounters } from './errors.js';
import { type Journal, type JournalEntry, localStorageJournal } from './lifecycle/journal.js';
import { onPageHide } from './lifecycle/page-hide.js';
import { connectTabs, type TabMessage, type Tabs } from './lifecycle/tabs.js';
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
import { siteReducer } from './site/reduce.js';
import { coarseAppVersion, coarseSystem, type SystemInput } from './system/coarse.js';
import { detectSystem } from './system/detect.js';
import { appendToLog, type TransparencyEntry } from './transparency/log.js';
import type { UploadFailure } from './transport/diagnose.js';
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
  /**
   * Development mode only, for trying an integration (with `candor tail`, say): ends the current UTC day now and
   * sends its report. The day still has one report: what is recorded later that day counts toward the next day.
   * In production mode it is refused (thrown in development, counted as invalid_value in production).
   */
  endDay?: boolean;
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
  /** The metric registry (the transparency view reads its descriptions and units). */
  readonly registry: R;
  /** Why the last upload or key fetch failed (CORS, network, an HTTP status and problem type); null if none yet. */
  readonly lastFailure: UploadFailure | null;
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
   * uploads what is queued at once (a pending retry wait is cancelled); resolves when the attempt has finished.
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
  readonly registry: Registry;
  lastFailure: UploadFailure | null = null;

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
  /** A 429's Retry-After: kept even by an explicit flush, since the collector asked for it. */
  private rateLimitedUntil = 0;
  /** Storage updates issued by this tab; only the newest one's result becomes this tab's view. */
  private updates = 0;
  private work: Promise<unknown> = Promise.resolve();
  private inFlight: AbortController | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private removeLifecycle: (() => void) | null = null;
  /** Page-hide journal and tab coordination: browsers only (see lifecycle/). */
  private readonly journal: Journal | null;
  private readonly tabs: Tabs;

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
    this.keys = new KeyCache(this.fetchImpl, this.collector, this.now, (key) => {
      void this.mutate((s) => ({ ...s, key }));
    });
    const page = !this.stopped && typeof document !== 'undefined';
    this.journal = page ? localStorageJournal(this.registry.app) : null;
    this.tabs = connectTabs(page ? this.registry.app : null, (message) => this.onTabMessage(message));
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
    // Every other tab of the app applies it at once (and finds it in storage on its next update anyway).
    this.tabs.post({ consent: state });
  }

  /** `write` false: the choice came from another tab or from storage, which already holds it. */
  private applyConsent(state: ConsentState, write = true): void {
    const allowedBefore = this.consentAllows;
    this.consentState = state;
    const dropping = state === 'denied' || (state === 'granted' && !allowedBefore);
    if (dropping) this.dropEverything();
    this.updateGate();
    if (!this.loaded || !write) {
      if (this.loaded && this.sendingAllowed) this.scheduleFlush();
      return;
    }
    const stored = state === 'unknown' ? null : state;
    // The day is read now: the update may run later, after the clock has moved on.
    const today = utcDay(this.now());
    const active = this.sendingAllowed;
    void this.mutate((s) =>
      this.fold({ ...s, consent: stored, ...(dropping ? { reports: [], day: null } : {}) }, [], today, active),
    );
    if (active) this.scheduleFlush();
  }

  /** A choice found in storage (made in another tab) wins over this tab's view. */
  private syncConsent(state: PersistedState): void {
    if (state.consent && state.consent !== this.consentState) {
      this.consentChosen = true;
      this.applyConsent(state.consent, false);
    }
  }

  private onTabMessage(message: TabMessage): void {
    if ('consent' in message) {
      if (message.consent !== this.consentState) {
        this.consentChosen = true;
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
    if (stored?.consent && !this.consentChosen) this.applyConsent(stored.consent, false);
    this.keys.seed(stored?.key ?? null);
    this.loaded = true;
    const chosen = this.consentChosen ? (this.consentState === 'unknown' ? null : this.consentState) : undefined;
    const today = utcDay(this.now());
    await this.foldIn(null, today, this.sendingAllowed, (s) => ({
      ...s,
      consent: chosen === undefined ? s.consent : chosen,
    }));
    if (this.state.reports.length) void import('./seal/envelope.js').catch(() => undefined);
    this.scheduleFlush();
  }

  /**
   * Applies a change to the stored state as one atomic step and keeps the result as this tab's view of it. When
   * storage fails, the change is applied in memory (and counted).
   */
  private async mutate(change: (state: PersistedState) => PersistedState): Promise<void> {
    try {
      const update = ++this.updates;
      if (this.storageWritable) {
        try {
          const state = await this.storage.update(change);
          // An older update finishing late must not replace what a newer one (say, a consent change) wrote.
          if (update !== this.updates) return;
          this.state = state;
          this.syncConsent(state);
          return;
        } catch {
          this.counters.storageFailures++;
        }
      }
      this.state = change(this.state);
    } catch {
      this.counters.internalErrors++;
    }
  }

  /**
   * Folds this tab's delta and whatever pages left in the page-hide journal into the stored day, in one update.
   * The journal is drained under a lock, so each entry is folded once whichever tab gets there first.
   */
  private async foldIn(
    delta: Delta | null,
    today: string,
    active: boolean,
    before: (state: PersistedState) => PersistedState = (s) => s,
  ): Promise<void> {
    const journal = this.journal;
    const run = async () => {
      const entries: JournalEntry[] = journal?.drain() ?? [];
      const acked = new Set(entries.flatMap((e) => e.acked ?? []));
      const raw = entries.flatMap((e) => (e.delta ? [e.delta] : []));
      if (delta) raw.push(delta);
      const drop = (reason: DropReason, n: number) => {
        this.counters.droppedSamples[reason] += n;
      };
      let deltas = raw;
      if (raw.some((d) => needsResolving(d, this.registry))) {
        try {
          const { resolveDelta } = await import('./day/resolve.js');
          const tools = { registry: this.registry, hash: crashSignature, loadReducer: siteReducer.load, drop };
          deltas = await Promise.all(raw.map((d) => resolveDelta(d, tools)));
        } catch (error) {
          // Put the pages' entries back: they are folded on the next try.
          for (const entry of entries) journal?.write(entry);
          throw error;
        }
      }
      await this.mutate((s) => {
        const next = before(acked.size ? { ...s, reports: s.reports.filter((r) => !acked.has(r.id)) } : s);
        return this.fold(next, deltas, today, active);
      });
    };
    await (journal ? this.tabs.locked('journal', run) : run());
  }

  /**
   * The day bookkeeping, run inside one storage update: folds deltas into their day's aggregate, marks today
   * active when asked, and turns every day that has ended into its one report. A day already closed is never
   * reopened, so a clock moved back cannot make a second report for it. The stored consent choice is checked
   * here, inside the update, so a tab that has not heard of a withdrawal yet cannot add to the day or the queue.
   */
  private fold(state: PersistedState, deltas: Delta[], today: string, active: boolean): PersistedState {
    const allows = state.consent ? state.consent === 'granted' : this.consentAllows;
    if (!allows) return { ...state, reports: [], day: null };
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
    for (const delta of [...deltas].sort((a, b) => a.day.localeCompare(b.day))) {
      if (!Object.keys(delta.metrics).length) continue;
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
      if (now) this.cancelRetry();
      // Load the sealing code while the page is alive: on page hide there may be no time to fetch it.
      if (this.state.reports.length) void import('./seal/envelope.js').catch(() => undefined);
      // One tab sends the shared queue at a time; a tab that finds another sending leaves it to that one.
      await this.tabs.locked('send', () => this.sendQueued(false), true);
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
        const kept = withoutUnreducedSites(delta, this.registry, (n) => {
          this.counters.droppedSamples.site_list_unavailable += n;
        });
        // Kept for the next flush of any tab; without a journal (no localStorage) folded the ordinary way.
        if (!this.journal?.write({ delta: kept })) await this.foldIn(delta, utcDay(this.now()), true);
      }
      if (this.loaded) await this.sendQueued(true);
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

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryAt = 0;
  }

  private async sendQueued(hiding: boolean): Promise<void> {
    // On page hide the backoff is ignored: it is the last chance this page has.
    if (!hiding && this.now() < Math.max(this.retryAt, this.rateLimitedUntil)) return;
    const sent = new Set<string>();
    while (this.sendingAllowed) {
      const batch = this.state.reports.filter((r) => !sent.has(r.id)).slice(0, MAX_REPORTS_PER_BATCH);
      if (!batch.length) return;
      for (const r of batch) sent.add(r.id);
      const json = JSON.stringify({ v: REPORT_VERSION, reports: batch });
      const controller = new AbortController();
      this.inFlight = controller;
      let outcome: UploadOutcome;
      let sealed = true;
      try {
        const key = hiding ? this.keys.cached() : null;
        if (hiding && !key) return;
        outcome = await this.sealAndUpload(json, hiding, controller.signal, key);
      } catch (error) {
        // No key or no seal: nothing left the device, so nothing goes in the transparency log.
        this.counters.sealFailures++;
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
      if (done && hiding) this.journal?.write({ acked: ids });
      const removing = done ? new Set(ids) : null;
      const saving = this.mutate((s) => ({
        ...s,
        reports: removing ? s.reports.filter((r) => !removing.has(r.id)) : s.reports,
        log: entries.length ? appendToLog(s.log, entries, this.settings.transparencyLogSize) : s.log,
      }));
      if (!hiding) await saving;
      if (entries.length) this.notify();
      if (outcome.kind === 'retry') {
        if (dropped) return;
        if (sealed) {
          const thrown = outcome.status === null;
          await this.noteFailure(thrown ? 'network' : 'http', thrown, outcome.status);
        }
        this.counters.retriedUploads++;
        if (outcome.retryAfterMs) this.rateLimitedUntil = this.now() + outcome.retryAfterMs;
        this.scheduleRetry(outcome.retryAfterMs ?? 0);
        return;
      }
      if (outcome.kind !== 'accepted') {
        this.counters.rejectedUploads++;
        this.counters.rejectedReports += batch.length;
        await this.noteFailure('rejected', false, outcome.status, outcome.kind === 'rejected' ? outcome.problem : null);
      }
      this.retryAttempt = 0;
      this.retryAt = 0;
    }
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
    this.lastFailure = { kind: guess, status, problem, message: '' };
    try {
      const { explainFailure } = await import('./transport/diagnose.js');
      // The probe that tells CORS from an outage is one more request: made in development mode only.
      const failure = await explainFailure(
        this.fetchImpl,
        this.collector,
        this.collector + PATHS.keys,
        guess,
        thrown && this.development,
        status,
        problem,
      );
      this.lastFailure = failure;
      if (this.development) console.warn(`candor: upload failed: ${failure.message}`);
    } catch {
      // Without the explanation the kind and status above still say what happened.
    }
  }

  /** Seals to the current key; an "unknown key id" answer refetches /v1/keys once and tries once more. */
  private async sealAndUpload(
    json: string,
    keepalive: boolean,
    signal: AbortSignal,
    key: KeyConfig | null,
  ): Promise<UploadOutcome> {
    const send = async (refresh: boolean) => {
      const { sealBatchJson } = await import('./seal/envelope.js');
      const body = await sealBatchJson(json, key ?? (await this.keys.get(refresh)), { storedGzip: keepalive });
      return uploadEnvelope(this.fetchImpl, this.collector, body, { keepalive, signal });
    };
    const first = await send(false);
    // While hiding there is no time for another round trip: the reports stay stored for the next page.
    if (first.kind !== 'unknown-key') return first;
    if (key) return { kind: 'retry', status: first.status };
    this.counters.keyRefetches++;
    return send(true);
  }

  private logEntries(
    batch: Report[],
    status: TransparencyEntry['status'],
    httpStatus: number | null,
  ): TransparencyEntry[] {
    // To the minute: enough for a person to recognise a send, not a timestamp that could match a server log.
    const sentAt = `${new Date(this.now()).toISOString().slice(0, 16)}Z`;
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
        void this.serial(() => this.flushTask(false)).finally(() => this.scheduleFlush());
      }, delay),
    );
  }

  private scheduleRetry(atLeastMs: number): void {
    const backoff = retryDelay(this.retryAttempt++, this.random, this.settings.retryBaseMs, this.settings.retryCapMs);
    const delay = Math.max(backoff, atLeastMs);
    this.retryAt = this.now() + delay;
    if (!this.timersOn()) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = unrefTimer(
      setTimeout(() => void this.serial(() => this.tabs.locked('send', () => this.sendQueued(false), true)), delay),
    );
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
    this.tabs.close();
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
