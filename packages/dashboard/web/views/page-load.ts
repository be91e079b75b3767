import { askAll, percentileFigure, section, type ViewContext } from './kit.js';

export async function renderPageLoad(ctx: ViewContext): Promise<void> {
  const [bySite, byDay, byVersion] = await askAll(ctx, [
    ['page_load.time_by_site', 'site'],
    ['page_load.time', 'day'],
    ['page_load.time', 'appVersion'],
  ]);
  const sites = section(
    ctx,
    'Slowest sites',
    'A site is its registrable domain (eTLD+1): no page, path or query ever leaves the device. A site is named only when many device-days on a day had it (differential-privacy partition selection).',
  );
  percentileFigure(sites, 'Slowest sites by p95 load time', bySite, {
    keyTitle: 'Site',
    rank: true,
    limit: 15,
    horizontal: true,
    wide: true,
    tableOpen: true,
    description:
      'The 15 released sites with the highest 95th-percentile load time. All released sites are in the table.',
  });
  const trend = section(ctx, 'All sites together');
  percentileFigure(trend, 'Page-load time per day', byDay, { keyTitle: 'Day' });
  percentileFigure(trend, 'Page-load time by app version', byVersion, { keyTitle: 'App version' });
}
