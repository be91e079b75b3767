// `candor bench collector`: end-to-end ingest throughput against a bare JSON.parse server, HPKE opens against
// @hpke/core, p99 latency and peak memory. Everything runs on 127.0.0.1, bounded in requests and time.
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeHeader, infoFor, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { createKey, HpkeRecipient, sealBase, sealEnvelope } from '@candor/server';
import { sampleBatch, seededRandom } from '@candor/server/testing';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import type { ServerSample } from './collector-child.js';

const REPORTS_PER_UPLOAD = 10;
const CONCURRENCY = 128;
/**
 * The servers take turns: ROUNDS windows of WINDOW_MS each, in a rotating order, so the ratios compare windows
 * minutes apart at most. On shared cores the speed of the whole machine drifts by tens of percent within a
 * minute; measured one after the other, the bare server and the collector saw different machines.
 */
const ROUNDS = 4;
const WINDOW_MS = 1_500;
/** Sealed uploads per collector; each is accepted once, so a collector's windows end early if they run out. */
const MAX_REQUESTS = 20_000;
/**
 * Uploads sent to each server before measuring, not counted: without them the first few hundred uploads, answered
 * while code is still being compiled on every thread, made most of the collector's p99.
 */
const WARMUP_UPLOADS = 1_000;

/** One window of load on one server. */
interface Load {
  /** Answers, and accepted uploads, that came back within the window. */
  requests: number;
  ok: number;
  /** The window: until its deadline, or until the last answer when the bodies ran out first. */
  seconds: number;
  /** Of every request sent, those answered after the window's end included. */
  latencies: number[];
  /** Every request answered, after the window's end included: what the server's counters saw. */
  answeredInAll: number;
}

/**
 * Sends bodies with a fixed number of requests in flight until `durationMs` passes or `next` runs out. Rates count
 * answers within the window only: the requests still in flight at its end are awaited but not counted, as their
 * wait (a p99 or so, five times longer for the collector than for the bare server) is not throughput of either.
 */
async function load(
  url: string,
  next: () => Buffer | undefined,
  contentType: string,
  durationMs: number,
): Promise<Load> {
  const target = new URL('/v1/reports', url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let ok = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const send = (body: Buffer) =>
    new Promise<number>((done, fail) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': contentType, 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode ?? 0));
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  let answered = 0;
  let lastAnswer = started;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const body = next();
        if (!body) break;
        const t = performance.now();
        const status = await send(body);
        const now = performance.now();
        latencies.push(now - t);
        if (now > deadline) continue;
        answered++;
        lastAnswer = now;
        if (status === 202) ok++;
      }
    }),
  );
  const seconds = (Math.min(deadline, lastAnswer) - started) / 1000;
  agent.destroy();
  return { requests: answered, ok, seconds, latencies, answeredInAll: latencies.length };
}

type StageMs = Record<'inspect' | 'open' | 'parse' | 'firewall' | 'check' | 'prepare' | 'store', number>;

/** One server under test, in its own process, with the bodies it is sent. */
interface Server {
  label: string;
  url: string;
  contentType: string;
  /** The next body to send, or undefined when there are no more. */
  next: () => Buffer | undefined;
  sample: () => Promise<ServerSample>;
  stop: () => Promise<ServerSample>;
  windows: (Load & { cpuMicros: number; accepted: number; stageMs?: StageMs })[];
}

