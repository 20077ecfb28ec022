/**
 * Overview: what the engine is doing now. Every second it reads the live stats
 * (`/v1/stats`, the mmstats file `waymark serve` publishes) and `/v1/health`,
 * and plots the last five minutes: events in per second, fires and expiries per
 * second, streams by state, dead letters. Meters every five seconds.
 */
import { getJson, type Health, type HistogramValue, type MeterJSON, type StatsJSON } from '../api.js';
import { createChart, type Chart } from '../charts.js';
import { escapeHtml, h, replace, table } from '../dom.js';
import { fmtDuration, fmtNumber, fmtTime } from '../format.js';
import type { Tab } from '../tab.js';
import { Notice } from '../widgets.js';

const STATES = ['active', 'ready', 'firing', 'expiring', 'completed', 'error', 'expire_error'] as const;

/** A colour per stream state that reads as the state: done green, failures red and orange. */
const STATE_COLOURS: Record<(typeof STATES)[number], string> = {
  active: '#1f78b4',
  ready: '#b2df8a',
  firing: '#fdbf6f',
  expiring: '#cab2d6',
  completed: '#33a02c',
  error: '#e31a1c',
  expire_error: '#ff7f00',
};
const WINDOW = 300;

interface Sample {
  t: number;
  eventsIn: number | null;
  duplicates: number | null;
  fired: number | null;
  expired: number | null;
  deadLetters: number | null;
  pipelineErrors: number | null;
  streams: Record<string, number>;
}

export class OverviewTab implements Tab {
  readonly id = 'overview';
  readonly title = 'Overview';
  private samples: Sample[] = [];
  private timer: number | undefined;
  private ticks = 0;
  private readonly notice = new Notice();
  private readonly tiles = new Map<string, HTMLElement>();
  private charts: { rate?: Chart; fires?: Chart; streams?: Chart; dead?: Chart } = {};
  private readonly meterBox = h('div', { class: 'scroll' });
  private readonly healthLine = h('p', { class: 'health' });
  private statsMissing = false;

  mount(panel: HTMLElement): void {
    const tileRow = h('div', { class: 'tiles' });
    for (const [key, label] of [
      ['rate', 'events in / s'],
      ['eventsIn', 'events in'],
      ['active', 'active streams'],
      ['fired', 'fired'],
      ['expired', 'expired'],
      ['deadLetters', 'dead letters'],
      ['pipelineErrors', 'pipeline errors'],
      ['batch', 'store commit p99'],
    ] as const) {
      const value = h('span', { class: 'tile-value', attrs: { 'data-tile': key } }, '–');
      this.tiles.set(key, value);
      tileRow.append(h('div', { class: 'tile' }, value, h('span', { class: 'tile-label' }, label)));
    }
    const box = (title: string): HTMLElement => h('div', { class: 'chart', attrs: { 'data-chart': title } });
    const rate = box('events in per second');
    const fires = box('fires and expiries per second');
    const streams = box('streams by state');
    const dead = box('dead letters');
    replace(
      panel,
      h('h2', {}, 'Overview'),
      this.healthLine,
      this.notice.element,
      tileRow,
      h('div', { class: 'grid2' }, rate, fires, streams, dead),
      h('h3', {}, 'Meters'),
      this.meterBox,
    );
    this.charts = {
      rate: createChart(rate, 'events in per second, last five minutes'),
      fires: createChart(fires, 'streams fired and expired per second, last five minutes'),
      streams: createChart(streams, 'streams by state, last five minutes'),
      dead: createChart(dead, 'dead letters in total, last five minutes'),
    };
    void this.poll();
  }

  activate(): void {
    if (this.timer === undefined) this.timer = window.setInterval(() => void this.poll(), 1000);
    for (const c of Object.values(this.charts)) c?.resize();
  }

  deactivate(): void {
    // Keep sampling so the graphs have their history when the view comes back.
  }

  private async poll(): Promise<void> {
    const t = Date.now();
    const [stats, health] = await Promise.allSettled([
      getJson<StatsJSON>('/v1/stats?prefix=waymark.'),
      getJson<Health>('/v1/health'),
    ]);
    if (health.status === 'rejected') {
      this.notice.error(health.reason);
      return;
    }
    const hv = health.value;
    let fields: StatsJSON['fields'] = {};
    if (stats.status === 'fulfilled' && Object.keys(stats.value.fields).length > 0) {
      fields = stats.value.fields;
      this.statsMissing = false;
      this.notice.clear();
    } else {
      this.statsMissing = true;
      this.notice.info(
        stats.status === 'rejected'
          ? `live stats unavailable (${stats.reason instanceof Error ? stats.reason.message : String(stats.reason)}); showing health only`
          : 'no live stats published yet (is the server running with stats?); showing health only',
      );
    }
    const num = (label: string): number | null => {
      const v = fields[`waymark.${label}`];
      return typeof v === 'number' ? v : null;
    };
    const sample: Sample = {
      t,
      eventsIn: num('events_in'),
      duplicates: num('duplicates'),
      fired: num('fired'),
      expired: num('expired'),
      deadLetters: hv.dead_letters ?? num('dead_letters'),
      pipelineErrors: num('pipeline_errors'),
      streams: hv.streams ?? {},
    };
    this.samples.push(sample);
    if (this.samples.length > WINDOW + 1) this.samples.shift();
    this.healthLine.textContent =
      `status ${hv.status} · store ${hv.store ?? '?'} · clock ${hv.clock?.mode ?? '?'} ${fmtTime(hv.clock?.now)}` +
      ` · triggers: ${(hv.triggers ?? []).join(', ') || 'none'}`;
    const batch = fields['waymark.store.batch_ms'];
    this.render(typeof batch === 'object' && batch !== null ? batch : null);
    if (this.ticks++ % 5 === 0) void this.meters();
  }

