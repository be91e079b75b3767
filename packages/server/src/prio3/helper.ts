import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PRIVACY_BUDGET, PATHS, type PrivacyBudget, type Registry, releasePlan } from '@candor/protocol';
import { encodeVector } from '@candor/protocol/prio3';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { ensureKey, KeyRing } from '../keys/keyring.js';
import { createLogger, type LogOptions } from '../log.js';
import { openEnvelope } from '../open/envelope.js';
import { RegistrySet } from '../registry/set.js';
import { discreteLaplace, type Noise } from '../release/noise.js';
import { BatchMismatch, ownNoisedShare } from './leader.js';
import { helperPrepare, readSharedSecret, vdafOf } from './prepare.js';
import { plannedFor } from './release.js';
import { Prio3Store, type Row, valuesList } from './store.js';
import {
  type AggregateItemResult,
  type AggregateRequest,
  AggregateRequestSchema,
  type AggregateResponse,
  CollectRequestSchema,
  PRIO3_PATHS,
} from './wire.js';

export interface HelperOptions {
  host?: string;
  port?: number;
  registries: Registry[];
  /** Its own HPKE keys (created when missing): devices seal the helper's shares to them. */
  keysDir: string;
  /** Its own store: 'PATH' or ':memory:'. */
  store: string;
  /** The file holding the verify key shared with the leader. */
  secretFile: string;
  privacy?: PrivacyBudget;
  noise?: Noise;
  /** Origins whose pages may fetch the helper's key config. */
  allowOrigins?: string[];
  log?: LogOptions;
}

export interface Helper {
  url: string;
  port: number;
  store: Prio3Store;
  close(): Promise<void>;
}

/** The plaintext of a sealed helper share: the share bound to its report, so it cannot be moved to another. */
const SealedShareSchema = z.strictObject({ id: z.string(), metric: z.string(), share: z.string().max(4096) });
type SealedShare = z.infer<typeof SealedShareSchema>;

const MAX_SHARE_PLAINTEXT = 4096;

/**
 * The helper aggregator: it serves its key config, prepares the shares the leader forwards (still sealed to the
 * helper) and answers the leader's collection with its own noised aggregate share. It never sees a report, an
 * address or a plain measurement, and holds only its shares and its output shares.
 */
