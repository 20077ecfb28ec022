/**
 * Time and motion: one stacked horizontal bar per run, one colour per phase
 * (the seed's "Testrun Time and Motion Analysis"), 20 runs a page, in minutes or
 * seconds; runs chosen by id or trait filters; a bar (or a row of the table
 * under the chart) opens that run's events. The phase set selector switches
 * between test runs and OpenStack operations.
 */
import {
  getJson,
  query,
  traitParams,
  type EventJSON,
  type PhaseSet,
  type Run,
  type RunsPage,
} from '../api.js';
import { BASE_OPTION, createChart, PALETTE, type Chart } from '../charts.js';
import { button, escapeHtml, field, h, replace, table } from '../dom.js';
import { EventList } from '../event-list.js';
import { fmtDuration, fmtNumber, fmtPercentile, fmtTime, fmtTraits } from '../format.js';
import type { Tab } from '../tab.js';
import { Notice, Pager, timeInput, toggleGroup, TraitFilterEditor } from '../widgets.js';
import { fillSetSelect } from './phase-sets.js';

export const RUNS_PER_PAGE = 20;
const TRAITS = [
  'device_group',
  'queue',
  'configuration',
  'requestor',
  'host',
  'tenant_id',
  'instance_type',
  'error',
];

/** A run's label on the chart's axis: ids are long uuids, the start of one is enough to tell them apart on a page. */
export function runLabel(id: string): string {
  return id.length > 13 ? `${id.slice(0, 12)}…` : id;
}

export class TimeMotionTab implements Tab {
  readonly id = 'time-motion';
  readonly title = 'Time and motion';
  private readonly notice = new Notice();
  private readonly setSelect = h('select', { attrs: { 'aria-label': 'phase set' } });
  private readonly runId = h('input', {
    type: 'text',
    attrs: { placeholder: 'run id', size: 38, spellcheck: 'false' },
  });
  private readonly from = timeInput('From');
  private readonly to = timeInput('To');
  private readonly traits = new TraitFilterEditor('Run traits', TRAITS, false);
  private unit: 'min' | 's' = 'min';
  /** Until the user picks a unit, short runs (OpenStack builds) are shown in seconds. */
  private unitChosen = false;
  private readonly unitToggle = toggleGroup(
    'X axis in',
    [
      { value: 'min', label: 'minutes' },
      { value: 's', label: 'seconds' },
    ],
    ['min'],
    true,
    (v) => {
      this.unit = v[0] === 's' ? 's' : 'min';
      this.unitChosen = true;
      this.draw();
    },
  );
  private readonly pager = new Pager(
    'runs',
    () => void this.go(this.offset - RUNS_PER_PAGE),
    () => void this.go(this.offset + RUNS_PER_PAGE),
  );
  private readonly chartBox = h('div', { class: 'chart tall', attrs: { 'data-chart': 'time-and-motion' } });
  private chart: Chart | undefined;
  private readonly runsTable = h('div', { class: 'scroll' });
  private readonly runEvents = new EventList('Events of the run');
  private readonly runEventsBox = h('section', {
    class: 'run-events',
    hidden: true,
    attrs: { 'aria-label': 'events of the selected run' },
  });
  private sets: PhaseSet[] = [];
  private page: RunsPage | undefined;
  private offset = 0;
  private seq = 0;