  private rates(key: 'eventsIn' | 'duplicates' | 'fired' | 'expired'): [number, number | null][] {
    const out: [number, number | null][] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1] as Sample;
      const b = this.samples[i] as Sample;
      const va = a[key];
      const vb = b[key];
      const dt = (b.t - a.t) / 1000;
      // A counter going down means the server restarted: no rate for that second.
      out.push([b.t, va === null || vb === null || vb < va || dt <= 0 ? null : (vb - va) / dt]);
    }
    return out;
  }

  private render(batch: HistogramValue | null): void {
    const last = this.samples[this.samples.length - 1] as Sample;
    const rate = this.rates('eventsIn');
    const lastRate = rate.length > 0 ? (rate[rate.length - 1] as [number, number | null])[1] : null;
    const set = (key: string, text: string): void => {
      const el = this.tiles.get(key);
      if (el) el.textContent = text;
    };
    set('rate', fmtNumber(lastRate, 1));
    set('eventsIn', fmtNumber(last.eventsIn));
    set('active', fmtNumber(last.streams['active'] ?? null));
    set('fired', fmtNumber(last.fired));
    set('expired', fmtNumber(last.expired));
    set('deadLetters', fmtNumber(last.deadLetters));
    set('pipelineErrors', fmtNumber(last.pipelineErrors));
    set('batch', batch?.p99 == null ? '–' : `${fmtNumber(batch.p99, 1)} ms`);

    const time = {
      type: 'time',
      axisLabel: { hideOverlap: true, formatter: '{HH}:{mm}:{ss}' },
      splitLine: { show: false },
    };
    const base = (title: string): Record<string, unknown> => ({
      title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14, fontWeight: 600 } },
      grid: { left: 56, right: 16, top: 40, bottom: 28 },
      xAxis: time,
      yAxis: { type: 'value', minInterval: 1 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) => escapeHtml(typeof v === 'number' ? fmtNumber(v, 1) : '–'),
      },
    });
    const line = (
      name: string,
      data: [number, number | null][],
      color?: string,
    ): Record<string, unknown> => ({
      name,
      type: 'line',
      showSymbol: false,
      connectNulls: false,
      data,
      ...(color ? { itemStyle: { color }, lineStyle: { color } } : {}),
    });
    this.charts.rate?.setOption({
      ...base('Events in per second'),
      legend: { top: 4, right: 8 },
      series: [line('events in', rate, '#1f78b4'), line('duplicates', this.rates('duplicates'), '#fdbf6f')],
    });
    this.charts.fires?.setOption({
      ...base('Fires and expiries per second'),
      legend: { top: 4, right: 8 },
      series: [
        line('fired', this.rates('fired'), '#33a02c'),
        line('expired', this.rates('expired'), '#e31a1c'),
      ],
    });
    this.charts.streams?.setOption({
      ...base('Streams by state'),
      legend: { top: 24, left: 8, type: 'scroll' },
      grid: { left: 56, right: 16, top: 56, bottom: 28 },
      series: STATES.map((s) => ({
        ...line(
          s,
          this.samples.map((x) => [x.t, x.streams[s] ?? 0]),
          STATE_COLOURS[s],
        ),
      })),
    });
    this.charts.dead?.setOption({
      ...base('Dead letters (total)'),
      series: [
        line(
          'dead letters',
          this.samples.map((x) => [x.t, x.deadLetters]),
          '#6a3d9a',
        ),
      ],
    });
  }

  private async meters(): Promise<void> {
    try {
      const { meters } = await getJson<{ meters: MeterJSON[] }>('/v1/meters');
      const t = table(
        'Meters computed by the pipelines (seconds)',
        ['meter', 'type', 'count', 'min', 'p50', 'mean', 'p90', 'p99', 'max'],
        {
          class: 'numeric',
        },
      );
      for (const m of meters) {
        const d = (v: number | null): string => (m.type === 'counter' ? '' : fmtDuration(v));
        t.body.append(
          h(
            'tr',
            {},
            h('th', { attrs: { scope: 'row' } }, m.name),
            h('td', {}, m.type),
            h('td', {}, fmtNumber(m.count)),
            h('td', {}, d(m.min)),
            h('td', {}, d(m.p50)),
            h('td', {}, d(m.mean)),
            h('td', {}, d(m.p90)),
            h('td', {}, d(m.p99)),
            h('td', {}, d(m.max)),
          ),
        );
      }
      if (meters.length === 0)
        t.body.append(h('tr', {}, h('td', { attrs: { colspan: 9 } }, 'no meters yet')));
      replace(this.meterBox, t.table);
    } catch (e) {
      replace(this.meterBox, h('p', { class: 'notice error' }, e instanceof Error ? e.message : String(e)));
    }
  }

  get hasStats(): boolean {
    return !this.statsMissing;
  }
}
