// One collector, several apps and registry versions; pages on other origins; tokens through hono's bearerAuth.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry, defineRegistry, type Report, type ReportBatch, utcDayOf } from '@candor/protocol';
import { type Collector, type CollectorOptions, startCollector } from '@candor/server';
import { postRaw, sampleReport, sealForCollector, seededRandom } from '@candor/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistryChecker } from '../src/registry/check.js';
import { RegistrySet } from '../src/registry/set.js';

const TODAY = utcDayOf(Date.now());
const YESTERDAY = utcDayOf(Date.now() - 86_400_000);

const review = {
  category: 'ui',
  owner: 'notes-team@notes.example',
  purpose: 'Know whether people write notes at all.',
  sensitivity: 'interaction',
} as const;

const notesV1 = defineRegistry({
  app: 'notes',
  version: '2026.1.1',
  metrics: {
    'notes.created': { type: 'counter', description: 'Notes created in a day.', expires: '2027-12-31', ...review },
    'notes.shared': { type: 'counter', description: 'Notes shared in a day.', expires: YESTERDAY, ...review },
  },
});
// Version 2 drops notes.shared and adds notes.deleted.
const notesV2 = defineRegistry({
  app: 'notes',
  version: '2026.2.1',
  metrics: {
    'notes.created': notesV1.metrics['notes.created'],
    'notes.deleted': { type: 'counter', description: 'Notes deleted in a day.', expires: '2027-12-31', ...review },
  },
});

const collectors: Collector[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function start(options: CollectorOptions = {}): Promise<Collector> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-registries-'));
  dirs.push(dir);
  const collector = await startCollector({
    keysDir: join(dir, 'keys'),
    port: 0,
    dashboardDir: null,
    rateLimit: false,
    log: { level: 'silent' },
    registries: [notesV1, notesV2, candorBrowserRegistry],
    ...options,
  });
  collectors.push(collector);
  return collector;
}

const random = seededRandom(12);
function notesReport(version: string, metrics: Record<string, unknown>, day = TODAY): Report {
  return sampleReport(random, { app: 'notes', registry: version, day, metrics });
}

async function upload(collector: Collector, reports: Report[]) {
  const batch: ReportBatch = { v: 1, reports };
  const response = await postRaw(collector.url, await sealForCollector(collector.url, batch));
  return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
}

