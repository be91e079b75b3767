import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  acceptedDays,
  candorBrowserRegistry,
  DEFAULT_PRIVACY_BUDGET,
  PATHS,
  PROBLEM_UNKNOWN_KEY,
  type PrivacyBudget,
  type Registry,
} from '@candor/protocol';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { DedupeWindow } from './dedupe/window.js';
import { PiiFirewall } from './firewall/firewall.js';
import { createApp } from './http/app.js';
import { createInspector, type Inspection } from './ingest/inspect.js';
import { InspectorPool, poolAvailable } from './ingest/pool.js';
import { uploadRoute } from './ingest/route.js';
import { StoreSink } from './ingest/store-sink.js';
import { createUploadProcessor, emptyIngestStats, type IngestAnswer, type IngestStats } from './ingest/upload.js';
import { writePrivateFile } from './keys/files.js';
import { ensureKey, KeyRing } from './keys/keyring.js';
import { OhttpKeys } from './keys/ohttp.js';
import { createToken, listTokens, TokenVerifier } from './keys/tokens.js';
import { DEFAULT_LIMITS, type IngestLimits } from './limits/limits.js';
import { RateLimiter } from './limits/rate.js';
import { createLogger, type LogOptions } from './log.js';
import { Prio3Leader } from './prio3/leader.js';
import { readSharedSecret } from './prio3/prepare.js';
import { Prio3Sink } from './prio3/sink.js';
import { Prio3Store } from './prio3/store.js';
import { ActivityService } from './query/activity.js';
import { QueryService } from './query/service.js';
import { RegistrySet } from './registry/set.js';
import type { Noise } from './release/noise.js';
import { Releaser } from './release/releaser.js';
import { DuckDbStore } from './store/duckdb/store.js';
import type { DedupeKey, ReportSink, ReportStore } from './store/types.js';

export interface CollectorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** 'duckdb:PATH', 'duckdb::memory:', or a ReportStore (e.g. ClickHouse). Default 'duckdb::memory:'. */
  store?: string | ReportStore;
  /** Where accepted reports go; default: flattened into the store. */
  sink?: ReportSink;
  /** The app's metric registry. Default: candor's example registry (candor-browser). */
  registry?: Registry;
  /**
   * Several registries: several apps, and several versions of one app, served at once. Each report is checked
   * against the one its app and registry version name. Takes the place of `registry`.
   */
  registries?: Registry[];
  /** Origins whose pages may upload (CORS on POST /v1/reports and GET /v1/keys), e.g. https://app.example. */
  allowOrigins?: string[];
  /** Called with every upload's answer (accepted or a problem), after it is decided. `candor tail` prints them. */
  onAnswer?: (answer: IngestAnswer) => void;
  /** HPKE keys and query tokens (mode 0600). Created when missing. Default '.candor/keys'. */
  keysDir?: string;
  /** Small state files: the dedupe secret. Default: the parent of keysDir. */
  stateDir?: string;
  /** The privacy budget of one device-day, for all of an app's releases of a day (default DEFAULT_PRIVACY_BUDGET). */
  privacy?: PrivacyBudget;
  /** The release's noise; default discrete Laplace from the OS's CSPRNG. Tests inject a seeded or zero source. */
  noise?: Noise;
  limits?: Partial<IngestLimits>;
  /** Per-client rate limiting; false turns it off (benchmarks). Default on. */
  rateLimit?: boolean;
  /** The clock for the accepted-day window, dedupe and which days are closed (ms since the epoch). Default Date.now. */
  now?: () => number;
  /**
   * Worker threads that open and check uploads. Default: one per core when running compiled (0 from TypeScript
   * sources, e.g. under vitest, and whenever `now` is set); 0 inspects on the main thread.
   */
  workers?: number;
  /** How often closed days are looked for and released, besides before every query (default 10 min). */
  releaseEveryMs?: number;
  /** Create a query token when none exists and return it as `queryToken`. Default true. */
  createQueryToken?: boolean;
  /** Serve the dashboard at /. Default: @candor/dashboard's built assets when present; null to disable. */
  dashboardDir?: string | null;
  log?: LogOptions;
  /**
   * Run as the Prio3 leader of two aggregators (prio3/leader.ts): the secret-shared metrics' shares are kept in
   * `store` ('PATH' or ':memory:', the leader's own), prepared with the helper at `helper`, whose verify key is
   * shared in `secretFile`; failed jobs are retried from `retryBaseMs` (default 500) doubling.
   */
  prio3?: { helper: string; secretFile: string; store: string; retryBaseMs?: number };
}

