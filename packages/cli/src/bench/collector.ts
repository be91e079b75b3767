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

const REPORTS_PER_UPLOAD = 10;
const CONCURRENCY = 128;
const DURATION_MS = 6_000;
const MAX_REQUESTS = 20_000;
/**
 * Uploads sent to each server before measuring, not counted: without them the first few hundred uploads, answered
 * while code is still being compiled on every thread, made most of the collector's p99.
 */
const WARMUP_UPLOADS = 1_000;

interface Load {
  requests: number;
  ok: number;
  seconds: number;
  p50: number;
  p99: number;
}

/** Warms the server up with the first WARMUP_UPLOADS bodies, marks the start of measuring, measures on the rest. */
async function drive(server: Started, bodies: Buffer[], contentType: string): Promise<Load> {
  await load(server.url, bodies.slice(0, WARMUP_UPLOADS), contentType);
  await server.mark();
  return load(server.url, bodies.slice(WARMUP_UPLOADS), contentType);
}

/** Sends bodies with a fixed number of requests in flight until time or bodies run out. */
async function load(url: string, bodies: Buffer[], contentType: string): Promise<Load> {
  const target = new URL('/v1/reports', url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  const started = performance.now();
  const deadline = started + DURATION_MS;
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
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length && performance.now() < deadline) {
        const body = bodies[next++] as Buffer;
        const t = performance.now();
        const status = await send(body);
        latencies.push(performance.now() - t);
        if (status === 202) ok++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, ok, seconds, p50: at(0.5), p99: at(0.99) };
}

type StageMs = Record<'inspect' | 'open' | 'parse' | 'firewall' | 'check' | 'prepare' | 'store', number>;

interface Started {
  url: string;
  /** From now on the server counts CPU time, accepted reports and stage times. */
  mark: () => Promise<void>;
}

