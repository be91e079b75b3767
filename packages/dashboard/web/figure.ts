import type { Dimension, QueryCell, QueryResult } from '@candor/protocol';
import { type ChartSpec, drawChart } from './charts.js';
import { type Child, h, uid } from './dom.js';
import { type Field, formatField, formatInterval, formatKey, formatNumber, INTERVAL_FIELD } from './format.js';

/**
 * One table cell. Cells taken straight from the query API carry their metric, dimension, key and field as data
 * attributes, so the browser tests can check every number on the page against the API.
 */
export interface TableCell {
  text: string;
  /** The 95% interval of an API number, from the known noise of its release. */
  interval?: string;
  numeric?: boolean;
  source?: { metric: string; by: Dimension; key: string; field: Field; divisor?: number };
  /** Computed here from API numbers (a rate or a mean), not returned by the API as such. */
  derived?: boolean;
  /** Further data attributes (without the data- prefix), e.g. where a number of another API route came from. */
  data?: Record<string, string>;
}

export interface TableRow {
  /** The row header: the dimension value. */
  header: string;
  key: string;
  cells: TableCell[];
}

export interface TableSpec {
  /** Heading of the row-header column. */
  keyTitle: string;
  columns: string[];
  rows: TableRow[];
}

export interface FigureSpec {
  title: string;
  description?: string;
  chart?: ChartSpec;
  table: TableSpec;
  /** The answers the figure is drawn from: their privacy guarantee and uncertainty are stated under it. */
  sources: QueryResult[];
  notes?: Child[];
  /** Open the data table by default (figures that are a table at heart). */
  tableOpen?: boolean;
  /** Span the whole row of the grid. */
  wide?: boolean;
}

/** The 95% interval the API gives for a field of a cell, if any. */
export function intervalOf(cell: QueryCell | undefined, field: Field): [number, number] | undefined {
  if (!cell || field === 'standardError') return undefined;
  return cell[INTERVAL_FIELD[field]];
}

/** A cell straight from the API: the number and its interval, measured values in the display unit. */
export function apiCell(result: QueryResult, cell: QueryCell | undefined, field: Field, divisor = 1): TableCell {
  const source = { metric: result.metric, by: result.by, key: cell?.key ?? '', field, divisor };
  if (!cell) return { text: '—', numeric: true };
  const value = cell[field];
  if (typeof value !== 'number') return { text: '—', numeric: true };
  const interval = intervalOf(cell, field);
  return {
    text: formatField(field, value, divisor),
    ...(interval ? { interval: formatInterval(field, value, interval, divisor) } : {}),
    numeric: true,
    source,
  };
}

export function derivedCell(value: number | null, format: (v: number) => string = formatNumber): TableCell {
  return value === null || !Number.isFinite(value)
    ? { text: '—', numeric: true, derived: true }
    : { text: format(value), numeric: true, derived: true };
}

/** Rows for a result: one per cell, with the given API fields as columns. */
export function rowsFor(result: QueryResult, cells: QueryCell[], fields: Field[], divisor = 1): TableRow[] {
  return cells.map((cell) => ({
    header: formatKey(cell.key),
    key: cell.key,
    cells: fields.map((f) => apiCell(result, cell, f, divisor)),
  }));
}

/** Cells in key order (days, versions). */
export function byKey(result: QueryResult): QueryCell[] {
  return [...result.cells].sort((a, b) => compareKeys(a.key, b.key));
}

/** Cells by a value, largest first. */
export function byValue(result: QueryResult, field: Field): QueryCell[] {
  return [...result.cells].sort((a, b) => (b[field] ?? 0) - (a[field] ?? 0) || compareKeys(a.key, b.key));
}

