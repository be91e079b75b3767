// `candor bench scale`: accepted reports per second with two collector processes and one writer (JetStream ->
// ClickHouse) against the single-process DuckDB collector, in the same run on the same machine; then ClickHouse
// query latency (p50/p95) with 10 million reports generated straight into ClickHouse. Starts its own
// clickhouse-server and nats-server on 127.0.0.1 in a temp folder; everything is bounded in time and count.
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEALED_CONTENT_TYPE } from '@candor/protocol';
import { type AggregateRequest, ClickHouseStore, DEFAULT_STREAM, ensureKey, sealEnvelope } from '@candor/server';
import {
  type Copies,
  clickHouseAvailable,
  countCopies,
  freePort,
  type LocalNats,
  natsAvailable,
  queueState,
  runFaultLoad,
  sampleBatch,
  seededRandom,
  startLocalClickHouse,
  startLocalNats,
} from '@candor/server/testing';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const REPORTS_PER_UPLOAD = 10;
const CONCURRENCY = 32;
const DURATION_MS = 10_000;
const UPLOADS = 12_000;
const DEFAULT_QUERY_REPORTS = 10_000_000;
const QUERY_ROUNDS = 12;
const GENERATE_SLICE = 500_000;
const FAULT_REPORTS = 4_000;
const FAULT_DOWN_MS = 1_000;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function candor(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function untilUp(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`collector at ${url} exited with ${child.exitCode}`);
    if ((await fetch(`${url}/v1/keys`).catch(() => null))?.ok) return;
    await sleep(100);
  }
  throw new Error(`collector at ${url} did not come up`);
}

interface Load {
  acceptedReports: number;
  seconds: number;
  p50: number;
  p99: number;
  failed: number;
}

/** Sends sealed uploads round-robin over `urls` with CONCURRENCY in flight until time or uploads run out. */
async function drive(urls: string[], bodies: Buffer[]): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  let accepted = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  /** Resolves with the number of reports the collector accepted (0 when it did not answer 202). */
  const send = (url: URL, body: Buffer) =>
    new Promise<number>((done) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/reports',
          method: 'POST',
          agent,
          headers: { 'content-type': SEALED_CONTENT_TYPE, 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => {
            if (res.statusCode !== 202) return done(-1);
            done(Number((JSON.parse(text) as { accepted?: number }).accepted ?? 0));
          });
        },
      );
      req.on('error', () => done(-1));
      req.end(body);
    });
  const targets = urls.map((u) => new URL(u));
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length && performance.now() < deadline) {
        const i = next++;
        const t = performance.now();
        const reports = await send(targets[i % targets.length] as URL, bodies[i] as Buffer);
        latencies.push(performance.now() - t);
        if (reports >= 0) accepted += reports;
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { acceptedReports: accepted, seconds, p50: at(0.5), p99: at(0.99), failed };
}

const collectorFlags = (keysDir: string) => ['--keys', keysDir, '--rate', '100000000', '--log-level', 'warn'];

async function singleDuckDb(dir: string, keysDir: string, bodies: Buffer[]): Promise<Load> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = candor([
    'serve',
    '--port',
    String(port),
    '--store',
    `duckdb:${join(dir, 'bench.duckdb')}`,
    ...collectorFlags(keysDir),
  ]);
  try {
    await untilUp(url, child);
    return await drive([url], bodies);
  } finally {
    await stop(child);
  }
}

