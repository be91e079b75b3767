import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '@candor/protocol';
import {
  encodeHeader,
  PROBLEM_UNKNOWN_KEY,
  type PrivacyStatus,
  type QueryResult,
  SEALED_CONTENT_TYPE,
} from '@candor/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Collector, type CollectorOptions, startCollector } from './collector.js';
import { DedupeWindow } from './dedupe/window.js';
import { sealEnvelope } from './open/envelope.js';
import type { ReportSink } from './store/types.js';
import { postRaw, sealForCollector } from './testing/client.js';
import { SAMPLE_DAY, sampleBatch, sampleReport, seededRandom } from './testing/reports.js';

const running: Collector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
});

async function start(options: CollectorOptions = {}): Promise<Collector> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-collector-'));
  const collector = await startCollector({
    keysDir: join(dir, 'keys'),
    store: 'duckdb::memory:',
    dashboardDir: null,
    log: { level: 'silent' },
    ...options,
  });
  running.push(collector);
  return collector;
}

const post = (c: Collector, body: Uint8Array, contentType = SEALED_CONTENT_TYPE) =>
  fetch(`${c.url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: new Uint8Array(body),
  });

async function query(c: Collector, params: Record<string, string>, token = c.queryToken) {
  const response = await fetch(`${c.url}/v1/query?${new URLSearchParams(params)}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as QueryResult & { type?: string },
  };
}

describe('ingest', () => {
  it('a retry that arrives while the first attempt is still storing is not acknowledged before it is durable', async () => {
    let failFirst: (error: Error) => void = () => undefined;
    let firstArrived: () => void = () => undefined;
    const firstStoring = new Promise<void>((resolve) => (firstArrived = resolve));
    const stored: Report[][] = [];
    let calls = 0;
    const sink: ReportSink = {
      accept: (reports) => {
        calls++;
        if (calls === 1) {
          firstArrived();
          return new Promise<void>((_, rejectStore) => (failFirst = rejectStore));
        }
        stored.push(reports);
        return Promise.resolve();
      },
      close: async () => undefined,
    };
    // The retry, found to duplicate reports still being stored, waits for that store: this is the event.
    let retryWaiting: () => void = () => undefined;
    const retryWaits = new Promise<void>((resolve) => (retryWaiting = resolve));
    const whenStored = DedupeWindow.prototype.whenStored;
    const spy = vi.spyOn(DedupeWindow.prototype, 'whenStored').mockImplementation(function (this: DedupeWindow, keys) {
      retryWaiting();
      return whenStored.call(this, keys);
    });
    const c = await start({ sink, rateLimit: false });
    const batch = sampleBatch(3, seededRandom(9));
    const first = post(c, await sealForCollector(c.url, batch));
    await firstStoring;
    const retry = post(c, await sealForCollector(c.url, batch));
    await retryWaits;
    spy.mockRestore();
    expect(calls).toBe(1); // the retry is a duplicate of reports still being stored
    failFirst(new Error('queue unavailable'));
    expect((await first).status).toBe(503);
    // Acknowledging the retry as a duplicate would lose these reports: the first attempt stored nothing.
    expect((await retry).status).toBe(503);
    const again = await post(c, await sealForCollector(c.url, batch));
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: 3, duplicates: 0 });
    expect(stored.flat().map((r) => r.id)).toEqual(batch.reports.map((r) => r.id));
  });

  it('accepts a sealed batch, counts a retried report once, and answers queries', async () => {
    const c = await start();
    const batch = sampleBatch(25, seededRandom(1));
    const body = await sealForCollector(c.url, batch);
    const first = await post(c, body);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ accepted: 25, duplicates: 0 });
    // A retry of the same upload (freshly sealed, same report ids) stores nothing new.
    const retry = await post(c, await sealForCollector(c.url, batch));
    expect(await retry.json()).toEqual({ accepted: 0, duplicates: 25 });

    const { status, body: result } = await query(c, {
      metric: 'page_load.count',
      by: 'day',
      from: SAMPLE_DAY,
      to: SAMPLE_DAY,
    });
    expect(status).toBe(200);
    const sum = batch.reports.reduce((s, r) => s + (r.metrics['page_load.count'] as number), 0);
    expect(result.cells).toEqual([{ key: SAMPLE_DAY, suppressed: false, reports: 25, sum }]);
    expect(result.totalReports).toBe(25);
  });

  it('serves keys newest first, the data dictionary, the OpenAPI document and health', async () => {
    const c = await start();
    const keys = await (await fetch(`${c.url}/v1/keys`)).json();
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]).toMatchObject({ kem: 0x20, kdf: 1, aead: 1 });
    const dictionary = await fetch(`${c.url}/v1/registry`);
    expect(dictionary.headers.get('candor-app')).toBe('candor-browser');
    const entries = (await dictionary.json()) as { name: string; protections: string[] }[];
    expect(entries.find((e) => e.name === 'settings.dark_mode')?.protections.join()).toMatch(/local DP/);
    const openapi = await (await fetch(`${c.url}/v1/openapi.json`)).json();
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toContain('/v1/reports');
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
  });
});

