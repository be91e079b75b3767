/**
 * The browser build in real Chromium (Debian Chromium through playwright-core) against the real collector
 * (@candor/server, started in-process). The test app and the bundle are served from one origin that forwards
 * /c/* to the collector, as a same-origin deployment does through a reverse proxy; the proxy can play an outage.
 * Arrivals are counted by the collector itself (reports stored, duplicates dropped). Each test uses a fresh
 * browser context (its own IndexedDB and localStorage) and a fixed clock, moved a day at a time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable, launchChromium } from '@candor/cli/bench/chromium';
import { candorBrowserRegistry, OHTTP_PATHS } from '@candor/protocol';
import type { Candor } from '@candor/sdk';
import { type Collector, startCollector, startRelay } from '@candor/server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error the build script is plain ESM JavaScript without type declarations
import { buildBrowserBundle } from '../scripts/build-browser.mjs';

const available = chromiumAvailable('the real-browser SDK test');
const DAY_MS = 86_400_000;
/** Two days before today: every report these tests send is for a day the collector has seen end. */
const DAY0 = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS + 10 * 3600_000;

const PAGE = `<!doctype html><meta charset="utf-8"><title>candor test app</title>
<candor-transparency-log></candor-transparency-log>
<script type="module">
  import { createCandor } from '/candor.min.js';
  import { defineTransparencyLogElement } from '/candor-transparency.min.js';
  const params = new URLSearchParams(location.search);
  const registry = await (await fetch('/registry.json')).json();
  window.candor = createCandor({
    registry,
    collector: params.get('collector') ?? location.origin + '/c',
    appVersion: '3.4.1',
    consent: { regime: 'opt-in' },
    flushIntervalMs: 0,
    mode: params.get('mode') ?? 'production',
    ...(params.get('relay') ? { relay: { url: params.get('relay') } } : {}),
  });
  window.candorOf = () => window.candor;
  defineTransparencyLogElement(window.candor);
  await window.candor.ready;
  window.ready = true;
</script>`;

type C = Candor<typeof candorBrowserRegistry>;
/** Defined by the test page (functions passed to page.evaluate run there and can only reach its globals). */
declare const candorOf: () => C;

