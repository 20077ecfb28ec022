/**
 * Phase statistics: per phase (and group of traits) count, min, p50, mean, p90,
 * p99, max and standard deviation over the stored runs, streamed from
 * `/v1/reports/phases` and shown as the lines arrive; a histogram per phase; a
 * chosen run's phases placed on those distributions (percentile). Below: event
 * counts by type and transport delay (`/v1/reports/events`).
 */
import {
  getJson,
  query,
  streamNdjson,
  traitParams,
  type EventReportRow,
  type PhaseRow,
  type PhaseSet,
  type Run,
  type RunsPage,
} from '../api.js';
import { BASE_OPTION, createChart, PALETTE, type Chart } from '../charts.js';
import { button, escapeHtml, field, h, replace, table } from '../dom.js';
import { fmtDuration, fmtNumber, fmtPercentile, fmtTraits } from '../format.js';
import type { Tab } from '../tab.js';
import { Notice, timeInput, toggleGroup, TraitFilterEditor } from '../widgets.js';
import { fillSetSelect } from './phase-sets.js';

const GROUP_TRAITS = [
  'device_group',
  'queue',
  'configuration',
  'host',
  'requestor',
  'tenant_id',
  'instance_type',
];

function groupLabel(g: Record<string, unknown>): string {
  const s = fmtTraits(g);
  return s === '' ? 'all' : s;
}

interface PhaseView {
  chart: Chart;
  box: HTMLElement;
  /** The row whose histogram is drawn. */
  row: PhaseRow;
}

