import type { QueryResult } from '@candor/protocol';
import { formatNumber } from '../format.js';
import { askAll, percentileFigure, reportsFigure, section, sumFigure, tiles, type ViewContext } from './kit.js';

/** The sum over released cells; null when the query failed or every cell was suppressed (not zero). */
function releasedSum(answer: QueryResult | Error | undefined): number | null {
  if (!answer || answer instanceof Error) return null;
  const released = answer.cells.filter((c) => !c.suppressed);
  if (released.length === 0 && answer.cells.length > 0) return null;
  return released.reduce((total, c) => total + (c.sum ?? 0), 0);
}

function shown(value: number | null, answer: QueryResult | Error | undefined, unit = ''): string {
  if (value !== null) return `${formatNumber(value)}${unit}`;
  return answer && !(answer instanceof Error) && answer.cells.length > 0 ? 'suppressed' : '—';
}

function latestReleased(answer: QueryResult | Error | undefined) {
  if (!answer || answer instanceof Error) return undefined;
  return [...answer.cells].filter((c) => !c.suppressed).sort((a, b) => (a.key < b.key ? 1 : -1))[0];
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
    'Totals over released days; days with fewer than k reports are left out.',
  );
  const pageLoads = releasedSum(loads);
  const crashCount = releasedSum(crashes);
  const latest = latestReleased(time);
  const latestActive = latestReleased(active);
  tiles(headline, [
    {
      testId: 'active',
      label: 'Installs in use, latest day',
      value: latestActive?.reports === undefined ? '—' : formatNumber(latestActive.reports),
      note: latestActive ? latestActive.key : undefined,
    },
    {
      testId: 'reports',
      label: 'Reports with page loads',
      value: loads instanceof Error || !loads || loads.totalReports === null ? '—' : formatNumber(loads.totalReports),
    },
    { testId: 'page-loads', label: 'Pages loaded', value: shown(pageLoads, loads) },
    { testId: 'crashes', label: 'Crashes', value: shown(crashCount, crashes) },
    {
      testId: 'crash-rate',
      label: 'Crashes per 1,000 page loads',
      value:
        pageLoads && crashCount !== null
          ? formatNumber((crashCount / pageLoads) * 1000)
          : shown(null, crashCount === null ? crashes : loads),
    },
    {
      testId: 'latest-p50',
      label: 'Median page load, latest day',
      value: latest?.p50 === undefined ? '—' : `${formatNumber(latest.p50)} ms`,
      note: latest ? latest.key : undefined,
    },
  ]);
  const charts = section(ctx, 'Trends');
  reportsFigure(charts, 'Installs in use per day', active, {
    keyTitle: 'Day',
    valueTitle: 'installs',
    description: 'Daily-activity reports: each install sends at most one a day, with no identifier.',
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