  mount(panel: HTMLElement): void {
    const form = h(
      'form',
      {
        class: 'filters',
        attrs: { 'aria-label': 'run selection' },
        on: {
          submit: (e) => {
            e.preventDefault();
            void this.go(0);
          },
        },
      },
      h(
        'div',
        { class: 'row' },
        field('Phase set', this.setSelect),
        field('Run id', this.runId),
        this.from.element,
        this.to.element,
      ),
      this.traits.element,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', class: 'primary' }, 'Show runs'),
        this.unitToggle.element,
      ),
    );
    this.setSelect.addEventListener('change', () => {
      this.traits.suggest(this.set?.traits ?? TRAITS);
      void this.go(0);
    });
    replace(
      panel,
      h('h2', {}, 'Time and motion'),
      form,
      this.notice.element,
      this.pager.element,
      this.chartBox,
      this.runEventsBox,
      this.runsTable,
    );
    this.chart = createChart(
      this.chartBox,
      'stacked bar chart: one bar per run, one colour per phase; the same data is in the table below',
    );
    this.chart.on('click', (p) => {
      const run = this.page?.runs[(p as { dataIndex: number }).dataIndex];
      if (run) void this.openRun(run);
    });
    void this.init();
  }

  private async init(): Promise<void> {
    try {
      this.sets = await fillSetSelect(this.setSelect);
      this.traits.suggest(this.set?.traits ?? TRAITS);
      await this.go(0);
    } catch (e) {
      this.notice.error(e);
    }
  }

  private get set(): PhaseSet | undefined {
    return this.sets.find((s) => s.name === this.setSelect.value);
  }

  async go(offset: number): Promise<void> {
    const set = this.set;
    if (!set) return;
    this.offset = Math.max(0, offset);
    const seq = ++this.seq;
    this.notice.info('loading runs…');
    try {
      const page = await getJson<RunsPage>(
        `/v1/reports/runs${query([
          ['set', set.name],
          ['limit', RUNS_PER_PAGE],
          ['offset', this.offset],
          ['id', this.runId.value.trim()],
          ['from', this.from.input.value.trim()],
          ['to', this.to.input.value.trim()],
          ...traitParams(this.traits.values()),
        ])}`,
      );
      if (seq !== this.seq) return;
      this.page = page;
      this.notice.clear();
      if (!this.unitChosen) {
        const longest = Math.max(
          0,
          ...page.runs.map((r) => r.phases.reduce((s, p) => s + (p.duration_s ?? 0), 0)),
        );
        this.unit = longest > 0 && longest < 600 ? 's' : 'min';
        this.unitToggle.set([this.unit]);
      }
      const pages = Math.max(1, Math.ceil(page.total / RUNS_PER_PAGE));
      const first = this.offset + 1;
      this.pager.set(
        page.runs.length === 0
          ? 'no runs'
          : `runs ${fmtNumber(first)}–${fmtNumber(this.offset + page.runs.length)} of ${fmtNumber(page.total)} · page ${Math.floor(this.offset / RUNS_PER_PAGE) + 1} of ${pages}`,
        this.offset > 0,
        this.offset + page.runs.length < page.total,
      );
      this.draw();
      this.drawTable();
    } catch (e) {
      if (seq === this.seq) this.notice.error(e);
    }
  }

  private phaseNames(): string[] {
    return this.set?.phases.map((p) => p.name) ?? [];
  }

  private draw(): void {
    const page = this.page;
    if (!this.chart || !page) return;
    const names = this.phaseNames();
    const div = this.unit === 'min' ? 60 : 1;
    const unitName = this.unit === 'min' ? 'minutes' : 'seconds';
    const runs = page.runs;
    this.chartBox.style.height = `${Math.max(160, runs.length * 26 + 110)}px`;
    this.chart.resize();
    this.chart.setOption(
      {
        ...BASE_OPTION,
        title: {
          text: `${page.set}: time and motion`,
          left: 8,
          top: 4,
          textStyle: { fontSize: 14, fontWeight: 600 },
        },
        legend: { top: 28, left: 8, data: names, selectedMode: true },
        grid: { left: 110, right: 24, top: 64, bottom: 44 },
        xAxis: {
          type: 'value',
          name: `time / ${unitName}`,
          nameLocation: 'middle',
          nameGap: 28,
          axisLabel: { formatter: (v: number) => v.toLocaleString('en-GB', { maximumFractionDigits: 2 }) },
        },
        yAxis: {
          type: 'category',
          inverse: true,
          data: runs.map((r) => runLabel(r.id)),
          axisLabel: { interval: 0, fontFamily: 'ui-monospace, monospace' },
          axisTick: { show: false },
        },
        tooltip: {
          trigger: 'item',
          formatter: (p: { dataIndex: number; seriesName: string }) => {
            const run = runs[p.dataIndex];
            const ph = run?.phases.find((x) => x.phase === p.seriesName);
            if (!run || !ph) return '';
            return (
              `<b>${escapeHtml(p.seriesName)}</b> ${escapeHtml(fmtDuration(ph.duration_s))}` +
              (ph.percentile == null ? '' : ` (${escapeHtml(fmtPercentile(ph.percentile))} percentile)`) +
              `<br>run ${escapeHtml(run.id)}<br>${escapeHtml(fmtTime(ph.start))} → ${escapeHtml(fmtTime(ph.end))}` +
              `<br><small>${escapeHtml(fmtTraits(run.traits))}</small>`
            );
          },
        },
        series: names.map((name, i) => ({
          name,
          type: 'bar',
          stack: 'run',
          barMaxWidth: 18,
          cursor: 'pointer',
          itemStyle: { color: PALETTE[i % PALETTE.length] },
          data: runs.map((r) => {
            const d = r.phases.find((x) => x.phase === name)?.duration_s;
            return d === null || d === undefined ? '-' : d / div;
          }),
        })),
      },
      { notMerge: true },
    );
  }

  private drawTable(): void {
    const page = this.page;
    if (!page) return;
    const names = this.phaseNames();
    const t = table(`Runs on this page (${page.set})`, ['run', 'start', ...names, 'total', 'traits'], {
      class: 'runs numeric',
    });
    for (const r of page.runs) {
      const total =
        r.start !== null && r.end !== null ? (Date.parse(r.end) - Date.parse(r.start)) / 1000 : null;
      t.body.append(
        h(
          'tr',
          { attrs: { 'data-run-id': r.id } },
          h(
            'th',
            { attrs: { scope: 'row' } },
            button(runLabel(r.id), () => void this.openRun(r), {
              class: 'link mono',
              title: r.id,
              attrs: { 'aria-label': `events of run ${r.id}` },
            }),
          ),
          h('td', { class: 'nowrap' }, fmtTime(r.start)),
          ...names.map((n) => {
            const ph = r.phases.find((x) => x.phase === n);
            return h(
              'td',
              { title: ph?.percentile == null ? undefined : `${fmtPercentile(ph.percentile)} percentile` },
              fmtDuration(ph?.duration_s),
            );
          }),
          h('td', {}, fmtDuration(total)),
          h('td', { class: 'traits-cell' }, fmtTraits(r.traits)),
        ),
      );
    }
    if (page.runs.length === 0)
      t.body.append(
        h('tr', {}, h('td', { attrs: { colspan: names.length + 4 }, class: 'empty' }, 'no runs match')),
      );
    replace(this.runsTable, t.table);
  }

  private async openRun(run: Run): Promise<void> {
    const set = this.set;
    if (!set) return;
    const heading = h('h3', { attrs: { tabindex: -1 } }, `Events of run ${run.id}`);
    const notice = new Notice();
    const compare = button(
      'Compare with the distributions',
      () =>
        window.dispatchEvent(
          new CustomEvent('waymark:compare-run', { detail: { set: set.name, id: run.id } }),
        ),
      { attrs: { 'aria-label': `compare run ${run.id} with the phase distributions` } },
    );
    replace(
      this.runEventsBox,
      heading,
      compare,
      notice.element,
      this.runEvents.element,
      button('Close', () => (this.runEventsBox.hidden = true)),
    );
    this.runEventsBox.hidden = false;
    heading.focus();
    notice.info('loading…');
    try {
      const r = await getJson<{ events: EventJSON[] }>(
        `/v1/events${query([
          [`traits.${set.group_by}`, `eq:"${run.id}"`],
          ['limit', 1000],
        ])}`,
      );
      notice.clear();
      this.runEvents.caption = `${r.events.length} events with ${set.group_by} = ${run.id}`;
      this.runEvents.show(r.events);
    } catch (e) {
      notice.error(e);
    }
  }
}
