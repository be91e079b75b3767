import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type Report, SEALED_CONTENT_TYPE, utcDayOf } from '@candor/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, type CollectorOptions, startCollector } from '../collector.js';
import { sealForCollector } from '../testing/client.js';
import { distribution, SAMPLE_DAY, sampleReport, seededRandom } from '../testing/reports.js';

const running: Collector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
});

async function start(options: CollectorOptions = {}): Promise<Collector> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-hostile-'));
  const collector = await startCollector({
    keysDir: join(dir, 'keys'),
    store: 'duckdb::memory:',
    dashboardDir: null,
    rateLimit: false,
    log: { level: 'silent' },
    ...options,
  });
  running.push(collector);
  return collector;
}

const post = async (c: Collector, batch: unknown) =>
  fetch(`${c.url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': SEALED_CONTENT_TYPE },
    body: new Uint8Array(await sealForCollector(c.url, typeof batch === 'string' ? batch : JSON.stringify(batch))),
  });

const upload = async (c: Collector, reports: unknown[]) => {
  const response = await post(c, { v: 1, reports });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const withMetrics = (seed: number, metrics: Record<string, unknown>, extra: Partial<Report> = {}) =>
  sampleReport(seededRandom(seed), { metrics, ...extra });

const MAX_SAFE = 2 ** 53 - 1;

/** Device-days and the summed value stored for a metric on the days still open (its day grouping's rows). */
async function storedReports(c: Collector, metric = 'page_load.count'): Promise<{ reports: number; value: number }> {
  let reports = 0;
  let value = 0;
  for (let offset = -5; offset <= 2; offset++) {
    for (const line of await c.store.dayLines('candor-browser', utcDayOf(Date.now() + offset * 86_400_000))) {
      if (line.metric !== metric || line.by !== 'day' || line.bucket !== -1) continue;
      reports += line.reports;
      value += line.value;
    }
  }
  return { reports, value };
}

describe('hostile values are refused before anything is stored', () => {
  it('422 for values beyond the contribution bounds or distributions whose parts disagree', async () => {
    const c = await start();
    const cases: [string, Record<string, unknown>, string, string][] = [
      // The attack: a count of 2^53-1 and a bucket of the same size.
      [
        'huge count',
        { 'page_load.time': { sum: MAX_SAFE, count: MAX_SAFE, buckets: { 10: MAX_SAFE } } },
        'page_load.time',
        'count',
      ],
      [
        'buckets do not add up to count',
        { 'page_load.time': { sum: 300, count: 3, buckets: { 66: 1 } } },
        'page_load.time',
        'buckets',
      ],
      [
        'sum beyond what the buckets hold',
        { 'page_load.time': { sum: 1e9, count: 1, buckets: { 66: 1 } } },
        'page_load.time',
        'sum',
      ],
      [
        'sum below what the buckets hold',
        { 'page_load.time': { sum: 0, count: 1, buckets: { 200: 1 } } },
        'page_load.time',
        'sum',
      ],
      [
        'bucket above the largest sample',
        { 'page_load.time': { sum: 0, count: 1, buckets: { 257: 1 } } },
        'page_load.time',
        'buckets.257',
      ],
      [
        'bucket index not canonical',
        { 'page_load.time': { sum: 100, count: 1, buckets: { '053': 1 } } },
        'page_load.time',
        'buckets.053',
      ],
      ['counter above its max', { 'page_load.count': 1_000_000 }, 'page_load.count', ''],
      ['label count above its max', { 'search.engine_use': { bing: 9e15 } }, 'search.engine_use', 'bing'],
      ['labels above their total', { 'search.engine_use': { bing: 50, google: 50 } }, 'search.engine_use', ''],
      [
        'too many sites',
        {
          'page_load.time_by_site': Object.fromEntries(
            Array.from({ length: 51 }, (_, i) => [`site${i}.com`, distribution([100])]),
          ),
        },
        'page_load.time_by_site',
        '',
      ],
      [
        'a crash signature twice',
        {
          'crash.app': [
            { type: 'TypeError', signature: '0123456789abcdef', count: 5 },
            { type: 'TypeError', signature: '0123456789abcdef', count: 5 },
          ],
        },
        'crash.app',
        '1.signature',
      ],
    ];
    for (const [what, metrics, metric, field] of cases) {
      const { status, body } = await upload(c, [withMetrics(1, metrics)]);
      expect({ what, status, metric: body.metric, field: body.field }).toEqual({ what, status: 422, metric, field });
    }
    // 1e400 parses to Infinity: not a number any store can hold.
    const text = JSON.stringify({ v: 1, reports: [withMetrics(2, { 'ui.open_tabs': 1 })] }).replace(
      '"ui.open_tabs":1',
      '"ui.open_tabs":1e400',
    );
    expect((await post(c, text)).status).toBe(422);
    expect(c.stats.accepted).toBe(0);
    expect((await storedReports(c)).reports).toBe(0);
  });

  it('accepts a real calendar day inside the window only, and names the field otherwise', async () => {
    const c = await start();
    const DAY_MS = 86_400_000;
    const days = [
      '2026-13-45',
      '2026-02-30',
      '2025-02-29',
      '0001-01-01',
      '9999-12-31',
      utcDayOf(Date.now() + 365 * DAY_MS),
      utcDayOf(Date.now() + 2 * DAY_MS),
      utcDayOf(Date.now() - 4 * DAY_MS),
    ];
    for (const day of days) {
      const { status, body } = await upload(c, [sampleReport(seededRandom(3), { day })]);
      expect({ day, status, field: body.field }).toEqual({ day, status: 422, field: 'day' });
    }
    for (const day of [utcDayOf(Date.now() - 3 * DAY_MS), SAMPLE_DAY, utcDayOf(Date.now() + DAY_MS)]) {
      expect((await upload(c, [sampleReport(seededRandom(4), { day })])).status).toBe(202);
    }
  });

  it('site keys must be registrable domains under the public suffix list', async () => {
    const c = await start();
    for (const site of ['www.google.com', 'patient-4711.small-town-clinic.org', 'localhost.localdomain', 'co.uk']) {
      const report = withMetrics(5, { 'page_load.time_by_site': { [site]: distribution([120]) } });
      const { status, body } = await upload(c, [report]);
      expect({ site, status, field: body.field }).toEqual({ site, status: 422, field: '(key)' });
      expect(JSON.stringify(body)).not.toContain(site);
    }
    const honest = withMetrics(6, {
      'page_load.time_by_site': { 'google.com': distribution([120]), 'bbc.co.uk': distribution([80]) },
    });
    expect((await upload(c, [honest])).status).toBe(202);
  });

  it('__proto__, constructor, prototype and toString are names like any other: refused, never looked up', async () => {
    const c = await start();
    const names = ['__proto__', 'constructor', 'prototype', 'toString'];
    const base = JSON.stringify({ v: 1, reports: [withMetrics(7, { 'page_load.count': 1 })] });
    const inject = (json: string) => base.replace('"page_load.count":1', json);
    for (const name of names) {
      const q = JSON.stringify(name);
      const attempts = {
        metric: inject(`"page_load.count":1,${q}:1`),
        label: inject(`"page_load.count":1,"search.engine_use":{${q}:1}`),
        extra: inject(`"page_load.count":1,"ui.menu_action":[{${q}:"settings"}]`),
        site: inject(`"page_load.count":1,"page_load.time_by_site":{${q}:{"sum":100,"count":1,"buckets":{"53":1}}}`),
        system: base.replace('"system":{', `"system":{${q}:1,`),
      };
      for (const [where, text] of Object.entries(attempts)) {
        const response = await post(c, text);
        expect({ name, where, status: response.status }).toEqual({ name, where, status: 422 });
      }
      const queries: Record<string, string>[] = [
        { metric: name },
        { metric: 'page_load.count', by: name },
        { app: name, metric: 'page_load.count' },
      ];
      for (const params of queries) {
        const query = await fetch(`${c.url}/v1/query?${new URLSearchParams(params)}`, {
          headers: { authorization: `Bearer ${c.queryToken}` },
        });
        // 400 for a metric or grouping the registry does not have, 404 for an app the collector does not serve.
        expect({ params, refused: query.status === 400 || query.status === 404 }).toEqual({ params, refused: true });
      }
    }
    expect(c.stats.accepted).toBe(0);
  });

  it('JSON nested 10,000 deep is a 4xx, not a crash', async () => {
    const c = await start();
    const deep = `{"v":1,"reports":[${'['.repeat(10_000)}${']'.repeat(10_000)}]}`;
    const response = await post(c, deep);
    expect(response.status).toBe(422);
    expect(((await response.json()) as { type: string }).type).toMatch(/too-deep/);
    const deepObject = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    expect((await post(c, deepObject)).status).toBe(422);
    // Nesting beside the reports, after strings that end in an escaped backslash or hold brackets and escaped
    // quotes, is found too.
    const hidden = `{"v":1,"x":["\\\\","]]]\\"}}",${'['.repeat(10_000)}${']'.repeat(10_000)}],"reports":[]}`;
    expect(JSON.parse(hidden)).toBeTruthy();
    const hiddenResponse = await post(c, hidden);
    expect(hiddenResponse.status).toBe(422);
    expect(((await hiddenResponse.json()) as { type: string }).type).toMatch(/too-deep/);
    expect((await upload(c, [sampleReport(seededRandom(8))])).status).toBe(202);
  });
});

