/**
 * The browser build in a real browser (Debian Chromium through playwright-core): consent, private mode, flush
 * on page hide, and the offline queue surviving a reload. The bundle and a test page are served from a tiny
 * node:http server on 127.0.0.1 that also plays the collector; uploads are opened with @hpke/core.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumAvailable, launchChromium } from '@candor/cli/bench/chromium';
import { candorBrowserRegistry, type Report } from '@candor/protocol';
import type { Candor } from '@candor/sdk';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error the build script is plain ESM JavaScript without type declarations
import { buildBrowserBundle } from '../scripts/build-browser.mjs';
import { type CollectorKey, makeKey, openEnvelope } from './support/collector.js';

const available = chromiumAvailable('the real-browser SDK test');
const DAY_MS = 86_400_000;

const PAGE = `<!doctype html><meta charset="utf-8"><title>candor test app</title>
<candor-transparency-log></candor-transparency-log>
<script type="module">
  import { createCandor, defineTransparencyLogElement } from '/candor.min.js';
  const registry = await (await fetch('/registry.json')).json();
  window.candor = createCandor({
    registry,
    collector: location.origin + '/c',
    appVersion: '3.4.1',
    consent: { regime: 'opt-in' },
    flushIntervalMs: 0,
    mode: 'development',
  });
  defineTransparencyLogElement(window.candor);
  await window.candor.ready;
  window.ready = true;
</script>`;

/** What the test page puts on window. */
interface PageGlobals {
  candor: Candor;
  ready?: boolean;
}

interface Upload {
  body: Buffer;
  contentType: string | undefined;
  cookie: string | undefined;
  referer: string | undefined;
}

describe.skipIf(!available)('browser build in Chromium', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;
  let bundleDir: string;
  let key: CollectorKey;
  let uploadStatus = 202;
  const uploads: Upload[] = [];

  const opened = async (): Promise<Report[]> => {
    const reports: Report[] = [];
    for (const u of uploads) reports.push(...(await openEnvelope(new Uint8Array(u.body), [key])).reports);
    return reports;
  };
  const waitFor = async (condition: () => boolean | Promise<boolean>, what: string) => {
    for (let i = 0; i < 100; i++) {
      if (await condition()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const openPage = async (page: Page) => {
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  };

  beforeAll(async () => {
    bundleDir = await mkdtemp(join(tmpdir(), 'candor-bundle-'));
    await buildBrowserBundle(bundleDir);
    key = await makeKey(1);
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
        if (url === '/registry.json')
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(candorBrowserRegistry));
        if (url === '/c/v1/keys')
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.config] }));
        if (url === '/c/v1/reports' && req.method === 'POST') {
          uploads.push({
            body: Buffer.concat(chunks),
            contentType: req.headers['content-type'],
            cookie: req.headers.cookie,
            referer: req.headers.referer,
          });
          return res.writeHead(uploadStatus).end();
        }
        const file = join(bundleDir, url.replace(/^\//, '').replace(/\.\./g, ''));
        if (url.endsWith('.js') && existsSync(file))
          return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  it('consent, private mode, the day report and a reload with a queued report', async () => {
    const context = await browser.newContext();
    await context.addCookies([{ name: 'session', value: 'must-not-travel', url: origin }]);
    const day = Date.UTC(2026, 10, 22, 10);
    await context.clock.setFixedTime(day);
    const page = await context.newPage();
    await openPage(page);

    // Consent (opt-in): nothing recorded or sent before the person says yes.
    await page.evaluate(async () => {
      const c = (window as unknown as PageGlobals).candor;
      c.counter('page_load.count').add(50);
      await c.flush();
    });
    await page.evaluate(async () => {
      const c = (window as unknown as PageGlobals).candor;
      c.setConsent('granted');
      c.counter('page_load.count').add(1);
      await c.flush();
      // Private mode: recorded nothing.
      c.setPrivate(true);
      c.site('page_load.time_by_site').record('https://secret-private-site.com/path', 100);
      c.counter('page_load.count').add(99);
      await c.flush();
      c.setPrivate(false);
      await c.withPrivate(async () => c.labeledCounter('search.engine_use').add('yandex'));
      c.site('page_load.time_by_site').record('https://www.example.com/a?b=c', 250);
      await c.flush();
    });
    // The day is not over: its report is not sent yet.
    expect(uploads).toHaveLength(0);

    await page.evaluate(async () => {
      const c = (window as unknown as PageGlobals).candor;
      c.counter('media.tracks_played').add(7);
      await c.flush();
    });
    await page.goto('about:blank');

    // The next day: the page opens and sends yesterday's one report.
    await context.clock.setFixedTime(day + DAY_MS);
    await openPage(page);
    await page.evaluate(() => (window as unknown as PageGlobals).candor.flush());
    await waitFor(() => uploads.length === 1, 'the day report');
    let reports = await opened();
    expect(reports).toHaveLength(1);
    expect(reports[0]?.kind).toBe('daily');
    expect(reports[0]?.day).toBe('2026-11-22');
    expect(reports[0]?.metrics).toEqual({
      'page_load.count': 1,
      'page_load.time_by_site': { 'example.com': { sum: 250, count: 1, buckets: expect.any(Object) } },
      'media.tracks_played': 7,
    });
    expect(reports[0]?.system.os).toBe('linux');
    expect(uploads[0]?.contentType).toBe('application/candor-hpke');
    expect(uploads[0]?.cookie).toBeUndefined();
    expect(uploads[0]?.referer).toBeUndefined();
    const wire = JSON.stringify(reports);
    expect(wire).not.toContain('secret-private-site');
    expect(wire).not.toContain('yandex');

    // The transparency element shows what was sent.
    await page.waitForFunction(() =>
      (document.querySelector('candor-transparency-log')?.shadowRoot?.textContent ?? '').includes('example.com'),
    );

    // Offline queue surviving a reload: the collector is down, the report waits in IndexedDB.
    expect(await page.evaluate(() => (window as unknown as PageGlobals).candor.consent)).toBe('granted');
    uploadStatus = 503;
    await page.evaluate(() => (window as unknown as PageGlobals).candor.quantity('ui.open_tabs').set(42));
    await context.clock.setFixedTime(day + 2 * DAY_MS);
    const queued = await page.evaluate(async () => {
      const c = (window as unknown as PageGlobals).candor;
      await c.flush();
      return c.queuedReports();
    });
    expect(queued).toBe(1);
    expect(uploads.length).toBe(2);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    expect(await page.evaluate(() => (window as unknown as PageGlobals).candor.queuedReports())).toBe(1);
    uploadStatus = 202;
    await page.evaluate(() => (window as unknown as PageGlobals).candor.flush());
    await waitFor(() => uploads.length > 2, 'the upload after reload');
    reports = await opened();
    const tabs = reports.filter((r) => r.metrics['ui.open_tabs'] === 42);
    // Sent while down, then again after the reload: the same report, the same id, for the collector to dedupe.
    expect(tabs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(tabs.map((r) => r.id)).size).toBe(1);
    expect(await page.evaluate(() => (window as unknown as PageGlobals).candor.queuedReports())).toBe(0);
    await context.close();
  }, 60_000);
});