async function scaleOut(
  storeUrl: string,
  queue: string,
  keysDir: string,
  bodies: Buffer[],
  store: ClickHouseStore,
): Promise<{ load: Load; storedAfterSeconds: number }> {
  const ports = [await freePort(), await freePort()];
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const children = ports.map((port) =>
    candor(['serve', '--port', String(port), '--store', storeUrl, '--queue', queue, ...collectorFlags(keysDir)]),
  );
  const writer = candor(['writer', '--queue', queue, '--store', storeUrl]);
  try {
    await Promise.all(urls.map((u, i) => untilUp(u, children[i] as ChildProcess)));
    const started = performance.now();
    const load = await drive(urls, bodies);
    // The writer drains the queue into ClickHouse; how long until everything accepted is queryable.
    const expected = load.acceptedReports;
    const deadline = Date.now() + 180_000;
    let stored = 0;
    while (Date.now() < deadline) {
      stored = await store.countReports('candor-browser', 'page_load.count');
      if (stored >= expected) break;
      await sleep(200);
    }
    if (stored !== expected) console.log(`  warning: ${fmt(stored)} of ${fmt(expected)} accepted reports stored`);
    return { load, storedAfterSeconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all([...children, writer].map(stop));
  }
}

interface FaultRun {
  accepted: number;
  seconds: number;
  retries: number;
  faultAt: number;
  copies: Copies;
}

/**
 * The scale-out setup under a fault: numbered reports uploaded by clients that resend on errors, nats-server
 * SIGKILLed at a random point and started again a second later; then, once the queue is empty, how many accepted
 * reports were stored twice or not at all.
 */
async function scaleOutFault(storeUrl: string, nats: LocalNats, keysDir: string): Promise<FaultRun> {
  const { key } = await ensureKey(keysDir);
  const ports = [await freePort(), await freePort()];
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const children = ports.map((port) =>
    candor(['serve', '--port', String(port), '--store', storeUrl, '--queue', nats.url, ...collectorFlags(keysDir)]),
  );
  const writer = candor(['writer', '--queue', nats.url, '--store', storeUrl]);
  const store = await ClickHouseStore.open({ url: storeUrl });
  try {
    await Promise.all(urls.map((u, i) => untilUp(u, children[i] as ChildProcess)));
    const random = seededRandom(Date.now() % 1_000_000);
    const faultAt = Math.floor(FAULT_REPORTS * (0.2 + random() * 0.5));
    const first = 1;
    const load = await runFaultLoad({
      collectors: urls,
      key: { id: key.id, publicKey: Buffer.from(key.publicKey, 'base64url') },
      first,
      reports: FAULT_REPORTS,
      perUpload: REPORTS_PER_UPLOAD,
      clients: CONCURRENCY,
      random,
      faultAt,
      fault: async () => {
        await nats.stop({ kill: true });
        await sleep(FAULT_DOWN_MS);
        await nats.start();
      },
    });
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const state = await queueState(nats.url, DEFAULT_STREAM.name).catch(() => null);
      if (state && state.messages === 0 && state.pending === 0 && state.ackPending === 0) break;
      await sleep(500);
    }
    const copies = await countCopies(store, load.accepted, first, FAULT_REPORTS);
    return { accepted: load.accepted.length, seconds: load.seconds, retries: load.retries, faultAt, copies };
  } finally {
    await store.close();
    await Promise.all([...children, writer].map(stop));
  }
}

/** Generates reports from..from+reports-1 straight into ClickHouse, server-side, 8 rows each (as a real one has). */
async function generateSlice(store: ClickHouseStore, from: number, reports: number): Promise<void> {
  const table = `${store.database}.samples`;
  const source = `(SELECT number + ${from} AS number FROM numbers(${reports}))`;
  const base = `toDate('2026-10-23') + (number % 30) AS day, 'candor-browser' AS app,
    ['3.4', '3.5', '3.6'][(intHash32(number) % 3) + 1] AS app_version,
    ['redmi note', 'mi', 'galaxy a', 'galaxy s', 'pixel', 'iphone'][(intHash32(number + 1) % 6) + 1] AS model_family,
    if(model_family = 'iphone', 'ios', 'android') AS os,
    toUInt16(if(model_family = 'iphone', 17, 12 + intHash32(number + 2) % 3)) AS os_major,
    ['en', 'de', 'zh', 'fr', 'es'][(intHash32(number + 3) % 5) + 1] AS language`;
  const tail = (metric: string, key: string, bucket: string, value: string, count: string) =>
    `'${metric}' AS metric, ${key} AS key, '' AS detail, toInt16(${bucket}) AS bucket, toUInt64(bucket < 0) AS reports,
      toFloat64(${value}) AS value, toUInt64(${count}) AS count`;
  const selects = [
    `SELECT ${base}, ${tail('page_load.count', "''", '-1', '1 + intHash32(number + 4) % 50', '1')} FROM ${source}`,
    `SELECT ${base}, ${tail('search.engine_use', "['google', 'bing', 'duckduckgo', 'baidu', 'yandex', 'ecosia', 'other'][(intHash32(number + 5) % 7) + 1]", '-1', '1 + intHash32(number + 6) % 5', '1')} FROM ${source}`,
    `SELECT ${base}, ${tail('settings.dark_mode', "if(intHash32(number + 7) % 10 < 4, 'true', 'false')", '-1', '1', '1')} FROM ${source}`,
    // A timing distribution: a summary row and two bucket rows.
    `SELECT ${base}, ${tail('page_load.time', "''", 'b', 'if(b < 0, 400 + intHash32(number + 8) % 3000, 0)', 'if(b < 0, 2, 1)')}
      FROM (SELECT number, arrayJoin([-1, 70 + intHash32(number + 9) % 24, 70 + intHash32(number + 10) % 24]) AS b FROM ${source})`,
    // A site distribution over 200 sites: a summary row and one bucket row.
    `SELECT ${base}, ${tail('page_load.time_by_site', "concat('site', toString(intHash32(number + 11) % 200), '.example')", 'b', 'if(b < 0, 300 + intHash32(number + 12) % 4000, 0)', '1')}
      FROM (SELECT number, arrayJoin([-1, 66 + intHash32(number + 13) % 30]) AS b FROM ${source})`,
  ];
  for (const select of selects) {
    // The SELECT's columns are in the table's order.
    await store.client.command({
      query: `INSERT INTO ${table} ${select}`,
      clickhouse_settings: { max_memory_usage: String(4_000_000_000) },
    });
  }
}

