import type { Dimension, QueryResult } from '@candor/protocol';
import { ApiError, fetchQuery, type Range, TokenRefused } from '../api.js';
import { PERCENTILE_COLOURS, SUPPRESSED_SUFFIX } from '../charts.js';
import { type Child, h, uid } from '../dom.js';
import {
  addFailedFigure,
  addFigure,
  axisLabel,
  byKey,
  byValue,
  chartLabels,
  chartValues,
  type FigureSpec,
  rowsFor,
} from '../figure.js';
import { displayUnit, type Field } from '../format.js';

export interface ViewContext {
  /** The view's content area, already in the document. */
  main: HTMLElement;
  range: Range;
  signal: AbortSignal;
}

export type Answer = QueryResult | Error;

/** Runs one query; a token refusal propagates (the app shows the login form), other failures are returned. */
export async function ask(ctx: ViewContext, metric: string, by: Dimension): Promise<Answer> {
  try {
    return await fetchQuery({ metric, by, ...ctx.range }, ctx.signal);
  } catch (error) {
    if (error instanceof TokenRefused || (error instanceof DOMException && error.name === 'AbortError')) throw error;
    return error instanceof Error ? error : new ApiError(0, String(error));
  }
}

/** Runs several queries in parallel. */
export function askAll(ctx: ViewContext, requests: [string, Dimension][]): Promise<Answer[]> {
  return Promise.all(requests.map(([metric, by]) => ask(ctx, metric, by)));
}

export function section(ctx: ViewContext, title: string, intro?: Child): HTMLElement {
  const id = uid('section');
  const grid = h('div', { class: 'grid' });
  const el = h('section', { 'aria-labelledby': id }, h('h2', { id }, title), intro ? h('p', {}, intro) : null, grid);
  ctx.main.append(el);
  return grid;
}

/** Adds the figure built from `answer`, or a short failure card if the query failed. */
export function figureFrom(
  parent: HTMLElement,
  title: string,
  answer: Answer | undefined,
  build: (result: QueryResult) => Omit<FigureSpec, 'title' | 'sources'> & { sources?: QueryResult[] },
): void {
  if (!answer) return;
  if (answer instanceof Error) {
    addFailedFigure(parent, title, answer);
    return;
  }
  const spec = build(answer);
  addFigure(parent, { title, sources: [answer], ...spec });
}

const PERCENTILES: Field[] = ['p50', 'p75', 'p95'];

/** A distribution over days (line) or over categories (bars): p50, p75 and p95, plus how many samples. */
export function percentileFigure(
  parent: HTMLElement,
  title: string,
  answer: Answer | undefined,
  options: {
    description?: string;
    keyTitle: string;
    rank?: boolean;
    limit?: number;
    horizontal?: boolean;
    withholdSuppressed?: boolean;
    wide?: boolean;
    tableOpen?: boolean;
  },
): void {
  figureFrom(parent, title, answer, (result) => {
    const cells = options.rank ? byValue(result, 'p95') : byKey(result);
    const shown = options.limit ? cells.filter((c) => !c.suppressed).slice(0, options.limit) : cells;
    const display = displayUnit(result.unit, Math.max(0, ...result.cells.map((c) => c.p95 ?? 0)));
    const unit = display.label ? ` (${display.label})` : '';
    return {
      description: options.description,
      wide: options.wide,
      tableOpen: options.tableOpen,
      chart: {
        kind: result.by === 'day' ? 'line' : 'bar',
        horizontal: options.horizontal,
        labels: chartLabels(shown),
        valueTitle: display.label,
        series: PERCENTILES.map((p) => ({
          label: p,
          values: chartValues(shown, p).map((v) => (v === null ? null : v / display.divisor)),
          colour: PERCENTILE_COLOURS[p as keyof typeof PERCENTILE_COLOURS],
        })),
      },
      table: {
        keyTitle: options.keyTitle,
        columns: ['Reports', 'Samples', `p50${unit}`, `p75${unit}`, `p95${unit}`],
        rows: rowsFor(
          result,
          cells,
          ['reports', 'count', 'p50', 'p75', 'p95'],
          options.withholdSuppressed,
          display.divisor,
        ),
      },
    };
  });
}