/**
 * Inspections on the pool's threads. Each thread keeps its own copy of the keys and re-reads it at most every few
 * seconds, while this thread serves a rotated key as soon as it reloads (SIGHUP, `reloadKeys`): an upload sealed to
 * a key the thread does not know yet is inspected here instead of being refused, which would lose its reports.
 */
function inspectInPool(
  pool: InspectorPool,
  inspectHere: (body: Uint8Array) => Promise<Inspection>,
): (body: Uint8Array) => Promise<Inspection> {
  return async (body) => {
    // The pool takes over the body's memory; the copy is for a second look, which is rare.
    const copy = body.slice();
    const inspection = await pool.inspect(body);
    // An upload holding a duplicate (see upload.ts) needs its reports: from a thread like any inspection, so such
    // uploads cannot make the main thread do the inspecting.
    if (inspection.ok) return { ...inspection, recheck: () => pool.inspect(copy, true) };
    if (inspection.problem.type !== PROBLEM_UNKNOWN_KEY) return inspection;
    return inspectHere(copy);
  };
}

export interface Collector {
  url: string;
  port: number;
  host: string;
  /** Set when a token was created on this start (shown once; only its hash is kept). */
  queryToken?: string;
  keysDir: string;
  store: ReportStore;
  stats: IngestStats;
  /** Answers a request in-process, without a socket: the same app the HTTP server runs (fuzzing, tests). */
  handle(request: Request): Promise<Response>;
  /** Re-reads the key directory now (it is also re-read every minute and on an unknown key id). */
  reloadKeys(): Promise<void>;
  close(): Promise<void>;
}

async function openStore(
  store: string | ReportStore | undefined,
  log: Logger,
): Promise<{ store: ReportStore; owned: boolean }> {
  if (store && typeof store !== 'string') return { store, owned: false };
  const spec = store ?? 'duckdb::memory:';
  if (!spec.startsWith('duckdb:')) throw new Error(`unknown store "${spec}"; use duckdb:PATH or duckdb::memory:`);
  const path = spec.slice('duckdb:'.length);
  if (!path) throw new Error('duckdb store needs a path: duckdb:PATH or duckdb::memory:');
  if (path !== ':memory:') {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dirname(resolve(path)), { recursive: true });
  }
  // Only the kind of failure is logged: a database error can quote stored values.
  const onMergeFailed = (error: unknown) =>
    log.error({ err: error instanceof Error ? error.name : 'Error' }, 'store merge failed; rows stay journaled');
  return { store: await DuckDbStore.open(path, { onMergeFailed }), owned: true };
}

async function readSavedKeys(path: string): Promise<DedupeKey[]> {
  try {
    const saved: unknown = JSON.parse(await readFile(path, 'utf8'));
    return Array.isArray(saved)
      ? saved.filter((k): k is DedupeKey => typeof k?.key === 'string' && typeof k?.day === 'string')
      : [];
  } catch {
    return [];
  }
}

async function findDashboard(): Promise<string | null> {
  try {
    const dashboard = (await import('@candor/dashboard')) as { dashboardAssetsDir?: unknown };
    return typeof dashboard.dashboardAssetsDir === 'string' ? dashboard.dashboardAssetsDir : null;
  } catch {
    return null;
  }
}

/** A relay's allowance at the gateway, in devices' worth: it carries many devices' uploads from one address. */
const RELAY_RATE_FACTOR = 1000;