export class PhaseStatsTab implements Tab {
  readonly id = 'phases';
  readonly title = 'Phase statistics';
  private readonly notice = new Notice();
  private readonly progress = h('p', { class: 'progress', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly setSelect = h('select', {});
  private readonly groupBy = h('input', {
    type: 'text',
    attrs: { placeholder: 'device_group,queue', size: 26, spellcheck: 'false', list: 'group-traits' },
  });
  private readonly from = timeInput('From');
  private readonly to = timeInput('To');
  private readonly bins = h('input', { type: 'number', attrs: { min: 1, max: 200, value: 20, size: 4 } });
  private readonly runId = h('input', {
    type: 'text',
    attrs: { placeholder: 'run id (optional)', size: 38, spellcheck: 'false' },
  });
  private time = 'emit';
  private readonly timeToggle = toggleGroup(
    'Times',
    [
      { value: 'emit', label: 'emit' },
      { value: 'receive', label: 'receive' },
    ],
    ['emit'],
    true,
    (v) => (this.time = v[0] ?? 'emit'),
  );
  private readonly traits = new TraitFilterEditor('Trait filters', GROUP_TRAITS);
  private readonly tableBox = h('div', { class: 'scroll' });
  private readonly histograms = h('div', { class: 'histograms' });
  private readonly eventsBox = h('div', { class: 'scroll' });
  private readonly eventsNotice = new Notice();
  private readonly groupTraits = h('datalist', { id: 'group-traits' });
  private sets: PhaseSet[] = [];
  private views = new Map<string, PhaseView>();
  private run: Run | undefined;
  private abort: AbortController | undefined;
  private pendingSet: string | undefined;

  mount(panel: HTMLElement): void {
    const form = h(
      'form',
      {
        class: 'filters',
        attrs: { 'aria-label': 'phase statistics query' },
        on: {
          submit: (e) => {
            e.preventDefault();
            void this.compute();
          },
        },
      },
      h(
        'div',
        { class: 'row' },
        field('Phase set', this.setSelect),
        field('Group by traits', this.groupBy, 'comma list'),
        this.from.element,
        this.to.element,
      ),
      h(
        'div',
        { class: 'row' },
        this.timeToggle.element,
        field('Histogram bins', this.bins),
        field('Compare a run', this.runId),
      ),
      this.traits.element,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', class: 'primary' }, 'Compute'),
        button('Event counts and delays', () => void this.eventReport()),
      ),
      this.groupTraits,
    );
    replace(
      panel,
      h('h2', {}, 'Phase statistics'),
      form,
      this.notice.element,
      this.progress,
      this.tableBox,
      h('h3', {}, 'Distribution per phase'),
      this.histograms,
      h('h3', {}, 'Events by type and transport delay'),
      this.eventsNotice.element,
      this.eventsBox,
    );
    void this.init();
  }

  private async init(): Promise<void> {
    try {
      this.sets = await fillSetSelect(this.setSelect);
      if (this.pendingSet !== undefined && this.sets.some((s) => s.name === this.pendingSet))
        this.setSelect.value = this.pendingSet;
      this.suggestTraits();
      this.setSelect.addEventListener('change', () => {
        this.suggestTraits();
        void this.compute();
      });
      await Promise.all([this.compute(), this.eventReport()]);
    } catch (e) {
      this.notice.error(e);
    }
  }

  private suggestTraits(): void {
    const traits = this.sets.find((s) => s.name === this.setSelect.value)?.traits ?? GROUP_TRAITS;
    this.traits.suggest(traits);
    replace(this.groupTraits, ...traits.map((t) => h('option', { attrs: { value: t } })));
  }

  /** Show `id`'s phases against the distributions of `set` (from Time and motion). */
  compare(set: string, id: string): void {
    this.runId.value = id;
    this.pendingSet = set;
    if (this.sets.length === 0) return; // init() picks it up
    this.setSelect.value = set;
    this.suggestTraits();
    void this.compute();
  }

  private common(): [string, string][] {
    return [
      ['group_by', this.groupBy.value.replace(/\s+/g, '')],
      ['from', this.from.input.value.trim()],
      ['to', this.to.input.value.trim()],
      ['time', this.time],
    ];
  }

  async compute(): Promise<void> {
    const set = this.sets.find((s) => s.name === this.setSelect.value);
    if (!set) return;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.notice.clear();
    this.views.clear();
    replace(this.histograms);
    const t = table(
      `Phase statistics of ${set.name}`,
      [
        'phase',
        'group',
        'count',
        'min',
        'p50',
        'mean',
        'p90',
        'p99',
        'max',
        'std dev',
        'run',
        'percentile',
        '',
      ],
      {
        class: 'numeric phase-stats',
      },
    );
    replace(this.tableBox, t.table);
    this.progress.textContent = 'computing…';
    this.run = undefined;
    const id = this.runId.value.trim();
    const runPromise = id === '' ? Promise.resolve(undefined) : this.fetchRun(set, id);
    let rows = 0;
    const started = performance.now();
    try {
      const runResult = runPromise.catch((e: unknown) => {
        this.notice.error(e);
        return undefined;
      });
      await streamNdjson(
        `/v1/reports/phases${query([['set', set.name], ...this.common(), ['histogram', this.bins.value], ...traitParams(this.traits.values())])}`,
        (line) => {
          if (line['done'] === true) {
            const runs = typeof line['runs'] === 'number' ? line['runs'] : null;
            this.progress.textContent = `done: ${fmtNumber(rows)} rows over ${fmtNumber(runs)} runs in ${fmtNumber((performance.now() - started) / 1000, 2)} s`;
            return;
          }
          const row = line as unknown as PhaseRow;
          rows++;
          this.progress.textContent = `${fmtNumber(rows)} rows so far…`;
          this.addRow(t.body, set, row);
        },
        abort.signal,
      );
      this.run = await runResult;
      if (this.run) {
        for (const tr of t.body.querySelectorAll('tr')) this.fillRun(tr);
        for (const v of this.views.values()) this.drawHistogram(v);
      }
      if (rows === 0)
        t.body.append(h('tr', {}, h('td', { attrs: { colspan: 13 }, class: 'empty' }, 'no runs match')));
    } catch (e) {
      if (abort.signal.aborted) return;
      this.progress.textContent = rows > 0 ? `stopped after ${rows} rows` : '';
      this.notice.error(e);
    }
  }

  private async fetchRun(set: PhaseSet, id: string): Promise<Run | undefined> {
    const page = await getJson<RunsPage>(
      `/v1/reports/runs${query([
        ['set', set.name],
        ['id', id],
        ['limit', 1],
        // The same runs as the statistics: its percentiles are among them.
        ...this.common().filter(([k]) => k !== 'group_by'),
        ...traitParams(this.traits.values()),
      ])}`,
    );
    const run = page.runs[0];
    if (!run) throw new Error(`no run ${id} among the ${set.name} runs that match the filters`);
    return run;
  }

  private addRow(body: HTMLTableSectionElement, set: PhaseSet, row: PhaseRow): void {
    const phaseIndex = set.phases.findIndex((p) => p.name === row.phase);
    const swatch = h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } });
    swatch.style.background = PALETTE[Math.max(0, phaseIndex) % PALETTE.length] ?? '#888';
    const tr = h(
      'tr',
      { attrs: { 'data-phase': row.phase } },
      h('th', { attrs: { scope: 'row' } }, swatch, row.phase),
      h('td', { class: 'traits-cell' }, groupLabel(row.group)),
      h('td', {}, fmtNumber(row.count)),
      ...[row.min, row.p50, row.mean, row.p90, row.p99, row.max, row.stddev].map((v) =>
        h('td', { title: v == null ? undefined : `${v} s` }, fmtDuration(v)),
      ),
      h('td', { class: 'run-value' }, ''),
      h('td', { class: 'run-pct' }, ''),
      h(
        'td',
        {},
        row.histogram
          ? button('Histogram', () => this.showHistogram(row), {
              class: 'small',
              attrs: { 'aria-label': `histogram of ${row.phase}, ${groupLabel(row.group)}` },
            })
          : '',
      ),
    );
    body.append(tr);
    if (this.run) this.fillRun(tr);
    if (row.histogram && !this.views.has(row.phase)) this.showHistogram(row);
  }

  private fillRun(tr: HTMLTableRowElement): void {
    const ph = this.run?.phases.find((p) => p.phase === tr.dataset['phase']);
    const v = tr.querySelector('.run-value');
    const p = tr.querySelector('.run-pct');
    if (v) v.textContent = ph ? fmtDuration(ph.duration_s) : '';
    if (p) p.textContent = ph ? fmtPercentile(ph.percentile) : '';
  }

  private showHistogram(row: PhaseRow): void {
    let view = this.views.get(row.phase);
    if (!view) {
      const box = h('div', { class: 'chart small', attrs: { 'data-histogram': row.phase } });
      this.histograms.append(box);
      view = { box, row, chart: createChart(box, `histogram of phase ${row.phase}`) };
      this.views.set(row.phase, view);
    }
    view.row = row;
    view.box.setAttribute('aria-label', `histogram of phase ${row.phase}, ${groupLabel(row.group)}`);
    this.drawHistogram(view);
  }

  private drawHistogram(view: PhaseView): void {
    const { row } = view;
    const hist = row.histogram;
    if (!hist) return;
    const labels = hist.counts.map((_, i) => fmtDuration(hist.min + i * hist.width));
    const ph = this.run?.phases.find((p) => p.phase === row.phase);
    const d = ph?.duration_s;
    const mark =
      d === null || d === undefined || hist.width <= 0
        ? []
        : [
            {
              xAxis: Math.min(hist.counts.length - 1, Math.max(0, Math.floor((d - hist.min) / hist.width))),
              label: {
                formatter: `run ${fmtDuration(d)} (${fmtPercentile(ph?.percentile)})`,
                position: 'insideEndTop',
              },
            },
          ];
    view.chart.setOption(
      {
        ...BASE_OPTION,
        title: {
          text: `${row.phase} · ${groupLabel(row.group)}`,
          left: 8,
          top: 4,
          textStyle: { fontSize: 13, fontWeight: 600 },
        },
        grid: { left: 44, right: 12, top: 36, bottom: 40 },
        xAxis: { type: 'category', data: labels, axisLabel: { hideOverlap: true, rotate: 30, fontSize: 10 } },
        yAxis: { type: 'value', minInterval: 1 },
        tooltip: {
          trigger: 'item',
          formatter: (p: { dataIndex: number; value: number }) =>
            `${escapeHtml(fmtDuration(hist.min + p.dataIndex * hist.width))} – ${escapeHtml(fmtDuration(hist.min + (p.dataIndex + 1) * hist.width))}: ${escapeHtml(fmtNumber(p.value))} runs`,
        },
        series: [
          {
            type: 'bar',
            data: hist.counts,
            barCategoryGap: '4%',
            itemStyle: { color: '#1f78b4' },
            markLine: { symbol: 'none', silent: true, lineStyle: { color: '#e31a1c', width: 2 }, data: mark },
          },
        ],
      },
      { notMerge: true },
    );
  }

  private async eventReport(): Promise<void> {
    const t = table(
      'Events by type: count and transport delay (receive − emit)',
      ['event type', 'group', 'count', 'delay min', 'p50', 'mean', 'p90', 'p99', 'max'],
      {
        class: 'numeric',
      },
    );
    replace(this.eventsBox, t.table);
    this.eventsNotice.info('computing…');
    let n = 0;
    try {
      await streamNdjson(`/v1/reports/events${query(this.common())}`, (line) => {
        if (line['done'] === true) return;
        const r = line as unknown as EventReportRow;
        n++;
        const d = r.delay;
        t.body.append(
          h(
            'tr',
            {},
            h('th', { attrs: { scope: 'row' } }, r.event_type),
            h('td', { class: 'traits-cell' }, groupLabel(r.group)),
            h('td', {}, fmtNumber(r.count)),
            ...[d?.min, d?.p50, d?.mean, d?.p90, d?.p99, d?.max].map((v) => h('td', {}, fmtDuration(v))),
          ),
        );
      });
      this.eventsNotice.info(`${n} rows`);
    } catch (e) {
      this.eventsNotice.error(e);
    }
  }
}