async function withServer<T>(
  kind: 'collector' | 'bare',
  dir: string,
  use: (server: Started) => Promise<T>,
  workers?: number,
): Promise<{ result: T; peakRss: number; accepted: number; cpuMicros: number; stageMs?: StageMs }> {
  const child = fork(fileURLToPath(new URL('./collector-child.js', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const first = new Promise<{ url: string }>((resolve) => child.once('message', (m) => resolve(m as { url: string })));
  // Each collector run gets its own store: the same sealed uploads would be duplicates in a second run.
  child.send({
    kind,
    dir,
    storeName: `bench-${workers ?? 'default'}.duckdb`,
    ...(workers !== undefined ? { workers } : {}),
  });
  const { url } = await first;
  const mark = () =>
    new Promise<void>((marked) => {
      child.once('message', () => marked());
      child.send('mark');
    });
  const result = await use({ url, mark });
  type Last = { peakRss: number; accepted: number; cpuMicros: number; stageMs?: StageMs };
  const last = new Promise<Last>((resolve) => child.once('message', (m) => resolve(m as Last)));
  child.send('stop');
  return { result, ...(await last) };
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
  try {
    const random = seededRandom(42);
    const batches = Array.from({ length: WARMUP_UPLOADS + MAX_REQUESTS }, () =>
      sampleBatch(REPORTS_PER_UPLOAD, random),
    );
    const json = batches.map((b) => Buffer.from(JSON.stringify(b)));

    const bare = await withServer('bare', dir, (server) => drive(server, json, 'application/json'));
    // Keys exist before the collector starts, so every upload is sealed before the clock runs.
    const key = await createKey(join(dir, 'keys'));
    const publicKey = Buffer.from(key.publicKey, 'base64url');
    const sealed = json.map((j) => sealEnvelope(key.id, publicKey, j));
    const workersFlag = flags.find((f) => f.startsWith('--workers='));
    const workers = workersFlag ? Number(workersFlag.slice('--workers='.length)) : undefined;
    const collector = await withServer(
      'collector',
      dir,
      (server) => drive(server, sealed, SEALED_CONTENT_TYPE),
      workers,
    );
    // The same uploads inspected on the main thread only: the baseline for what the inspection threads buy.
    const single =
      workers === 0
        ? null
        : await withServer('collector', dir, (server) => drive(server, sealed, SEALED_CONTENT_TYPE), 0);

    const b = bare.result;
    const c = collector.result;
    const bareRate = b.requests / b.seconds;
    const collectorRate = c.ok / c.seconds;
    console.log(
      `\nuploads of ${REPORTS_PER_UPLOAD} reports, ${CONCURRENCY} in flight, up to ${DURATION_MS / 1000} s or ${fmt(MAX_REQUESTS)} uploads each, after ${fmt(WARMUP_UPLOADS)} uploads of warm-up (not counted):`,
    );
    console.log(
      `  bare node:http + JSON.parse   ${fmt(bareRate).padStart(8)} uploads/s  p50 ${fmt(b.p50, 1)} ms  p99 ${fmt(b.p99, 1)} ms  peak RSS ${fmt(bare.peakRss / 2 ** 20)} MiB`,
    );
    console.log(
      `  candor collector (end to end) ${fmt(collectorRate).padStart(8)} uploads/s  p50 ${fmt(c.p50, 1)} ms  p99 ${fmt(c.p99, 1)} ms  peak RSS ${fmt(collector.peakRss / 2 ** 20)} MiB`,
    );
    console.log(
      `    = ${fmt(collectorRate * REPORTS_PER_UPLOAD)} accepted reports/s (sealed, opened, validated, firewall-checked, stored in DuckDB; ${fmt(collector.accepted)} stored)`,
    );
    console.log(
      `  ratio accepted reports/s to bare requests/s: ${((collectorRate * REPORTS_PER_UPLOAD) / bareRate).toFixed(2)}x   (target >= 0.5x)`,
    );
    console.log(
      `  like for like, uploads/s to bare uploads/s: ${(collectorRate / bareRate).toFixed(2)}x   (the bare server only parses; it neither opens, checks nor stores)`,
    );
    console.log(`  p99 at ${CONCURRENCY} in flight: ${fmt(c.p99, 1)} ms   (target < 200 ms)`);
    // CPU of the server process over all its threads, per upload answered: less sensitive to other load than rates.
    const bareCpu = bare.cpuMicros / Math.max(1, b.requests);
    const collectorCpu = collector.cpuMicros / Math.max(1, c.requests);
    console.log(
      `  server CPU per upload (all threads): bare ${fmt(bareCpu)} µs, collector ${fmt(collectorCpu)} µs (${(bareCpu / collectorCpu).toFixed(2)}x)`,
    );
    if (single) {
      const s = single.result;
      console.log(
        `  same collector, inspecting on the main thread only: ${fmt(s.ok / s.seconds)} uploads/s (${(s.ok / s.seconds / bareRate).toFixed(2)}x bare), p99 ${fmt(s.p99, 1)} ms; the inspection threads give ${(collectorRate / (s.ok / s.seconds)).toFixed(2)}x`,
      );
    }
    if (c.ok !== c.requests) console.log(`  warning: ${c.requests - c.ok} uploads were not accepted`);
    const stage = collector.stageMs;
    if (stage) {
      // Thread time per step (summed over uploads, across inspection threads), and main-thread waits.
      const cpu = stage.open + stage.parse + stage.firewall + stage.check + stage.prepare;
      const share = (ms: number) => `${((100 * ms) / cpu).toFixed(0)}%`;
      const per = (ms: number) => `${fmt((1000 * ms) / Math.max(1, c.requests), 0)} µs/upload`;
      console.log('  profile split of inspection time (open / parse / firewall / check / dedupe keys and rows):');
      console.log(
        `    open ${share(stage.open)} (${per(stage.open)})  parse ${share(stage.parse)} (${per(stage.parse)})  firewall ${share(stage.firewall)} (${per(stage.firewall)})  check ${share(stage.check)} (${per(stage.check)})  prepare ${share(stage.prepare)} (${per(stage.prepare)})`,
      );
      console.log(
        `    wall time per upload on the main thread: inspection ${fmt(stage.inspect / Math.max(1, c.requests), 1)} ms (incl. queueing), durable store ${fmt(stage.store / Math.max(1, c.requests), 1)} ms (group commit)`,
      );
    }

    const opens = await hpkeOpens();
    console.log('\nHPKE single-shot opens (X25519 / HKDF-SHA256 / AES-128-GCM, 1.5 kB):');
    console.log(`  candor (node:crypto)  ${fmt(opens.ours).padStart(8)} opens/s`);
    console.log(`  @hpke/core            ${fmt(opens.reference).padStart(8)} opens/s`);
    console.log(`  ratio: ${(opens.ours / opens.reference).toFixed(1)}x   (target >= 5x)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
