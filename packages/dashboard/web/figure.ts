import type { Dimension, QueryCell, QueryResult } from '@candor/protocol';
import { type ChartSpec, drawChart, SUPPRESSED_SUFFIX } from './charts.js';
import { type Child, h, uid } from './dom.js';
import { type Field, formatField, formatKey, formatNumber } from './format.js';

/**
 * One table cell. Cells taken straight from the query API carry their metric, dimension, key and field as data
 * attributes, so the browser tests can check every number on the page against the API.
 */
export interface TableCell {
  text: string;
  numeric?: boolean;
  suppressed?: boolean;
  source?: { metric: string; by: Dimension; key: string; field: Field; divisor?: number };
  /** Computed here from API numbers (a rate or a mean), not returned by the API as such. */
  derived?: boolean;
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
  /** The answers the figure is drawn from: their k, suppression and privacy mechanisms are stated under it. */
  sources: QueryResult[];
  notes?: Child[];
  /** Open the data table by default (figures that are a table at heart). */
  tableOpen?: boolean;
  /** Span the whole row of the grid. */
  wide?: boolean;
}

/** A cell straight from the API: the number, or "suppressed" for cells under the k threshold. */
export function apiCell(result: QueryResult, cell: QueryCell | undefined, field: Field, divisor = 1): TableCell {
  const source = { metric: result.metric, by: result.by, key: cell?.key ?? '', field, divisor };
  if (!cell) return { text: '—', numeric: true };
  if (cell.suppressed) return { text: 'suppressed', numeric: true, suppressed: true, source };
  const value = cell[field];
  if (typeof value !== 'number') return { text: '—', numeric: true };
  return { text: formatField(field, value, divisor), numeric: true, source };
}

export function derivedCell(value: number | null, format: (v: number) => string = formatNumber): TableCell {
  return value === null || !Number.isFinite(value)
    ? { text: '—', numeric: true, derived: true }
    : { text: format(value), numeric: true, derived: true };
}

/**
 * Rows for a result: one per cell, with the given API fields as columns. With `withholdSuppressed`, cells under
 * k are counted but not named (a rare site could point at one person).
 */
export function rowsFor(
  result: QueryResult,
  cells: QueryCell[],
  fields: Field[],
  withholdSuppressed = false,
  divisor = 1,
): TableRow[] {
  return cells.map((cell) => {
    const withhold = withholdSuppressed && cell.suppressed;
    const shown = withhold ? { ...cell, key: '' } : cell;
    return {
      header: withhold ? 'others under k (names withheld)' : formatKey(cell.key),
      key: shown.key,
      cells: fields.map((f) => apiCell(result, shown, f, divisor)),
    };
  });
}

/** Cells in key order (days, versions). */
export function byKey(result: QueryResult): QueryCell[] {
  return [...result.cells].sort((a, b) => compareKeys(a.key, b.key));
}

/** Released cells by a value, largest first, then suppressed cells (they have no value to rank by). */
export function byValue(result: QueryResult, field: Field): QueryCell[] {
  const released = result.cells.filter((c) => !c.suppressed);
  const suppressed = result.cells.filter((c) => c.suppressed);
  released.sort((a, b) => (b[field] ?? 0) - (a[field] ?? 0) || compareKeys(a.key, b.key));
  suppressed.sort((a, b) => compareKeys(a.key, b.key));
  return [...released, ...suppressed];
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

/** Chart labels for cells: suppressed ones say so, and their values are gaps (null), never zero. */
export function chartLabels(cells: Pick<QueryCell, 'key' | 'suppressed'>[]): string[] {
  return cells.map((c) => (c.suppressed ? `${axisLabel(c.key)} ${SUPPRESSED_SUFFIX}` : axisLabel(c.key)));
}

export function chartValues(cells: QueryCell[], field: Field): (number | null)[] {
  return cells.map((c) => (c.suppressed ? null : (c[field] ?? null)));
}

/** The privacy facts behind a figure's numbers, in words. */
function privacyNotes(sources: QueryResult[]): Child[] {
  const notes: Child[] = [];
  for (const r of sources) {
    const suppressed = r.cells.filter((c) => c.suppressed).length;
    const prefix = sources.length > 1 ? `${r.metric}: ` : '';
    notes.push(
      h(
        'li',
        { 'data-suppressed-count': suppressed, 'data-metric': r.metric },
        `${prefix}k = ${r.k}. `,
        suppressed
          ? `${suppressed} of ${r.cells.length} ${r.cells.length === 1 ? 'cell' : 'cells'} came from fewer than ${r.k} reports and ${suppressed === 1 ? 'is' : 'are'} shown as suppressed, not as zero.`
          : 'No cell was suppressed.',
        r.totalReports === null
          ? ' The total number of reports is itself under k and is not released.'
          : ` ${formatNumber(r.totalReports)} reports in total.`,
      ),
    );
    if (r.localDp) {
      notes.push(
        h(
          'li',
          {},
          `${prefix}each device randomised its answer before sending (local differential privacy); the shares are de-biased estimates and ± is one standard error.`,
        ),
      );
    }
    if (r.dp) {
      notes.push(
        h(
          'li',
          {},
          `${prefix}calibrated noise was added to this answer (central differential privacy, ε = ${r.dp.epsilon} per query; ${formatNumber(r.dp.spentToday)} of ${formatNumber(r.dp.budgetPerDay)} spent today).`,
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
        ? h('tr', {}, h('td', { colspan: spec.columns.length + 1 }, 'No reports in this time range.'))
        : spec.rows.map((row) =>
            h(
              'tr',
              { 'data-key': row.key },
              h('th', { scope: 'row' }, row.header),
              row.cells.map((cell) =>
                h(
                  'td',
                  {
                    class:
                      [cell.numeric ? 'num' : '', cell.suppressed ? 'suppressed' : ''].join(' ').trim() || undefined,
                    'data-metric': cell.source?.metric,
                    'data-by': cell.source?.by,
                    'data-key': cell.source?.key,
                    'data-field': cell.source?.field,
                    'data-divisor': cell.source?.divisor && cell.source.divisor !== 1 ? cell.source.divisor : undefined,
                    'data-derived': cell.derived,
                    'data-suppressed': cell.suppressed,
                    title: cell.suppressed ? 'Fewer than k reports: not released' : undefined,
                  },
                  cell.text,
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
    empty ? h('p', { class: 'empty' }, 'No reports in this time range.') : null,
    !empty && !drawable
      ? h('p', { class: 'empty' }, 'Nothing to draw: every cell came from fewer than k reports.')
      : null,
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
      h('div', { class: 'table-scroll' }, renderTable(spec.table, spec.title)),
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