async function startServer(
  label: string,
  kind: 'collector' | 'bare',
  dir: string,
  bodies: { next: () => Buffer | undefined; contentType: string },
  workers?: number,
): Promise<Server> {
  const child = fork(fileURLToPath(new URL('./collector-child.js', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const first = new Promise<{ url: string }>((resolve) => child.once('message', (m) => resolve(m as { url: string })));
  // Each collector gets its own store: the same sealed uploads would be duplicates in a second one.
  child.send({
    kind,
    dir,
    storeName: `bench-${workers ?? 'default'}.duckdb`,
    ...(workers !== undefined ? { workers } : {}),
  });
  const { url } = await first;
  const ask = (command: 'sample' | 'stop') =>
    new Promise<ServerSample>((resolve) => {
      child.once('message', (m) => resolve(m as ServerSample));
      child.send(command);
    });
  return { label, url, ...bodies, sample: () => ask('sample'), stop: () => ask('stop'), windows: [] };
}

/** Loads `server` for one window and keeps what its counters say about that window. */
async function measureWindow(server: Server): Promise<void> {
  const before = await server.sample();
  const window = await load(server.url, server.next, server.contentType, WINDOW_MS);
  const after = await server.sample();
  const stageMs =
    after.stageMs && before.stageMs
      ? (Object.fromEntries(
          Object.entries(after.stageMs).map(([name, ms]) => [name, ms - (before.stageMs?.[name] ?? 0)]),
        ) as StageMs)
      : undefined;
  server.windows.push({
    ...window,
    cpuMicros: after.cpuMicros - before.cpuMicros,
    accepted: after.accepted - before.accepted,
    ...(stageMs ? { stageMs } : {}),
  });
}

/** A server's windows together: rates over the summed time, percentiles over every latency. */
function totals(server: Server) {
  const w = server.windows;
  const requests = w.reduce((n, x) => n + x.requests, 0);
  const answeredInAll = w.reduce((n, x) => n + x.answeredInAll, 0);
  const ok = w.reduce((n, x) => n + x.ok, 0);
  const seconds = w.reduce((n, x) => n + x.seconds, 0);
  const latencies = w.flatMap((x) => x.latencies).sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const stageMs = {} as StageMs;
  for (const x of w)
    for (const [name, ms] of Object.entries(x.stageMs ?? {}))
      stageMs[name as keyof StageMs] = (stageMs[name as keyof StageMs] ?? 0) + ms;
  return {
    requests,
    ok,
    seconds,
    okRate: ok / seconds,
    requestRate: requests / seconds,
    p50: at(0.5),
    p99: at(0.99),
    answeredInAll,
    // The server's counters run until the window's last answer: per request it answered in that time.
    cpuPerUpload: w.reduce((n, x) => n + x.cpuMicros, 0) / Math.max(1, answeredInAll),
    stageMs,
  };
}

/** Per round, `a`'s accepted uploads/s over `b`'s requests/s in the window beside it: median, lowest, highest. */
function pairedRatios(a: Server, b: Server): { median: number; low: number; high: number } {
  const ratios = a.windows
    .map((w, i) => {
      const other = b.windows[i];
      return other ? w.ok / w.seconds / (other.requests / other.seconds) : Number.NaN;
    })
    .filter((r) => Number.isFinite(r))
    .sort((x, y) => x - y);
  const mid = ratios.length / 2;
  const median =
    ratios.length % 2
      ? (ratios[Math.floor(mid)] as number)
      : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2;
  return { median, low: ratios[0] ?? Number.NaN, high: ratios[ratios.length - 1] ?? Number.NaN };
}

async function hpkeOpens(): Promise<{ ours: number; reference: number }> {
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
  const pair = await suite.kem.generateKeyPair();
  const raw = new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey));
  const recipient = new HpkeRecipient(raw);
  const info = infoFor(encodeHeader(1));
  const plaintext = Buffer.alloc(1500, 7);
  const messages = Array.from({ length: 600 }, () => sealBase(recipient.publicKey, info, new Uint8Array(0), plaintext));
  const empty = new Uint8Array(0);

  let t = performance.now();
  let n = 0;
  while (performance.now() - t < 1500)
    for (const m of messages) {
      recipient.open(m.enc, info, empty, m.ciphertext);
      n++;
    }
  const ours = n / ((performance.now() - t) / 1000);

  t = performance.now();
  n = 0;
  while (performance.now() - t < 1500)
    for (const m of messages.slice(0, 100)) {
      await suite.open(
        { recipientKey: pair.privateKey, enc: new Uint8Array(m.enc).buffer, info },
        new Uint8Array(m.ciphertext).buffer,
      );
      n++;
    }
  const reference = n / ((performance.now() - t) / 1000);
  return { ours, reference };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function benchCollector(flags: string[]): Promise<void> {
  console.log('machine note: 2 shared cores; absolute figures are noisy, compare the ratios (same run, same machine).');
  const dir = await mkdtemp(join(tmpdir(), 'candor-bench-collector-'));
  const servers: Server[] = [];
  try {
    const random = seededRandom(42);
    const batches = Array.from({ length: WARMUP_UPLOADS + MAX_REQUESTS }, () =>
      sampleBatch(REPORTS_PER_UPLOAD, random),
    );
    const json = batches.map((b) => Buffer.from(JSON.stringify(b)));
    // Keys exist before the collectors start, so every upload is sealed before the clock runs.
    const key = await createKey(join(dir, 'keys'));
    const publicKey = Buffer.from(key.publicKey, 'base64url');
    const sealed = json.map((j) => sealEnvelope(key.id, publicKey, j));
    const workersFlag = flags.find((f) => f.startsWith('--workers='));
    const workers = workersFlag ? Number(workersFlag.slice('--workers='.length)) : undefined;

    // The bare server parses the same uploads over and over; each collector is sent each sealed upload once.
    let bareNext = 0;
    const bareBodies = { next: () => json[bareNext++ % json.length], contentType: 'application/json' };
    const sealedBodies = () => {
      let next = 0;
      return { next: () => sealed[next++], contentType: SEALED_CONTENT_TYPE };
    };
    const bare = await startServer('bare', 'bare', dir, bareBodies);
    servers.push(bare);
    const collector = await startServer('collector', 'collector', dir, sealedBodies(), workers);
    servers.push(collector);
    // The same uploads inspected on the main thread only: the baseline for what the inspection threads buy.
    const single = workers === 0 ? null : await startServer('single', 'collector', dir, sealedBodies(), 0);
    if (single) servers.push(single);

    for (const server of servers) {
      let left = WARMUP_UPLOADS;
      await load(server.url, () => (left-- > 0 ? server.next() : undefined), server.contentType, 60_000);
    }
    for (let round = 0; round < ROUNDS; round++) {
      // A rotating order, so no server always follows the same one.
      for (let i = 0; i < servers.length; i++) await measureWindow(servers[(round + i) % servers.length] as Server);
      if (process.stderr.isTTY) process.stderr.write(`  round ${round + 1} of ${ROUNDS} measured\r`);
    }
    const peaks = new Map<Server, number>();
    for (const server of servers) peaks.set(server, (await server.stop()).peakRss);
    servers.length = 0;

    const b = totals(bare);
    const c = totals(collector);
    const like = pairedRatios(collector, bare);
    console.log(
      `\nuploads of ${REPORTS_PER_UPLOAD} reports, ${CONCURRENCY} in flight; each server measured in ${ROUNDS} windows of ${WINDOW_MS / 1000} s, the servers taking turns, after ${fmt(WARMUP_UPLOADS)} uploads of warm-up each (not counted):`,
    );
    console.log(
      `  bare node:http + JSON.parse   ${fmt(b.requestRate).padStart(8)} uploads/s  p50 ${fmt(b.p50, 1)} ms  p99 ${fmt(b.p99, 1)} ms  peak RSS ${fmt((peaks.get(bare) ?? 0) / 2 ** 20)} MiB`,
    );
    console.log(
      `  candor collector (end to end) ${fmt(c.okRate).padStart(8)} uploads/s  p50 ${fmt(c.p50, 1)} ms  p99 ${fmt(c.p99, 1)} ms  peak RSS ${fmt((peaks.get(collector) ?? 0) / 2 ** 20)} MiB`,
    );
    console.log(
      `    = ${fmt(c.okRate * REPORTS_PER_UPLOAD)} accepted reports/s (sealed, opened, validated, firewall-checked, stored in DuckDB; ${fmt(c.ok)} uploads stored)`,
    );
    console.log(
      `  ratio accepted reports/s to bare requests/s: ${((c.okRate * REPORTS_PER_UPLOAD) / b.requestRate).toFixed(2)}x   (target >= 0.5x)`,
    );
    console.log(
      `  like for like, uploads/s to bare uploads/s: ${like.median.toFixed(2)}x   (median of ${ROUNDS} rounds, each against the bare window beside it: ${like.low.toFixed(2)}-${like.high.toFixed(2)}x; target >= 0.25x; the bare server only parses, it neither opens, checks nor stores)`,
    );
    console.log(`  p99 at ${CONCURRENCY} in flight: ${fmt(c.p99, 1)} ms   (target < 200 ms)`);
    // CPU of the server process over all its threads, per upload answered: less sensitive to other load than rates.
    console.log(
      `  server CPU per upload (all threads): bare ${fmt(b.cpuPerUpload)} µs, collector ${fmt(c.cpuPerUpload)} µs (${(b.cpuPerUpload / c.cpuPerUpload).toFixed(2)}x)`,
    );
    if (single) {
      const s = totals(single);
      const threads = pairedRatios(collector, single);
      console.log(
        `  same collector, inspecting on the main thread only: ${fmt(s.okRate)} uploads/s (${pairedRatios(single, bare).median.toFixed(2)}x bare), p99 ${fmt(s.p99, 1)} ms; the inspection threads give ${threads.median.toFixed(2)}x`,
      );
    }
    if (c.ok !== c.requests) console.log(`  warning: ${c.requests - c.ok} uploads were not accepted`);
    const stage = c.stageMs;
    if (stage.inspect !== undefined) {
      // Thread time per step (summed over uploads, across inspection threads), and main-thread waits.
      const cpu = stage.open + stage.parse + stage.firewall + stage.check + stage.prepare;
      const share = (ms: number) => `${((100 * ms) / cpu).toFixed(0)}%`;
      const per = (ms: number) => `${fmt((1000 * ms) / Math.max(1, c.answeredInAll), 0)} µs/upload`;
      console.log('  profile split of inspection time (open / parse / firewall / check / dedupe keys and rows):');
      console.log(
        `    open ${share(stage.open)} (${per(stage.open)})  parse ${share(stage.parse)} (${per(stage.parse)})  firewall ${share(stage.firewall)} (${per(stage.firewall)})  check ${share(stage.check)} (${per(stage.check)})  prepare ${share(stage.prepare)} (${per(stage.prepare)})`,
      );
      console.log(
        `    wall time per upload on the main thread: inspection ${fmt(stage.inspect / Math.max(1, c.answeredInAll), 1)} ms (incl. queueing), durable store ${fmt(stage.store / Math.max(1, c.answeredInAll), 1)} ms (group commit)`,
      );
    }

    const opens = await hpkeOpens();
    console.log('\nHPKE single-shot opens (X25519 / HKDF-SHA256 / AES-128-GCM, 1.5 kB):');
    console.log(`  candor (node:crypto)  ${fmt(opens.ours).padStart(8)} opens/s`);
    console.log(`  @hpke/core            ${fmt(opens.reference).padStart(8)} opens/s`);
    console.log(`  ratio: ${(opens.ours / opens.reference).toFixed(1)}x   (target >= 5x)`);
  } finally {
    // Servers still running here were left by a failure: stopped so the bench exits.
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  }
}
