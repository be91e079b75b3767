import type { QueryResult } from '@candor/protocol';
import {
  addFailedFigure,
  apiCell,
  byValue,
  chartIntervals,
  chartLabels,
  chartValues,
  compareKeys,
  derivedCell,
  type TableCell,
} from '../figure.js';
import { formatKey, formatNumber } from '../format.js';
import { askAll, figureFrom, section, sumFigure, type ViewContext } from './kit.js';

/** Crashes per 1,000 page loads for one app version, or null when either side is missing or not positive. */
export function crashRate(crashes: QueryResult, loads: QueryResult, version: string): number | null {
  const c = crashes.cells.find((cell) => cell.key === version);
  const l = loads.cells.find((cell) => cell.key === version);
  const pages = l?.sum ?? 0;
  if (!c || pages <= 0) return null;
  return (Math.max(0, c.sum ?? 0) / pages) * 1000;
}

export async function renderCrashes(ctx: ViewContext): Promise<void> {
  const [bySignature, byVersion, loadsByVersion, byDay] = await askAll(ctx, [
    ['crash.app', 'signature'],
    ['crash.app', 'appVersion'],
    ['page_load.count', 'appVersion'],
    ['crash.app', 'day'],
  ]);
  const grid = section(
    ctx,
    'Signatures, rates and trend',
    'A crash is its error type and a hash of the app’s own stack frames: no messages, paths or addresses.',
  );
  figureFrom(grid, 'Most common crash signatures', bySignature, (result) => {
    const cells = byValue(result, 'sum');
    const top = cells.slice(0, 10);
    return {
      description: 'The 10 signatures with the most crashes; every released signature is in the table.',
      chart: {
        kind: 'bar',
        horizontal: true,
        labels: top.map((c) => `${c.key} ${c.label ?? ''}`.trim()),
        valueTitle: 'crashes',
        series: [{ label: 'crashes', values: chartValues(top, 'sum'), intervals: chartIntervals(top, 'sum') }],
      },
      table: {
        keyTitle: 'Signature',
        columns: ['Error type', 'Device-days', 'Crashes'],
        rows: cells.map((c) => ({
          header: formatKey(c.key),
          key: c.key,
          cells: [
            { text: c.label ?? '' } satisfies TableCell,
            apiCell(result, c, 'reports'),
            apiCell(result, c, 'sum'),
          ],
        })),
      },
    };
  });
  if (byVersion instanceof Error || loadsByVersion instanceof Error || !byVersion || !loadsByVersion) {
    const failure = byVersion instanceof Error ? byVersion : loadsByVersion;
    if (failure instanceof Error) addFailedFigure(grid, 'Crash rate by app version', failure);
  } else {
    const versions = [...new Set([...byVersion.cells, ...loadsByVersion.cells].map((c) => c.key))].sort(compareKeys);
    const crashCells = versions.map((v) => byVersion.cells.find((c) => c.key === v));
    const loadCells = versions.map((v) => loadsByVersion.cells.find((c) => c.key === v));
    figureFrom(grid, 'Crash rate by app version', byVersion, () => ({
      description: 'Crashes per 1,000 page loads, so versions with more users are not made to look worse.',
      sources: [byVersion, loadsByVersion],
      chart: {
        kind: 'bar',
        labels: chartLabels(versions.map((v) => ({ key: v }))),
        valueTitle: 'crashes per 1,000 page loads',
        series: [
          {
            label: 'crashes per 1,000 page loads',
            values: versions.map((v) => crashRate(byVersion, loadsByVersion, v)),
          },
        ],
      },
      table: {
        keyTitle: 'App version',
        columns: ['Crashes', 'Pages loaded', 'Crashes per 1,000 page loads'],
        rows: versions.map((v, i) => ({
          header: formatKey(v),
          key: v,
          cells: [
            apiCell(byVersion, crashCells[i], 'sum'),
            apiCell(loadsByVersion, loadCells[i], 'sum'),
            derivedCell(crashRate(byVersion, loadsByVersion, v), formatNumber),
          ],
        })),
      },
    }));
  }
  sumFigure(grid, 'Crashes per day', byDay, { keyTitle: 'Day', valueTitle: 'crashes' });
}
