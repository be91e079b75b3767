import type { ActiveDaysShare, ActivityCohort, ActivityDay, ActivityResult, Estimate } from '@candor/protocol';
import { REPORT_DAYS_LATE } from '@candor/protocol/report/day';
import { fetchActivity } from '../api.js';
import { type Child, h, uid } from '../dom.js';
import { addFigure, axisLabel, type TableCell } from '../figure.js';
import { formatInterval, formatNumber, formatPercent } from '../format.js';
import { section, tiles, type ViewContext } from './kit.js';

/** Retention columns of the cohort triangle: weeks after the week of first use. */
export const TRIANGLE_WEEKS = [1, 2, 3, 4, 5, 6, 7, 8] as const;
type DayFigure = 'dau' | 'wau' | 'mau' | 'stickiness';

/** A count as the tables print it, with its interval; marked with where it came from for the browser tests. */
function countCell(estimate: Estimate | null, data: Record<string, string>): TableCell {
  if (!estimate) return { text: '—', numeric: true };
  return {
    text: formatNumber(estimate.value),
    interval: formatInterval('reports', estimate.value, [estimate.low, estimate.high]),
    numeric: true,
    data,
  };
}

function shareCell(estimate: Estimate | null, data: Record<string, string>): TableCell {
  if (!estimate) return { text: '—', numeric: true };
  return {
    text: formatPercent(estimate.value),
    interval: formatInterval('share', estimate.value, [estimate.low, estimate.high]),
    numeric: true,
    data,
  };
}

function dayCell(day: ActivityDay, figure: DayFigure): TableCell {
  const data = { activity: figure, day: day.day };
  return figure === 'stickiness' ? shareCell(day.stickiness, data) : countCell(day[figure], data);
}

/** What protects these numbers and what they are made of, under each figure. */
function activityNotes(result: ActivityResult): Child[] {
  const p = result.privacy;
  const spent = p.releases.reduce((sum, r) => sum + r.epsilon, 0);
  return [
    `Each device-day is protected by ε = ${p.epsilon}, δ = ${p.delta} for all of its day’s figures together; the daily releases these are derived from (${p.releases.map((r) => r.metric).join(', ')}) use ε = ${formatNumber(spent)} of it, and deriving spends nothing more.`,
    `Numbers carry noise; ± and error bars are ${Math.round(p.confidence * 100)}% intervals. Released through ${result.releasedThrough}; later days are still open and not counted.`,
    `Figures count the device-days whose report arrived within ${REPORT_DAYS_LATE} days. Where an app can only send at its next use (web pages), installs used less often than that, and each install’s last day before it stops, are not counted: active devices read low and retention high.`,
  ];
}

function latest(days: ActivityDay[], figure: 'dau' | 'wau' | 'mau'): { day: string; estimate: Estimate } | null {
  for (const day of [...days].reverse()) {
    const estimate = day[figure];
    if (estimate) return { day: day.day, estimate };
  }
  return null;
}

function tileFor(testId: string, label: string, found: { day: string; estimate: Estimate } | null) {
  return {
    testId,
    label,
    value: found ? formatNumber(found.estimate.value) : '—',
    note: found ? `${found.day}, ${formatNumber(found.estimate.low)}–${formatNumber(found.estimate.high)}` : undefined,
  };
}

function trendFigure(grid: HTMLElement, result: ActivityResult): void {
  const days = result.days.filter((d) => d.dau || d.wau || d.mau);
  const series = (figure: 'dau' | 'wau' | 'mau', label: string) => ({
    label,
    values: days.map((d) => d[figure]?.value ?? null),
    intervals: days.map((d): [number, number] | null => {
      const e = d[figure];
      return e ? [e.low, e.high] : null;
    }),
  });
  addFigure(grid, {
    title: 'Daily, weekly and monthly active devices',
    description:
      'Devices that used the app on the day (DAU), in the 7 days (WAU) and in the 28 days (MAU) ending with it. No identifier: each report says how many days ago its device was last used, so a device counts once, on its first day of use in a window.',
    wide: true,
    sources: [],
    chart: {
      kind: 'line',
      labels: days.map((d) => axisLabel(d.day)),
      valueTitle: 'devices',
      series: [series('dau', 'DAU'), series('wau', 'WAU'), series('mau', 'MAU')],
    },
    table: {
      keyTitle: 'Day',
      columns: ['DAU', 'WAU', 'MAU', 'DAU / MAU'],
      rows: days.map((d) => ({
        header: d.day,
        key: d.day,
        cells: (['dau', 'wau', 'mau', 'stickiness'] as const).map((f) => dayCell(d, f)),
      })),
    },
    notes: [
      ...activityNotes(result),
      'WAU and MAU appear once all 7 or 28 days of their window are released; consecutive days share most of their window, and so most of their noise.',
    ],
  });
}

