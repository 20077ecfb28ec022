/**
 * ECharts, bundled: only the parts the dashboard draws, rendered as SVG (crisp
 * text, and the chart is part of the page's DOM). Axis labels and legends are SVG
 * text nodes; tooltips take HTML, so every tooltip formatter escapes its values.
 */
import { BarChart, LineChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  SVGRenderer,
]);

export type Chart = echarts.ECharts;
export type ChartOption = echarts.EChartsCoreOption;

/** Colour-blind friendly, distinct on white; the first six are the phases of a test run. */
export const PALETTE = [
  '#a6cee3',
  '#1f78b4',
  '#b2df8a',
  '#fdbf6f',
  '#fb9a99',
  '#6a3d9a',
  '#33a02c',
  '#e31a1c',
  '#ff7f00',
  '#cab2d6',
];

const TEXT = { fontFamily: 'system-ui, sans-serif', color: '#222' };

/** Every chart's defaults; spread into options set with `notMerge` (which drops them otherwise). */
export const BASE_OPTION = { textStyle: TEXT, color: PALETTE, animation: false } as const;

/** A chart in `el`, resized with it. `label` is read by screen readers. */
export function createChart(el: HTMLElement, label: string): Chart {
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  const chart = echarts.init(el, undefined, { renderer: 'svg' });
  chart.setOption(BASE_OPTION);
  new ResizeObserver(() => chart.resize()).observe(el);
  return chart;
}
