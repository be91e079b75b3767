import { createHash, randomBytes } from 'node:crypto';
import type { MetricDefinition, Prio3Value, Registry, ReleasePlan, Report } from '@candor/protocol';
import { addNoise, decodeVector, encodeVector, unshardSigned } from '@candor/protocol/prio3';
import type { Logger } from 'pino';
import type { RegistrySet } from '../registry/set.js';
import type { Noise } from '../release/noise.js';
import type { CellLine, GroupingRelease } from '../release/types.js';
import { type LeaderStart, leaderFinish, leaderInit, type SharedSecret, vdafOf } from './prepare.js';
import { drawNoise, noiseScales, plannedFor, releaseLines } from './release.js';
import { type Prio3Store, type Row, valuesList } from './store.js';
import {
  type AggregateRequest,
  type AggregateResponse,
  type CollectRequest,
  type CollectResponse,
  PRIO3_PATHS,
} from './wire.js';

export interface LeaderOptions {
  store: Prio3Store;
  registries: RegistrySet;
  secret: SharedSecret;
  /** The helper's base URL. */
  helper: string;
  log: Logger;
  /** Reports per aggregation job. */
  jobSize?: number;
  /** First retry delay after the helper failed; doubles up to `retryCapMs`. */
  retryBaseMs?: number;
  retryCapMs?: number;
  fetch?: typeof fetch;
}

/** p3_reports' columns as a report brings them (then `job` and `state`). */
const P3_REPORT_COLUMNS = ['id', 'metric', 'app', 'registry', 'day', 'public', 'leader', 'helper'];

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/**
 * The leader's side: keeps each accepted report's shares until an aggregation job with the helper has verified
 * them, runs those jobs (retrying with backoff while the helper is down; a job keeps its id, so a retry the
 * helper already answered gets the same answer and nothing is lost or counted twice), and at release collects
 * the helper's noised aggregate share for each secret-shared metric.
 */
export class Prio3Leader {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failures = 0;
  private again = false;
  private closed = false;
  private readonly fetch: typeof fetch;
  /** Shares waiting for the next write, and that write (not started yet). */
  private incoming: Row[] = [];
  private keeping: Promise<void> | null = null;

