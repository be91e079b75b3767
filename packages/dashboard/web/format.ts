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

/** Fields that are measured values (in the metric's unit), as opposed to counts of reports or samples, or shares. */
const MEASURED: ReadonlySet<Field> = new Set(['sum', 'p50', 'p75', 'p95', 'p99']);

/**
 * `value` as shown. Measured values are divided by `divisor`, the display unit's size in the metric's unit (see
 * displayUnit): 60,000 shows milliseconds as minutes.
 */
export function formatField(field: Field, value: number, divisor = 1): string {
  if (field === 'share') return formatPercent(value);
  if (field === 'standardError') return `±${(value * 100).toFixed(1)}`;
  return formatNumber(MEASURED.has(field) ? value / divisor : value);
}

export interface DisplayUnit {
  /** Shown in headings: "minutes", "MB". */
  label: string;
  /** How many of the metric's own unit make one display unit. */
  divisor: number;
}

/**
 * A unit people read without counting digits: durations of minutes in minutes, of seconds in seconds, memory of
 * megabytes in MB. Chosen from the largest value shown, so one figure uses one unit throughout.
 */
export function displayUnit(unit: string | undefined, largest: number): DisplayUnit {
  if (unit === 'ms') {
    if (largest >= 120_000) return { label: 'minutes', divisor: 60_000 };
    if (largest >= 10_000) return { label: 's', divisor: 1_000 };
    return { label: 'ms', divisor: 1 };
  }
  if (unit === 'kilobytes') return largest >= 10 * 1024 ? { label: 'MB', divisor: 1024 } : { label: 'KB', divisor: 1 };
  return { label: unit && unit !== 'count' ? unit : '', divisor: 1 };
}

/** An interval as the tables print it: "± half" when symmetric, "low–high" otherwise; in the display unit. */
export function formatInterval(
  field: Field,
  value: number,
  [low, high]: readonly [number, number],
  divisor = 1,
): string {
  if (field === 'share') return `${formatPercent(low)}–${formatPercent(high)}`;
  const d = MEASURED.has(field) ? divisor : 1;
  const below = value - low;
  const above = high - value;
  if (Math.abs(below - above) <= Math.max(1, Math.abs(value) * 1e-9)) return `±${formatNumber(above / d)}`;
  return `${formatNumber(low / d)}–${formatNumber(high / d)}`;
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

/**
 * A count summed over released days, with its 95% half-width. Noise can take the sum of a rare event's days below
 * zero; no count is, so the figure and its interval are cut at zero (post-processing of released figures costs no
 * privacy, and the cut interval still holds the true count as often as the whole one).
 */
export function formatCountTotal(value: number, half: number): { value: string; interval: string } {
  const interval = value - half >= 0 ? `±${formatNumber(half)}` : `0–${formatNumber(Math.max(0, value + half))}`;
  return { value: formatNumber(Math.max(0, value)), interval: `${interval} (95%)` };
}
