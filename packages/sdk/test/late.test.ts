import { REPORT_DAYS_LATE } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { DAY_MS, setup } from './support/setup.js';

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('a report too late for the collector', () => {
  it('is never sent: the device drops it and its log says so, while later days are still sent', async () => {
    const { candor, collector, clock, endDay } = await setup();
    const usedOn = dayOf(clock.now());
    candor.counter('page_load.count').add();
    await candor.flush();
    // The app is next used one day after the collector stopped accepting that day.
    clock.advance((REPORT_DAYS_LATE + 1) * DAY_MS);
    const nextUse = dayOf(clock.now());
    candor.counter('page_load.count').add(2);
    await candor.flush();
    expect(collector.uploads).toHaveLength(0);
    expect(candor.queuedReports()).toBe(0);
    expect(candor.transparencyLog().map((e) => [e.report.day, e.status, e.httpStatus])).toEqual([
      [usedOn, 'late', null],
    ]);
    await endDay();
    expect(collector.reports.map((r) => r.day)).toEqual([nextUse]);
    expect(candor.transparencyLog().map((e) => [e.report.day, e.status])).toEqual([
      [usedOn, 'late'],
      [nextUse, 'accepted'],
    ]);
  });

  it('a day still accepted is sent, and a queued report that waited past the window is dropped, not sent', async () => {
    const { candor, collector, clock, endDay } = await setup();
    collector.uploadResponder = () => 'network-error';
    const first = dayOf(clock.now());
    candor.counter('page_load.count').add();
    await endDay(); // the first day's report is queued; the network is down
    const second = dayOf(clock.now());
    candor.counter('page_load.count').add();
    // Back online on the last day the second day is accepted: the first is too late by then.
    clock.advance(REPORT_DAYS_LATE * DAY_MS);
    collector.uploadResponder = null;
    await candor.flush();
    expect(collector.reports.map((r) => r.day)).toEqual([second]);
    const log = candor.transparencyLog().map((e) => [e.report.day, e.status]);
    expect(log).toContainEqual([first, 'late']);
    expect(log).toContainEqual([second, 'accepted']);
    expect(candor.queuedReports()).toBe(0);
  });
});