/** Version-aware ordering: "1.10" after "1.9"; days and words sort as text. */
export function compareKeys(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

const DAY_KEY = /^\d{4}-\d{2}-\d{2}$/;
const shortDay = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Axis label for a key: days become "Nov 9" (the table keeps the full date). */
export function axisLabel(key: string): string {
  return DAY_KEY.test(key) ? shortDay.format(new Date(`${key}T00:00:00Z`)) : formatKey(key);
}

export function chartLabels(cells: Pick<QueryCell, 'key'>[]): string[] {
  return cells.map((c) => axisLabel(c.key));
}

export function chartValues(cells: QueryCell[], field: Field): (number | null)[] {
  return cells.map((c) => c[field] ?? null);
}

/** Error bars for a series: each value's 95% interval, drawn as a whisker. */
export function chartIntervals(cells: QueryCell[], field: Field): ([number, number] | null)[] {
  return cells.map((c) => intervalOf(c, field) ?? null);
}

/** The privacy facts behind a figure's numbers, in words. */
function privacyNotes(sources: QueryResult[]): Child[] {
  const notes: Child[] = [];
  for (const r of sources) {
    const prefix = sources.length > 1 ? `${r.metric}: ` : '';
    const p = r.privacy;
    notes.push(
      h(
        'li',
        { 'data-metric': r.metric, 'data-days': r.days },
        `${prefix}each device-day is protected by ε = ${p.epsilon}, δ = ${p.delta} for all of its day’s figures together; `,
        `this figure’s daily release used ε = ${formatNumber(p.groupingEpsilon)} of it. `,
        `Numbers carry noise; ± and error bars are ${Math.round(p.confidence * 100)}% intervals. `,
        r.days === 0
          ? `No day in this range is released yet (released through ${r.releasedThrough}).`
          : `${r.days} released ${r.days === 1 ? 'day' : 'days'}, through ${r.releasedThrough}; later days are still open and not counted.`,
      ),
    );
    if (p.threshold !== null) {
      notes.push(
        h(
          'li',
          { 'data-threshold': p.threshold },
          `${prefix}a value is named only on days when its noisy count reached ${formatNumber(p.threshold)} device-days, so rare values never appear.`,
        ),
      );
    }
    if (r.localDp) {
      notes.push(
        h(
          'li',
          {},
          `${prefix}each device also randomised its answer before sending (local differential privacy); the shares are de-biased estimates.`,
        ),
      );
    }
  }
  return notes;
}

function renderTable(spec: TableSpec, caption: string): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, spec.keyTitle),
        spec.columns.map((c) => h('th', { scope: 'col', class: 'num' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      spec.rows.length === 0
        ? h('tr', {}, h('td', { colspan: spec.columns.length + 1 }, 'Nothing released in this time range.'))
        : spec.rows.map((row) =>
            h(
              'tr',
              { 'data-key': row.key },
              h('th', { scope: 'row' }, row.header),
              row.cells.map((cell) =>
                h(
                  'td',
                  {
                    class: cell.numeric ? 'num' : undefined,
                    'data-metric': cell.source?.metric,
                    'data-by': cell.source?.by,
                    'data-key': cell.source?.key,
                    'data-field': cell.source?.field,
                    'data-divisor': cell.source?.divisor && cell.source.divisor !== 1 ? cell.source.divisor : undefined,
                    'data-derived': cell.derived,
                    ...Object.fromEntries(Object.entries(cell.data ?? {}).map(([k, v]) => [`data-${k}`, v])),
                  },
                  h('span', { class: 'value' }, cell.text),
                  cell.interval ? h('span', { class: 'interval' }, ` ${cell.interval}`) : null,
                ),
              ),
            ),
          ),
    ),
  );
}

/** Appends a figure (title, chart, privacy notes, data table) to `parent` and draws its chart. */
export function addFigure(parent: HTMLElement, spec: FigureSpec): HTMLElement {
  const titleId = uid('figure-title');
  const descriptionId = uid('figure-description');
  const box = h('div', { class: 'chart-box' });
  const empty = spec.table.rows.length === 0;
  const drawable = !!spec.chart?.series.some((s) => s.values.some((v) => v !== null));
  const figure = h(
    'figure',
    {
      class: spec.wide ? 'card wide' : 'card',
      'aria-labelledby': titleId,
      'data-metrics': spec.sources.map((s) => s.metric).join(' '),
    },
    h(
      'figcaption',
      {},
      h('h3', { id: titleId }, spec.title),
      spec.description ? h('p', { id: descriptionId, class: 'muted' }, spec.description) : null,
    ),
    drawable ? box : null,
    empty ? h('p', { class: 'empty' }, 'Nothing released in this time range.') : null,
    !empty && !drawable ? h('p', { class: 'empty' }, 'Nothing to draw.') : null,
    h(
      'ul',
      { class: 'privacy-notes' },
      privacyNotes(spec.sources),
      spec.notes?.map((n) => h('li', {}, n)),
    ),
    h(
      'details',
      { open: spec.tableOpen },
      h('summary', {}, `Data table: ${spec.title}`),
      // Focusable, so a table wider than the card can be scrolled from the keyboard.
      h(
        'div',
        { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': `Data table: ${spec.title}` },
        renderTable(spec.table, spec.title),
      ),
    ),
  );
  parent.append(figure);
  if (spec.chart && drawable) {
    drawChart(box, spec.chart, `${spec.title}. Chart; the same numbers are in the data table that follows.`);
  }
  return figure;
}

/** Shown in place of a figure whose query failed, so one bad metric does not hide the rest of the view. */
export function addFailedFigure(parent: HTMLElement, title: string, error: Error): void {
  parent.append(
    h(
      'figure',
      { class: 'card failed' },
      h('figcaption', {}, h('h3', {}, title)),
      h('p', { role: 'status' }, `Could not load: ${error.message}`),
    ),
  );
}
