import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromiumAvailable, launchChromium } from '@candor/cli/bench/chromium';
import type { DictionaryEntry, PrivacyStatus, QueryResult } from '@candor/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Field, formatField, formatInterval, formatNumber, INTERVAL_FIELD } from '../web/format.js';
import { type SeededCollector, startSeededCollector } from './seed.js';

const repoDir = fileURLToPath(new URL('../../../', import.meta.url));
const shotsDir = `${repoDir}test-output/dashboard/`;
const runBrowser = chromiumAvailable('dashboard browser tests');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string;
  nodes: { target: string[] }[];
}

const STATS_VIEWS = ['overview', 'page-load', 'search', 'settings', 'crashes', 'memory', 'system', 'media'] as const;

describe.skipIf(!runBrowser)('dashboard in a real browser', () => {
  let collector: SeededCollector;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];

  async function api<T>(path: string, token: string | null = collector.token): Promise<T> {
    const response = await fetch(`${collector.url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    expect(response.status, `${path} answered ${response.status}`).toBe(200);
    return (await response.json()) as T;
  }

  async function show(route: string, rendered: string): Promise<void> {
    await page.goto(`${collector.url}/#/${route}`);
    await page.waitForSelector(`body[data-rendered="${rendered}"]`, { timeout: 20_000 });
  }

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: `${shotsDir}${name}.png`, fullPage: true });
  }

  beforeAll(async () => {
    // Bundle from source so the test never runs against stale assets.
    execFileSync(process.execPath, [`${repoDir}packages/dashboard/scripts/build-assets.mjs`], { stdio: 'inherit' });
    mkdirSync(shotsDir, { recursive: true });
    collector = await startSeededCollector();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('request', (request) => requested.push(request.url()));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  it('renders the data dictionary from the registry without a token', async () => {
    await show('dictionary', 'dictionary');
    const body = await api<DictionaryEntry[] | { metrics: DictionaryEntry[] }>('/v1/registry', null);
    const entries = Array.isArray(body) ? body : body.metrics;
    expect(entries.length).toBeGreaterThan(5);
    for (const entry of entries) {
      const row = page.locator(`tr[data-metric="${entry.name}"]`);
      await expect(row.count()).resolves.toBe(1);
      const text = (await row.textContent()) ?? '';
      for (const part of [entry.name, entry.purpose, entry.sensitivity, entry.owner, entry.expires]) {
        expect(text, `${entry.name} row`).toContain(part);
      }
      expect(await row.locator('[data-field="protections"] li').count()).toBe(entry.protections.length);
    }
    expect(await page.evaluate(() => sessionStorage.getItem('candor.token'))).toBeNull();
    await screenshot('dictionary');
  });

  it('links straight to one metric of the dictionary', async () => {
    await show('dictionary/settings.dark_mode', 'dictionary');
    await expect(page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.metric)).resolves.toBe(
      'settings.dark_mode',
    );
    await expect(page.locator('tr.linked').count()).resolves.toBe(1);
    await screenshot('dictionary-linked');
  });

  it('refuses a wrong token and keeps it out of storage', async () => {
    await page.goto(`${collector.url}/#/overview`);
    await page.waitForSelector('main[data-state="login"]');
    await page.getByLabel('Access token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'refused' }).textContent()).resolves.toContain('refused');
    expect(await page.evaluate(() => sessionStorage.getItem('candor.token'))).toBeNull();
    const direct = await fetch(
      `${collector.url}/v1/query?metric=page_load.count&by=day&from=2026-01-01&to=2026-01-02`,
      {
        headers: { authorization: 'Bearer not-the-token' },
      },
    );
    expect([401, 403]).toContain(direct.status);
    await screenshot('login-refused');
  });

  it('signs in with the right token, kept in sessionStorage and never in a URL', async () => {
    await page.getByLabel('Access token').fill(collector.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('body[data-rendered="overview"]', { timeout: 20_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('candor.token'))).toBe(collector.token);
    expect(requested.some((u) => u.includes(collector.token))).toBe(false);
  });

  for (const view of STATS_VIEWS) {
    it(`${view}: every number shown matches the query API`, async () => {
      const { from, to } = collector.range;
      await show(`${view}?from=${from}&to=${to}`, view);
      expect(await page.locator('.failed').count(), 'no figure failed to load').toBe(0);
      // Every figure draws its chart, or says plainly that there is nothing to draw.
      const figures = await page.locator('figure.card').count();
      const drawn = await page.locator('figure.card canvas[role="img"]').count();
      const empty = await page.locator('figure.card p.empty').count();
      expect(figures).toBeGreaterThan(0);
      expect(drawn + empty, 'each figure has a chart or an explanation').toBe(figures);
      const shown: {
        metric: string;
        by: string;
        key: string;
        field: string;
        divisor: number;
        text: string;
        interval: string;
      }[] = await page.$$eval('td[data-metric]', (cells) =>
        cells.map((td) => ({
          metric: td.getAttribute('data-metric') ?? '',
          by: td.getAttribute('data-by') ?? '',
          key: td.getAttribute('data-key') ?? '',
          field: td.getAttribute('data-field') ?? '',
          divisor: Number(td.getAttribute('data-divisor') ?? 1),
          text: td.querySelector('.value')?.textContent ?? '',
          interval: td.querySelector('.interval')?.textContent?.trim() ?? '',
        })),
      );
      expect(shown.length, 'released numbers shown').toBeGreaterThan(0);
      const answers = new Map<string, QueryResult>();
      for (const cell of shown) {
        const id = `${cell.metric}|${cell.by}`;
        if (!answers.has(id)) {
          answers.set(
            id,
            await api<QueryResult>(`/v1/query?metric=${cell.metric}&by=${cell.by}&from=${from}&to=${to}`),
          );
        }
      }
      for (const [id, result] of answers) {
        const onPage = shown.filter((c) => `${c.metric}|${c.by}` === id);
        for (const cell of onPage) {
          const source = result.cells.find((c) => c.key === cell.key);
          expect(source, `${id} has a cell "${cell.key}"`).toBeDefined();
          const field = cell.field as Field;
          const value = source?.[field];
          expect(typeof value, `${id} ${cell.key}.${field}`).toBe('number');
          expect(cell.text, `${id} ${cell.key}.${field}`).toBe(formatField(field, value as number, cell.divisor));
          // Every number with noise is shown with its interval, as the API states it.
          const interval = field === 'standardError' ? undefined : source?.[INTERVAL_FIELD[field]];
          if (interval) {
            expect(cell.interval, `${id} ${cell.key}.${field} interval`).toBe(
              formatInterval(field, value as number, interval, cell.divisor),
            );
          }
        }
        // Every cell of the answer is on the page.
        const shownKeys = new Set(onPage.map((c) => c.key));
        for (const c of result.cells) {
          if (view === 'crashes' && result.by === 'appVersion') continue; // joined with page loads below
          expect(shownKeys.has(c.key), `${id} shows cell "${c.key}"`).toBe(true);
        }
      }
      await screenshot(view);
    });
  }

  it('shows the versions of each OS in a figure of their own', async () => {
    const { from, to } = collector.range;
    const versions = await api<QueryResult>(`/v1/query?metric=$daily_activity&by=osVersion&from=${from}&to=${to}`);
    await show(`system?from=${from}&to=${to}`, 'system');
    const systems = [...new Set(versions.cells.map((c) => c.key.split(' ')[0] ?? ''))];
    const names: Record<string, string> = { android: 'Android', ios: 'iOS' };
    for (const os of systems) {
      const title = `${names[os] ?? os} versions`;
      const figure = page.locator('figure.card', { has: page.getByRole('heading', { name: title }) });
      await expect(figure.count(), title).resolves.toBe(1);
      const keys = await figure
        .locator('td[data-field="reports"]')
        .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-key') ?? ''));
      for (const key of keys) expect(key.startsWith(`${os} `)).toBe(true);
    }
    // A small fleet may name no version at all; the figure is there and says so.
    if (systems.length === 0) {
      const figure = page.locator('figure.card', { has: page.getByRole('heading', { name: 'OS versions' }) });
      await expect(figure.count()).resolves.toBe(1);
    }
  });

  it('overview headline figures are sums of the released cells, with their intervals', async () => {
    const { from, to } = collector.range;
    await show(`overview?from=${from}&to=${to}`, 'overview');
    const loads = await api<QueryResult>(`/v1/query?metric=page_load.count&by=day&from=${from}&to=${to}`);
    const crashes = await api<QueryResult>(`/v1/query?metric=crash.app&by=day&from=${from}&to=${to}`);
    const sum = (r: QueryResult, field: 'sum' | 'reports' = 'sum') => r.cells.reduce((t, c) => t + (c[field] ?? 0), 0);
    const tile = (id: string) => page.locator(`[data-tile="${id}"] .tile-value`).textContent();
    expect(loads.days).toBeGreaterThan(0);
    // Counts: a noisy sum below zero is shown as zero, its interval cut at zero.
    await expect(tile('page-loads')).resolves.toBe(formatNumber(Math.max(0, sum(loads))));
    await expect(tile('crashes')).resolves.toBe(formatNumber(Math.max(0, sum(crashes))));
    await expect(tile('crash-rate')).resolves.toBe(
      sum(loads) > 0 ? formatNumber((Math.max(0, sum(crashes)) / sum(loads)) * 1000) : '—',
    );
    await expect(tile('reports')).resolves.toBe(formatNumber(Math.max(0, sum(loads, 'reports'))));
    const interval = /^(±[\d,.]+|0–[\d,.]+) \(95%\)$/;
    await expect(page.locator('[data-tile="page-loads"] .muted').textContent()).resolves.toMatch(interval);
    await expect(page.locator('[data-tile="crashes"] .muted').textContent()).resolves.toMatch(interval);
    await screenshot('overview');
    // The README's picture is refreshed on request only, so a test run never dirties the checkout.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      copyFileSync(`${shotsDir}overview.png`, `${repoDir}docs/dashboard-overview.png`);
    }
  });

  it('crash rate per app version is crashes per 1,000 page loads from the API', async () => {
    const { from, to } = collector.range;
    await show(`crashes?from=${from}&to=${to}`, 'crashes');
    const crashes = await api<QueryResult>(`/v1/query?metric=crash.app&by=appVersion&from=${from}&to=${to}`);
    const loads = await api<QueryResult>(`/v1/query?metric=page_load.count&by=appVersion&from=${from}&to=${to}`);
    const versions = [...new Set([...crashes.cells, ...loads.cells].map((c) => c.key))];
    if (versions.length === 0) {
      // A small fleet: no app version reached the release threshold on any day, and the figure says so.
      const figure = page.locator('figure.card').filter({ hasText: 'Crash rate by app version' });
      await expect(figure.locator('p.empty').textContent()).resolves.toBe('Nothing released in this time range.');
    }
    for (const version of versions) {
      const c = crashes.cells.find((x) => x.key === version);
      const l = loads.cells.find((x) => x.key === version);
      const pages = l?.sum ?? 0;
      const expected = c && pages > 0 ? formatNumber((Math.max(0, c.sum ?? 0) / pages) * 1000) : '—';
      const row = page.locator(`tr[data-key="${version}"]`).filter({ has: page.locator('td[data-derived]') });
      // A rate is shown only when both of its parts were released; otherwise it is left blank, not zero.
      await expect(row.locator('td[data-derived]').textContent(), `rate for ${version}`).resolves.toBe(expected);
    }
  });

  it('never names a rare model or site, and says what it took to be named', async () => {
    const { from, to } = collector.range;
    const models = await api<QueryResult>(`/v1/query?metric=$daily_activity&by=modelFamily&from=${from}&to=${to}`);
    const sites = await api<QueryResult>(`/v1/query?metric=page_load.time_by_site&by=site&from=${from}&to=${to}`);
    // The simulated fleet has a long tail of rare models (a phone or two each) and sites: none is released.
    for (const rare of ['mi mix fold', 'xperia']) expect(models.cells.map((c) => c.key)).not.toContain(rare);
    for (const rare of ['tiny-personal-blog.net', 'small-town-clinic.org'])
      expect(sites.cells.map((c) => c.key)).not.toContain(rare);
    await show(`system?from=${from}&to=${to}`, 'system');
    const systemText = (await page.locator('main').textContent()) ?? '';
    for (const rare of ['mi mix fold', 'xperia']) expect(systemText).not.toContain(rare);
    const threshold = page.locator('li[data-threshold]').first();
    await expect(threshold.getAttribute('data-threshold')).resolves.toBe(String(models.privacy.threshold));
    await show(`page-load?from=${from}&to=${to}`, 'page-load');
    const pageText = (await page.locator('main').textContent()) ?? '';
    expect(pageText).not.toContain('tiny-personal-blog');
  });

  it('privacy panel states the guarantee per device-day and how each day is split', async () => {
    await show('privacy', 'privacy');
    const privacy = await api<PrivacyStatus>('/v1/privacy');
    await expect(page.locator('[data-privacy="guarantee"]').textContent()).resolves.toContain(
      `Each device-day is protected by ε = ${privacy.epsilon}, δ = ${privacy.delta}`,
    );
    await expect(page.locator('[data-privacy="released-through"]').textContent()).resolves.toBe(
      privacy.releasedThrough,
    );
    expect(privacy.releases.length).toBeGreaterThan(10);
    for (const line of privacy.releases) {
      const row = page.locator(`tr[data-metric="${line.metric}"][data-by="${line.by}"]`);
      await expect(row.locator('[data-field="epsilon"]').textContent()).resolves.toBe(line.epsilon.toPrecision(2));
      await expect(row.locator('[data-field="threshold"]').textContent()).resolves.toBe(
        line.threshold === null ? 'all values' : formatNumber(line.threshold),
      );
    }
    await screenshot('privacy');
  });

  it('is usable from the keyboard, and every chart has its numbers in a table', async () => {
    const { from, to } = collector.range;
    await show(`memory?from=${from}&to=${to}`, 'memory');
    await page.reload();
    await page.waitForSelector('body[data-rendered="memory"]', { timeout: 20_000 });
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to content');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('main');
    const figures = page.locator('figure.card');
    const count = await figures.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) {
      const figure = figures.nth(i);
      if ((await figure.locator('canvas').count()) === 0) continue;
      await expect(figure.locator('canvas').getAttribute('aria-label')).resolves.toContain('data table');
      await expect(figure.locator('table caption').count()).resolves.toBe(1);
    }
    // The range selector's fields are labelled.
    await expect(page.getByLabel('From').inputValue()).resolves.toBe(from);
    await expect(page.getByLabel('To').inputValue()).resolves.toBe(to);
  });

  it('changes the time range from the form, and refuses an inverted one', async () => {
    const { from, to } = collector.range;
    await show(`search?from=${from}&to=${to}`, 'search');
    await page.getByLabel('From').fill(to);
    await page.getByLabel('To').fill(from === to ? to : from);
    await page.getByRole('button', { name: 'Apply' }).click();
    if (from !== to) {
      await expect(page.getByRole('alert').filter({ hasText: 'start day' }).count()).resolves.toBe(1);
    }
    await page.getByLabel('From').fill(to);
    await page.getByLabel('To').fill(to);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction((day) => location.hash === `#/search?from=${day}&to=${day}`, to);
    await page.waitForSelector('body[data-rendered="search"]');
    await expect(page.locator('.range-note').textContent()).resolves.toContain(`${to} to ${to}`);
    const oneDay = await api<QueryResult>(`/v1/query?metric=search.engine_use&by=label&from=${to}&to=${to}`);
    const shownGoogle = page
      .locator('td[data-metric="search.engine_use"][data-key="google"][data-field="sum"]')
      .first();
    const google = oneDay.cells.find((c) => c.key === 'google');
    if (google) {
      await expect(shownGoogle.locator('.value').textContent()).resolves.toBe(
        formatField('sum', google.sum ?? Number.NaN),
      );
    }
  });

  it('sends a refused session token back to sign-in, and signs out', async () => {
    await page.evaluate(() => sessionStorage.setItem('candor.token', 'revoked-token'));
    await page.goto(`${collector.url}/#/media`);
    await page.waitForSelector('main[data-state="login"]');
    await expect(page.getByRole('status').filter({ hasText: 'refused your token' }).count()).resolves.toBe(1);
    expect(await page.evaluate(() => sessionStorage.getItem('candor.token'))).toBeNull();
    await page.getByLabel('Access token').fill(collector.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('body[data-rendered="media"]', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('main[data-state="login"]');
    expect(await page.evaluate(() => sessionStorage.getItem('candor.token'))).toBeNull();
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await show('dictionary', 'dictionary');
    await screenshot('dictionary-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('passes the axe-core WCAG 2.1 AA checks on every view', async () => {
    const { from, to } = collector.range;
    // axe is injected by the test, so this context bypasses the page's CSP (which allows only the app's script).
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    await context.addInitScript((token) => sessionStorage.setItem('candor.token', token), collector.token);
    const axePage = await context.newPage();
    const problems: string[] = [];
    for (const view of [...STATS_VIEWS, 'privacy', 'dictionary']) {
      await axePage.goto(`${collector.url}/#/${view}?from=${from}&to=${to}`);
      await axePage.waitForSelector(`body[data-rendered="${view}"]`, { timeout: 20_000 });
      // Open every data table so they are checked too.
      await axePage.$$eval('details', (all) => {
        for (const d of all) (d as HTMLDetailsElement).open = true;
      });
      await axePage.addScriptTag({ path: axePath });
      const { violations, passes } = await axePage.evaluate(async () => {
        const axe = (
          window as unknown as {
            axe: { run: (o: unknown) => Promise<{ violations: AxeViolation[]; passes: unknown[] }> };
          }
        ).axe;
        const result = await axe.run({
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        });
        return {
          passes: result.passes.length,
          violations: result.violations.map(
            (v) =>
              `${v.id} (${v.impact}): ${v.nodes
                .map((n) => n.target.join(' '))
                .slice(0, 3)
                .join('; ')}`,
          ),
        };
      });
      expect(passes, `axe ran its checks on ${view}`).toBeGreaterThan(10);
      for (const v of violations) problems.push(`${view}: ${v}`);
    }
    await context.close();
    expect(problems).toEqual([]);
  });

  it('loads every asset from the collector itself', () => {
    const origin = new URL(collector.url).origin;
    const elsewhere = requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
    expect(elsewhere).toEqual([]);
    expect(requested.some((u) => u.endsWith('/app.js'))).toBe(true);
  });
});
