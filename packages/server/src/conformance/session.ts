import { createHash } from 'node:crypto';
import type { InspectedUpload } from './inspect.js';
import type { Deviation, Rule } from './rules.js';
import { RULES } from './rules.js';

export interface UploadRecord {
  /** 1-based, in arrival order. */
  n: number;
  /** Milliseconds since the session started. */
  atMs: number;
  /** What the conformance collector answered. */
  status: number;
  reports: number;
  /** This upload was answered 503 to test retries. */
  retryTest: boolean;
  deviations: Deviation[];
}

export interface RuleResult {
  rule: Rule;
  title: string;
  /** pass: exercised without deviation; fail: at least one deviation; untested: the client never got that far. */
  result: 'pass' | 'fail' | 'untested';
  deviations: number;
}

export interface ConformanceSummary {
  protocol: 'candor report v1';
  result: 'pass' | 'fail';
  startedAt: string;
  finishedAt: string;
  keyFetches: number;
  uploads: UploadRecord[];
  rules: RuleResult[];
  /** Deviations found across uploads (a retry that never came, for example). */
  sessionDeviations: Deviation[];
}

export interface SessionOptions {
  retryAfterSeconds: number;
  /** How long after Retry-After a retry may take before it counts as missing. */
  retryGraceMs: number;
  now: () => number;
}

/**
 * One conformance run against one client under test. Keeps, in memory only, what rules across uploads need:
 * the encs seen (fresh ephemeral keys), the ids acknowledged (never reused), the app-days reported (one per day)
 * and the retry test: the first readable upload is answered 503 with Retry-After, and the same reports must come
 * back, resealed, no sooner than that.
 */
export class ConformanceSession {
  readonly startedAt: number;
  keyFetches = 0;
  private readonly uploads: UploadRecord[] = [];
  private readonly sessionDeviations: Deviation[] = [];
  private readonly encs = new Map<string, string>();
  private readonly acknowledged = new Set<string>();
  private readonly appDays = new Map<string, string>();
  private retry: { ids: Set<string>; at: number; settled: boolean } | null = null;
  private readonly exercised = new Set<Rule>();
  private settledListeners: (() => void)[] = [];

  constructor(private readonly options: SessionOptions) {
    this.startedAt = options.now();
  }

  /** A retry that never came ends the run: such a client will not upload again. */
  private retryMissed = false;

  /** True once the retry test was answered and an upload accepted, or the retry never came. */
  get complete(): boolean {
    return this.retryMissed || (this.retry?.settled === true && this.uploads.some((u) => u.status === 202));
  }

  /** Resolves once the session is complete. */
  whenComplete(): Promise<void> {
    if (this.complete) return Promise.resolve();
    return new Promise((resolve) => this.settledListeners.push(resolve));
  }

  /**
   * Records an inspected upload and the status the collector would answer it with; says whether it is the retry
   * test's upload, to be answered 503.
   */
  record(inspected: InspectedUpload, body: Uint8Array, collectorStatus: number): { retryTest: boolean } {
    const now = this.options.now();
    const deviations = [...inspected.deviations];
    for (const rule of this.rulesReached(inspected)) this.exercised.add(rule);

    if (inspected.enc) {
      const digest = createHash('sha256').update(body).digest('hex');
      const earlier = this.encs.get(inspected.enc);
      // The same bytes sent again are a retransmission; the same enc with other bytes is a reused ephemeral key.
      if (earlier !== undefined && earlier !== digest) {
        deviations.push({ rule: 'envelope.fresh-ephemeral', detail: 'this enc was already used for another seal' });
      }
      this.encs.set(inspected.enc, digest);
    }

    const ids = inspected.reports.map((r) => r.id);
    let retryTest = false;
    if (this.retry && !this.retry.settled && ids.some((id) => this.retry?.ids.has(id))) {
      this.settleRetry(ids, now, deviations);
    } else if (!this.retry && collectorStatus === 202 && ids.length > 0) {
      this.retry = { ids: new Set(ids), at: now, settled: false };
      retryTest = true;
      setTimeout(() => this.retryDeadline(), this.options.retryAfterSeconds * 1000 + this.options.retryGraceMs).unref();
    }

    if (!retryTest) {
      for (const id of new Set(ids)) {
        if (this.acknowledged.has(id)) {
          deviations.push({ rule: 'report.ids', detail: 'a report id already acknowledged came again', field: 'id' });
        }
      }
      if (collectorStatus === 202) {
        for (const report of inspected.reports) {
          const appDay = `${report.app}\u0000${report.day}`;
          const earlier = this.appDays.get(appDay);
          if (earlier !== undefined && earlier !== report.id) {
            deviations.push({
              rule: 'report.one-per-day',
              detail: `a second report for ${report.day}`,
              field: 'day',
            });
          }
          this.appDays.set(appDay, report.id);
          this.acknowledged.add(report.id);
        }
      }
    }