/** Serves the app page, the registry and the bundle; forwards /c/* to `target()` unless `mode` says otherwise. */
function appServer(bundleDir: string, target: () => string, mode: () => 'up' | 'down' | 'reject'): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      if (url.pathname === '/registry.json')
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(candorBrowserRegistry));
      if (url.pathname.startsWith('/c/')) {
        if (mode() === 'down') return res.writeHead(503).end();
        if (mode() === 'reject' && req.method === 'POST')
          return res
            .writeHead(400, { 'content-type': 'application/problem+json' })
            .end(JSON.stringify({ type: 'https://candor.dev/problems/test-refusal', title: 'refused', status: 400 }));
        void fetch(target() + url.pathname.slice(2), {
          method: req.method,
          headers: req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {},
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        }).then(
          async (answer) => {
            const headers: Record<string, string> = {};
            for (const h of ['content-type', 'cache-control', 'retry-after']) {
              const v = answer.headers.get(h);
              if (v) headers[h] = v;
            }
            res.writeHead(answer.status, headers).end(Buffer.from(await answer.arrayBuffer()));
          },
          () => res.writeHead(502).end(),
        );
        return;
      }
      const file = join(bundleDir, url.pathname.replace(/^\//, '').replace(/\.\./g, ''));
      if (url.pathname.endsWith('.js') && existsSync(file))
        return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
      res.writeHead(404).end();
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.skipIf(!available)('browser build in Chromium against the real collector', () => {
  let dir: string;
  let bundleDir: string;
  let collector: Collector;
  let app: Server;
  let other: Server;
  let origin: string;
  let otherOrigin: string;
  let browser: Browser;
  let proxy: 'up' | 'down' | 'reject' = 'up';
  let before = { accepted: 0, duplicates: 0 };

  /** Reports the collector stored (and duplicates it dropped) since the test began. */
  const arrivals = () => ({
    accepted: collector.stats.accepted - before.accepted,
    duplicates: collector.stats.duplicates - before.duplicates,
  });

  const open = async (context: BrowserContext, query = '', at = origin): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${at}/${query}`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    return page;
  };
  const newContext = async (day = DAY0) => {
    const context = await browser.newContext();
    await context.clock.setFixedTime(day);
    return context;
  };
  const flush = (page: Page) => page.evaluate(() => candorOf().flush());
  const queued = (page: Page) => page.evaluate(() => candorOf().queuedReports());

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'candor-browser-'));
    bundleDir = join(dir, 'bundle');
    await buildBrowserBundle(bundleDir);
    collector = await startCollector({
      port: 0,
      keysDir: join(dir, 'keys'),
      rateLimit: false,
      log: { level: 'silent' },
    });
    app = appServer(
      bundleDir,
      () => collector.url,
      () => proxy,
    );
    origin = await listen(app);
    other = appServer(
      bundleDir,
      () => collector.url,
      () => 'up',
    );
    otherOrigin = (await listen(other)).replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  }, 60_000);

  beforeEach(() => {
    proxy = 'up';
    before = { accepted: collector.stats.accepted, duplicates: collector.stats.duplicates };
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
    await new Promise((resolve) => other?.close(resolve));
    await collector?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('one device-day report: consent first, private mode leaves nothing, sent once the day is over', async () => {
    const context = await newContext();
    await context.addCookies([{ name: 'session', value: 'must-not-travel', url: origin }]);
    const page = await open(context);
    await page.evaluate(async () => {
      const c = candorOf();
      c.counter('page_load.count').add(50); // before consent: nothing
      await c.flush();
      c.setConsent('granted');
      c.counter('page_load.count').add(1);
      await c.flush();
      c.setPrivate(true);
      c.site('page_load.time_by_site').record('https://secret-private-site.com/path', 100);
      c.counter('page_load.count').add(99);
      c.setPrivate(false);
      await c.withPrivate(async () => c.labeledCounter('search.engine_use').add('yandex'));
      c.counter('page_load.count').add(2);
      await c.flush();
    });
    expect(arrivals().accepted).toBe(0); // the day is not over
    await context.clock.setFixedTime(DAY0 + DAY_MS);
    await flush(page);
    expect(arrivals()).toEqual({ accepted: 1, duplicates: 0 });
    const sent = await page.evaluate(() => candorOf().transparencyLog());
    expect(sent.map((e) => [e.status, e.report.kind, e.report.metrics])).toEqual([
      ['accepted', 'daily', { 'page_load.count': 3 }],
    ]);
    expect(JSON.stringify(sent)).not.toMatch(/secret-private-site|yandex/);
    expect(await queued(page)).toBe(0);
    await context.close();
  }, 60_000);

  it('many tabs: a consent change in one takes effect in all at once, and nothing is counted after it', async () => {
    const context = await newContext();
    const tab1 = await open(context);
    const tab2 = await open(context);
    await tab1.evaluate(() => candorOf().setConsent('granted'));
    await tab2.waitForFunction(() => candorOf().consent === 'granted');
    await tab2.evaluate(async () => {
      candorOf().counter('page_load.count').add(5);
      await candorOf().flush();
      // Hidden (a tab switch): what it recorded since goes to the page-hide journal.
      candorOf().counter('page_load.count').add(7);
      dispatchEvent(new Event('pagehide'));
    });
    const journal = () => Object.keys(localStorage).filter((key) => key.includes(':pending:'));
    // Another tab's localStorage write reaches this tab's view a moment later (Chromium keeps a copy per renderer).
    await tab1.waitForFunction(() => Object.keys(localStorage).some((key) => key.includes(':pending:')));
    expect(await tab1.evaluate(journal)).toHaveLength(1);
    await tab1.evaluate(() => candorOf().setConsent('denied'));
    await tab2.waitForFunction(() => candorOf().consent === 'denied');
    // Withdrawn: the stored day and the journal are gone, in every tab's storage.
    expect(await tab1.evaluate(journal)).toEqual([]);
    await tab2.evaluate(async () => {
      candorOf().counter('page_load.count').add(906);
      await candorOf().flush();
    });
    await context.clock.setFixedTime(DAY0 + DAY_MS);
    await flush(tab1);
    await flush(tab2);
    await tab1.reload();
    await tab1.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    expect(await tab1.evaluate(() => candorOf().consent)).toBe('denied');
    expect(await queued(tab1)).toBe(0);
    expect(arrivals().accepted).toBe(0);
    await context.close();
  }, 60_000);

  it('many tabs with the collector down: one shared day and queue, nothing lost, sent once when it is back', async () => {
    const context = await newContext();
    const tab1 = await open(context);
    await tab1.evaluate(() => candorOf().setConsent('granted'));
    const tab2 = await open(context);
    await tab1.evaluate(async () => {
      candorOf().counter('page_load.count').add(2);
      await candorOf().flush();
    });
    await tab2.evaluate(async () => {
      candorOf().counter('page_load.count').add(3);
      await candorOf().flush();
    });
    proxy = 'down';
    await context.clock.setFixedTime(DAY0 + DAY_MS);
    await tab1.evaluate(async () => {
      candorOf().counter('page_load.count').add(4);
      await candorOf().flush();
    });
    await flush(tab2);
    expect(await queued(tab2)).toBe(1);
    await tab1.close({ runBeforeUnload: true });
    await tab2.close({ runBeforeUnload: true });
    proxy = 'up';
    const tab3 = await open(context);
    await flush(tab3);
    expect(arrivals()).toEqual({ accepted: 1, duplicates: 0 });
    const log = await tab3.evaluate(() => candorOf().transparencyLog());
    expect(log.filter((e) => e.status === 'accepted').map((e) => e.report.metrics['page_load.count'])).toEqual([5]);
    expect(await queued(tab3)).toBe(0);
    // The next day's report holds what tab 1 recorded after midnight.
    await context.clock.setFixedTime(DAY0 + 2 * DAY_MS);
    await flush(tab3);
    expect(arrivals().accepted).toBe(2);
    await context.close();
  }, 60_000);

  it('page hide before the first upload: what was recorded and the day report survive, and arrive once', async () => {
    const context = await newContext();
    const page = await open(context);
    await page.evaluate(() => {
      candorOf().setConsent('granted');
      candorOf().counter('media.tracks_played').add(7);
    });
    await page.goto('about:blank'); // no flush: the page goes away with the value unfolded
    await context.clock.setFixedTime(DAY0 + DAY_MS);
    // The next page makes the day's report and goes away before any upload (no key fetched yet).
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    await page.goto('about:blank');
    const again = await open(context);
    await flush(again);
    expect(arrivals()).toEqual({ accepted: 1, duplicates: 0 });
    const log = await again.evaluate(() => candorOf().transparencyLog());
    expect(log.map((e) => e.report.metrics['media.tracks_played'])).toEqual([7]);
    await context.close();
  }, 60_000);

  it('page hide during an outage: nothing is lost, and a sent report is not sent again', async () => {
    const context = await newContext();
    const page = await open(context);
    await page.evaluate(async () => {
      candorOf().setConsent('granted');
      candorOf().counter('page_load.count').add(1);
      await candorOf().flush();
    });
    await context.clock.setFixedTime(DAY0 + DAY_MS);
    proxy = 'down';
    await flush(page); // the day's report: the collector is down, it stays queued (the key is cached)
    expect(await queued(page)).toBe(1);
    await page.evaluate(() => candorOf().counter('page_load.count').add(20));
    await page.goto('about:blank');
    proxy = 'up';
    const next = await open(context);
    expect(await queued(next)).toBe(1);
    await flush(next);
    expect(arrivals()).toEqual({ accepted: 1, duplicates: 0 });
    // Acknowledged, so removed from storage: a reload does not send it again.
    await next.reload();
    await next.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    expect(await queued(next)).toBe(0);
    await flush(next);
    await context.clock.setFixedTime(DAY0 + 2 * DAY_MS);
    await flush(next);
    expect(arrivals()).toEqual({ accepted: 2, duplicates: 0 });
    const log = await next.evaluate(() => candorOf().transparencyLog());
    expect(log.map((e) => e.report.metrics['page_load.count'])).toEqual([1, 20]);
    await context.close();
  }, 60_000);

  it('a browser restart keeps the consent, the day and the queue', async () => {
    const profile = await mkdtemp(join(tmpdir(), 'candor-profile-'));
    const launch = async (day: number) => {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        headless: true,
      });
      await context.clock.setFixedTime(day);
      return context;
    };
    try {
      let context = await launch(DAY0);
      let page = await open(context);
      await page.evaluate(async () => {
        candorOf().setConsent('granted');
        candorOf().counter('page_load.count').add(4);
        await candorOf().flush();
      });
      await context.close();
      context = await launch(DAY0 + 3600_000);
      page = await open(context);
      expect(await page.evaluate(() => candorOf().consent)).toBe('granted');
      await page.evaluate(async () => {
        candorOf().counter('page_load.count').add(6);
        await candorOf().flush();
      });
      await context.close();
      context = await launch(DAY0 + DAY_MS);
      page = await open(context);
      await flush(page);
      expect(arrivals()).toEqual({ accepted: 1, duplicates: 0 });
      const log = await page.evaluate(() => candorOf().transparencyLog());
      expect(log.map((e) => e.report.metrics['page_load.count'])).toEqual([10]);
      await context.close();
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  }, 60_000);

  it('the transparency view after a reload: each report once, final state, in plain words', async () => {
    const context = await newContext();
    const page = await open(context);
    proxy = 'down';
    await page.evaluate(async () => {
      const c = candorOf();
      c.setConsent('granted');
      c.counter('page_load.count').add(3);
      c.labeledCounter('search.engine_use').add('google', 2);
      c.timing('page_load.time').record(120);
      c.timing('page_load.time').record(380);
      await c.flush();
    });
    await context.clock.setFixedTime(DAY0 + DAY_MS);
    await flush(page); // fails: logged as waiting
    proxy = 'up';
    await flush(page); // delivered: the same report, now in its final state
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const view = () =>
      page.evaluate(() => {
        const root = document.querySelector('candor-transparency-log')?.shadowRoot;
        const items = [...(root?.querySelectorAll('ol > li') ?? [])].map((li) => {
          const copy = li.cloneNode(true) as HTMLElement;
          copy.querySelector('details')?.remove(); // the exact data, one click away
          return copy.textContent ?? '';
        });
        return { text: root?.textContent ?? '', items };
      });
    await page.waitForFunction(() =>
      document.querySelector('candor-transparency-log')?.shadowRoot?.textContent?.includes('1 report'),
    );
    const { text, items } = await view();
    expect(text).toContain('What this app sent (1 report)');
    expect(items).toHaveLength(1);
    const [item] = items;
    expect(item).toContain('delivered');
    expect(item).toContain('Number of top-level pages loaded: 3');
    expect(item).toContain('Searches made, by search engine: google 2');
    expect(item).toContain('2 times, on average 250 ms');
    // The activity section in words; the days of use behind it are not in the log.
    expect(item).toContain('How often the app was used: no use in the 28 days before, used on 1 of the last 7 days');
    expect(item).toContain(new Date(DAY0).toLocaleDateString('en-US', { dateStyle: 'long', timeZone: 'UTC' }));
    expect(item).not.toMatch(/[0-9a-f]{16}|osMajor|page_load\.count|\d{2}:\d{2}/);
    expect(text).toContain('What is never sent');
    // The stored log keeps the minute, not the millisecond.
    const stored = await page.evaluate(() =>
      candorOf()
        .transparencyLog()
        .map((e) => e.sentAt),
    );
    expect(stored).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/)]);
    await context.close();
  }, 60_000);

  it('development mode says why uploads fail: CORS, an outage, or the problem type of a refusal', async () => {
    const warnings: string[] = [];
    const failureAfterDay = async (page: Page) => {
      const context = page.context();
      page.on('console', (m) => {
        if (m.type() === 'warning') warnings.push(m.text());
      });
      await page.evaluate(async () => {
        candorOf().setConsent('granted');
        candorOf().counter('page_load.count').add(1);
        await candorOf().flush();
      });
      await context.clock.setFixedTime(DAY0 + DAY_MS);
      await flush(page);
      await page.waitForFunction(() => candorOf().lastFailure?.message);
      const failure = await page.evaluate(() => candorOf().lastFailure);
      await context.close();
      return failure;
    };
    // Another origin, the collector itself (it sends no CORS headers): reachable, but blocked.
    const cors = await failureAfterDay(
      await open(await newContext(), `?mode=development&collector=${encodeURIComponent(collector.url)}`, otherOrigin),
    );
    expect(cors?.kind).toBe('cors');
    // Another origin where nothing listens: an outage.
    const down = await open(
      await newContext(),
      `?mode=development&collector=${encodeURIComponent('http://127.0.0.1:9')}`,
      otherOrigin,
    );
    const network = await failureAfterDay(down);
    expect(network?.kind).toBe('network');
    // The collector refuses the upload: its problem type is named.
    proxy = 'reject';
    const refused = await failureAfterDay(await open(await newContext(), '?mode=development'));
    expect(refused).toMatchObject({
      kind: 'rejected',
      status: 400,
      problem: 'https://candor.dev/problems/test-refusal',
    });
    expect(warnings.some((w) => w.includes('CORS'))).toBe(true);
    expect(warnings.some((w) => w.includes('could not be reached'))).toBe(true);
    expect(warnings.some((w) => w.includes('test-refusal'))).toBe(true);
    expect(arrivals().accepted).toBe(0);
  }, 60_000);

  it('through an Oblivious HTTP relay: the report arrives, and the relay code loads only on a page that uses one', async () => {
    const relay = await startRelay({
      gateway: collector.url + OHTTP_PATHS.gateway,
      allowOrigins: [origin],
      log: { level: 'silent' },
    });
    const sendOneDay = async (query: string) => {
      const context = await newContext();
      const scripts: string[] = [];
      context.on('request', (r) => {
        if (r.url().endsWith('.js')) scripts.push(new URL(r.url()).pathname);
      });
      const page = await open(context, query);
      await page.evaluate(async () => {
        candorOf().setConsent('granted');
        candorOf().counter('page_load.count').add(4);
        await candorOf().flush();
      });
      await context.clock.setFixedTime(DAY0 + DAY_MS);
      await flush(page);
      const log = await page.evaluate(() => candorOf().transparencyLog());
      await context.close();
      return { scripts, log };
    };
    try {
      const relayed = await sendOneDay(`?relay=${encodeURIComponent(relay.url)}`);
      expect(arrivals()).toEqual({ accepted: 1, duplicates: 0 });
      // The report key and the upload both went through the relay; the device's log shows what was sent.
      expect(relay.stats).toEqual({ relayed: 2, refused: 0 });
      expect(relayed.log.map((e) => [e.status, e.httpStatus, e.report.metrics])).toEqual([
        ['accepted', 202, { 'page_load.count': 4 }],
      ]);
      expect(relayed.scripts.some((s) => s.startsWith('/chunks/relay-'))).toBe(true);
      const direct = await sendOneDay('');
      expect(arrivals()).toEqual({ accepted: 2, duplicates: 0 });
      expect(direct.scripts.some((s) => s.startsWith('/chunks/relay-'))).toBe(false);
      expect(relay.stats.relayed).toBe(2);
    } finally {
      await relay.close();
    }
  }, 60_000);
});
