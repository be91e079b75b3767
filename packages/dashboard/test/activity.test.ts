import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromiumAvailable, launchChromium } from '@candor/cli/bench/chromium';
import { type ActivityResult, type Estimate, REPORT_DAYS_LATE } from '@candor/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatInterval, formatNumber, formatPercent } from '../web/format.js';
import { TRIANGLE_WEEKS } from '../web/views/activity.js';
import { type SeededCollector, startSeededCollector } from './seed.js';

const repoDir = fileURLToPath(new URL('../../../', import.meta.url));
const shotsDir = `${repoDir}test-output/dashboard/`;
const runBrowser = chromiumAvailable('dashboard activity browser tests');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const DAY_MS = 86_400_000;

interface Shown {
  activity: string;
  day: string;
  cohort: string;
  week: string;
  key: string;
  text: string;
  interval: string;
}

const count = (e: Estimate) => ({
  text: formatNumber(e.value),
  interval: formatInterval('reports', e.value, [e.low, e.high]),
});
const share = (e: Estimate) => ({
  text: formatPercent(e.value),
  interval: formatInterval('share', e.value, [e.low, e.high]),
});

describe.skipIf(!runBrowser)('dashboard: active devices and retention in a real browser', () => {
  let collector: SeededCollector;
  let browser: Browser;
  let page: Page;
  let api: ActivityResult;

  beforeAll(async () => {
    execFileSync(process.execPath, [`${repoDir}packages/dashboard/scripts/build-assets.mjs`], { stdio: 'inherit' });
    mkdirSync(shotsDir, { recursive: true });
    // Five weeks of a fleet that arrives and leaves, all closed by now, so WAU, MAU (from day 28) and a few weeks
    // of retention are released.
    const last = Date.now() - (REPORT_DAYS_LATE + 2) * DAY_MS;
    collector = await startSeededCollector({ devices: 400, days: 35, minutes: 1, lifecycle: true, now: last });
    const { from, to } = collector.range;
    const response = await fetch(`${collector.url}/v1/activity?from=${from}&to=${to}`, {
      headers: { authorization: `Bearer ${collector.token}` },
    });
    expect(response.status).toBe(200);
    api = (await response.json()) as ActivityResult;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((token) => sessionStorage.setItem('candor.token', token), collector.token);
    page = await context.newPage();
    await page.goto(`${collector.url}/#/activity?from=${from}&to=${to}`);
    await page.waitForSelector('body[data-rendered="activity"]', { timeout: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  it('shows every released day, cohort and share of the activity API, with its interval', async () => {
    const shown: Shown[] = await page.$$eval('td[data-activity]', (cells) =>
      cells.map((td) => ({
        activity: td.getAttribute('data-activity') ?? '',
        day: td.getAttribute('data-day') ?? '',
        cohort: td.getAttribute('data-cohort') ?? '',
        week: td.getAttribute('data-week') ?? '',
        key: td.getAttribute('data-key') ?? '',
        text: td.querySelector('.value')?.textContent ?? '',
        interval: td.querySelector('.interval')?.textContent?.trim() ?? '',
      })),
    );
    const expected: (Omit<Shown, 'text' | 'interval'> & { text: string; interval: string })[] = [];
    const none = { day: '', cohort: '', week: '', key: '' };
    for (const d of api.days) {
      for (const f of ['dau', 'wau', 'mau'] as const) {
        const e = d[f];
        if (e) expected.push({ ...none, activity: f, day: d.day, ...count(e) });
      }
      if (d.stickiness) {
        // In the trend's table, and again in the DAU / MAU figure of its own.
        expected.push({ ...none, activity: 'stickiness', day: d.day, ...share(d.stickiness) });
        expected.push({ ...none, activity: 'dau-over-mau', day: d.day, ...share(d.stickiness) });
      }
    }
    for (const [name, shares] of [
      ['days7', api.stickiness.activeDays7],
      ['days28', api.stickiness.activeDays28],
    ] as const) {
      for (const s of shares) expected.push({ ...none, activity: name, key: String(s.days), ...share(s.share) });
    }
    for (const c of api.cohorts) {
      expected.push({ ...none, activity: 'cohort', cohort: c.week, ...count(c.size) });
      for (const r of c.retained) {
        if (r.share && (TRIANGLE_WEEKS as readonly number[]).includes(r.week)) {
          expected.push({ ...none, activity: 'retention', cohort: c.week, week: String(r.week), ...share(r.share) });
        }
      }
    }
    const kinds = new Set(expected.map((e) => e.activity));
    for (const kind of ['dau', 'wau', 'mau', 'stickiness', 'days7', 'days28', 'cohort', 'retention']) {
      expect(kinds.has(kind), `the API released some ${kind}`).toBe(true);
    }
    const sortKey = (s: Omit<Shown, 'text' | 'interval'>) => [s.activity, s.day, s.cohort, s.week, s.key].join('|');
    const bySort = (a: Shown, b: Shown) => sortKey(a).localeCompare(sortKey(b));
    expect([...shown].sort(bySort)).toEqual([...expected].sort(bySort));
  });

  it('leaves the triangle blank where a week is not released yet, and says so to screen readers', async () => {
    for (const c of api.cohorts) {
      const row = page.locator(`table.cohorts tr[data-key="${c.week}"]`);
      for (const w of TRIANGLE_WEEKS) {
        const released = c.retained.find((r) => r.week === w)?.share;
        if (released) continue;
        // The row header is a th; the first td is the cohort's size.
        const cell = row.locator('td').nth(w);
        await expect(cell.textContent(), `${c.week} week ${w}`).resolves.toBe('not released yet');
      }
    }
    // The newest cohort has had no whole week after its first.
    const newest = api.cohorts[api.cohorts.length - 1];
    expect(newest?.retained.every((r) => r.share === null)).toBe(true);
    await page.screenshot({ path: `${shotsDir}activity.png`, fullPage: true });
  });

  it('headline tiles are the latest released DAU, WAU and MAU', async () => {
    const tile = (id: string) => page.locator(`[data-tile="${id}"] .tile-value`).textContent();
    for (const f of ['dau', 'wau', 'mau'] as const) {
      const latest = [...api.days].reverse().find((d) => d[f])?.[f];
      await expect(tile(f), f).resolves.toBe(latest ? formatNumber(latest.value) : '—');
    }
  });

  it('passes the axe-core WCAG 2.1 AA checks, shaded cohort cells included', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    await context.addInitScript((token) => sessionStorage.setItem('candor.token', token), collector.token);
    const axePage = await context.newPage();
    const { from, to } = collector.range;
    await axePage.goto(`${collector.url}/#/activity?from=${from}&to=${to}`);
    await axePage.waitForSelector('body[data-rendered="activity"]', { timeout: 30_000 });
    await axePage.$$eval('details', (all) => {
      for (const d of all) (d as HTMLDetailsElement).open = true;
    });
    await axePage.addScriptTag({ path: axePath });
    const violations = await axePage.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: { run: (o: unknown) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> };
        }
      ).axe;
      const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return result.violations.map(
        (v) =>
          `${v.id}: ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join('; ')}`,
      );
    });
    await context.close();
    expect(violations).toEqual([]);
  });
});
