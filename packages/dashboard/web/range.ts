import type { Range } from './api.js';
import { h, uid } from './dom.js';

const DAY_MS = 86_400_000;
/** The query API's longest range. */
const MAX_RANGE_DAYS = 366;

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function lastDays(days: number, now = new Date()): Range {
  return { from: utcDay(new Date(now.getTime() - (days - 1) * DAY_MS)), to: utcDay(now) };
}

const PRESETS = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
  { days: 365, label: 'Last 12 months' },
] as const;

export const DEFAULT_DAYS = 30;

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Reads a range from the route's query string, falling back to the last `fallbackDays` (30) days. */
export function rangeFromParams(params: URLSearchParams, fallbackDays = DEFAULT_DAYS): Range {
  const from = params.get('from');
  const to = params.get('to');
  if (from && to && DAY_PATTERN.test(from) && DAY_PATTERN.test(to) && from <= to) return { from, to };
  return lastDays(fallbackDays);
}

/** The time range selector: a preset list and two date fields, applied together. */
export function rangeSelector(current: Range, onChange: (range: Range) => void): HTMLElement {
  const presetId = uid('range-preset');
  const fromId = uid('range-from');
  const toId = uid('range-to');
  const matching = PRESETS.find((p) => {
    const r = lastDays(p.days);
    return r.from === current.from && r.to === current.to;
  });
  const fromInput = h('input', { id: fromId, type: 'date', value: current.from, required: true });
  const toInput = h('input', { id: toId, type: 'date', value: current.to, required: true });
  const preset = h(
    'select',
    {
      id: presetId,
      onchange: () => {
        const days = Number(preset.value);
        if (!days) return;
        const r = lastDays(days);
        fromInput.value = r.from;
        toInput.value = r.to;
        onChange(r);
      },
    },
    PRESETS.map((p) => h('option', { value: p.days, selected: matching?.days === p.days }, p.label)),
    h('option', { value: '', selected: !matching }, 'Custom'),
  );
  const error = h('p', { class: 'field-error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'range',
      'aria-label': 'Time range',
      onsubmit: (event) => {
        event.preventDefault();
        if (!fromInput.value || !toInput.value || fromInput.value > toInput.value) {
          error.textContent = 'Choose a start day on or before the end day.';
          fromInput.focus();
          return;
        }
        const days = (Date.parse(toInput.value) - Date.parse(fromInput.value)) / DAY_MS + 1;
        if (days > MAX_RANGE_DAYS) {
          error.textContent = `Choose at most ${MAX_RANGE_DAYS} days: the collector answers no longer ranges.`;
          fromInput.focus();
          return;
        }
        error.textContent = '';
        onChange({ from: fromInput.value, to: toInput.value });
      },
    },
    h('label', { for: presetId }, 'Time range'),
    preset,
    h('label', { for: fromId }, 'From'),
    fromInput,
    h('label', { for: toId }, 'To'),
    toInput,
    h('button', { type: 'submit' }, 'Apply'),
    error,
  );
  const markCustom = () => {
    preset.value = '';
  };
  fromInput.addEventListener('input', markCustom);
  toInput.addEventListener('input', markCustom);
  return form;
}
