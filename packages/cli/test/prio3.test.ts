// Prio3 across two aggregators: devices (the real SDK) secret-share their values between the leader (the
// collector) and a helper with its own keys and store; only the noised total of a released day is ever combined.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bucketIndex,
  defineRegistry,
  HISTOGRAM_WEIGHT,
  type QueryResult,
  type Registry,
  releaseBucket,
  releasePlan,
  SEALED_CONTENT_TYPE,
} from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { type Collector, type Noise, sealEnvelope, startCollector, startHelper } from '@candor/server';
import { freePort, NO_NOISE_FOR_PLUMBING_TESTS, waitFor } from '@candor/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CandorProcesses, MAIN } from './support/cli-processes.js';

const DAY = Date.parse('2026-11-20T12:00:00Z');
const DAY_TEXT = '2026-11-20';
const common = {
  owner: 'test',
  purpose: 'Checking Prio3 end to end.',
  sensitivity: 'technical',
  expires: 'never',
} as const;
const registry: Registry = defineRegistry({
  app: 'prio3-test',
  version: '2026.11.1',
  metrics: {
    'app.uses': {
      ...common,
      type: 'counter',
      category: 'ui',
      description: 'Uses per day (Sum, 10 bits).',
      max: 1023,
      prio3: true,
    },
    'app.opened': {
      ...common,
      type: 'counter',
      category: 'ui',
      description: 'Opened at all (Count).',
      max: 1,
      prio3: true,
    },
    'app.theme': {
      ...common,
      type: 'enumeration',
      category: 'ui',
      description: 'Theme (Histogram).',
      values: ['light', 'dark', 'system'],
      prio3: true,
    },
    'app.load': {
      ...common,
      type: 'timing_distribution',
      category: 'ui',
      description: 'Load time (Histogram over the release buckets).',
      unit: 'ms',
      prio3: true,
    },
    'app.tabs': {
      ...common,
      type: 'labeled_counter',
      category: 'ui',
      description: 'Tabs opened, by kind (SumVec).',
      labels: ['a', 'b', 'c'],
      max: 15,
      maxTotal: 45,
      prio3: true,
    },
    'app.plain': { ...common, type: 'counter', category: 'ui', description: 'A plain counter beside them.', max: 100 },
  },
});
const THEMES = ['light', 'dark', 'system'] as const;

const processes = new CandorProcesses();
afterEach(() => processes.killAll());

async function ask(collector: Collector, metric: string, by: string): Promise<QueryResult> {
  const response = await fetch(
    `${collector.url}/v1/query?app=${registry.app}&metric=${metric}&by=${by}&from=${DAY_TEXT}&to=${DAY_TEXT}`,
    {
      headers: { authorization: `Bearer ${collector.queryToken}` },
    },
  );
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as QueryResult;
}

/** One device's day: recorded on DAY, sent when the day is over. Returns its report's plain copy from the log. */
async function device(leader: string, helper: string, i: number, fetchImpl?: typeof fetch) {
  let now = DAY;
  const candor = createCandor({
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    registry,
    collector: leader,
    prio3Helper: helper,
    appVersion: '1.0.0',
    system: { modelFamily: 'pixel 7', os: 'android', osMajor: 14, language: 'en' },
    consent: { regime: 'opt-out' },
    storage: memoryQueueStorage(),
    flushIntervalMs: 0,
    pageLifecycle: false,
    now: () => now,
  });
  await candor.ready;
  candor.counter('app.uses').add(i + 1);
  if (i % 2 === 0) candor.counter('app.opened').add(1);
  candor.enumeration('app.theme').set(THEMES[i % 3] as 'light');
  candor.counter('app.plain').add(2);
  if (i % 4) candor.labeledCounter('app.tabs').add('a', i % 4);
  candor.labeledCounter('app.tabs').add('c', 1);
  candor.timing('app.load').record(100);
  candor.timing('app.load').record(110);
  await candor.flush();
  now = DAY + 86_400_000;
  await candor.flush();
  const log = candor.transparencyLog();
  await candor.shutdown();
  return log;
}