describe('a collector with several registries', () => {
  it('checks each report against the app and registry version it names', async () => {
    const collector = await start();
    // notes.shared exists only in version 1, notes.deleted only in version 2.
    expect((await upload(collector, [notesReport('2026.1.1', { 'notes.shared': 2 }, YESTERDAY)])).status).toBe(202);
    expect((await upload(collector, [notesReport('2026.2.1', { 'notes.deleted': 1 })])).status).toBe(202);
    const wrongVersion = await upload(collector, [notesReport('2026.2.1', { 'notes.shared': 2 }, YESTERDAY)]);
    expect(wrongVersion.status).toBe(422);
    expect(wrongVersion.body).toMatchObject({ metric: 'notes.shared' });
    // Two apps in one upload, each checked by its own registry.
    const mixed = await upload(collector, [notesReport('2026.2.1', { 'notes.created': 1 }), sampleReport(random)]);
    expect(mixed).toMatchObject({ status: 202, body: { accepted: 2 } });
  });

  it('names the field when an app or registry version is not loaded', async () => {
    const collector = await start();
    const version = await upload(collector, [notesReport('2025.9.1', { 'notes.created': 1 })]);
    expect(version).toMatchObject({ status: 422, body: { field: 'registry' } });
    expect(version.body.detail).toMatch(/2026\.1\.1, 2026\.2\.1/);
    const app = await upload(collector, [sampleReport(random, { app: 'todo' })]);
    expect(app).toMatchObject({ status: 422, body: { field: 'app' } });
  });

  it('refuses a metric after its expiry day, naming it', async () => {
    const collector = await start();
    const before = await upload(collector, [notesReport('2026.1.1', { 'notes.shared': 1 }, YESTERDAY)]);
    expect(before.status).toBe(202);
    const after = await upload(collector, [notesReport('2026.1.1', { 'notes.shared': 1 }, TODAY)]);
    expect(after).toMatchObject({
      status: 422,
      body: { type: 'https://candor.dev/problems/expired-metric', metric: 'notes.shared', field: 'expires' },
    });
  });

  it('keeps the batch size bound when a batch mixes registries', () => {
    // Checked per registry, each part of a 60-report batch is under the bound of 50; the whole must still fail.
    const check = createRegistryChecker(new RegistrySet([notesV1, notesV2]));
    const reports = [
      ...Array.from({ length: 30 }, () => notesReport('2026.2.1', { 'notes.created': 1 })),
      ...Array.from({ length: 30 }, () => notesReport('2026.1.1', { 'notes.created': 1 })),
    ];
    const result = check({ v: 1, reports });
    expect(result.ok).toBe(false);
    expect(check({ v: 1, reports: reports.slice(25, 35) }).ok).toBe(true);
  });

  it('lists its apps, and serves each app its own dictionary and queries', async () => {
    const collector = await start({ createQueryToken: true });
    const apps = await (await fetch(`${collector.url}/v1/apps`)).json();
    expect(apps).toEqual([
      { app: 'notes', versions: ['2026.1.1', '2026.2.1'] },
      { app: 'candor-browser', versions: ['2026.11.1'] },
    ]);
    const dictionary = await fetch(`${collector.url}/v1/registry?app=notes`);
    expect(dictionary.headers.get('candor-registry-version')).toBe('2026.2.1');
    expect(((await dictionary.json()) as { name: string }[]).map((m) => m.name)).toEqual([
      'notes.created',
      'notes.deleted',
    ]);
    const auth = { authorization: `Bearer ${collector.queryToken}` };
    const query = await fetch(`${collector.url}/v1/query?app=notes&metric=notes.created`, { headers: auth });
    expect(query.status).toBe(200);
    const otherApp = await fetch(`${collector.url}/v1/query?app=notes&metric=page_load.count`, { headers: auth });
    expect(otherApp.status).toBe(400);
    const unknown = await fetch(`${collector.url}/v1/query?app=todo&metric=notes.created`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ field: 'app' });
  });
});

describe('query tokens', () => {
  it('answers a missing, malformed or wrong token with the same 401 problem', async () => {
    const collector = await start();
    for (const authorization of [undefined, 'Basic abc', 'Bearer', 'Bearer not-a-token']) {
      const response = await fetch(`${collector.url}/v1/query?metric=notes.created`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });
});

describe('CORS for pages on other origins', () => {
  const preflight = (url: string, path: string, origin: string, method: string) =>
    fetch(url + path, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type' },
    });

  it('answers the preflight for uploads and keys from an allowed origin only', async () => {
    const collector = await start({ allowOrigins: ['https://notes.example', 'http://localhost:5173'] });
    for (const [path, method] of [
      ['/v1/reports', 'POST'],
      ['/v1/keys', 'GET'],
    ] as const) {
      const allowed = await preflight(collector.url, path, 'http://localhost:5173', method);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(allowed.headers.get('access-control-allow-methods')).toContain(method);
      expect(allowed.headers.get('access-control-allow-headers')).toContain('content-type');
      expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
      const other = await preflight(collector.url, path, 'https://evil.example', method);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    }
    const keys = await fetch(`${collector.url}/v1/keys`, { headers: { origin: 'https://notes.example' } });
    expect(keys.headers.get('access-control-allow-origin')).toBe('https://notes.example');
    // A rejected upload's problem is readable by the page, so the SDK can say why.
    const rejected = await fetch(`${collector.url}/v1/reports`, {
      method: 'POST',
      headers: { origin: 'https://notes.example', 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(rejected.status).toBe(415);
    expect(rejected.headers.get('access-control-allow-origin')).toBe('https://notes.example');
    // Token-protected reads are never opened to other origins.
    const query = await fetch(`${collector.url}/v1/query?metric=notes.created`, {
      headers: { origin: 'https://notes.example' },
    });
    expect(query.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers no preflight when no origin is allowed', async () => {
    const collector = await start();
    const response = await preflight(collector.url, '/v1/reports', 'https://notes.example', 'POST');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
