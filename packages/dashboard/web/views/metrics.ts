import { fetchDictionary } from '../api.js';
import {
  type Answer,
  ask,
  percentileFigure,
  reportsFigure,
  section,
  shareFigure,
  sumFigure,
  type ViewContext,
} from './kit.js';
import { DEVICE_METRIC } from './system.js';

/**
 * Every metric of the chosen app's registry, one figure each, drawn by its type: the view any app gets, whatever
 * its metrics are (the other stats views are made for candor's example browser app).
 */
export async function renderMetrics(ctx: ViewContext): Promise<void> {
  const dictionary = await fetchDictionary(ctx.signal);
  const [installs, ...answers] = await Promise.all([
    ask(ctx, DEVICE_METRIC, 'day'),
    ...dictionary.metrics.map((m): Promise<Answer> => ask(ctx, m.name, dimensionFor(m.type))),
  ]);
  const usage = section(
    ctx,
    `Installs in use: ${dictionary.app}`,
    'Daily-activity reports: at most one per install per day, with no identifier.',
  );
  reportsFigure(usage, 'Installs in use per day', installs, { keyTitle: 'Day', valueTitle: 'installs' });
  const grid = section(
    ctx,
    `Metrics of ${dictionary.app} ${dictionary.version}`,
    'One figure per metric in the registry; figures from fewer than k reports are suppressed.',
  );
  dictionary.metrics.forEach((metric, i) => {
    const answer = answers[i];
    const options = { description: metric.description };
    switch (metric.type) {
      case 'counter':
      case 'quantity':
        sumFigure(grid, metric.name, answer, { ...options, keyTitle: 'Day', valueTitle: metric.unit ?? 'total' });
        break;
      case 'labeled_counter':
      case 'event':
        sumFigure(grid, metric.name, answer, { ...options, keyTitle: 'Label', valueTitle: 'count' });
        break;
      case 'crash':
        sumFigure(grid, metric.name, answer, { ...options, keyTitle: 'Signature', valueTitle: 'crashes' });
        break;
      case 'boolean':
      case 'enumeration':
        shareFigure(grid, metric.name, answer, {
          ...options,
          keyTitle: 'Value',
          ...(metric.values ? { order: metric.values } : {}),
        });
        break;
      case 'site':
        percentileFigure(grid, metric.name, answer, { ...options, keyTitle: 'Site', rank: true, limit: 15 });
        break;
      default:
        percentileFigure(grid, metric.name, answer, { ...options, keyTitle: 'Day' });
    }
  });
}

function dimensionFor(type: string) {
  switch (type) {
    case 'labeled_counter':
    case 'event':
      return 'label' as const;
    case 'boolean':
    case 'enumeration':
      return 'value' as const;
    case 'site':
      return 'site' as const;
    case 'crash':
      return 'signature' as const;
    default:
      return 'day' as const;
  }
}
