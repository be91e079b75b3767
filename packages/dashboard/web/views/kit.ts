import type { Dimension, QueryResult } from '@candor/protocol';
import { ApiError, fetchQuery, type Range, TokenRefused } from '../api.js';
import { PERCENTILE_COLOURS } from '../charts.js';
import { type Child, h, uid } from '../dom.js';
import {
  addFailedFigure,
  addFigure,
  axisLabel,
  byKey,
  byValue,
  chartIntervals,
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
    wide?: boolean;
    tableOpen?: boolean;
  },
): void {
  figureFrom(parent, title, answer, (result) => {
    const cells = options.rank ? byValue(result, 'p95') : byKey(result);
    const shown = options.limit ? cells.slice(0, options.limit) : cells;
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
          intervals: chartIntervals(shown, p).map((i) => (i ? [i[0] / display.divisor, i[1] / display.divisor] : null)),
          colour: PERCENTILE_COLOURS[p as keyof typeof PERCENTILE_COLOURS],
        })),
      },
      table: {
        keyTitle: options.keyTitle,
        columns: ['Device-days', `p50${unit}`, `p75${unit}`, `p95${unit}`],
        rows: rowsFor(result, cells, ['reports', 'p50', 'p75', 'p95'], display.divisor),
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
        series: [
          { label: options.valueTitle, values: chartValues(cells, 'sum'), intervals: chartIntervals(cells, 'sum') },
        ],
      },
      table: {
        keyTitle: options.keyTitle,
        columns: ['Device-days', options.valueTitle],
        rows: rowsFor(result, cells, ['reports', 'sum']),
      },
    };
  });
}

/** Shares of device-days per value (booleans, enumerations), with their intervals. */
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
    const fields: Field[] = ['reports', 'share'];
    return {
      description: options.description,
      chart: {
        kind: 'bar',
        labels: chartLabels(cells),
        valueTitle: 'share of device-days (%)',
        series: [
          {
            label: result.localDp ? 'estimated share (%)' : 'share (%)',
            values: chartValues(cells, 'share').map((v) => (v === null ? null : v * 100)),
            intervals: chartIntervals(cells, 'share').map((i) => (i ? [i[0] * 100, i[1] * 100] : null)),
          },
        ],
      },
      table: {
        keyTitle: options.keyTitle,
        columns: ['Device-days', result.localDp ? 'Estimated share' : 'Share'],
        rows: rowsFor(result, cells, fields),
      },
    };
  });
}

/** How many device-days fall in each value of a device dimension. */
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
        labels: cells.map((c) => (options.keyFormat ? options.keyFormat(c.key) : axisLabel(c.key))),
        valueTitle: options.valueTitle ?? 'device-days',
        series: [
          {
            label: options.valueTitle ?? 'device-days',
            values: chartValues(cells, 'reports'),
            intervals: chartIntervals(cells, 'reports'),
          },
        ],
      },
      table: {
        keyTitle: options.keyTitle,
        columns: [options.valueTitle ? `Device-days (${options.valueTitle})` : 'Device-days'],
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
