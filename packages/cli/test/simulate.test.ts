import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry, type QueryResult, REPORT_DAYS_LATE } from '@candor/protocol';
import { type Collector, DAILY_ACTIVITY_METRIC, startCollector } from '@candor/server';
import { NO_NOISE_FOR_PLUMBING_TESTS } from '@candor/server/testing';
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
  /** The sum of the released days, and the standard deviation of its noise from the stated 95% intervals. */
  const releasedSum = (result: QueryResult) => {
    expect(result.days).toBeGreaterThanOrEqual(3);
    let variance = 0;
    for (const cell of result.cells) {
      const [low, high] = cell.sumInterval ?? [0, 0];
      variance += ((high - low) / 2 / 1.96) ** 2;
    }
    return { sum: result.cells.reduce((total, cell) => total + (cell.sum ?? 0), 0), sd: Math.sqrt(variance) };
  };
  const dayLines = async () => {
    const lines = [];
    for (const day of ['2026-11-20', '2026-11-21', '2026-11-22']) {
      lines.push(...(await collector.store.dayLines('candor-browser', day)));
    }
    return lines;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'candor-simulate-'));
    // The collector's clock: today while the phones upload, then on until all three simulated days are closed, so
    // they are released on the first query, with the default noise.
    let clock = today;
    collector = await startCollector({
      port: 0,
      keysDir: join(dir, 'keys'),
      now: () => clock,
      rateLimit: false,
      log: { level: 'silent' },
    });
    result = await simulateFleet({ target: collector.url, devices: 120, minutes: 10, days: 3, seed: 7, now: today });
    clock = today + (REPORT_DAYS_LATE + 1) * 86_400_000;
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
    // Bound drops are the SDK enforcing the registry's per-device-day bounds (a busy phone's sixth site of a day
    // is not sent: page_load.time_by_site keeps 5 sites a device-day), not misuse. Every other drop is a mistake.
    const { too_many_entries: _overKeys, over_daily_bound: _overBound, ...misuse } = result.sdkErrors;
    expect(misuse).toEqual({});
    expect(result.activity.privatePageLoads).toBeGreaterThan(0);
  });

  // These two read the stored rows of the still unreleased days, before any query releases them.
  it('every metric in the registry, of every type, reached the collector; secret-shared ones never do alone', async () => {
    const lines = await dayLines();
    for (const [metric, def] of Object.entries(candorBrowserRegistry.metrics)) {
      // A secret-shared metric needs a Prio3 helper: without one the phones do not send it (docs/privacy.md).
      expect(
        lines.some((l) => l.metric === metric && l.reports > 0),
        metric,
      ).toBe(!(def as { prio3?: boolean }).prio3);
    }
  });

  it('sites arrive only as registrable domains; local addresses and files never arrive', async () => {
    const sites = (await dayLines()).filter((l) => l.metric === 'page_load.time_by_site').map((l) => l.cell);
    expect(sites).toContain('google.com');
    expect(sites).toContain('bbc.co.uk');
    for (const site of sites) expect(site).toMatch(/^[a-z0-9.-]+\.[a-z]{2,}$/);
    expect(sites.join(' ')).not.toMatch(/192\.168|localhost|sdcard|search|watch/);
  });

  it('the released figures match what consenting people did outside private mode, within their noise', async () => {
    for (const [metric, truth] of [
      ['page_load.count', result.reportableActivity.pageLoads],
      ['media.tracks_played', result.reportableActivity.tracksPlayed],
      ['search.method', result.reportableActivity.searches],
    ] as const) {
      const { sum, sd } = releasedSum(await query(metric, 'day'));
      // Four standard deviations: a false alarm about once in 15,000 runs.
      expect(Math.abs(sum - truth), metric).toBeLessThanOrEqual(4 * sd);
      expect(sd, metric).toBeGreaterThan(0);
    }
    expect(result.activity.pageLoads).toBeGreaterThan(result.reportableActivity.pageLoads);
    // The long tail of sites, each visited by a handful of people, is never named.
    const sites = (await query('page_load.time_by_site', 'site')).cells.map((c) => c.key);
    expect(sites).not.toContain('tiny-personal-blog.net');
    expect(sites).not.toContain('small-town-clinic.org');
  });
});

describe('candor serve --simulate: live waves come from the same phones', () => {
  it("waves fold into the same phones' one report a day: no phone is counted twice", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-waves-'));
    let clock = Date.now();
    const collector = await startCollector({
      port: 0,
      keysDir: join(dir, 'keys'),
      // Plumbing: after the waves the clock moves on so today is released, without noise, and installs can be
      // counted exactly.
      noise: NO_NOISE_FOR_PLUMBING_TESTS,
      now: () => clock,
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
      clock = Date.now() + (REPORT_DAYS_LATE + 1) * 86_400_000;
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

describe('candor serve --simulate: stopping the demo', () => {
  it('phones last used days ago log those reports as late at the end, and none is sent to be refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-stop-'));
    const lastDay = Date.UTC(2026, 10, 22, 12);
    let clock = lastDay;
    const collector = await startCollector({
      port: 0,
      keysDir: join(dir, 'keys'),
      now: () => clock,
      rateLimit: false,
      log: { level: 'silent' },
    });
    try {
      const fleet = createFleet({
        target: collector.url,
        devices: 60,
        minutes: 1,
        days: 14,
        lifecycle: true,
        seed: 11,
        now: lastDay,
        onDay: (start) => {
          clock = start + 43_200_000;
        },
      });
      await fleet.run();
      // The demo goes live: the collector's clock is real time again, a few days after the history's last day.
      const live = lastDay + 3 * 86_400_000;
      clock = live;
      const result = await fleet.finish(live);
      expect(result.reportsLate).toBeGreaterThan(0);
      expect(result.uploadsRejected).toBe(0);
    } finally {
      await collector.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
