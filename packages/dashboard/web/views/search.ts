import { askAll, section, shareFigure, sumFigure, type ViewContext } from './kit.js';

export async function renderSearch(ctx: ViewContext): Promise<void> {
  const [engines, methods, defaults] = await askAll(ctx, [
    ['search.engine_use', 'label'],
    ['search.method', 'label'],
    ['settings.default_search_engine', 'value'],
  ]);
  const grid = section(
    ctx,
    'Engines and entry points',
    'Counts of searches by engine and by where they started. The words searched for never leave the device, so candor cannot show them — to anyone.',
  );
  sumFigure(grid, 'Searches by engine', engines, { keyTitle: 'Engine', valueTitle: 'searches' });
  sumFigure(grid, 'Searches by method', methods, {
    keyTitle: 'Started from',
    valueTitle: 'searches',
    description: 'Address bar, search box, voice, suggestion or context menu.',
  });
  shareFigure(grid, 'Default search engine setting', defaults, { keyTitle: 'Engine' });
}