/** Starts the collector: ingest, query API, data dictionary, OpenAPI document and the dashboard. */
export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const registries = new RegistrySet(options.registries ?? [options.registry ?? candorBrowserRegistry]);
  const keysDir = resolve(options.keysDir ?? '.candor/keys');
  const stateDir = resolve(options.stateDir ?? dirname(keysDir));
  const log = createLogger(options.log);
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const budget = options.privacy ?? DEFAULT_PRIVACY_BUDGET;

  const { key, created } = await ensureKey(keysDir);
  if (created) log.info({ keyId: key.id }, 'created HPKE key');
  const keys = await KeyRing.open(keysDir);
  const { keys: ohttpKeys, created: ohttpCreated } = await OhttpKeys.open(keysDir);
  if (ohttpCreated) log.info({ keyId: ohttpKeys.keyId }, 'created Oblivious HTTP gateway key');
  let queryToken: string | undefined;
  if ((options.createQueryToken ?? true) && (await listTokens(keysDir)).length === 0) {
    // Collectors sharing a keys directory may start together: the one that writes the token first shows it.
    queryToken = await createToken(keysDir, 'dashboard').catch(async (error: unknown) => {
      if ((await listTokens(keysDir)).some((t) => t.name === 'dashboard')) return undefined;
      throw error;
    });
  }

  const { store, owned } = await openStore(options.store, log);
  const leader = options.prio3
    ? new Prio3Leader({
        store: await Prio3Store.open(options.prio3.store),
        registries,
        secret: await readSharedSecret(options.prio3.secretFile, true),
        helper: options.prio3.helper.replace(/\/$/, ''),
        log,
        ...(options.prio3.retryBaseMs ? { retryBaseMs: options.prio3.retryBaseMs } : {}),
      })
    : null;
  const plainSink = options.sink ?? new StoreSink(store, registries);
  const sink: ReportSink = leader ? new Prio3Sink(leader, plainSink) : plainSink;
  const now = options.now ?? Date.now;
  const dedupeSecret = await DedupeWindow.secretIn(stateDir);
  const dedupe = new DedupeWindow(now);
  // Dedupe keys are durable with the rows they guard when the store keeps them (DuckDB); with another sink
  // (JetStream, which dedupes by message id itself) they are saved to a file on close.
  const keysInStore = !options.sink && store.dedupeKeys !== undefined;
  const dedupePath = join(stateDir, 'dedupe-keys.json');
  if (keysInStore) dedupe.load(await (store.dedupeKeys?.(acceptedDays(now()).from) ?? []));
  else dedupe.load(await readSavedKeys(dedupePath));

  // One releaser per app, over its newest registry: each app's device-days have their own budget and releases.
  const releasers = new Map(
    registries.apps().map((app) => {
      const registry = registries.latest(app) as Registry;
      const releaser = new Releaser({
        registry,
        store,
        budget,
        ...(options.noise ? { noise: options.noise } : {}),
        ...(leader ? { secretShared: leader.release.bind(leader) } : {}),
        now: () => new Date(now()),
      });
      return [app, releaser] as const;
    }),
  );
  for (const releaser of releasers.values()) {
    // With a helper that is down, a day waits for the next pass rather than stopping the start.
    await releaser.catchUp().catch((error: unknown) => log.warn({ err: String(error) }, 'release waits'));
  }
  leader?.soon(0);

  const stats = emptyIngestStats();
  const firewall = new PiiFirewall(registries.vocabulary());
  // A test clock cannot cross into worker threads; with one, inspections run on the main thread.
  const workers = options.now ? 0 : (options.workers ?? (poolAvailable() ? availableParallelism() : 0));
  // A sink that takes rows gets them flattened by the inspection, on whichever thread runs it.
  const flatten = sink.acceptRows !== undefined;
  const pool =
    workers > 0
      ? await InspectorPool.start(workers, { registries: registries.all(), keysDir, limits, dedupeSecret, flatten })
      : null;
  const inspectHere = createInspector({ registries: registries.all(), keys, limits, now, dedupeSecret, flatten });
  const ingest = {
    registry: registries.vocabulary(),
    inspect: pool ? inspectInPool(pool, inspectHere) : inspectHere,
    firewall,
    dedupe,
    sink,
    limits,
    rate: options.rateLimit === false ? null : new RateLimiter(limits.ratePerMinute, limits.burst),
    log,
  };
  // One query service per app, over its newest registry: figures are per app, never mixed.
  const queries = new Map(
    registries.apps().map((app) => {
      const registry = registries.latest(app) as Registry;
      return [app, new QueryService({ registry, store, releaser: releasers.get(app) as Releaser })] as const;
    }),
  );
  const activity = new Map(
    registries.apps().map((app) => {
      const registry = registries.latest(app) as Registry;
      return [app, new ActivityService({ registry, store, releaser: releasers.get(app) as Releaser })] as const;
    }),
  );
  const dashboardDir = options.dashboardDir === undefined ? await findDashboard() : options.dashboardDir;
  const onAnswer = options.onAnswer;
  const withAnswer = (processOne: ReturnType<typeof createUploadProcessor>) =>
    onAnswer
      ? async (upload: Parameters<typeof processOne>[0]) => {
          const answer = await processOne(upload);
          onAnswer(answer);
          return answer;
        }
      : processOne;
  const processUpload = withAnswer(createUploadProcessor(ingest, stats));
  // Uploads through an Oblivious HTTP relay reach the upload route in-process, with no address at all: the
  // per-address rate limit cannot apply (the relay, which sees addresses, limits each client instead).
  const relayed = new Hono().post(
    PATHS.reports,
    uploadRoute(withAnswer(createUploadProcessor({ ...ingest, rate: null }, stats)), limits.maxBodyBytes),
  );
  const app = createApp({
    registries,
    releasers,
    allowOrigins: options.allowOrigins ?? [],
    keys,
    secretSharing: leader !== null,
    tokens: new TokenVerifier(keysDir),
    queries,
    activity,
    ingest,
    stats,
    processUpload,
    dashboardDir,
    gateway: {
      keys: ohttpKeys,
      rate:
        options.rateLimit === false
          ? null
          : new RateLimiter(limits.ratePerMinute * RELAY_RATE_FACTOR, limits.burst * RELAY_RATE_FACTOR),
      forward: async (request) => (request.method === 'GET' ? app.fetch(request) : relayed.fetch(request)),
      maxBodyBytes: limits.maxBodyBytes,
    },
    log,
  });

  const host = options.host ?? '127.0.0.1';
  // Every route, uploads included, goes through the hono app: a node:http fast path for uploads measured no
  // faster in `candor bench collector` (opening, checking and storing dominate, not request plumbing).
  const server = createServer(getRequestListener(app.fetch));
  try {
    await new Promise<void>((ready, fail) => {
      server.once('error', fail);
      server.listen(options.port ?? 0, host, () => ready());
    });
  } catch (error) {
    // A busy port: release what was opened, so the caller can report it and exit cleanly.
    if (!options.sink) await sink.close();
    if (owned) await store.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  // Rotations done by another process (`candor keys rotate`): report keys and gateway keys alike.
  const keyRefresh = setInterval(() => {
    void keys.refresh().catch(() => {});
    void ohttpKeys.refresh().catch(() => {});
  }, 60_000);
  keyRefresh.unref();
  const releasing = setInterval(
    () => {
      for (const releaser of releasers.values()) {
        releaser
          .catchUp()
          .then((days) => days.length && log.info({ days }, 'released closed days'))
          .catch((error: unknown) => log.error({ err: String(error) }, 'release failed'));
      }
    },
    options.releaseEveryMs ?? 10 * 60 * 1000,
  );
  releasing.unref();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'collector listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    host,
    ...(queryToken ? { queryToken } : {}),
    keysDir,
    store,
    stats,
    handle: async (request) => app.fetch(request),
    reloadKeys: async () => {
      await Promise.all([keys.refresh(), ohttpKeys.refresh()]);
    },
    close() {
      closing ??= (async () => {
        clearInterval(keyRefresh);
        clearInterval(releasing);
        await new Promise<void>((done) => {
          server.close(() => done());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await pool?.close();
        await leader?.close();
        if (!options.sink) await sink.close();
        if (!keysInStore) await writePrivateFile(stateDir, 'dedupe-keys.json', JSON.stringify(dedupe.keys()));
        if (owned) await store.close();
        log.flush?.();
      })();
      return closing;
    },
  };
}