describe('no client can stop or skew ingest', () => {
  it('the overflow and bad-day attacks interleaved with honest uploads: every honest one accepted, counts exact', async () => {
    const c = await start();
    const hostile = [
      ...Array.from({ length: 30 }, (_, i) =>
        withMetrics(100 + i, { 'page_load.time': { sum: MAX_SAFE, count: MAX_SAFE, buckets: { 10: MAX_SAFE } } }),
      ),
      ...Array.from({ length: 5 }, (_, i) => sampleReport(seededRandom(200 + i), { day: '2026-13-45' })),
    ];
    const honest = Array.from({ length: 200 }, (_, i) => withMetrics(300 + i, { 'page_load.count': 2 }));
    const answers = await Promise.all([
      ...hostile.map(async (r) => ({ honest: false, ...(await upload(c, [r])) })),
      ...honest.map(async (r) => ({ honest: true, ...(await upload(c, [r])) })),
    ]);
    expect(answers.filter((a) => a.honest && a.status !== 202)).toEqual([]);
    expect(answers.filter((a) => !a.honest).map((a) => a.status)).toEqual(hostile.map(() => 422));
    expect(await storedReports(c)).toEqual({ reports: 200, value: 400 });
  });

  it('25 copies of one report in one upload are stored once', async () => {
    const c = await start();
    const report = withMetrics(9, { 'page_load.count': 3 });
    const { status, body } = await upload(
      c,
      Array.from({ length: 25 }, () => report),
    );
    expect({ status, body }).toEqual({ status: 202, body: { accepted: 1, duplicates: 24 } });
    expect(await storedReports(c)).toEqual({ reports: 1, value: 3 });
  });
});