async function setup(dir: string, helperUrl: string, noise: Noise = NO_NOISE_FOR_PLUMBING_TESTS) {
  let clock = DAY;
  const leader = await startCollector({
    registries: [registry],
    keysDir: join(dir, 'leader-keys'),
    store: 'duckdb::memory:',
    dashboardDir: null,
    log: { level: 'silent' },
    noise,
    now: () => clock,
    prio3: {
      helper: helperUrl,
      secretFile: join(dir, 'prio3.key'),
      store: join(dir, 'leader-prio3.duckdb'),
      retryBaseMs: 50,
    },
  });
  return {
    leader,
    closeDay: () => {
      clock = DAY + 5 * 86_400_000;
    },
    reopenDay: () => {
      clock = DAY + 86_400_000;
    },
  };
}

describe('Prio3 with a leader and a helper', () => {
  it('aggregates Count, Sum and Histogram exactly (no noise), rejects tampered and replayed shares', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-prio3-'));
    const helper = await startHelper({
      registries: [registry],
      keysDir: join(dir, 'helper-keys'),
      store: join(dir, 'helper-prio3.duckdb'),
      secretFile: join(dir, 'prio3.key'),
      noise: NO_NOISE_FOR_PLUMBING_TESTS,
      log: { level: 'silent' },
    });
    const { leader, closeDay } = await setup(dir, helper.url);
    try {
      const devices = 12;
      let sent = null;
      for (let i = 0; i < devices; i++) sent = await device(leader.url, helper.url, i);
      // The device's own readable record keeps its plain value, and says it left only as shares.
      expect(sent?.[0]?.report.metrics['app.uses']).toBe(devices);

      // A tampered share: a device's leader share with one byte changed is accepted at upload, then fails
      // verification and counts nowhere.
      const { shareReport } = await import('../../sdk/src/prio3/share.js');
      const helperKey = (await (await fetch(`${helper.url}/v1/keys`)).json()).keys[0];
      const last = sent?.[0]?.report as NonNullable<typeof sent>[number]['report'];
      const plainReport = { ...last, id: 'ab'.repeat(16), metrics: { 'app.uses': 5, 'app.plain': 2 } };
      const tampered = await shareReport(plainReport, registry, helperKey, Math.random);
      const value = tampered.metrics['app.uses'] as { leader: string };
      const bytes = Buffer.from(value.leader, 'base64url');
      bytes[3] = (bytes[3] ?? 0) ^ 1;
      value.leader = bytes.toString('base64url');
      const leaderKey = (await (await fetch(`${leader.url}/v1/keys`)).json()).keys[0];
      const body = new Uint8Array(
        sealEnvelope(
          leaderKey.id,
          Buffer.from(leaderKey.publicKey, 'base64url'),
          JSON.stringify({ v: 1, reports: [tampered] }),
        ),
      );
      const upload = await fetch(`${leader.url}/v1/reports`, {
        method: 'POST',
        body,
        headers: { 'content-type': SEALED_CONTENT_TYPE },
      });
      expect(upload.status).toBeLessThan(300);

      // A lie in the public share (the helper's joint randomness part): the two aggregators then verify with
      // different joint randomness, the proof fails, both drop the report, and they still hold the same batch.
      const lying = await shareReport({ ...plainReport, id: 'cd'.repeat(16) }, registry, helperKey, Math.random);
      const lie = lying.metrics['app.uses'] as { public: string };
      const pub = Buffer.from(lie.public, 'base64url');
      pub[pub.length - 1] = (pub[pub.length - 1] ?? 0) ^ 1;
      lie.public = pub.toString('base64url');
      const lied = await fetch(`${leader.url}/v1/reports`, {
        method: 'POST',
        body: new Uint8Array(
          sealEnvelope(
            leaderKey.id,
            Buffer.from(leaderKey.publicKey, 'base64url'),
            JSON.stringify({ v: 1, reports: [lying] }),
          ),
        ),
        headers: { 'content-type': SEALED_CONTENT_TYPE },
      });
      expect(lied.status).toBeLessThan(300);

      // A helper share that opens to something other than {id, metric, share} rejects its own report only: the
      // job it rides in, and every other report in it, go through.
      const odd = await shareReport({ ...plainReport, id: '12'.repeat(16) }, registry, helperKey, Math.random);
      (odd.metrics['app.uses'] as { helper: string }).helper = Buffer.from(
        sealEnvelope(helperKey.id, Buffer.from(helperKey.publicKey, 'base64url'), 'null'),
      ).toString('base64url');
      const oddUpload = await fetch(`${leader.url}/v1/reports`, {
        method: 'POST',
        body: new Uint8Array(
          sealEnvelope(
            leaderKey.id,
            Buffer.from(leaderKey.publicKey, 'base64url'),
            JSON.stringify({ v: 1, reports: [odd] }),
          ),
        ),
        headers: { 'content-type': SEALED_CONTENT_TYPE },
      });
      expect(oddUpload.status).toBeLessThan(300);

      // A share of the wrong length is refused at upload, naming the metric and the share.
      const short = await shareReport({ ...plainReport, id: 'ef'.repeat(16) }, registry, helperKey, Math.random);
      const shortValue = short.metrics['app.uses'] as { leader: string };
      shortValue.leader = shortValue.leader.slice(0, -8);
      const refused = await fetch(`${leader.url}/v1/reports`, {
        method: 'POST',
        body: new Uint8Array(
          sealEnvelope(
            leaderKey.id,
            Buffer.from(leaderKey.publicKey, 'base64url'),
            JSON.stringify({ v: 1, reports: [short] }),
          ),
        ),
        headers: { 'content-type': SEALED_CONTENT_TYPE },
      });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ metric: 'app.uses', field: 'leader' });

      // No plain value of a secret-shared metric is in the leader's store: only the plain counter is.
      const lines = await leader.store.dayLines(registry.app, DAY_TEXT);
      expect(lines.filter((l) => l.metric.startsWith('app.') && l.metric !== 'app.plain')).toEqual([]);

      closeDay();
      const uses = await ask(leader, 'app.uses', 'day');
      expect(uses.cells).toMatchObject([{ key: DAY_TEXT, reports: devices, sum: (devices * (devices + 1)) / 2 }]);
      const opened = await ask(leader, 'app.opened', 'day');
      expect(opened.cells).toMatchObject([{ key: DAY_TEXT, sum: devices / 2 }]);
      const theme = await ask(leader, 'app.theme', 'value');
      expect(Object.fromEntries(theme.cells.map((c) => [c.key, c.reports]))).toEqual({ light: 4, dark: 4, system: 4 });
      const tabs = await ask(leader, 'app.tabs', 'label');
      const expectedA = Array.from({ length: devices }, (_, i) => i % 4).reduce((a, b) => a + b, 0);
      expect(Object.fromEntries(tabs.cells.map((c) => [c.key, c.sum]))).toEqual({ a: expectedA, b: 0, c: devices });
      // The distribution: every device's samples fall in one release bucket, which gets all the weight.
      const [load] = await leader.store.released({
        app: registry.app,
        metric: 'app.load',
        by: 'day',
        from: DAY_TEXT,
        to: DAY_TEXT,
      });
      const bucket = releaseBucket(bucketIndex(100));
      const weights = (load?.lines ?? []).filter((l) => l.bucket >= 0 && l.value !== 0);
      expect(weights).toMatchObject([{ bucket, value: devices * HISTOGRAM_WEIGHT }]);
      expect(load?.lines.find((l) => l.bucket === -1)?.reports).toBe(devices);
      const plain = await ask(leader, 'app.plain', 'day');
      expect(plain.cells).toMatchObject([{ key: DAY_TEXT, reports: devices + 3, sum: 2 * (devices + 3) }]);

      // The helper holds only output shares: none of them is the plain value.
      const outputs = await helper.store.query(`SELECT output FROM p3_outputs WHERE metric = 'app.uses'`);
      expect(outputs.length).toBe(devices + 3); // the three bad ones are kept as seen, with no output
      expect(outputs.filter((o) => o.output === null).length).toBe(3);
      // Each output share is a random field element: none of them is a device's plain count (1 to 12).
      const { decodeVector, prio3For } = await import('@candor/protocol/prio3');
      const vdaf = prio3For({ type: 'sum', bits: 10 });
      const values = outputs.flatMap((o) =>
        o.output ? decodeVector(vdaf, Buffer.from(String(o.output), 'base64url')) : [],
      );
      expect(values.length).toBe(devices);
      expect(values.filter((v) => v <= 1023n)).toEqual([]);

      // A replayed report id is refused by the helper's own dedupe, even from the leader.
      const { readSharedSecret } = await import('../../server/src/prio3/prepare.js');
      const { token } = await readSharedSecret(join(dir, 'prio3.key'), false);
      const seen = await helper.store.query(
        `SELECT id FROM p3_outputs WHERE metric = 'app.uses' AND output IS NOT NULL LIMIT 1`,
      );
      const replay = await fetch(`${helper.url}/v1/prio3/aggregate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          job: 'cd'.repeat(16),
          items: [
            {
              id: String(seen[0]?.id),
              app: registry.app,
              registry: registry.version,
              metric: 'app.uses',
              day: DAY_TEXT,
              public: '',
              helper: 'AA',
              prepare: 'AA',
            },
          ],
        }),
      });
      expect(await replay.json()).toMatchObject({ items: [{ ok: false, reason: 'report replayed' }] });
      // A collection for another set of reports of the same size is refused: the batch is checked by its ids.
      const otherBatch = await fetch(`${helper.url}/v1/prio3/collect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          app: registry.app,
          day: DAY_TEXT,
          metric: 'app.uses',
          count: devices,
          checksum: '0'.repeat(64),
        }),
      });
      expect(otherBatch.status).toBe(409);
      // Nobody but the leader may ask.
      const stranger = await fetch(`${helper.url}/v1/prio3/collect`, { method: 'POST', body: '{}' });
      expect(stranger.status).toBe(401);
    } finally {
      await leader.close();
      await helper.close();
    }
    // The leader's own Prio3 store, read after it closed: shares are dropped once prepared, and what it keeps
    // (its output shares) is random, never a device's count.
    const { Prio3Store } = await import('../../server/src/prio3/store.js');
    const kept = await Prio3Store.open(join(dir, 'leader-prio3.duckdb'));
    try {
      const left = await kept.query(`SELECT count(*) AS n FROM p3_reports WHERE leader <> '' OR helper <> ''`);
      expect(Number(left[0]?.n)).toBe(0);
      const { decodeVector, prio3For } = await import('@candor/protocol/prio3');
      const vdaf = prio3For({ type: 'sum', bits: 10 });
      const mine = await kept.query(`SELECT output FROM p3_outputs WHERE metric = 'app.uses'`);
      const values = mine.flatMap((o) => decodeVector(vdaf, Buffer.from(String(o.output), 'base64url')));
      expect(values.length).toBe(12);
      expect(values.filter((v) => v <= 1023n)).toEqual([]);
    } finally {
      await kept.close();
    }
  }, 60_000);

  it('each aggregator adds its own noise at the full scale, so neither alone holds an unnoised total', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-prio3-noise-'));
    // Constant draws that record their scale: the released figure shows whose noise it carries.
    const helperScales: number[] = [];
    const leaderScales: number[] = [];
    const helper = await startHelper({
      registries: [registry],
      keysDir: join(dir, 'helper-keys'),
      store: ':memory:',
      secretFile: join(dir, 'prio3.key'),
      noise: (scale) => {
        helperScales.push(scale);
        return 7;
      },
      log: { level: 'silent' },
    });
    const { leader, closeDay } = await setup(dir, helper.url, (scale) => {
      leaderScales.push(scale);
      return 3;
    });
    try {
      const devices = 6;
      for (let i = 0; i < devices; i++) await device(leader.url, helper.url, i);
      closeDay();
      const uses = await ask(leader, 'app.uses', 'day');
      // The value carries both aggregators' noise; the device-day count, which the leader sees anyway, the leader's.
      expect(uses.cells).toMatchObject([{ reports: devices + 3, sum: (devices * (devices + 1)) / 2 + 7 + 3 }]);
      const theme = await ask(leader, 'app.theme', 'value');
      expect(Object.fromEntries(theme.cells.map((c) => [c.key, c.reports]))).toEqual({
        light: 12,
        dark: 12,
        system: 12,
      });
      // Each at the plan's full scale for that figure: the helper's noise alone protects against the leader.
      const plan = releasePlan(registry);
      expect(helperScales).toContain(plan.find('app.uses', 'day')?.valueScale);
      expect(helperScales).toContain(plan.find('app.theme', 'value')?.reportsScale);
      expect(leaderScales).toContain(plan.find('app.uses', 'day')?.valueScale);
      expect(leaderScales).toContain(plan.find('app.theme', 'value')?.reportsScale);
      // Answers state intervals for two draws: the stored scale has the variance of both (about sqrt(2) wider).
      const [stored] = await leader.store.released({
        app: registry.app,
        metric: 'app.uses',
        by: 'day',
        from: DAY_TEXT,
        to: DAY_TEXT,
      });
      const ratio = (stored?.grouping.valueScale ?? 0) / (plan.find('app.uses', 'day')?.valueScale ?? 1);
      expect(ratio).toBeGreaterThan(1.4);
      expect(ratio).toBeLessThan(1.43);
      // Asked again, the release is the same: neither share is drawn twice.
      expect(await ask(leader, 'app.uses', 'day')).toEqual(uses);
    } finally {
      await leader.close();
      await helper.close();
    }
  }, 60_000);

  it('a helper process that is down: reports wait, and nothing is lost once it is back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-prio3-down-'));
    const port = await freePort();
    const helperUrl = `http://127.0.0.1:${port}`;
    const registryFile = join(dir, 'registry.json');
    await writeFile(registryFile, JSON.stringify(registry));
    const helperArgs = [
      'serve',
      '--role',
      'helper',
      '--port',
      String(port),
      '--keys',
      join(dir, 'helper-keys'),
      '--prio3-key',
      join(dir, 'prio3.key'),
      '--prio3-store',
      join(dir, 'helper-prio3.duckdb'),
      '--registry',
      registryFile,
      '--log-level',
      'warn',
    ];
    const up = async () => {
      const proc = processes.run(helperArgs);
      await waitFor(`helper up (${MAIN})`, 20_000, async () => (await fetch(`${helperUrl}/healthz`)).ok);
      return proc;
    };
    let helperProcess = await up();
    const { leader, closeDay, reopenDay } = await setup(dir, helperUrl);
    try {
      // Devices hold the helper's key config (served with max-age=300) from before it went down.
      const helperKeys = await (await fetch(`${helperUrl}/v1/keys`)).text();
      const cachedKeys: typeof fetch = (input, init) =>
        String(input) === `${helperUrl}/v1/keys`
          ? Promise.resolve(new Response(helperKeys, { headers: { 'cache-control': 'max-age=300' } }))
          : fetch(input, init);
      helperProcess.child.kill('SIGKILL');
      await new Promise((done) => helperProcess.child.once('exit', done));
      const devices = 8;
      for (let i = 0; i < devices; i++) await device(leader.url, helperUrl, i, cachedKeys);
      // A device without the helper's key cannot seal its share: its report waits on the device.
      let now = DAY;
      const late = createCandor({
        registry,
        collector: leader.url,
        prio3Helper: helperUrl,
        appVersion: '1.0.0',
        consent: { regime: 'opt-out' },
        storage: memoryQueueStorage(),
        flushIntervalMs: 0,
        pageLifecycle: false,
        now: () => now,
      });
      await late.ready;
      late.counter('app.uses').add(1);
      await late.flush();
      now = DAY + 86_400_000;
      await late.flush();
      expect(late.queuedReports()).toBe(1);
      closeDay();
      // While the helper is down the day cannot be released: its secret-shared figures wait.
      const waiting = await fetch(
        `${leader.url}/v1/query?app=${registry.app}&metric=app.uses&by=day&from=${DAY_TEXT}&to=${DAY_TEXT}`,
        { headers: { authorization: `Bearer ${leader.queryToken}` } },
      );
      expect(((await waiting.json()) as QueryResult).cells ?? []).toEqual([]);
      reopenDay();
      helperProcess = await up();
      // Back up: the device's report goes, and the leader's waiting jobs are answered.
      await late.flush();
      expect(late.queuedReports()).toBe(0);
      await late.shutdown();
      closeDay();
      let uses: QueryResult | null = null;
      await waitFor('the day released after the helper is back', 20_000, async () => {
        uses = await ask(leader, 'app.uses', 'day');
        return uses.cells.length > 0;
      });
      // Leader noise is off, so the device-day count is exact: every report was prepared, none lost or doubled.
      expect((uses as unknown as QueryResult).cells[0]?.reports).toBe(devices + 1);
    } finally {
      await leader.close();
    }
  }, 90_000);
});
