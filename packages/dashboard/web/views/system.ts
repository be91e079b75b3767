import { askAll, reportsFigure, section, shareFigure, type ViewContext } from './kit.js';

/** Device breakdowns count the reports that carry page-load counts: nearly every report does. */
export const DEVICE_METRIC = 'page_load.count';

export async function renderSystem(ctx: ViewContext): Promise<void> {
  const [model, os, osMajor, version, language, screen] = await askAll(ctx, [
    [DEVICE_METRIC, 'modelFamily'],
    [DEVICE_METRIC, 'os'],
    [DEVICE_METRIC, 'osMajor'],
    [DEVICE_METRIC, 'appVersion'],
    [DEVICE_METRIC, 'language'],
    ['system.screen_class', 'value'],
  ]);
  const grid = section(
    ctx,
    'System information',
    'Only coarse values are sent: model family, OS, its major version and language without region. Rare values are suppressed.',
  );
  reportsFigure(grid, 'Model family', model, { keyTitle: 'Model family' });
  reportsFigure(grid, 'Operating system', os, { keyTitle: 'OS' });
  reportsFigure(grid, 'OS major version', osMajor, { keyTitle: 'Major version', keyFormat: (k) => `version ${k}` });
  reportsFigure(grid, 'App version', version, { keyTitle: 'App version' });
  reportsFigure(grid, 'Language', language, { keyTitle: 'Language' });
  shareFigure(grid, 'Screen size class', screen, { keyTitle: 'Screen class' });
}
