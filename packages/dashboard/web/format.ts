/**
 * How numbers appear on the page. Pure functions (no DOM), shared by the views and the browser tests, which
 * compare what the page shows with what the query API returns.
 */
export type Field = 'reports' | 'sum' | 'count' | 'p50' | 'p75' | 'p95' | 'p99' | 'share' | 'standardError';

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** Whole numbers at 100 and above; otherwise at most one decimal. */
export function formatNumber(value: number): string {
  return Math.abs(value) >= 100 ? whole.format(value) : oneDecimal.format(value);
}

export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export function formatField(field: Field, value: number): string {
  if (field === 'share') return formatPercent(value);
  if (field === 'standardError') return `±${(value * 100).toFixed(1)}`;
  return formatNumber(value);
}

/** Display text for a dimension value: labels use snake_case, events join their extras. */
export function formatKey(key: string): string {
  if (key === '') return '(all)';
  // The collector merges the suppressed values of open dimensions (sites, models, ...) into this one cell.
  if (key === '(other)') return 'others under k';
  if (key === 'true') return 'on';
  if (key === 'false') return 'off';
  if (key.includes('=')) {
    return key
      .split(',')
      .map((pair) => pair.replace('=', ': ').replaceAll('_', ' '))
      .join(', ');
  }
  return key.replaceAll('_', ' ');
}

/** Unit suffix for column headings. */
export function unitLabel(unit: string | undefined): string {
  if (!unit || unit === 'count') return '';
  return unit === 'kilobytes' ? ' (KB)' : ` (${unit})`;
}
