import type { QueryResult } from '@candor/protocol';
import { apiCell, byKey, byValue, chartIntervals, chartLabels, chartValues, derivedCell } from '../figure.js';
import { formatKey, formatNumber } from '../format.js';
import { askAll, figureFrom, section, shareFigure, sumFigure, type ViewContext } from './kit.js';

/** "from_toolbar=true,item=new_tab" -> "new tab (toolbar shortcut)". */
function menuChoice(key: string): string {
  const extras = new Map(key.split(',').map((pair) => pair.split('=') as [string, string]));
  const item = extras.get('item');
  if (!item) return formatKey(key);
  const from = extras.get('from_toolbar');
  return `${item.replaceAll('_', ' ')}${from === 'true' ? ' (toolbar shortcut)' : from === 'false' ? ' (menu)' : ''}`;
}

function meanPerReport(result: QueryResult, key: string): number | null {
  const cell = result.cells.find((c) => c.key === key);
  // A mean of two noisy figures: not shown when the noisy device-day count is not positive.
  const days = cell?.reports ?? 0;
  if (!cell || days <= 0) return null;
  return (cell.sum ?? 0) / days;
}

export async function renderSettings(ctx: ViewContext): Promise<void> {
  const [darkMode, adBlocking, textSize, defaultEngine, features, menu, tabs] = await askAll(ctx, [
    ['settings.dark_mode', 'value'],
    ['settings.ad_blocking', 'value'],
    ['settings.text_size', 'value'],
    ['settings.default_search_engine', 'value'],
    ['ui.feature_used', 'label'],
    ['ui.menu_action', 'label'],
    ['ui.open_tabs', 'day'],
  ]);
  const settings = section(ctx, 'Settings', 'Share of device-days with each setting value.');
  shareFigure(settings, 'Dark mode', darkMode, { keyTitle: 'Dark mode on' });
  shareFigure(settings, 'Ad blocking', adBlocking, { keyTitle: 'Ad blocker on' });
  shareFigure(settings, 'Text size', textSize, { keyTitle: 'Text size' });
  shareFigure(settings, 'Default search engine', defaultEngine, { keyTitle: 'Engine' });

  const ui = section(ctx, 'User interface', 'How often features and menu items are used.');
  sumFigure(ui, 'Feature use', features, { keyTitle: 'Feature', valueTitle: 'uses', horizontal: true });
  figureFrom(ui, 'Main-menu choices', menu, (result) => {
    const cells = byValue(result, 'sum');
    return {
      description: 'Each menu item chosen, and whether it came from the toolbar shortcut.',
      chart: {
        kind: 'bar',
        horizontal: true,
        labels: cells.map((c) => menuChoice(c.key)),
        valueTitle: 'choices',
        series: [{ label: 'choices', values: chartValues(cells, 'sum'), intervals: chartIntervals(cells, 'sum') }],
      },
      table: {
        keyTitle: 'Menu item',
        columns: ['Choices'],
        rows: cells.map((c) => ({
          header: menuChoice(c.key),
          key: c.key,
          cells: [apiCell(result, c, 'sum')],
        })),
      },
    };
  });
  figureFrom(ui, 'Open tabs per device-day', tabs, (result) => {
    const cells = byKey(result);
    return {
      description:
        'Mean number of open tabs per device-day, per day (the ratio of two noisy figures, each with its interval in the table).',
      chart: {
        kind: 'line',
        labels: chartLabels(cells),
        valueTitle: 'open tabs (mean)',
        series: [{ label: 'mean open tabs', values: cells.map((c) => meanPerReport(result, c.key)) }],
      },
      table: {
        keyTitle: 'Day',
        columns: ['Device-days', 'Open tabs (sum)', 'Mean per device-day'],
        rows: cells.map((c) => ({
          header: c.key,
          key: c.key,
          cells: [
            apiCell(result, c, 'reports'),
            apiCell(result, c, 'sum'),
            derivedCell(meanPerReport(result, c.key), formatNumber),
          ],
        })),
      },
    };
  });
}