/** DAU / MAU per day: the share of the month's devices in use on a given day. */
function dauOverMauFigure(grid: HTMLElement, result: ActivityResult): void {
  const days = result.days.filter((d) => d.stickiness);
  addFigure(grid, {
    title: 'DAU / MAU per day',
    description:
      'The share of the devices used in the 28 days that were used on the day: near 100% when everyone uses the app daily, near 4% when once a month.',
    sources: [],
    chart: {
      kind: 'line',
      labels: days.map((d) => axisLabel(d.day)),
      valueTitle: 'DAU / MAU (%)',
      series: [
        {
          label: 'DAU / MAU (%)',
          values: days.map((d) => (d.stickiness ? d.stickiness.value * 100 : null)),
          intervals: days.map((d): [number, number] | null =>
            d.stickiness ? [d.stickiness.low * 100, d.stickiness.high * 100] : null,
          ),
        },
      ],
    },
    table: {
      keyTitle: 'Day',
      columns: ['DAU / MAU'],
      rows: days.map((d) => ({
        header: d.day,
        key: d.day,
        cells: [shareCell(d.stickiness, { activity: 'dau-over-mau', day: d.day })],
      })),
    },
    notes: activityNotes(result),
  });
}

function stickinessFigure(grid: HTMLElement, result: ActivityResult, title: string, shares: ActiveDaysShare[]) {
  const of = shares.length;
  addFigure(grid, {
    title,
    description: `Of the device-days in the range: the share whose device was used on this many of the last ${of} days. Devices used on most days are sticky.`,
    sources: [],
    chart: {
      kind: 'bar',
      labels: shares.map((s) => String(s.days)),
      valueTitle: 'share of device-days (%)',
      series: [
        {
          label: 'share (%)',
          values: shares.map((s) => s.share.value * 100),
          intervals: shares.map((s): [number, number] => [s.share.low * 100, s.share.high * 100]),
        },
      ],
    },
    table: {
      keyTitle: `Days of use in the last ${of}`,
      columns: ['Share of device-days'],
      rows: shares.map((s) => ({
        header: String(s.days),
        key: String(s.days),
        cells: [shareCell(s.share, { activity: `days${of}`, key: String(s.days) })],
      })),
    },
    notes: activityNotes(result),
  });
}

/** Cell shade for a share: paler for less, never so dark that the dark text on it falls below 4.5:1. */
function shade(share: number): string {
  const lightness = 97 - Math.min(1, Math.max(0, share)) * 35;
  return `hsl(205 70% ${lightness.toFixed(1)}%)`;
}

function triangleCell(cohort: ActivityCohort, week: number): HTMLTableCellElement {
  const share = cohort.retained.find((r) => r.week === week)?.share ?? null;
  if (!share) {
    return h('td', { class: 'num cohort-open' }, h('span', { class: 'visually-hidden' }, 'not released yet'));
  }
  return h(
    'td',
    {
      class: 'num cohort-cell',
      style: `background-color: ${shade(share.value)}`,
      'data-activity': 'retention',
      'data-cohort': cohort.week,
      'data-week': week,
    },
    h('span', { class: 'value' }, formatPercent(share.value)),
    h('span', { class: 'interval' }, ` ${formatInterval('share', share.value, [share.low, share.high])}`),
  );
}

