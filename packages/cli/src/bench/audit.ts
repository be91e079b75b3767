// `candor bench audit [--size-mb=N]`: audit throughput (MB/s) and peak memory on a large generated capture, with a
// plain readFile + JSON.parse of the same file run side by side as the baseline. Each measurement runs in its own
// child process so peak memory (maxRSS) is its own. Absolute figures are machine-noisy; the ratios are the point.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { auditFiles } from '@candor/audit';

const TARGET_MB_PER_S = 50;

interface Measurement {
  seconds: number;
  /** CPU seconds (user + system) the child used: MB per CPU second is the per-core figure. */
  cpuSeconds: number;
  maxRssMb: number;
  baseRssMb: number;
  findings?: number;
  requests?: number;
  /** Why the run could not finish, e.g. JSON.parse meeting V8's maximum string length on a large file. */
  failed?: string;
}

/** A capture of mixed realistic traffic: sealed uploads, JSON APIs, page loads, images and a leaky analytics SDK. */
async function writeCapture(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  const write = (text: string) => (out.write(text) ? undefined : new Promise<void>((r) => out.once('drain', r)));
  await write('{"log":{"version":"1.2","creator":{"name":"candor bench","version":"1"},"entries":[');
  const html = `<!doctype html><html><body>${'<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>'.repeat(80)}</body></html>`;
  const pool = randomBytes(1 << 20);
  const slice = (n: number, i: number) =>
    pool.subarray((i * 7919) % (pool.length - n), ((i * 7919) % (pool.length - n)) + n);
  const leaky = gzipSync(
    JSON.stringify(
      Array.from({ length: 10 }, (_, k) => ({
        distinct_id: 'f3a9c27e-51b4-4d0b-9a6e-2c8d7e1f0a94',
        event: '$pageview',
        time: 1589000000000 + k,
        properties: { $model: 'Redmi Note 8', $os_version: '10', url: `https://www.example.com/article/${k}?ref=home` },
      })),
    ),
  ).toString('base64');
  let written = 0;
  let i = 0;
  const response = (mime: string, text: string, encoding?: string) => ({
    status: 200,
    statusText: 'OK',
    httpVersion: 'HTTP/1.1',
    headers: [{ name: 'content-type', value: mime }],
    cookies: [],
    content: { size: text.length, mimeType: mime, text, ...(encoding ? { encoding } : {}) },
    redirectURL: '',
    headersSize: -1,
    bodySize: text.length,
  });
  while (written < bytes) {
    const id = slice(16, i).toString('hex');
    const kind = i % 10;
    let request: Record<string, unknown>;
    let res: Record<string, unknown>;
    if (kind < 3) {
      request = {
        method: 'POST',
        url: 'https://collector.example.org/v1/reports',
        headers: [{ name: 'content-type', value: 'application/candor-hpke' }],
        postData: {
          mimeType: 'application/candor-hpke',
          text: slice(600 + (i % 1400), i).toString('base64'),
          encoding: 'base64',
        },
      };
      res = response('application/json', '{"accepted":1}');
    } else if (kind < 6) {
      request = {
        method: 'POST',
        url: 'https://api.shop.example.com/v2/cart',
        headers: [
          { name: 'content-type', value: 'application/json' },
          { name: 'x-request-id', value: id },
        ],
        postData: {
          mimeType: 'application/json',
          text: JSON.stringify({
            requestId: id,
            sentAt: new Date(1763781234567 + i).toISOString(),
            items: [{ sku: `A${i % 97}`, qty: 1 + (i % 3) }],
            note: 'leave at the door',
          }),
        },
      };
      res = response(
        'application/json',
        JSON.stringify({
          ok: true,
          items: Array.from({ length: 20 }, (_, k) => ({ sku: `A${k}`, name: `item ${k}`, price: k * 1.5 })),
        }),
      );
    } else if (kind < 8) {
      request = {
        method: 'GET',
        url: `https://www.example.com/articles/${i % 500}?page=${i % 7}&ts=${1763781234567 + i}`,
        headers: [],
      };
      res = response('text/html', html);
    } else if (kind < 9) {
      request = { method: 'GET', url: `https://cdn.example.net/img/${i % 300}.webp`, headers: [] };
      res = response('image/webp', slice(4000, i).toString('base64'), 'base64');
    } else {
      request = {
        method: 'POST',
        url: 'https://sa.api.example.com/sa?project=default',
        headers: [{ name: 'content-type', value: 'application/x-www-form-urlencoded' }],
        postData: {
          mimeType: 'application/x-www-form-urlencoded',
          text: `crc=${i}&gzip=1&data_list=${encodeURIComponent(leaky)}`,
        },
      };
      res = response('application/json', '{"code":0}');
    }
    const entry = {
      startedDateTime: new Date(1763781234567 + i * 10).toISOString(),
      time: 12,
      request: { httpVersion: 'HTTP/1.1', cookies: [], queryString: [], headersSize: -1, bodySize: -1, ...request },
      response: res,
      cache: {},
      timings: { send: 1, wait: 10, receive: 1 },
      serverIPAddress: '203.0.113.10',
    };
    const text = (i === 0 ? '' : ',') + JSON.stringify(entry);
    written += Buffer.byteLength(text);
    await write(text);
    i++;
  }
  await write(']}}');
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return i;
}

