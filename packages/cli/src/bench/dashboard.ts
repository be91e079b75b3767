// `candor bench dashboard`: how long the overview takes to first render in headless Chromium with 10 million
// reports stored, side by side with the same page over a 100,000-report store in the same run (the ratio is the
// figure that survives a noisy shared machine). "Rendered" is the `candor:rendered:overview` performance mark
// the app sets once every figure is drawn; it is measured from navigation start, so it includes loading the
// page, the parallel queries and chart.js drawing.
//   --reports=N   reports to store (default 10,000,000)
//   --runs=N      page loads to time per store (default 7)
//   --quick       100,000 reports and 3 runs (smoke run)
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAILY_ACTIVITY_METRIC, DuckDbStore, startCollector } from '@candor/server';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { loadSimulatedReports } from './simulated-store.js';

const TARGET_MS = 1000;
// The side-by-side baseline: a store a hundred times smaller (smaller still would leave most device classes empty).
const BASELINE_REPORTS = 100_000;
// The overview's default range: the last 30 days.
const DAYS = 30;

function flag(flags: string[], name: string, fallback: number): number {
  const raw = flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1];
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got "${raw}"`);
  return n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Opens the overview once in a fresh browser context (cold session) and returns its render mark in ms. */
async function renderOnce(browser: Browser, url: string, token: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addInitScript({ content: `sessionStorage.setItem('candor.token', ${JSON.stringify(token)});` });
    const page = await context.newPage();
    await page.goto(`${url}/#/overview`);
    await page.waitForSelector('body[data-rendered="overview"]', { timeout: 60_000 });
    const failed = await page.locator('.failed').count();
    if (failed) throw new Error(`${failed} overview figures failed to load`);
    const mark = await page.evaluate(() => performance.getEntriesByName('candor:rendered:overview')[0]?.startTime);
    if (typeof mark !== 'number') throw new Error('the overview set no rendered mark');
    return mark;
  } finally {
    await context.close();
  }
}

async function collectorWith(reports: number, dir: string) {
  const store = await DuckDbStore.open(join(dir, `bench-${reports}.duckdb`));
  const started = performance.now();
  const endDay = new Date().toISOString().slice(0, 10);
  await loadSimulatedReports(store, { reports, days: DAYS, endDay });
  const [rows, stored] = (
    await store.connection.runAndReadAll(
      `SELECT count(*), sum(reports) FILTER (WHERE metric = '${DAILY_ACTIVITY_METRIC}' AND dim = 'day') FROM day_rows`,
    )
  ).getRowsJS()[0] as [bigint, bigint];
  const data = { rows: Number(rows), reports: Number(stored) };
  const loadSeconds = (performance.now() - started) / 1000;
  const collector = await startCollector({
    store,
    keysDir: join(dir, `keys-${reports}`),
    rateLimit: false,
    log: { level: 'warn' },
  });
  if (!collector.queryToken) throw new Error('the collector created no query token');
  return { collector, store, data, loadSeconds, token: collector.queryToken };
}

const ms = (value: number) => `${Math.round(value)} ms`;
const count = (value: number) => value.toLocaleString('en-US');

export async function benchDashboard(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const reports = flag(flags, 'reports', quick ? 100_000 : 10_000_000);
  const runs = flag(flags, 'runs', quick ? 3 : 7);
  if (!existsSync(CHROMIUM)) {
    console.log(`bench dashboard: SKIPPED — ${CHROMIUM} is not installed`);
    return;
  }
  console.log('machine note: 2 shared cores with other work running; absolute figures are noisy, compare the ratio.');
  const dir = await mkdtemp(join(tmpdir(), 'candor-bench-dashboard-'));
  const browser = await launchChromium();
  const started: Awaited<ReturnType<typeof collectorWith>>[] = [];
  try {
    const baseline = await collectorWith(BASELINE_REPORTS, dir);
    started.push(baseline);
    if ((await fetch(`${baseline.collector.url}/app.js`)).status !== 200) {
      console.log('bench dashboard: the collector serves no dashboard; run `npm run build` first');
      return;
    }
    console.log(`loading ${count(reports)} reports over ${DAYS} days ...`);
    const big = await collectorWith(reports, dir);
    started.push(big);
    console.log(
      `stored: ${count(big.data.reports)} reports as ${count(big.data.rows)} rollup rows in ${big.loadSeconds.toFixed(1)} s` +
        ` (baseline: ${count(baseline.data.reports)} reports, ${count(baseline.data.rows)} rows)`,
    );
    // Interleaved, so both stores see the same machine load; the big store goes first, with cold caches.
    const large: number[] = [];
    const small: number[] = [];
    for (let i = 0; i < runs; i++) {
      large.push(await renderOnce(browser, big.collector.url, big.token));
      small.push(await renderOnce(browser, baseline.collector.url, baseline.token));
    }
    console.log(
      `overview first render, navigation start to every figure drawn (${runs} page loads each, interleaved):`,
    );
    console.log(
      `  ${count(reports)} reports: first ${ms(large[0] ?? 0)}, median ${ms(median(large))}  [${large.map(ms).join(', ')}]`,
    );
    console.log(
      `  ${count(baseline.data.reports)} reports: first ${ms(small[0] ?? 0)}, median ${ms(median(small))}  [${small.map(ms).join(', ')}]`,
    );
    console.log(
      `  ratio (median, ${count(reports)} / ${count(baseline.data.reports)}): ${(median(large) / median(small)).toFixed(2)}x`,
    );
    const met = median(large) < TARGET_MS;
    console.log(`  target: median < ${TARGET_MS} ms with ${count(reports)} reports — ${met ? 'met' : 'NOT met'}`);
  } finally {
    for (const c of started) {
      await c.collector.close();
      await c.store.close().catch(() => undefined);
    }
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}
