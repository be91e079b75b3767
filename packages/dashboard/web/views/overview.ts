import type { QueryResult } from '@candor/protocol';
import { formatCountTotal, formatNumber } from '../format.js';
import { askAll, percentileFigure, reportsFigure, section, sumFigure, tiles, type ViewContext } from './kit.js';

/** A total over released days with its 95% half-width: each day's noise is independent, so variances add. */
interface Total {
  value: number;
  half: number;
}

function releasedTotal(answer: QueryResult | Error | undefined, field: 'sum' | 'reports'): Total | null {
  if (!answer || answer instanceof Error || answer.cells.length === 0) return null;
  let value = 0;
  let variance = 0;
  for (const c of answer.cells) {
    value += c[field] ?? 0;
    const interval = field === 'sum' ? c.sumInterval : c.reportsInterval;
    if (interval) variance += ((interval[1] - interval[0]) / 2) ** 2;
  }
  return { value, half: Math.sqrt(variance) };
}

function shown(total: Total | null): string {
  return total === null ? '—' : formatCountTotal(total.value, total.half).value;
}

function plusMinus(total: Total | null): string | undefined {
  return total === null ? undefined : formatCountTotal(total.value, total.half).interval;
}

function latestReleased(answer: QueryResult | Error | undefined) {
  if (!answer || answer instanceof Error) return undefined;
  return [...answer.cells].sort((a, b) => (a.key < b.key ? 1 : -1))[0];
}

export async function renderOverview(ctx: ViewContext): Promise<void> {
  const [active, time, loads, crashes, engines] = await askAll(ctx, [
    ['$daily_activity', 'day'],
    ['page_load.time', 'day'],
    ['page_load.count', 'day'],
    ['crash.app', 'day'],
    ['search.engine_use', 'label'],
  ]);
  const headline = section(
    ctx,
    'At a glance',
    'Totals over released days, with their 95% intervals; days still open (the last four) are not counted yet.',
  );
  const pageLoads = releasedTotal(loads, 'sum');
  const crashCount = releasedTotal(crashes, 'sum');
  const deviceDays = releasedTotal(loads, 'reports');
  const latest = latestReleased(time);
  const latestActive = latestReleased(active);
  tiles(headline, [
    {
      testId: 'active',
      label: 'Installs in use, latest day',
      value: latestActive?.reports === undefined ? '—' : formatNumber(latestActive.reports),
      note: latestActive
        ? `${latestActive.key}${latestActive.reportsInterval ? `, ${latestActive.reportsInterval[0]}–${latestActive.reportsInterval[1]}` : ''}`
        : undefined,
    },
    {
      testId: 'reports',
      label: 'Device-days with page loads',
      value: shown(deviceDays),
      note: plusMinus(deviceDays),
    },
    { testId: 'page-loads', label: 'Pages loaded', value: shown(pageLoads), note: plusMinus(pageLoads) },
    { testId: 'crashes', label: 'Crashes', value: shown(crashCount), note: plusMinus(crashCount) },
    {
      testId: 'crash-rate',
      label: 'Crashes per 1,000 page loads',
      value:
        pageLoads && crashCount && pageLoads.value > 0
          ? formatNumber((Math.max(0, crashCount.value) / pageLoads.value) * 1000)
          : '—',
    },
    {
      testId: 'latest-p50',
      label: 'Median page load, latest day',
      value: latest?.p50 === undefined ? '—' : `${formatNumber(latest.p50)} ms`,
      note: latest
        ? `${latest.key}${latest.p50Interval ? `, ${formatNumber(latest.p50Interval[0])}–${formatNumber(latest.p50Interval[1])} ms` : ''}`
        : undefined,
    },
  ]);
  const charts = section(ctx, 'Trends');
  reportsFigure(charts, 'Installs in use per day', active, {
    keyTitle: 'Day',
    valueTitle: 'installs',
    description: 'Each install sends one report a day, with no identifier: device-days are installs in use.',
  });
  percentileFigure(charts, 'Page-load time per day', time, {
    keyTitle: 'Day',
    description: 'Time from navigation start to load end, measured on the device; all sites together.',
  });
  sumFigure(charts, 'Pages loaded per day', loads, { keyTitle: 'Day', valueTitle: 'pages loaded' });
  sumFigure(charts, 'Crashes per day', crashes, { keyTitle: 'Day', valueTitle: 'crashes' });
  sumFigure(charts, 'Searches by engine', engines, {
    keyTitle: 'Engine',
    valueTitle: 'searches',
    description: 'Which engine searches went to. The words searched for never leave the device.',
  });
}