async function queryLatency(store: ClickHouseStore): Promise<{ p50: number; p95: number; queries: number }> {
  const range = { app: 'candor-browser', from: '2026-10-23', to: '2026-11-21' };
  const requests: AggregateRequest[] = [
    { ...range, metric: 'page_load.time_by_site', type: 'site', by: 'site' },
    { ...range, metric: 'page_load.time', type: 'timing_distribution', by: 'day' },
    { ...range, metric: 'search.engine_use', type: 'labeled_counter', by: 'label' },
    { ...range, metric: 'settings.dark_mode', type: 'boolean', by: 'value' },
    { ...range, metric: 'page_load.count', type: 'counter', by: 'modelFamily' },
    { ...range, from: '2026-11-15', metric: 'page_load.time_by_site', type: 'site', by: 'day' },
  ];
  for (const r of requests) await store.aggregate(r); // warm-up
  const times: number[] = [];
  for (let round = 0; round < QUERY_ROUNDS; round++) {
    for (const r of requests) {
      const t = performance.now();
      await store.aggregate(r);
      times.push(performance.now() - t);
    }
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), queries: times.length };
}

export async function benchScale(flags: string[]): Promise<void> {
  console.log('machine note: 2 shared cores run the load generator, the collectors, the writer, NATS and ClickHouse');
  console.log('together; absolute figures are noisy, compare the ratios (same run, same machine).');
  if (!(await clickHouseAvailable()) || !(await natsAvailable())) {
    console.log(
      'bench scale: needs clickhouse-server and nats-server (apt-get install -y clickhouse-server nats-server)',
    );
    return;
  }
  const reportsFlag = flags.find((f) => f.startsWith('--reports='));
  const queryReports = reportsFlag ? Number(reportsFlag.slice('--reports='.length)) : DEFAULT_QUERY_REPORTS;
  if (!Number.isInteger(queryReports) || queryReports < 1)
    throw new Error('--reports=N must be a positive whole number');

  const dir = await mkdtemp(join(tmpdir(), 'candor-bench-scale-'));
  const [clickhouse, nats] = await Promise.all([
    startLocalClickHouse(join(dir, 'clickhouse')),
    startLocalNats(join(dir, 'nats')),
  ]);
  const storeUrl = clickhouse.storeUrl('candor_bench');
  const store = await ClickHouseStore.open({ url: storeUrl });
  try {
    // Collectors keep seen report ids next to their keys; each setup gets its own copy of the key, so the second
    // setup does not take the first one's reports (same bodies) for retries.
    const keysDir = join(dir, 'single', 'keys');
    const scaleKeysDir = join(dir, 'scale', 'keys');
    const { key } = await ensureKey(keysDir);
    await cp(keysDir, scaleKeysDir, { recursive: true });
    const publicKey = Buffer.from(key.publicKey, 'base64url');
    const random = seededRandom(7);
    const bodies = Array.from({ length: UPLOADS }, () =>
      sealEnvelope(key.id, publicKey, JSON.stringify(sampleBatch(REPORTS_PER_UPLOAD, random))),
    );

    const single = await singleDuckDb(dir, keysDir, bodies);
    const scaled = await scaleOut(storeUrl, nats.url, scaleKeysDir, bodies, store);
    const singleRate = single.acceptedReports / single.seconds;
    const scaledRate = scaled.load.acceptedReports / scaled.load.seconds;
    console.log(
      `\ningest: uploads of ${REPORTS_PER_UPLOAD} reports, ${CONCURRENCY} in flight, ${DURATION_MS / 1000} s each:`,
    );
    console.log(
      `  1 collector, embedded DuckDB           ${fmt(singleRate).padStart(7)} accepted reports/s  p50 ${fmt(single.p50, 1)} ms  p99 ${fmt(single.p99, 1)} ms`,
    );
    console.log(
      `  2 collectors -> JetStream (+1 writer)  ${fmt(scaledRate).padStart(7)} accepted reports/s  p50 ${fmt(scaled.load.p50, 1)} ms  p99 ${fmt(scaled.load.p99, 1)} ms`,
    );
    console.log(`  ratio scale-out / single: ${(scaledRate / singleRate).toFixed(2)}x`);
    console.log(
      `  writer: all ${fmt(scaled.load.acceptedReports)} accepted reports queryable in ClickHouse ${fmt(scaled.storedAfterSeconds, 1)} s after the load began (${fmt(scaled.load.acceptedReports / scaled.storedAfterSeconds)} reports/s end to end)`,
    );
    const fault = await scaleOutFault(clickhouse.storeUrl('candor_bench_fault'), nats, join(dir, 'fault', 'keys'));
    console.log(
      `  same, nats-server SIGKILLed after ${fmt(fault.faultAt)} accepted reports, back ${FAULT_DOWN_MS / 1000} s later: ${fmt(fault.accepted / fault.seconds).padStart(7)} accepted reports/s; of ${fmt(fault.accepted)} accepted, ${fmt(fault.copies.duplicates)} duplicated, ${fmt(fault.copies.lost)} lost (${fmt(fault.retries)} uploads resent)`,
    );
    if (fault.copies.unexpected)
      console.log(`  warning: ${fmt(fault.copies.unexpected)} stored reports were never accepted`);
    if (single.failed || scaled.load.failed) {
      console.log(`  warning: uploads not accepted: single ${single.failed}, scale-out ${scaled.load.failed}`);
    }

    console.log(`\nquery: generating ${fmt(queryReports)} reports straight into ClickHouse ...`);
    await store.client.command({ query: `TRUNCATE TABLE ${store.database}.samples` });
    const t = performance.now();
    // In slices, so no single request runs for minutes on a small machine.
    const generator = await ClickHouseStore.open({ url: storeUrl, requestTimeoutMs: 60_000 });
    try {
      for (let from = 0; from < queryReports; from += GENERATE_SLICE) {
        await generateSlice(generator, from, Math.min(GENERATE_SLICE, queryReports - from));
      }
    } finally {
      await generator.close();
    }
    const stored = await store.countReports('candor-browser', 'page_load.count');
    console.log(
      `  ${fmt(stored)} reports (${fmt(await countRows(store))} rows) in ${fmt((performance.now() - t) / 1000, 1)} s`,
    );
    const latency = await queryLatency(store);
    console.log(
      `  ClickHouse aggregate over 30 days at ${fmt(stored)} reports: p50 ${fmt(latency.p50)} ms  p95 ${fmt(latency.p95)} ms  (${latency.queries} queries, 6 shapes)`,
    );
  } finally {
    await store.close();
    await Promise.all([clickhouse.stop(), nats.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

async function countRows(store: ClickHouseStore): Promise<number> {
  const result = await store.client.query({
    query: `SELECT count() AS n FROM ${store.database}.samples`,
    format: 'JSONEachRow',
  });
  const [{ n } = { n: '0' }] = await result.json<{ n: string }>();
  return Number(n);
}
