import { fetchDictionary } from '../api.js';
import { type Answer, askAll, reportsFigure, section, shareFigure, type ViewContext } from './kit.js';

/** Device breakdowns count device-days: an app sends one report per active day, so they count installs in use. */
export const DEVICE_METRIC = '$daily_activity';

export async function renderSystem(ctx: ViewContext): Promise<void> {
  const dictionary = fetchDictionary(ctx.signal);
  const [model, os, osVersion, version, language, screen] = await askAll(ctx, [
    [DEVICE_METRIC, 'modelFamily'],
    [DEVICE_METRIC, 'os'],
    [DEVICE_METRIC, 'osVersion'],
    [DEVICE_METRIC, 'appVersion'],
    [DEVICE_METRIC, 'language'],
    ['system.screen_class', 'value'],
  ]);
  const grid = section(
    ctx,
    'System information',
    'Installs in use, counted as device-days (one report per install per active day, with no identifier). Only coarse values are sent: model family, OS, its major version and language without region. A value is named only when many device-days had it.',
  );
  reportsFigure(grid, 'Model family', model, { keyTitle: 'Model family' });
  reportsFigure(grid, 'Operating system', os, { keyTitle: 'OS' });
  osVersionFigures(grid, osVersion);
  reportsFigure(grid, 'App version', version, { keyTitle: 'App version' });
  reportsFigure(grid, 'Language', language, { keyTitle: 'Language' });
  const classes = (await dictionary).metrics.find((m) => m.name === 'system.screen_class')?.values;
  shareFigure(grid, 'Screen size class', screen, { keyTitle: 'Screen class', ...(classes ? { order: classes } : {}) });
}

const OS_NAMES: Record<string, string> = {
  android: 'Android',
  ios: 'iOS',
  windows: 'Windows',
  macos: 'macOS',
  linux: 'Linux',
  chromeos: 'ChromeOS',
  other: 'Other OS',
};

/**
 * One figure of major versions per OS: Android 14 and iOS 17 are not versions of one thing. Versions too rare to
 * be released are not in the answer at all.
 */
function osVersionFigures(grid: HTMLElement, answer: Answer | undefined): void {
  if (!answer) return;
  const name = (key: string) => {
    const [os = '', major = ''] = key.split(' ');
    return `${OS_NAMES[os] ?? os} ${major}`;
  };
  const keyFormat = name;
  if (answer instanceof Error) {
    reportsFigure(grid, 'OS versions', answer, { keyTitle: 'Version', keyFormat });
    return;
  }
  const systems = [...new Set(answer.cells.map((c) => c.key.split(' ')[0] ?? ''))].sort();
  if (systems.length === 0) {
    reportsFigure(grid, 'OS versions', answer, { keyTitle: 'Version', keyFormat });
    return;
  }
  for (const os of systems) {
    const cells = answer.cells.filter((c) => c.key.startsWith(`${os} `));
    reportsFigure(grid, `${OS_NAMES[os] ?? os} versions`, { ...answer, cells }, { keyTitle: 'Version', keyFormat });
  }
}
