import { describe, expect, it } from 'vitest';
import { displayUnit, formatCountTotal, formatField, formatInterval, formatKey, formatNumber } from '../web/format.js';

describe('number formatting shared by the views and the browser tests', () => {
  it('rounds at 100 and above, keeps one decimal below', () => {
    expect(formatNumber(1234.56)).toBe('1,235');
    expect(formatNumber(100)).toBe('100');
    expect(formatNumber(27.66)).toBe('27.7');
    expect(formatNumber(0)).toBe('0');
  });

  it('shows shares as percentages and standard errors in points', () => {
    expect(formatField('share', 0.4367)).toBe('43.7%');
    expect(formatField('standardError', 0.0616)).toBe('±6.2');
    expect(formatField('p95', 7192.6)).toBe('7,193');
  });

  it('prints a symmetric interval as ± and any other as low–high', () => {
    expect(formatInterval('sum', 1000, [800, 1200])).toBe('±200');
    expect(formatInterval('p50', 1216.7, [860.1, 1721.2])).toBe('860–1,721');
    expect(formatInterval('share', 0.3, [0.25, 0.35])).toBe('25.0%–35.0%');
  });

  it('never shows a count below zero: a noisy total under zero is 0 with its interval cut at 0', () => {
    expect(formatCountTotal(21_505, 8_480)).toEqual({ value: '21,505', interval: '±8,480 (95%)' });
    // The demo's crashes over 30 days: a rare event, whose noisy daily sums added up below zero.
    expect(formatCountTotal(-1_315, 1_907)).toEqual({ value: '0', interval: '0–592 (95%)' });
    expect(formatCountTotal(-50, 20)).toEqual({ value: '0', interval: '0–0 (95%)' });
    expect(formatCountTotal(10, 30)).toEqual({ value: '10', interval: '0–40 (95%)' });
  });

  it('names keys for people, without hiding what they are', () => {
    expect(formatKey('address_bar')).toBe('address bar');
    expect(formatKey('from_toolbar=true,item=new_tab')).toBe('from toolbar: true, item: new tab');
    expect(formatKey('true')).toBe('on');
    expect(formatKey('')).toBe('(all)');
  });

  it('shows long durations in minutes and large memory in MB, scaling measured values only', () => {
    // An hour of listening is 3,600,000 ms: an axis to 1,200,000 says nothing to a person.
    expect(displayUnit('ms', 3_600_000)).toEqual({ label: 'minutes', divisor: 60_000 });
    expect(displayUnit('ms', 45_000)).toEqual({ label: 's', divisor: 1_000 });
    expect(displayUnit('ms', 812)).toEqual({ label: 'ms', divisor: 1 });
    expect(displayUnit('kilobytes', 65_536)).toEqual({ label: 'MB', divisor: 1024 });
    expect(displayUnit('kilobytes', 900)).toEqual({ label: 'KB', divisor: 1 });
    expect(displayUnit('count', 5)).toEqual({ label: '', divisor: 1 });
    expect(formatField('p95', 1_200_000, 60_000)).toBe('20');
    expect(formatInterval('p95', 1_200_000, [600_000, 1_800_000], 60_000)).toBe('±10');
    expect(formatField('reports', 240, 60_000)).toBe('240');
  });
});