/** The cohort triangle: a table at heart, shaded by share, with every interval printed. */
function cohortFigure(parent: HTMLElement, result: ActivityResult): void {
  const titleId = uid('figure-title');
  const title = 'Retention by week of first use';
  const table = h(
    'table',
    { class: 'cohorts' },
    h('caption', {}, title),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'First used in the week of'),
        h('th', { scope: 'col', class: 'num' }, 'Devices'),
        TRIANGLE_WEEKS.map((w) => h('th', { scope: 'col', class: 'num' }, `Week ${w}`)),
      ),
    ),
    h(
      'tbody',
      {},
      result.cohorts.length === 0
        ? h('tr', {}, h('td', { colspan: TRIANGLE_WEEKS.length + 2 }, 'No whole week released in this time range.'))
        : result.cohorts.map((cohort) =>
            h(
              'tr',
              { 'data-key': cohort.week },
              h('th', { scope: 'row' }, cohort.week),
              h(
                'td',
                { class: 'num', 'data-activity': 'cohort', 'data-cohort': cohort.week },
                h('span', { class: 'value' }, formatNumber(cohort.size.value)),
                h(
                  'span',
                  { class: 'interval' },
                  ` ${formatInterval('reports', cohort.size.value, [cohort.size.low, cohort.size.high])}`,
                ),
              ),
              TRIANGLE_WEEKS.map((w) => triangleCell(cohort, w)),
            ),
          ),
    ),
  );
  parent.append(
    h(
      'figure',
      { class: 'card wide', 'aria-labelledby': titleId, 'data-activity': 'cohorts' },
      h(
        'figcaption',
        {},
        h('h3', { id: titleId }, title),
        h(
          'p',
          { class: 'muted' },
          'Each row is the devices first used in one UTC week (Monday to Sunday); each cell the share of them used again in the k-th week after, darker for more. Blank cells are weeks not released yet. The device keeps its week of first use to itself and reports only how many weeks ago it was, on its first day of use in a week.',
        ),
      ),
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': `Table: ${title}` }, table),
      h(
        'ul',
        { class: 'privacy-notes' },
        activityNotes(result).map((n) => h('li', {}, n)),
        h(
          'li',
          {},
          'A small cohort’s shares carry wide intervals: its size and its returns are both noisy counts of devices.',
        ),
      ),
    ),
  );
}

export async function renderActivity(ctx: ViewContext): Promise<void> {
  const result = await fetchActivity(ctx.range, ctx.signal);
  const headline = section(
    ctx,
    'At a glance',
    'Counted from each device’s own history of the last 28 days, kept on the device; no report carries an identifier.',
  );
  tiles(headline, [
    tileFor('dau', 'Daily active devices, latest day', latest(result.days, 'dau')),
    tileFor('wau', 'Weekly active devices', latest(result.days, 'wau')),
    tileFor('mau', 'Monthly active devices', latest(result.days, 'mau')),
    {
      testId: 'stickiness',
      label: 'Stickiness (DAU / MAU over the range)',
      value: result.stickiness.dauOverMau ? formatPercent(result.stickiness.dauOverMau.value) : '—',
      note: result.stickiness.dauOverMau
        ? formatInterval('share', result.stickiness.dauOverMau.value, [
            result.stickiness.dauOverMau.low,
            result.stickiness.dauOverMau.high,
          ])
        : undefined,
    },
    {
      testId: 'coverage',
      label: 'Device-days with a history',
      value: result.coverage ? formatPercent(result.coverage.value) : '—',
      note: result.coverage
        ? `${formatInterval('share', result.coverage.value, [result.coverage.low, result.coverage.high])}; older SDKs send none and count in DAU only`
        : undefined,
    },
  ]);
  const trend = section(ctx, 'Trend');
  trendFigure(trend, result);
  const sticky = section(ctx, 'Stickiness');
  dauOverMauFigure(sticky, result);
  stickinessFigure(sticky, result, 'Days of use in the last 7', result.stickiness.activeDays7);
  stickinessFigure(sticky, result, 'Days of use in the last 28', result.stickiness.activeDays28);
  const retention = section(ctx, 'Retention');
  cohortFigure(retention, result);
}
