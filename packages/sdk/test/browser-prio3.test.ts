/**
 * The browser build secret-sharing a metric in real Chromium: the Prio3 chunk loads on demand, shards, seals the
 * helper's share to the helper's key, and the leader and the helper (both started in-process, each with its own
 * keys and store) release the exact count. The page and both aggregators are behind one origin (/c/ the leader,
 * /h/ the helper), as a same-origin deployment does through a reverse proxy.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumAvailable, launchChromium } from '@candor/cli/bench/chromium';
import { candorBrowserRegistry, type QueryResult } from '@candor/protocol';
import type { Candor } from '@candor/sdk';
import { startCollector, startHelper } from '@candor/server';
import { NO_NOISE_FOR_PLUMBING_TESTS } from '@candor/server/testing';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the build script is plain ESM JavaScript without type declarations
import { buildBrowserBundle } from '../scripts/build-browser.mjs';

const available = chromiumAvailable('the browser Prio3 test');
const DAY_MS = 86_400_000;
const DAY0 = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS + 10 * 3600_000;
const DAY0_TEXT = new Date(DAY0).toISOString().slice(0, 10);

const PAGE = `<!doctype html><meta charset="utf-8"><title>candor prio3 test</title>
<script type="module">
  import { createCandor } from '/candor.min.js';
  const registry = await (await fetch('/registry.json')).json();
  window.candor = createCandor({
    registry,
    collector: location.origin + '/c',
    prio3Helper: location.origin + '/h',
    appVersion: '3.4.1',
    consent: { regime: 'opt-out' },
    flushIntervalMs: 0,
  });
  await window.candor.ready;
  window.ready = true;
</script>`;

type C = Candor<typeof candorBrowserRegistry>;
declare const candor: C;

function appServer(bundleDir: string, leader: string, helper: string, loaded: string[]): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      if (url.pathname === '/registry.json')
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(candorBrowserRegistry));
      const target = url.pathname.startsWith('/c/') ? leader : url.pathname.startsWith('/h/') ? helper : null;
      if (target) {
        void fetch(target + url.pathname.slice(2), {
          method: req.method,
          headers: req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {},
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        }).then(
          async (answer) => {
            const type = answer.headers.get('content-type');
            res
              .writeHead(answer.status, type ? { 'content-type': type } : {})
              .end(Buffer.from(await answer.arrayBuffer()));
          },
          () => res.writeHead(502).end(),
        );
        return;
      }
      if (url.pathname.endsWith('.js')) {
        loaded.push(url.pathname);
        try {
          return res
            .writeHead(200, { 'content-type': 'text/javascript' })
            .end(readFileSync(join(bundleDir, url.pathname)));
        } catch {}
      }
      res.writeHead(404).end();
    });
  });
}

describe.skipIf(!available)('browser build secret-sharing with Prio3', () => {
  it('loads the Prio3 chunk only to send a secret-shared value, and the aggregators release its exact count', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-browser-prio3-'));
    const bundleDir = join(dir, 'bundle');
    await buildBrowserBundle(bundleDir);
    let clock = Date.now();
    const helper = await startHelper({
      registries: [candorBrowserRegistry],
      keysDir: join(dir, 'helper-keys'),
      store: ':memory:',
      secretFile: join(dir, 'prio3.key'),
      noise: NO_NOISE_FOR_PLUMBING_TESTS,
      log: { level: 'silent' },
    });
    const leader = await startCollector({
      keysDir: join(dir, 'leader-keys'),
      rateLimit: false,
      dashboardDir: null,
      log: { level: 'silent' },
      noise: NO_NOISE_FOR_PLUMBING_TESTS,
      now: () => clock,
      prio3: { helper: helper.url, secretFile: join(dir, 'prio3.key'), store: ':memory:' },
    });
    const loaded: string[] = [];
    const app = appServer(bundleDir, leader.url, helper.url, loaded);
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const browser = await launchChromium();
    try {
      const classes = [null, 'tablet', 'small', 'tablet'] as const;
      for (const screen of classes) {
        const context = await browser.newContext();
        await context.clock.setFixedTime(DAY0);
        const page = await context.newPage();
        await page.goto(`${origin}/`);
        await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
        await page.evaluate((value) => {
          if (value) candor.enumeration('system.screen_class').set(value);
          candor.counter('page_load.count').add(1);
          return candor.flush();
        }, screen);
        await context.clock.setFixedTime(DAY0 + DAY_MS);
        await page.evaluate(() => candor.flush());
        expect(await page.evaluate(() => candor.queuedReports())).toBe(0);
        const log = await page.evaluate(() => candor.transparencyLog());
        // A report without a secret-shared value does not load the Prio3 chunk.
        if (!screen) expect(loaded.filter((path) => /\/chunks\/share-/.test(path))).toEqual([]);
        // The device keeps the plain value as its own record; only shares of it left.
        expect(log[0]?.report.metrics['system.screen_class']).toBe(screen ?? undefined);
        await context.close();
      }
      expect(loaded.some((path) => /\/chunks\/share-/.test(path))).toBe(true);

      clock = Date.now() + 5 * DAY_MS;
      const response = await fetch(
        `${leader.url}/v1/query?metric=system.screen_class&by=value&from=${DAY0_TEXT}&to=${DAY0_TEXT}`,
        { headers: { authorization: `Bearer ${leader.queryToken}` } },
      );
      const answer = (await response.json()) as QueryResult;
      expect(Object.fromEntries(answer.cells.map((c) => [c.key, c.reports]))).toEqual({
        small: 1,
        medium: 0,
        large: 0,
        tablet: 2,
      });
    } finally {
      await browser.close();
      await new Promise((resolve) => app.close(resolve));
      await leader.close();
      await helper.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
