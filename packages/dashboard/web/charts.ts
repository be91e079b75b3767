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

/** A dataset with a 95% interval per value, drawn as error bars. */
interface WithIntervals {
  intervals?: ([number, number] | null)[];
}

/**
 * Draws each value's 95% interval as an error bar (a whisker with caps), so every chart shows how much of it is
 * noise. Chart.js has no error bars of its own; this is a few lines on its scales.
 */
const errorBars: Plugin = {
  id: 'candorErrorBars',
  afterDatasetsDraw(chart) {
    const horizontal = chart.options.indexAxis === 'y';
    const valueScale = horizontal ? chart.scales.x : chart.scales.y;
    if (!valueScale) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.lineWidth = 1.5;
    chart.data.datasets.forEach((dataset, i) => {
      const intervals = (dataset as WithIntervals).intervals;
      const meta = chart.getDatasetMeta(i);
      if (!intervals || meta.hidden) return;
      ctx.strokeStyle = '#24292f';
      meta.data.forEach((element, j) => {
        const interval = intervals[j];
        if (!interval) return;
        const from = valueScale.getPixelForValue(interval[0]);
        const to = valueScale.getPixelForValue(interval[1]);
        const at = horizontal ? element.y : element.x;
        ctx.beginPath();
        if (horizontal) {
          ctx.moveTo(from, at);
          ctx.lineTo(to, at);
          for (const x of [from, to]) {
            ctx.moveTo(x, at - 4);
            ctx.lineTo(x, at + 4);
          }
        } else {
          ctx.moveTo(at, from);
          ctx.lineTo(at, to);
          for (const y of [from, to]) {
            ctx.moveTo(at - 4, y);
            ctx.lineTo(at + 4, y);
          }
        }
        ctx.stroke();
      });
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
  errorBars,
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
  /** 95% intervals of the values, drawn as error bars. */
  intervals?: ([number, number] | null)[];
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
          intervals: s.intervals,
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