    const status = retryTest ? 503 : collectorStatus;
    this.uploads.push({
      n: this.uploads.length + 1,
      atMs: now - this.startedAt,
      status,
      reports: ids.length,
      retryTest,
      deviations,
    });
    this.notifyIfComplete();
    return { retryTest };
  }

  private rulesReached(inspected: InspectedUpload): Rule[] {
    const order: Rule[] = [
      'upload.content-type',
      'upload.headers',
      'envelope.framing',
      'envelope.suite',
      'envelope.key-id',
      'envelope.opens',
      'compression.gzip',
      'batch.json',
      'batch.schema',
      'report.personal-data',
      'report.values',
      'report.day-ended',
      'report.ids',
      'report.one-per-day',
    ];
    // Rules up to the first failed step were exercised; later ones were not reached by this upload.
    const failed = new Set(inspected.deviations.map((d) => d.rule));
    const stops: Rule[] = [
      'envelope.framing',
      'envelope.suite',
      'envelope.key-id',
      'envelope.opens',
      'compression.gzip',
      'batch.json',
      'batch.schema',
    ];
    const reached: Rule[] = [];
    for (const rule of order) {
      reached.push(rule);
      if (stops.includes(rule) && failed.has(rule)) break;
    }
    if (inspected.enc) reached.push('envelope.fresh-ephemeral', 'keys.fetched');
    return reached;
  }

  private settleRetry(ids: string[], now: number, deviations: Deviation[]): void {
    const retry = this.retry;
    if (!retry) return;
    retry.settled = true;
    this.exercised.add('retry.honoured');
    const waitedMs = now - retry.at;
    if (waitedMs < this.options.retryAfterSeconds * 1000) {
      deviations.push({
        rule: 'retry.honoured',
        detail: `retried after ${(waitedMs / 1000).toFixed(1)} s; Retry-After asked for ${this.options.retryAfterSeconds} s`,
      });
    }
    const sent = new Set(ids);
    const missing = [...retry.ids].filter((id) => !sent.has(id)).length;
    if (missing > 0) {
      deviations.push({ rule: 'retry.honoured', detail: `${missing} report(s) refused with 503 were not sent again` });
    }
  }

  private retryDeadline(): void {
    const retry = this.retry;
    if (!retry || retry.settled) return;
    retry.settled = true;
    this.exercised.add('retry.honoured');
    const waited = this.options.retryAfterSeconds + this.options.retryGraceMs / 1000;
    this.sessionDeviations.push({
      rule: 'retry.honoured',
      detail: `no retry within ${waited.toFixed(0)} s of the 503`,
    });
    this.retryMissed = true;
    this.notifyIfComplete();
  }

  private notifyIfComplete(): void {
    if (!this.complete) return;
    const listeners = this.settledListeners;
    this.settledListeners = [];
    for (const resolve of listeners) resolve();
  }

  summary(): ConformanceSummary {
    const now = this.options.now();
    const counts = new Map<Rule, number>();
    const all = [...this.uploads.flatMap((u) => u.deviations), ...this.sessionDeviations];
    for (const d of all) counts.set(d.rule, (counts.get(d.rule) ?? 0) + 1);
    if (this.keyFetches === 0 && this.uploads.length > 0) {
      counts.set('keys.fetched', (counts.get('keys.fetched') ?? 0) + 1);
    }
    const rules = (Object.keys(RULES) as Rule[]).map((rule) => {
      const deviations = counts.get(rule) ?? 0;
      const result: RuleResult['result'] = deviations > 0 ? 'fail' : this.exercised.has(rule) ? 'pass' : 'untested';
      return { rule, title: RULES[rule], result, deviations };
    });
    const sessionDeviations = [...this.sessionDeviations];
    if (this.keyFetches === 0 && this.uploads.length > 0) {
      sessionDeviations.push({ rule: 'keys.fetched', detail: `uploads came without a GET /v1/keys` });
    }
    return {
      protocol: 'candor report v1',
      result: rules.every((r) => r.result === 'pass') ? 'pass' : 'fail',
      startedAt: new Date(this.startedAt).toISOString(),
      finishedAt: new Date(now).toISOString(),
      keyFetches: this.keyFetches,
      uploads: this.uploads.map((u) => ({ ...u, deviations: [...u.deviations] })),
      rules,
      sessionDeviations,
    };
  }
}
