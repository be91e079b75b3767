import type { Plugin } from 'chart.js';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { h, uid } from './dom.js';

/** Label suffix the views give categories whose cell was suppressed (see figure.ts chartLabels). */
export const SUPPRESSED_SUFFIX = '(suppressed)';

/**
 * Shades the slot of every suppressed category and writes "under k" in it, so a suppressed cell reads as
 * withheld, not as an empty (zero) bar.
 */
const suppressedBands: Plugin = {
  id: 'candorSuppressedBands',
  beforeDatasetsDraw(chart) {
    const labels = (chart.data.labels ?? []) as string[];
    const horizontal = chart.options.indexAxis === 'y';
    const scale = horizontal ? chart.scales.y : chart.scales.x;
    const area = chart.chartArea;
    if (!scale || labels.length === 0) return;
    const slot = ((horizontal ? area.bottom - area.top : area.right - area.left) / labels.length) * 0.9;
    const ctx = chart.ctx;
    ctx.save();
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    labels.forEach((label, index) => {
      if (!String(label).endsWith(SUPPRESSED_SUFFIX)) return;
      const centre = scale.getPixelForValue(index);
      ctx.fillStyle = 'rgba(87, 96, 106, 0.14)';
      if (horizontal) ctx.fillRect(area.left, centre - slot / 2, area.right - area.left, slot);
      else ctx.fillRect(centre - slot / 2, area.top, slot, area.bottom - area.top);
      ctx.fillStyle = '#424a53';
      if (horizontal) ctx.fillText('under k', area.left + 40, centre);
      else ctx.fillText('under k', centre, area.bottom - 12);
    });
    ctx.restore();
  },
};

// Only the pieces the views draw, so the bundle stays small.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  suppressedBands,
);
// No animation: the first render is what people wait for, and it respects reduced-motion settings for free.
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
Chart.defaults.font.size = 13;
Chart.defaults.color = '#1f2328';
Chart.defaults.borderColor = '#d0d7de';

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies, and dark enough on white. */
export const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#56b4e9', '#e69f00', '#000000'];
export const PERCENTILE_COLOURS = { p50: '#0072b2', p75: '#009e73', p95: '#d55e00' } as const;

export interface Series {
  label: string;
  values: (number | null)[];
  colour?: string;
}

export interface ChartSpec {
  kind: 'bar' | 'line';
  labels: string[];
  series: Series[];
  /** Horizontal bars, for long category names such as sites. */
  horizontal?: boolean;
  /** Axis title for the values. */
  valueTitle?: string;
}

const live = new Set<Chart>();

/** Destroys every chart drawn so far; called before a view is replaced. */
export function destroyCharts(): void {
  for (const chart of live) chart.destroy();
  live.clear();
}

/**
 * Draws a chart into a fresh canvas inside `box`, which must already be in the document. The canvas is an image
 * to assistive technology; its label names the chart and points to the data table that carries the numbers.
 */
export function drawChart(box: HTMLElement, spec: ChartSpec, ariaLabel: string): Chart {
  const canvas = h('canvas', { role: 'img', 'aria-label': ariaLabel });
  box.append(canvas);
  if (spec.horizontal) box.style.height = `${Math.max(200, 60 + spec.labels.length * 26)}px`;
  const valueAxis = {
    beginAtZero: true,
    title: { display: !!spec.valueTitle, text: spec.valueTitle ?? '' },
    ticks: { precision: 0 },
  };
  const chart = new Chart(canvas, {
    type: spec.kind,
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s, i) => {
        const colour = s.colour ?? COLOURS[i % COLOURS.length] ?? '#0072b2';
        return {
          label: s.label,
          data: s.values,
          backgroundColor: colour,
          borderColor: colour,
          borderWidth: spec.kind === 'line' ? 2 : 0,
          pointRadius: spec.kind === 'line' ? 2 : 0,
          spanGaps: false,
        };
      }),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: spec.horizontal ? 'y' : 'x',
      scales: spec.horizontal ? { x: valueAxis } : { y: valueAxis },
      plugins: {
        legend: { display: spec.series.length > 1, position: 'bottom' },
        tooltip: { enabled: true },
      },
    },
  });
  live.add(chart);
  return chart;
}

export function chartBoxId(): string {
  return uid('chart');
}
