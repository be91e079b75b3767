/**
 * How numbers appear on the page. Pure functions (no DOM), shared by the views and the browser tests, which
 * compare what the page shows with what the query API returns.
 */
export type Field = 'reports' | 'sum' | 'p50' | 'p75' | 'p95' | 'p99' | 'share' | 'standardError';

/** The fields that come with a 95% interval from the known noise, and where the API puts it. */
export const INTERVAL_FIELD = {
  reports: 'reportsInterval',
  sum: 'sumInterval',
  p50: 'p50Interval',
  p75: 'p75Interval',
  p95: 'p95Interval',
  p99: 'p99Interval',
  share: 'shareInterval',
} as const;

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

/** An interval as the tables print it: "± half" when symmetric, "low–high" otherwise. */
export function formatInterval(field: Field, value: number, [low, high]: readonly [number, number]): string {
  if (field === 'share') return `${formatPercent(low)}–${formatPercent(high)}`;
  const below = value - low;
  const above = high - value;
  if (Math.abs(below - above) <= Math.max(1, Math.abs(value) * 1e-9)) return `±${formatNumber(above)}`;
  return `${formatNumber(low)}–${formatNumber(high)}`;
}

/** Display text for a dimension value: labels use snake_case, events join their extras. */
export function formatKey(key: string): string {
  if (key === '') return '(all)';
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
