// The dashboard of a collector serving two apps: a team's own (a registry of its own metrics) and candor's example
// browser app. The switcher picks the app, the Metrics view draws any registry, and the layout holds at 390 px.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumAvailable, launchChromium } from '@candor/cli/bench/chromium';
import { candorBrowserRegistry, defineRegistry, type QueryResult, type Report } from '@candor/protocol';
import { type Collector, startCollector } from '@candor/server';
import { distribution, postRaw, sampleReport, sealForCollector, seededRandom } from '@candor/server/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatField } from '../web/format.js';

const repoDir = fileURLToPath(new URL('../../../', import.meta.url));
const shotsDir = `${repoDir}test-output/dashboard/`;
const runBrowser = chromiumAvailable('dashboard apps tests');

const review = {
  owner: 'web-team@notes.example',
  purpose: 'Know whether people write notes at all.',
  sensitivity: 'technical',
  expires: '2099-12-31',
} as const;
const notesWeb = defineRegistry({
  app: 'notes-web',
  version: '2026.11.1',
  metrics: {
    'editor.notes_created': { type: 'counter', category: 'ui', description: 'Notes created.', ...review },
    'editor.load_time': {
      type: 'timing_distribution',
      category: 'page-load',
      description: 'Time until the editor can be typed in.',
      unit: 'ms',
      ...review,
    },
    'editor.theme': {
      type: 'enumeration',
      category: 'settings',
      description: 'The colour theme the editor shows.',
      values: ['light', 'dark', 'system'],
      ...review,
    },
  },
});

describe.skipIf(!runBrowser)('dashboard with several apps', () => {
  let dir: string;
  let collector: Collector;
  let token: string;
  let browser: Browser;
  let page: Page;
  const today = new Date().toISOString().slice(0, 10);

  async function show(route: string, rendered: string): Promise<void> {
    await page.goto(`${collector.url}/#/${route}`);
    await page.waitForSelector(`body[data-rendered="${rendered}"]`, { timeout: 20_000 });
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [`${repoDir}packages/dashboard/scripts/build-assets.mjs`], { stdio: 'inherit' });
    mkdirSync(shotsDir, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'candor-dashboard-apps-'));
    collector = await startCollector({
      keysDir: join(dir, 'keys'),
      registries: [notesWeb, candorBrowserRegistry],
      k: 5,
      rateLimit: false,
      log: { level: 'silent' },
    });
    token = collector.queryToken as string;
    const random = seededRandom(5);
    const reports: Report[] = Array.from({ length: 12 }, (_, i) =>
      sampleReport(random, {
        app: 'notes-web',
        day: today,
        metrics: {
          'editor.notes_created': 1 + (i % 4),
          'editor.load_time': distribution([300 + i * 10, 900]),
          'editor.theme': i % 3 === 0 ? 'light' : 'dark',
        },
      }),
    );
    const answer = await postRaw(collector.url, await sealForCollector(collector.url, { v: 1, reports }));
    expect(answer.status).toBe(202);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${collector.url}/`);
    await page.evaluate((t) => sessionStorage.setItem('candor.token', t), token);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("shows the first app's metrics, each number as the query API gives it", async () => {
    await show('metrics', 'metrics');
    await expect(page.locator('#app-select').inputValue()).resolves.toBe('notes-web');
    // The example app's own views are not offered for another app.
    await expect(page.getByRole('link', { name: 'Page loads' }).count()).resolves.toBe(0);
    const created = (await (
      await fetch(`${collector.url}/v1/query?app=notes-web&metric=editor.notes_created&from=${today}&to=${today}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as QueryResult;
    const cell = created.cells.find((c) => c.key === today);
    expect(cell?.suppressed).toBe(false);
    const shown = page.locator(`td[data-metric="editor.notes_created"][data-key="${today}"][data-field="sum"]`);
    await expect(shown.textContent()).resolves.toBe(formatField('sum', cell?.sum ?? Number.NaN));
    // Enumeration values keep the registry's order (light first), not the order of their counts (dark 8, light 4).
    const themes = await page
      .locator('td[data-metric="editor.theme"][data-field="share"]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-key')));
    expect(themes).toEqual(['light', 'dark']);
  });

  it('switches to the other app, whose own views come back', async () => {
    await show('metrics', 'metrics');
    await page.locator('#app-select').selectOption('candor-browser');
    await page.waitForFunction(() => location.hash.includes('app=candor-browser'));
    await page.waitForSelector('body[data-rendered="metrics"]');
    await expect(page.getByRole('link', { name: 'Page loads' }).count()).resolves.toBe(1);
    await expect(page.locator('h2', { hasText: 'Metrics of candor-browser' }).count()).resolves.toBe(1);
  });

  it("links each metric of another app's dictionary with its app", async () => {
    await show('dictionary?app=notes-web', 'dictionary');
    const link = page.locator('tr[data-metric="editor.theme"] a');
    await expect(link.getAttribute('href')).resolves.toBe('#/dictionary/editor.theme?app=notes-web');
    await link.click();
    await page.waitForSelector('tr.linked[data-metric="editor.theme"]');
  });

  it('fits a 390 px wide phone screen without sideways scrolling', async () => {
    for (const [route, rendered] of [
      ['metrics?app=notes-web', 'metrics'],
      ['overview?app=candor-browser', 'overview'],
      ['page-load?app=candor-browser', 'page-load'],
      ['dictionary?app=notes-web', 'dictionary'],
    ] as const) {
      await show(route, rendered);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${route} is ${width} px wide`).toBeLessThanOrEqual(390);
      await page.screenshot({ path: `${shotsDir}phone-${rendered}.png`, fullPage: true });
    }
  });
});
