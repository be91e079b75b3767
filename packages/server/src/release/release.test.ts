import { candorBrowserRegistry, OS_NAMES, releasePlan } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { NO_NOISE_FOR_PLUMBING_TESTS } from '../testing/release.js';
import { releaseDay } from './release.js';
import type { CellLine } from './types.js';

const plan = releasePlan(candorBrowserRegistry);
const D = '2026-11-20';

const line = (metric: string, by: CellLine['by'], cell: string, reports: number, value = 0): CellLine => ({
  metric,
  by,
  cell,
  detail: '',
  bucket: -1,
  reports,
  value,
});

describe('releaseDay, a pure function of the lines, the plan and the noise', () => {
  it('releases every value of a closed domain, with data or not, and nothing of an open key under threshold', () => {
    const raw = [
      line('$daily_activity', 'os', 'android', 500),
      line('$daily_activity', 'modelFamily', 'pixel', 500),
      line('$daily_activity', 'modelFamily', 'rare phone', 3),
    ];
    const release = releaseDay(D, raw, plan, NO_NOISE_FOR_PLUMBING_TESTS);
    const cells = (by: CellLine['by']) =>
      release.lines.filter((l) => l.metric === '$daily_activity' && l.by === by).map((l) => [l.cell, l.reports]);
    expect(cells('os')).toEqual(OS_NAMES.map((os) => [os, os === 'android' ? 500 : 0]));
    expect(cells('modelFamily')).toEqual([['pixel', 500]]);
    // Every planned grouping is released, the day cell too, even with no data at all.
    expect(release.groupings).toHaveLength(plan.releases.length);
    expect(cells('day')).toEqual([[D, 0]]);
  });

  it('adds the injected noise at the planned scale to every released figure', () => {
    const scales: number[] = [];
    const release = releaseDay(D, [line('page_load.count', 'day', D, 10, 40)], plan, (scale) => {
      scales.push(scale);
      return 7;
    });
    const counts = release.lines.find((l) => l.metric === 'page_load.count' && l.by === 'day');
    expect(counts).toMatchObject({ reports: 17, value: 47 });
    const planned = plan.find('page_load.count', 'day');
    expect(scales).toContain(planned?.reportsScale);
    expect(scales).toContain(planned?.valueScale);
    // The same lines and the same noise give the same release.
    expect(releaseDay(D, [line('page_load.count', 'day', D, 10, 40)], plan, () => 7)).toEqual(release);
  });

  it('splits exactly the budget over the groupings (basic composition)', () => {
    const custom = releasePlan(candorBrowserRegistry, { epsilon: 3, delta: 1e-8 });
    expect(custom.releases.reduce((s, r) => s + r.epsilon, 0)).toBeCloseTo(3, 9);
    expect(custom.releases.reduce((s, r) => s + r.delta, 0)).toBeCloseTo(1e-8, 18);
    expect(() => releasePlan(candorBrowserRegistry, { epsilon: 0, delta: 1e-6 })).toThrow(/epsilon/);
  });
});