describe('logs', () => {
  it('carry registry names and problem types only, never a client-supplied string', async () => {
    const lines = new PassThrough();
    let logged = '';
    lines.on('data', (chunk: Buffer) => {
      logged += chunk.toString();
    });
    const c = await start({ log: { level: 'info', destination: lines } });
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) HostileAgent/99.1';
    const probes = ['1.2.3.4', userAgent, '<img src=x onerror=alert(1)>', 'constructor'];
    for (const probe of probes) {
      const q = JSON.stringify(probe);
      const report = sampleReport(seededRandom(10));
      const texts = [
        JSON.stringify({ v: 1, reports: [{ ...report, metrics: { [probe]: 1 } }] }),
        JSON.stringify({ v: 1, reports: [{ ...report, metrics: { 'search.engine_use': { [probe]: 1 } } }] }),
        JSON.stringify({
          v: 1,
          reports: [{ ...report, metrics: { 'page_load.time_by_site': { [probe]: distribution([1]) } } }],
        }),
        JSON.stringify({ v: 1, reports: [{ ...report, system: { ...report.system, [probe]: 1 } }] }),
        JSON.stringify({ v: 1, reports: [{ ...report, day: probe }] }),
        JSON.stringify({ v: 1, reports: [{ ...report, metrics: { 'ui.menu_action': [{ item: probe }] } }] }),
      ];
      for (const text of texts) expect((await post(c, text)).status).toBeGreaterThanOrEqual(400);
      await fetch(`${c.url}/v1/${encodeURIComponent(probe)}`, { headers: { 'user-agent': userAgent } });
      expect(q.length).toBeGreaterThan(0);
    }
    await c.close();
    expect(logged).toContain('upload rejected');
    for (const probe of probes) expect(logged).not.toContain(probe);
    expect(logged).not.toContain('HostileAgent');
  });
});
