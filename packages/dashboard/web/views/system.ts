import { askAll, reportsFigure, section, shareFigure, type ViewContext } from './kit.js';

/**
 * Device breakdowns count daily reports: an app sends exactly one per active day, so they count installs in use
 * per day without any identifier.
 */
export const DEVICE_METRIC = '$daily_activity';

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
    'Installs in use, counted as daily reports (one per install per active day, with no identifier). Only coarse values are sent: model family, OS, its major version and language without region. Rare values are suppressed.',
  );
  reportsFigure(grid, 'Model family', model, { keyTitle: 'Model family' });
  reportsFigure(grid, 'Operating system', os, { keyTitle: 'OS' });
  reportsFigure(grid, 'OS major version', osMajor, { keyTitle: 'Major version', keyFormat: (k) => `version ${k}` });
  reportsFigure(grid, 'App version', version, { keyTitle: 'App version' });
  reportsFigure(grid, 'Language', language, { keyTitle: 'Language' });
  shareFigure(grid, 'Screen size class', screen, { keyTitle: 'Screen class' });
}