/** Runs in the child: one measurement, reported to the parent. */
async function child(mode: string, file: string): Promise<void> {
  const baseRssMb = process.memoryUsage().rss / 1e6;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let extra: Partial<Measurement> = {};
  if (mode === 'audit') {
    const result = await auditFiles([file]);
    extra = { findings: result.summary.findings, requests: result.requests };
  } else {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { log: { entries: unknown[] } };
      extra = { requests: parsed.log.entries.length };
    } catch (error) {
      extra = { failed: (error as Error).message };
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const maxRssMb = process.resourceUsage().maxRSS / 1e3;
  process.send?.({ seconds, cpuSeconds, maxRssMb, baseRssMb, ...extra } satisfies Measurement);
}

function measure(mode: 'audit' | 'json-parse', file: string): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const worker = fork(fileURLToPath(import.meta.url), ['--bench-audit-child', mode, file], { stdio: 'inherit' });
    worker.once('message', (message) => resolve(message as Measurement));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`bench audit: ${mode} run exited with code ${code}`));
    });
  });
}

export async function benchAudit(flags: string[]): Promise<void> {
  const sizeMb = Number(flags.find((f) => f.startsWith('--size-mb='))?.split('=')[1] ?? 200);
  const dir = await mkdtemp(join(tmpdir(), 'candor-bench-audit-'));
  try {
    const file = join(dir, 'capture.har');
    const small = join(dir, 'quarter.har');
    const entries = await writeCapture(file, sizeMb * 1e6);
    await writeCapture(small, (sizeMb * 1e6) / 4);
    const mb = (await stat(file)).size / 1e6;
    const smallMb = (await stat(small)).size / 1e6;
    console.log(
      `capture: ${mb.toFixed(0)} MB, ${entries} entries (sealed uploads, JSON APIs, pages, images, a leaky SDK)`,
    );
    const audit = await measure('audit', file);
    const parse = await measure('json-parse', file);
    const quarter = await measure('audit', small);
    const auditRate = mb / audit.seconds;
    const auditPerCore = mb / audit.cpuSeconds;
    console.log(
      `audit:                   ${auditRate.toFixed(1)} MB/s wall, ${auditPerCore.toFixed(1)} MB per CPU second (${audit.seconds.toFixed(2)} s, ${audit.requests} requests, ${audit.findings} findings); target >= ${TARGET_MB_PER_S} MB/s per core: ${auditPerCore >= TARGET_MB_PER_S ? 'met' : 'NOT met'}`,
    );
    if (parse.failed) console.log(`readFile + JSON.parse:   cannot read this file at all (${parse.failed})`);
    else {
      const parseRate = mb / parse.seconds;
      console.log(
        `readFile + JSON.parse:   ${parseRate.toFixed(1)} MB/s wall, ${(mb / parse.cpuSeconds).toFixed(1)} MB per CPU second (no decoding or detection)`,
      );
      console.log(`throughput ratio audit / JSON.parse: ${(auditRate / parseRate).toFixed(2)}`);
    }
    console.log(
      `peak RSS, audit of ${mb.toFixed(0)} MB:     ${audit.maxRssMb.toFixed(0)} MB (process start ${audit.baseRssMb.toFixed(0)} MB)`,
    );
    console.log(
      `peak RSS, audit of ${smallMb.toFixed(0)} MB:      ${quarter.maxRssMb.toFixed(0)} MB (4x the capture costs ${(audit.maxRssMb - quarter.maxRssMb).toFixed(0)} MB more: memory is bounded by the largest entry, the findings kept (at most 100 000) and the identifier-like values remembered for linking (at most 500 000), not by the file)`,
    );
    if (!parse.failed) {
      console.log(`peak RSS, JSON.parse of ${mb.toFixed(0)} MB: ${parse.maxRssMb.toFixed(0)} MB`);
      console.log(`memory ratio audit / JSON.parse: ${(audit.maxRssMb / parse.maxRssMb).toFixed(2)}`);
    }
    console.log('(the machine is shared and has 2 cores: absolute figures are noisy, compare the ratios)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--bench-audit-child') {
  child(process.argv[3] ?? 'audit', process.argv[4] ?? '').then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
