// `candor bench dashboard`: how long the overview takes to first render in headless Chromium with 10 million
// reports stored, against the same page over a nearly empty store in the same run (the ratio is the figure that
// survives a noisy shared machine). "Rendered" is the `candor:rendered:overview` performance mark the app sets
// once every figure is drawn; its time is measured from navigation start, so it includes loading the page,
// the parallel queries and chart.js drawing.
//   --reports N   reports to store (default 10,000,000)
//   --runs N      page loads to time per store (default 5)
//   --quick       100,000 reports and 3 runs (smoke run)
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbStore, type RollupRow, startCollector } from '@candor/server';
import { generateFleetRollups } from './dashboard-data.js';

const TARGET_MS = 1000;
const DAYS = 90;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

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

interface Timing {
  first: number;
  median: number;
  runs: number[];
}

/** Opens the overview `runs` times in fresh pages and returns the render marks in ms. */
async function timeOverview(
  browser: import('playwright-core').Browser,
  url: string,
  token: string,
  runs: number,
): Promise<Timing> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript({ content: `sessionStorage.setItem('candor.token', ${JSON.stringify(token)});` });
    const page = await context.newPage();
    await page.goto(`${url}/#/overview`);
    await page.waitForSelector('body[data-rendered="overview"]', { timeout: 60_000 });
    const failed = await page.locator('.failed').count();
    if (failed) throw new Error(`${failed} overview figures failed to load`);
    const mark = await page.evaluate(() => performance.getEntriesByName('candor:rendered:overview')[0]?.startTime);
    if (typeof mark !== 'number') throw new Error('the overview set no rendered mark');
    times.push(mark);
    await context.close();
  }
  return { first: times[0] ?? Number.NaN, median: median(times), runs: times };
}

/** The store's bulk path for pre-rolled rows, when it has one (the query benchmark loads data the same way). */
function rollupLoader(store: DuckDbStore): (rows: RollupRow[]) => Promise<void> {
  const bulk = (store as unknown as { appendRollup?: (rows: Iterable<RollupRow>) => Promise<void> }).appendRollup;
  if (typeof bulk !== 'function') throw new Error('the DuckDB store offers no bulk rollup load (appendRollup)');
  return (rows) => bulk.call(store, rows);
}

async function collectorWith(reports: number, dir: string) {
  const store = await DuckDbStore.open(join(dir, `bench-${reports}.duckdb`));
  const started = performance.now();
  const data = await generateFleetRollups(reports, DAYS, rollupLoader(store));
  await store.flush();
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

const fmt = (ms: number) => `${Math.round(ms)} ms`;

export async function benchDashboard(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const reports = flag(flags, 'reports', quick ? 100_000 : 10_000_000);
  const runs = flag(flags, 'runs', quick ? 3 : 5);
  if (!existsSync(CHROMIUM)) {
    console.log(`bench dashboard: SKIPPED — ${CHROMIUM} is not installed`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const dir = await mkdtemp(join(tmpdir(), 'candor-bench-dashboard-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const baseline = await collectorWith(1_000, dir);
    if ((await fetch(`${baseline.collector.url}/app.js`)).status !== 200) {
      await baseline.collector.close();
      console.log('bench dashboard: the collector serves no dashboard; run `npm run build` first');
      return;
    }
    console.log(
      `baseline store: ${baseline.data.reports.toLocaleString('en-US')} reports, ${baseline.data.rows.toLocaleString('en-US')} rows`,
    );
    const small = await timeOverview(browser, baseline.collector.url, baseline.token, runs);
    await baseline.collector.close();
    await baseline.store.close();

    console.log(`loading ${reports.toLocaleString('en-US')} reports over ${DAYS} days ...`);
    const big = await collectorWith(reports, dir);
    console.log(
      `stored: ${big.data.reports.toLocaleString('en-US')} reports as ${big.data.rows.toLocaleString('en-US')} rollup rows in ${big.loadSeconds.toFixed(1)} s`,
    );
    const large = await timeOverview(browser, big.collector.url, big.token, runs);
    await big.collector.close();
    await big.store.close();

    console.log(
      `overview first render (navigation start to every figure drawn, default 30-day range, ${runs} page loads each):`,
    );
    console.log(
      `  ${reports.toLocaleString('en-US')} reports: first ${fmt(large.first)}, median ${fmt(large.median)}  [${large.runs.map(fmt).join(', ')}]`,
    );
    console.log(
      `  baseline (1,000 reports): first ${fmt(small.first)}, median ${fmt(small.median)}  [${small.runs.map(fmt).join(', ')}]`,
    );
    console.log(`  ratio to baseline (median): ${(large.median / small.median).toFixed(2)}x`);
    console.log(
      `  target < ${TARGET_MS} ms: ${large.first < TARGET_MS && large.median < TARGET_MS ? 'met' : 'NOT met'} (machine shared and noisy; compare the ratio)`,
    );
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}