describe('rejections are problem+json naming what was wrong', () => {
  // Duck-typed: @hono/node-server replaces the global Response class, so instanceof cannot tell them apart.
  const expectProblem = async (
    response: Response | { status: number; body: string; headers: Record<string, unknown> },
    status: number,
  ) => {
    expect(response.status).toBe(status);
    const isFetch = 'text' in response;
    const body = isFetch ? await response.text() : response.body;
    const contentType = isFetch ? response.headers.get('content-type') : response.headers['content-type'];
    expect(contentType).toBe('application/problem+json');
    const problem = JSON.parse(body);
    expect(problem.status).toBe(status);
    expect(problem.type).toMatch(/^https:\/\//);
    return problem;
  };

  it('415 for a wrong content type', async () => {
    const c = await start();
    const p = await expectProblem(await post(c, Buffer.from('{"v":1}'), 'application/json'), 415);
    expect(p.field).toBe('content-type');
  });

  it('400 for a malformed or undecryptable envelope', async () => {
    const c = await start();
    await expectProblem(await post(c, Buffer.from('not an envelope')), 400);
    const body = await sealForCollector(c.url, sampleBatch(1));
    body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 1;
    expect((await expectProblem(await post(c, body), 400)).type).toMatch(/undecryptable/);
  });

  it('400 for a sealed body that is not JSON', async () => {
    const c = await start();
    expect((await expectProblem(await post(c, await sealForCollector(c.url, 'not json')), 400)).type).toMatch(
      /malformed/,
    );
  });

  it('400 with the unknown-key problem and a hint to refetch keys', async () => {
    const c = await start();
    const { keys } = await (await fetch(`${c.url}/v1/keys`)).json();
    const body = sealEnvelope(77, Buffer.from(keys[0].publicKey, 'base64url'), JSON.stringify(sampleBatch(1)));
    const p = await expectProblem(await post(c, body), 400);
    expect(p.type).toBe(PROBLEM_UNKNOWN_KEY);
    expect(p.keys).toBe('/v1/keys');
    expect(p.detail).toMatch(/fetch \/v1\/keys/);
  });

  it('413 for a body, a decompressed body or a report count over the limits', async () => {
    const c = await start({ limits: { maxBodyBytes: 2000, maxReportsPerBatch: 3, maxPlaintextBytes: 50_000 } });
    await expectProblem(await post(c, Buffer.alloc(5000)), 413);
    // Streamed without a Content-Length, reading stops at the limit too.
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(1000));
        controller.close();
      },
    });
    const chunked = await fetch(`${c.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': SEALED_CONTENT_TYPE },
      body: streamed,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(chunked, 413);
    const p = await expectProblem(await post(c, await sealForCollector(c.url, sampleBatch(4))), 413);
    expect(p.field).toBe('reports');
    const bomb = JSON.stringify({ v: 1, reports: [], pad: ' '.repeat(200_000) });
    await expectProblem(await post(c, await sealForCollector(c.url, bomb)), 413);
  });

  it('422 for a value the registry does not allow, naming metric and field', async () => {
    const c = await start();
    const report = sampleReport(seededRandom(2), {
      metrics: { 'page_load.count': 5, 'settings.text_size': 'enormous' },
    });
    const p = await expectProblem(await post(c, await sealForCollector(c.url, { v: 1, reports: [report] })), 422);
    expect(p.metric).toBe('settings.text_size');
    expect(p.type).toMatch(/invalid-value/);
    const unknown = sampleReport(seededRandom(2), { metrics: { 'page_load.nope': 1 } });
    expect(
      (await expectProblem(await post(c, await sealForCollector(c.url, { v: 1, reports: [unknown] })), 422)).metric,
    ).toBe('page_load.nope');
    const badShape = {
      v: 1 as const,
      reports: [{ ...sampleReport(), system: { ...sampleReport().system, osMajor: -1 } }],
    };
    const shape = await expectProblem(await post(c, await sealForCollector(c.url, badShape)), 422);
    expect(shape).toMatchObject({ metric: '(report)', field: 'system.osMajor' });
  });

  it('422 for personal data: the whole upload is dropped, counted by detector, and not echoed', async () => {
    const c = await start();
    const clean = sampleReport(seededRandom(3));
    const leaky = sampleReport(seededRandom(4), {
      metrics: {
        'page_load.time_by_site': {
          'mail.example.com/inbox?user=jane.doe@example.com': { sum: 1, count: 1, buckets: { 1: 1 } },
        },
      },
    });
    const p = await expectProblem(await post(c, await sealForCollector(c.url, { v: 1, reports: [clean, leaky] })), 422);
    expect(p.type).toMatch(/personal-data/);
    expect(p).toMatchObject({ metric: 'page_load.time_by_site', field: '(key)' });
    expect(JSON.stringify(p)).not.toContain('jane.doe');
    const system = sampleReport(seededRandom(5), {
      system: { modelFamily: 'jane.doe@example.com', os: 'android', osMajor: 14, language: 'en' },
    });
    const q = await expectProblem(await post(c, await sealForCollector(c.url, { v: 1, reports: [system] })), 422);
    expect(q).toMatchObject({ metric: '(report)', field: 'system.modelFamily', detector: 'contact/email' });
    // Nothing of either upload was stored: the clean report beside the leaky one included.
    expect(c.stats.accepted).toBe(0);
    const privacy = (await (
      await fetch(`${c.url}/v1/privacy`, { headers: { authorization: `Bearer ${c.queryToken}` } })
    ).json()) as PrivacyStatus;
    expect(privacy.firewall.find((f) => f.detector === 'contact/email')?.rejected).toBeGreaterThanOrEqual(1);
  });

  it('429 with Retry-After once a client exceeds its rate', async () => {
    const c = await start({ limits: { ratePerMinute: 1, burst: 2 } });
    const body = await sealForCollector(c.url, sampleBatch(1));
    expect((await post(c, body)).status).toBe(202);
    expect((await post(c, body)).status).toBe(202);
    const limited = await post(c, body);
    await expectProblem(limited, 429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client address has its own allowance.
    const other = await postRaw(c.url, body, { localAddress: '127.0.0.9' });
    expect(other.status).toBe(202);
  });

  it('401 for queries without a valid token', async () => {
    const c = await start();
    expect((await query(c, { metric: 'page_load.count' }, '')).status).toBe(401);
    expect((await query(c, { metric: 'page_load.count' }, 'cq_wrong')).status).toBe(401);
    expect((await query(c, { metric: 'nope.nope' })).status).toBe(400);
    expect((await query(c, { metric: 'page_load.count', by: 'site' })).status).toBe(400);
  });

  it('recognises a header that is not an envelope of this suite', async () => {
    const c = await start();
    const header = encodeHeader(1);
    header[2] = 0x21;
    await expectProblem(await post(c, Buffer.concat([header, Buffer.alloc(60)])), 400);
  });
});

describe('keys, dashboard and privacy panel', () => {
  it('keeps opening uploads sealed to a rotated-out key during its grace period, and serves the new key first', async () => {
    const { rotateKeys } = await import('./keys/keyring.js');
    const c = await start();
    const sealedToOld = await sealForCollector(c.url, sampleBatch(1));
    const fresh = await rotateKeys(c.keysDir, 60_000);
    const sealedToNew = sealEnvelope(
      fresh.id,
      Buffer.from(fresh.publicKey, 'base64url'),
      JSON.stringify(sampleBatch(1)),
    );
    await c.reloadKeys();
    const { keys } = await (await fetch(`${c.url}/v1/keys`)).json();
    expect(keys.map((k: { id: number }) => k.id)[0]).toBe(fresh.id);
    expect(keys).toHaveLength(2);
    expect((await post(c, sealedToNew)).status).toBe(202);
    expect((await post(c, sealedToOld)).status).toBe(202);
  });

  it('serves the built dashboard at / with a strict content security policy, and says so when it is absent', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const dir = join(await mkdtemp(join(tmpdir(), 'candor-dash-')), 'assets');
    await mkdir(dir);
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>candor</title><script src="app.js"></script>');
    await writeFile(join(dir, 'app.js'), 'console.log(1)');
    const c = await start({ dashboardDir: dir });
    const page = await fetch(`${c.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toContain('<title>candor</title>');
    const script = await fetch(`${c.url}/app.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const missing = await start({ dashboardDir: join(dir, 'nope') });
    expect(await (await fetch(`${missing.url}/`)).text()).toMatch(/dashboard is not built/);
  });

  it('reports k, the DP budget per metric spent and left, and suppressed cells at /v1/privacy', async () => {
    const c = await start({ dp: { epsilon: 0.5, budgetPerDay: 1 }, k: 20 });
    await post(c, await sealForCollector(c.url, sampleBatch(3, seededRandom(8))));
    expect((await query(c, { metric: 'page_load.count', from: SAMPLE_DAY, to: SAMPLE_DAY })).status).toBe(200);
    const response = await fetch(`${c.url}/v1/privacy`, { headers: { authorization: `Bearer ${c.queryToken}` } });
    const status = (await response.json()) as PrivacyStatus;
    expect(status.k).toBe(20);
    expect(status.dp?.find((l) => l.metric === 'page_load.count')).toEqual({
      metric: 'page_load.count',
      epsilon: 0.5,
      spentToday: 0.5,
      leftToday: 0.5,
      budgetPerDay: 1,
    });
    expect(status.localDp).toContainEqual({ metric: 'settings.dark_mode', epsilon: 1 });
    expect(status.suppressedCells).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${c.url}/v1/privacy`)).status).toBe(401);
  });
});