/** Sums per day or per category: counters, labelled counters, crash counts. */
export function sumFigure(
  parent: HTMLElement,
  title: string,
  answer: Answer | undefined,
  options: { description?: string; keyTitle: string; valueTitle: string; horizontal?: boolean },
): void {
  figureFrom(parent, title, answer, (result) => {
    const cells = result.by === 'day' ? byKey(result) : byValue(result, 'sum');
    return {
      description: options.description,
      chart: {
        kind: 'bar',
        horizontal: options.horizontal,
        labels: chartLabels(cells),
        valueTitle: options.valueTitle,
        series: [{ label: options.valueTitle, values: chartValues(cells, 'sum') }],
      },
      table: {
        keyTitle: options.keyTitle,
        columns: ['Reports', options.valueTitle],
        rows: rowsFor(result, cells, ['reports', 'sum']),
      },
    };
  });
}

/** Shares of reports per value (booleans, enumerations), with the standard error when local DP applies. */
export function shareFigure(
  parent: HTMLElement,
  title: string,
  answer: Answer | undefined,
  options: { description?: string; keyTitle: string; order?: readonly string[] },
): void {
  figureFrom(parent, title, answer, (result) => {
    // Values with a natural order (sizes, classes) keep it; others go largest share first.
    const { order } = options;
    const rank = (key: string) => (order?.includes(key) ? order.indexOf(key) : Number.MAX_SAFE_INTEGER);
    const cells = order ? [...result.cells].sort((a, b) => rank(a.key) - rank(b.key)) : byValue(result, 'share');
    const fields: Field[] = result.localDp ? ['reports', 'share', 'standardError'] : ['reports', 'share'];
    return {
      description: options.description,
      chart: {
        kind: 'bar',
        labels: chartLabels(cells),
        valueTitle: 'share of reports (%)',
        series: [
          {
            label: result.localDp ? 'estimated share (%)' : 'share (%)',
            values: chartValues(cells, 'share').map((v) => (v === null ? null : v * 100)),
          },
        ],
      },
      table: {
        keyTitle: options.keyTitle,
        columns: result.localDp ? ['Reports', 'Estimated share', 'Standard error (points)'] : ['Reports', 'Share'],
        rows: rowsFor(result, cells, fields),
      },
    };
  });
}

/** How many reports fall in each value of a device dimension. */
export function reportsFigure(
  parent: HTMLElement,
  title: string,
  answer: Answer | undefined,
  options: { description?: string; keyTitle: string; valueTitle?: string; keyFormat?: (key: string) => string },
): void {
  figureFrom(parent, title, answer, (result) => {
    const cells = result.by === 'day' ? byKey(result) : byValue(result, 'reports');
    const rows = rowsFor(result, cells, ['reports']);
    if (options.keyFormat) for (const row of rows) row.header = options.keyFormat(row.key);
    return {
      description: options.description,
      chart: {
        kind: 'bar',
        horizontal: result.by !== 'day' && cells.length > 8,
        labels: cells.map((c) => {
          const name = options.keyFormat ? options.keyFormat(c.key) : axisLabel(c.key);
          return c.suppressed ? `${name} ${SUPPRESSED_SUFFIX}` : name;
        }),
        valueTitle: options.valueTitle ?? 'reports',
        series: [{ label: options.valueTitle ?? 'reports', values: chartValues(cells, 'reports') }],
      },
      table: {
        keyTitle: options.keyTitle,
        columns: [options.valueTitle ? `Reports (${options.valueTitle})` : 'Reports'],
        rows,
      },
    };
  });
}

export interface Tile {
  label: string;
  value: string;
  note?: string;
  testId: string;
}

/** Headline figures as a description list, so each number is read out with its name. */
export function tiles(parent: HTMLElement, items: Tile[]): void {
  parent.append(
    h(
      'dl',
      { class: 'tiles' },
      items.map((t) =>
        h(
          'div',
          { class: 'tile', 'data-tile': t.testId },
          h('dt', {}, t.label),
          h(
            'dd',
            {},
            h('span', { class: 'tile-value' }, t.value),
            t.note ? h('span', { class: 'muted' }, t.note) : null,
          ),
        ),
      ),
    ),
  );
}