export async function startHelper(options: HelperOptions): Promise<Helper> {
  const log = createLogger({ ...options.log });
  const registries = new RegistrySet(options.registries);
  const secret = await readSharedSecret(options.secretFile, true);
  const { created, key } = await ensureKey(options.keysDir);
  if (created) log.info({ keyId: key.id }, 'created helper HPKE key');
  const keys = await KeyRing.open(options.keysDir);
  const store = await Prio3Store.open(options.store);
  const noise = options.noise ?? discreteLaplace();
  const budget = options.privacy ?? DEFAULT_PRIVACY_BUDGET;
  const plans = new Map(registries.apps().map((app) => [app, releasePlan(registries.latest(app) as Registry, budget)]));

  const app = new Hono();
  app.onError((error, c) => {
    log.error({ err: String(error), route: c.req.routePath }, 'helper request failed');
    return c.json({ error: 'internal' }, 500);
  });
  if (options.allowOrigins?.length) app.use(PATHS.keys, cors({ origin: options.allowOrigins, allowMethods: ['GET'] }));
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get(PATHS.keys, (c) => c.json(keys.configs(), 200, { 'cache-control': 'max-age=300' }));
  // A job holds at most 1000 reports of a few KB each (wire.ts).
  app.use('/v1/prio3/*', bodyLimit({ maxSize: 32 * 1024 * 1024 }));
  const expected = Buffer.from(`Bearer ${secret.token}`);
  app.use('/v1/prio3/*', async (c, next) => {
    const given = Buffer.from(c.req.header('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return c.json({ error: 'not the leader' }, 401);
    await next();
  });

  // One job at a time: the replay guard is a read then a write, which two jobs at once could interleave.
  let jobs: Promise<unknown> = Promise.resolve();
  app.post(PRIO3_PATHS.aggregate, async (c) => {
    const parsed = AggregateRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: parsed.error.issues[0]?.message ?? 'bad request' }, 400);
    const run = jobs.then(() => aggregate(parsed.data));
    jobs = run.catch(() => undefined);
    return c.json(await run);
  });

  async function aggregate({ job, items }: AggregateRequest): Promise<AggregateResponse> {
    const answered = await store.query('SELECT response FROM p3_jobs WHERE job = $job', { job });
    if (answered[0]) return JSON.parse(String(answered[0].response)) as AggregateResponse;
    const results: AggregateItemResult[] = [];
    const outputs: { id: string; metric: string; app: string; day: string; output: string | null }[] = [];
    const seenNow = new Set<string>();
    // What the job needs to know of earlier ones, in two queries for the whole job rather than two per report.
    const known = async (sql: string, column: string, values: string[], key: (r: Row) => string) => {
      if (!values.length) return new Set<string>();
      const list = valuesList(
        values.map((v) => ({ [column]: v })),
        [column],
      );
      return new Set((await store.query(`${sql} WHERE ${column} IN (${list.sql})`, list.params)).map(key));
    };
    const seenBefore = await known(
      'SELECT id, metric FROM p3_outputs',
      'id',
      items.map((i) => i.id),
      (r) => `${r.id}|${r.metric}`,
    );
    const collectedCells = await known(
      'SELECT app, day, metric FROM p3_collected',
      'day',
      [...new Set(items.map((i) => i.day))],
      (r) => `${r.app}|${r.day}|${r.metric}`,
    );
    for (const item of items) {
      const key = `${item.id}|${item.metric}`;
      const reject = (reason: string) => {
        results.push({ id: item.id, metric: item.metric, ok: false, reason });
        if (!seenNow.has(key))
          outputs.push({ id: item.id, metric: item.metric, app: item.app, day: item.day, output: null });
        seenNow.add(key);
      };
      if (seenBefore.has(key) || seenNow.has(key)) {
        results.push({ id: item.id, metric: item.metric, ok: false, reason: 'report replayed' });
        continue;
      }
      if (collectedCells.has(`${item.app}|${item.day}|${item.metric}`)) {
        reject('batch already collected');
        continue;
      }
      const def = registries.get(item.app, item.registry)?.metrics[item.metric];
      if (!def?.prio3) {
        reject('not a secret-shared metric');
        continue;
      }
      if (!keys.recipientFor(Buffer.from(item.helper, 'base64url')[0] ?? 0)) await keys.refreshIfStale();
      const opened = openEnvelope(
        Buffer.from(item.helper, 'base64url'),
        (id) => keys.recipientFor(id),
        MAX_SHARE_PLAINTEXT,
      );
      if (!opened.ok) {
        reject(`share does not open: ${opened.failure.reason}`);
        continue;
      }
      let sealed: SealedShare | null = null;
      try {
        sealed = SealedShareSchema.parse(JSON.parse(opened.plaintext.toString('utf8')));
      } catch {
        // Whatever a client sealed, it only ever rejects its own report, never the job.
      }
      if (!sealed) {
        reject('share is not {id, metric, share}');
        continue;
      }
      if (sealed.id !== item.id || sealed.metric !== item.metric) {
        reject('share belongs to another report');
        continue;
      }
      try {
        const done = await helperPrepare(
          vdafOf(def),
          secret.verifyKey,
          item.id,
          item.public,
          new Uint8Array(Buffer.from(sealed.share, 'base64url')),
          item.prepare,
        );
        results.push({ id: item.id, metric: item.metric, ok: true, message: done.message });
        outputs.push({ id: item.id, metric: item.metric, app: item.app, day: item.day, output: done.output });
        seenNow.add(key);
      } catch (error) {
        reject(`verification failed: ${(error as Error).message}`);
      }
    }
    const response: AggregateResponse = { items: results };
    // The outputs, the replay guard and the job's answer are kept in one transaction.
    await store.transaction(async (run) => {
      if (outputs.length) {
        const { sql, params } = valuesList(outputs, ['id', 'metric', 'app', 'day', 'output']);
        await run(`INSERT INTO p3_outputs VALUES ${sql} ON CONFLICT DO NOTHING`, params);
      }
      await run('INSERT INTO p3_jobs VALUES ($job, $response)', { job, response: JSON.stringify(response) });
    });
    const rejected = results.filter((r) => !r.ok).length;
    if (rejected) log.warn({ job, rejected }, 'prio3 shares rejected');
    return response;
  }

  app.post(PRIO3_PATHS.collect, async (c) => {
    const parsed = CollectRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: parsed.error.issues[0]?.message ?? 'bad request' }, 400);
    const { app: name, day, metric, count, checksum } = parsed.data;
    const registry = registries.latest(name);
    const def = registry?.metrics[metric];
    const plan = plans.get(name);
    if (!registry || !def?.prio3 || !plan) return c.json({ error: 'not a secret-shared metric' }, 404);
    // The noise scale comes from the helper's own plan, never from the request: the leader cannot ask for less.
    let mine: Awaited<ReturnType<typeof ownNoisedShare>>;
    try {
      mine = await ownNoisedShare(store, name, day, metric, def, plannedFor(plan, metric), noise, { count, checksum });
    } catch (error) {
      if (error instanceof BatchMismatch) return c.json({ error: error.message }, 409);
      throw error;
    }
    return c.json({ share: Buffer.from(encodeVector(vdafOf(def), mine.share)).toString('base64url') });
  });

  const server = createServer(getRequestListener(app.fetch));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ready());
  });
  const port = (server.address() as AddressInfo).port;
  // Rotation may happen in another process (`candor keys rotate --keys DIR`), as for the collector.
  const keyRefresh = setInterval(() => void keys.refresh().catch(() => {}), 60_000);
  keyRefresh.unref();
  const url = `http://${host}:${port}`;
  log.info({ url }, 'prio3 helper listening');
  return {
    url,
    port,
    store,
    async close() {
      clearInterval(keyRefresh);
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}
