import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry, type QueryResult } from '@candor/protocol';
import { type Collector, DAILY_ACTIVITY_METRIC, startCollector } from '@candor/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type FleetResult, simulateFleet } from '../src/simulate/fleet.js';

describe('candor simulate: a fleet of phones through the real SDK to a real collector', () => {
  let collector: Collector;
  let dir: string;
  let result: FleetResult;
  const today = Date.UTC(2026, 10, 22, 12);

  const query = async (metric: string, by: string): Promise<QueryResult> => {
    const response = await fetch(`${collector.url}/v1/query?metric=${metric}&by=${by}&from=2026-11-01&to=2026-11-30`, {
      headers: { authorization: `Bearer ${collector.queryToken}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as QueryResult;
  };
  const releasedSum = (result: QueryResult) => {
    expect(result.cells.filter((c) => c.suppressed)).toEqual([]);
    return result.cells.reduce((total, cell) => total + (cell.sum ?? 0), 0);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'candor-simulate-'));
    // k = 5: a small fleet still releases its rarer cells (crashes), so every metric can be checked.
    collector = await startCollector({
      port: 0,
      keysDir: join(dir, 'keys'),
      k: 5,
      rateLimit: false,
      log: { level: 'silent' },
      now: () => today,
    });
    result = await simulateFleet({ target: collector.url, devices: 120, minutes: 10, days: 3, seed: 7, now: today });
  }, 120_000);
  afterAll(async () => {
    await collector?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads one daily report per consenting phone and day, all accepted, with no SDK misuse', () => {
    expect(result.consenting).toBeGreaterThan(80);
    expect(result.consenting).toBeLessThan(120);
    expect(result.uploadsAccepted).toBe(result.consenting * 3);
    expect(result.uploadsRejected).toBe(0);
    expect(result.sdkErrors).toEqual({});
    expect(result.activity.privatePageLoads).toBeGreaterThan(0);
  });

  it('the collector counts exactly what consenting people did outside private mode', async () => {
    expect(releasedSum(await query('page_load.count', 'day'))).toBe(result.reportableActivity.pageLoads);
    expect(releasedSum(await query('media.tracks_played', 'day'))).toBe(result.reportableActivity.tracksPlayed);
    expect(releasedSum(await query('search.method', 'day'))).toBe(result.reportableActivity.searches);
    expect(result.activity.pageLoads).toBeGreaterThan(result.reportableActivity.pageLoads);
  });

  it('every metric in the registry, of every type, reached the collector', async () => {
    for (const [metric, definition] of Object.entries(candorBrowserRegistry.metrics)) {
      const by = definition.type === 'site' ? 'site' : 'day';
      const answer = await query(metric, by);
      expect(answer.type, metric).toBe(definition.type);
      expect(answer.totalReports ?? 0, metric).toBeGreaterThan(0);
    }
  });

  it('sites arrive only as registrable domains; local addresses and files never arrive', async () => {
    const sites = (await query('page_load.time_by_site', 'site')).cells.filter((c) => !c.suppressed).map((c) => c.key);
    expect(sites).toContain('google.com');
    expect(sites).toContain('bbc.co.uk');
    for (const site of sites) expect(site).toMatch(/^[a-z0-9.-]+\.[a-z]{2,}$/);
    expect(sites.join(' ')).not.toMatch(/192\.168|localhost|sdcard|search|watch/);
    // The long tail, each visited by a handful of people, stays under k and is never named.
    expect(sites).not.toContain('tiny-personal-blog.net');
    expect(sites).not.toContain('small-town-clinic.org');
  });
});

describe('candor serve --simulate: live waves come from the same phones', () => {
  it("waves fold into the same phones' one report a day: no phone is counted twice", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-waves-'));
    const collector = await startCollector({
      port: 0,
      keysDir: join(dir, 'keys'),
      k: 1,
      rateLimit: false,
      log: { level: 'silent' },
    });
    try {
      const fleet = createFleet({ target: collector.url, devices: 30, minutes: 2, days: 1, seed: 3 });
      await fleet.run();
      // Today is not over: waves add to each phone's report for today, which is not sent yet.
      expect(await fleet.wave(10, 2)).toBe(0);
      expect(await fleet.wave(10, 2)).toBe(0);
      const result = await fleet.finish();
      expect(result.uploadsAccepted).toBe(result.consenting);
      const today = new Date().toISOString().slice(0, 10);
      const response = await fetch(
        `${collector.url}/v1/query?metric=${DAILY_ACTIVITY_METRIC}&by=day&from=${today}&to=${today}`,
        { headers: { authorization: `Bearer ${collector.queryToken}` } },
      );
      const installs = ((await response.json()) as QueryResult).cells[0]?.reports;
      expect(installs).toBe(result.consenting);
    } finally {
      await collector.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