  constructor(private readonly options: LeaderOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  /**
   * Keeps the secret-shared values of accepted reports; called before their rows are stored. Uploads arriving
   * while a write waits share the next one (a group commit): one statement for all of them.
   */
  async accept(reports: readonly Report[]): Promise<void> {
    const rows: Row[] = [];
    for (const report of reports) {
      const registry = this.options.registries.get(report.app, report.registry);
      for (const [metric, value] of Object.entries(report.metrics)) {
        if (!registry?.metrics[metric]?.prio3) continue;
        const v = value as Prio3Value;
        const { id, app, registry: version, day } = report;
        rows.push({ id, metric, app, registry: version, day, public: v.public, leader: v.leader, helper: v.helper });
      }
    }
    if (!rows.length) return;
    this.incoming.push(...rows);
    if (!this.keeping) {
      const write = this.options.store.transaction(async (run) => {
        // From here on arrivals wait for the next write.
        this.keeping = null;
        const seen = new Set<string>();
        const batch = this.incoming.splice(0).filter((r) => {
          const key = `${r.id}|${r.metric}`;
          return !seen.has(key) && seen.add(key);
        });
        const { sql, params } = valuesList(batch, P3_REPORT_COLUMNS);
        await run(
          `INSERT INTO p3_reports SELECT *, NULL, 'pending' FROM (VALUES ${sql}) ON CONFLICT DO NOTHING`,
          params,
        );
      });
      this.keeping = write;
      // A write that failed before it took its rows fails every upload waiting on it: their rows go too.
      write.catch(() => {
        if (this.keeping !== write) return;
        this.keeping = null;
        this.incoming = [];
      });
    }
    await this.keeping;
    this.soon(0);
  }

  /** Schedules a pass of aggregation jobs. */
  soon(delayMs: number): void {
    // A pass under way may have looked for pending reports already: it runs once more when it ends.
    if (this.running) this.again = true;
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.drain().catch(() => undefined);
    }, delayMs);
    this.timer.unref();
  }

  /** Runs aggregation jobs until nothing is pending; throws (and schedules a retry) when the helper fails. */
  drain(): Promise<void> {
    this.running ??= (async () => {
      try {
        do {
          this.again = false;
          while (await this.runJob()) {}
        } while (this.again);
        this.failures = 0;
      } catch (error) {
        this.failures++;
        const base = this.options.retryBaseMs ?? 500;
        const delay = Math.min(this.options.retryCapMs ?? 30_000, base * 2 ** Math.min(this.failures - 1, 16));
        this.options.log.warn({ err: String(error), retryInMs: delay }, 'prio3 aggregation job failed; will retry');
        this.soon(delay);
        throw error;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private definition(app: string, registry: string, metric: string): MetricDefinition | undefined {
    const def = this.options.registries.get(app, registry)?.metrics[metric];
    return def?.prio3 ? def : undefined;
  }

  /** One aggregation job: the oldest unfinished job, or a new one over pending reports. False when none. */
  private async runJob(): Promise<boolean> {
    const store = this.options.store;
    const job = await store.transaction(async (run) => {
      const open = await run(`SELECT job FROM p3_reports WHERE state = 'pending' AND job IS NOT NULL LIMIT 1`);
      if (open[0]) return String(open[0].job);
      const fresh = randomBytes(16).toString('hex');
      await run(
        `UPDATE p3_reports SET job = $job WHERE (id, metric) IN
           (SELECT (id, metric) FROM p3_reports WHERE state = 'pending' AND job IS NULL LIMIT ${this.options.jobSize ?? 200})`,
        { job: fresh },
      );
      const taken = await run(`SELECT count(*) AS n FROM p3_reports WHERE job = $job`, { job: fresh });
      return Number(taken[0]?.n ?? 0) > 0 ? fresh : null;
    });
    if (!job) return false;
    const rows = await store.query(
      `SELECT id, metric, app, registry, day, public, leader, helper FROM p3_reports WHERE job = $job AND state = 'pending' ORDER BY id, metric`,
      { job },
    );
    const started = new Map<string, LeaderStart>();
    const rejected: string[][] = [];
    const request: AggregateRequest = { job, items: [] };
    for (const row of rows) {
      const [id, metric, app, registry] = [row.id, row.metric, row.app, row.registry].map(String) as [
        string,
        string,
        string,
        string,
      ];
      const def = this.definition(app, registry, metric);
      try {
        if (!def) throw new Error('not a secret-shared metric');
        const start = await leaderInit(
          vdafOf(def),
          this.options.secret.verifyKey,
          id,
          String(row.public),
          String(row.leader),
        );
        started.set(`${id}|${metric}`, start);
        request.items.push({
          id,
          app,
          registry,
          metric,
          day: String(row.day),
          public: String(row.public),
          helper: String(row.helper),
          prepare: start.prepareShare,
        });
      } catch {
        rejected.push([id, metric]);
      }
    }
    const answer = request.items.length
      ? await this.post<AggregateResponse>(PRIO3_PATHS.aggregate, request)
      : { items: [] };
    // An item the helper gave no answer for is dropped: resending the job would get the same (kept) answer.
    const answered = new Set(answer.items.map((i) => `${i.id}|${i.metric}`));
    for (const item of request.items)
      if (!answered.has(`${item.id}|${item.metric}`)) rejected.push([item.id, item.metric]);
    const outputs: { id: string; metric: string; app: string; day: string; output: string }[] = [];
    const byKey = new Map(rows.map((r) => [`${r.id}|${r.metric}`, r]));
    for (const item of answer.items) {
      const key = `${item.id}|${item.metric}`;
      const start = started.get(key);
      const row = byKey.get(key);
      if (!start || !row) continue;
      const def = this.definition(String(row.app), String(row.registry), item.metric) as MetricDefinition;
      if (!item.ok) {
        rejected.push([item.id, item.metric]);
        continue;
      }
      try {
        outputs.push({
          id: item.id,
          metric: item.metric,
          app: String(row.app),
          day: String(row.day),
          output: leaderFinish(vdafOf(def), start, item.message),
        });
      } catch {
        rejected.push([item.id, item.metric]);
      }
    }
    // Every report of the job ends verified (its output share kept) or rejected; either way its shares are cleared.
    await store.transaction(async (run) => {
      if (outputs.length) {
        const { sql, params } = valuesList(outputs, ['id', 'metric', 'app', 'day', 'output']);
        await run(`INSERT INTO p3_outputs VALUES ${sql} ON CONFLICT DO NOTHING`, params);
      }
      const done = valuesList(outputs, ['id', 'metric']);
      await run(
        `UPDATE p3_reports SET state = CASE WHEN (id, metric) IN (${outputs.length ? done.sql : '(NULL, NULL)'})
           THEN 'done' ELSE 'rejected' END, public = '', leader = '', helper = ''
         WHERE job = $job AND state = 'pending'`,
        { ...done.params, job },
      );
    });
    if (rejected.length) this.options.log.warn({ rejected: rejected.length }, 'prio3 shares failed verification');
    return true;
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const response = await this.fetch(this.options.helper + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.secret.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok)
      throw new Error(`helper answered ${response.status} to ${path}: ${(await response.text()).slice(0, 200)}`);
    return (await response.json()) as T;
  }

  /**
   * The released lines of one day's secret-shared metrics. Every report of the day must have been through an
   * aggregation job first (so both aggregators hold the same batch); while the helper is down this throws and
   * the day waits for the next release pass.
   */
  async release(
    registry: Registry,
    day: string,
    plan: ReleasePlan,
    noise: Noise,
  ): Promise<{ groupings: GroupingRelease[]; lines: CellLine[] }> {
    const pending = await this.options.store.query(
      `SELECT count(*) AS n FROM p3_reports WHERE app = $app AND day = $day AND state = 'pending'`,
      { app: registry.app, day },
    );
    if (Number(pending[0]?.n ?? 0) > 0) {
      // While the helper is failing the retry loop owns the jobs: a release (and the query behind it) does not
      // wait for another attempt.
      if (this.failures > 0) throw new Error('the Prio3 helper is unavailable; the day waits for it');
      await this.drain();
    }
    const groupings: GroupingRelease[] = [];
    const lines: CellLine[] = [];
    for (const [metric, def] of Object.entries(registry.metrics)) {
      if (!def.prio3) continue;
      const vdaf = vdafOf(def);
      const planned = plannedFor(plan, metric);
      const mine = await ownNoisedShare(this.options.store, registry.app, day, metric, def, planned, noise);
      const theirs = await this.post<CollectResponse>(PRIO3_PATHS.collect, {
        app: registry.app,
        day,
        metric,
        count: mine.count,
        checksum: mine.checksum,
      } satisfies CollectRequest);
      const vector = unshardSigned(vdaf, [
        mine.share,
        decodeVector(vdaf, new Uint8Array(Buffer.from(theirs.share, 'base64url'))),
      ]);
      const released = releaseLines(day, planned, vector, mine.count, noise);
      groupings.push(released.grouping);
      lines.push(...released.lines);
    }
    return { groupings, lines };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.options.store.close();
  }
}

/** The two aggregators do not hold the same reports for a cell (yet): the collection is tried again later. */
export class BatchMismatch extends Error {}

/** Which reports a batch holds, as DAP checks it: the XOR of the SHA-256 of each report id. */
function batchChecksum(ids: readonly string[]): string {
  const sum = Buffer.alloc(32);
  for (const id of ids) {
    const hash = createHash('sha256').update(Buffer.from(id, 'hex')).digest();
    for (let i = 0; i < 32; i++) sum[i] = (sum[i] ?? 0) ^ (hash[i] ?? 0);
  }
  return sum.toString('hex');
}

/** The reports behind one aggregator's share of a cell: how many, and their checksum. */
export interface BatchOf {
  count: number;
  checksum: string;
}

/**
 * Sums an aggregator's output shares of one cell and adds its own noise; kept, so it is drawn only once. With
 * `expect` (the helper, given the leader's batch), a different batch is refused before anything is drawn.
 */
export async function ownNoisedShare(
  store: Prio3Store,
  app: string,
  day: string,
  metric: string,
  def: MetricDefinition,
  planned: ReturnType<typeof plannedFor>,
  noise: Noise,
  expect?: BatchOf,
): Promise<BatchOf & { share: bigint[] }> {
  const vdaf = vdafOf(def);
  const decode = (text: unknown) => decodeVector(vdaf, new Uint8Array(Buffer.from(String(text), 'base64url')));
  const mismatch = (mine: BatchOf) =>
    expect && (expect.count !== mine.count || expect.checksum !== mine.checksum)
      ? new BatchMismatch(`batch mismatch: this aggregator has ${mine.count} reports, the leader ${expect.count}`)
      : null;
  return store.transaction(async (run) => {
    const kept = await run(
      'SELECT count, checksum, share FROM p3_collected WHERE app = $app AND day = $day AND metric = $metric',
      { app, day, metric },
    );
    if (kept[0]) {
      const batch = { count: Number(kept[0].count), checksum: String(kept[0].checksum) };
      const wrong = mismatch(batch);
      if (wrong) throw wrong;
      return { ...batch, share: decode(kept[0].share) };
    }
    const outputs = await run(
      'SELECT id, output FROM p3_outputs WHERE app = $app AND day = $day AND metric = $metric AND output IS NOT NULL',
      { app, day, metric },
    );
    const batch = { count: outputs.length, checksum: batchChecksum(outputs.map((o) => String(o.id))) };
    const wrong = mismatch(batch);
    if (wrong) throw wrong;
    const sum = vdaf.aggregate(
      null,
      outputs.map((o) => decode(o.output)),
    );
    const share = addNoise(vdaf, sum, drawNoise(noiseScales(def, planned), noise));
    await run('INSERT INTO p3_collected VALUES ($app, $day, $metric, $count, $checksum, $share)', {
      app,
      day,
      metric,
      ...batch,
      share: b64(encodeVector(vdaf, share)),
    });
    return { ...batch, share };
  });
}
