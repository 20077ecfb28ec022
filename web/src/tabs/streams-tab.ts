/**
 * Streams: the list, filtered by state, trigger and distinguishing trait;
 * a stream's fields and events (each with explain); reset and delete, each
 * behind a confirmation.
 */
import { getJson, query, type Health, type StreamJSON } from '../api.js';
import { button, field, h, replace, table } from '../dom.js';
import { EventList } from '../event-list.js';
import { fmtNumber, fmtTime, fmtTraits, fmtValue } from '../format.js';
import type { Tab } from '../tab.js';
import { confirmDialog, Notice, Pager, toggleGroup } from '../widgets.js';

const STATES = ['active', 'ready', 'firing', 'expiring', 'completed', 'error', 'expire_error'];
const PAGE = 50;

export class StreamsTab implements Tab {
  readonly id = 'streams';
  readonly title = 'Streams';
  private readonly notice = new Notice();
  private readonly detailNotice = new Notice();
  private states = toggleGroup(
    'State',
    STATES.map((s) => ({ value: s, label: s })),
    [],
    false,
    () => void this.load(true),
  );
  private readonly trigger = h('select', {}, h('option', { attrs: { value: '' } }, 'any trigger'));
  private readonly traitName = h('input', {
    type: 'text',
    attrs: { placeholder: 'instance_id', size: 14, spellcheck: 'false' },
  });
  private readonly traitValue = h('input', {
    type: 'text',
    attrs: { placeholder: 'value', size: 24, spellcheck: 'false' },
  });
  private readonly body: HTMLTableSectionElement;
  private readonly list: HTMLTableElement;
  private readonly count = h('span', { class: 'count' });
  private readonly pager = new Pager(
    'streams',
    () => void this.page(-1),
    () => void this.page(1),
  );
  private readonly detail = h('section', {
    class: 'stream-detail',
    hidden: true,
    attrs: { 'aria-label': 'stream' },
  });
  private readonly events = new EventList('Events of the stream');
  /** Markers of the pages seen: markers[i] fetches page i. */
  private markers: (string | null)[] = [null];
  private pageIndex = 0;
  private next: string | null = null;

  constructor() {
    const t = table(
      'Streams',
      ['id', 'trigger', 'state', 'distinguished by', 'first', 'last', 'events', 'outcome'],
      { class: 'streams' },
    );
    this.body = t.body;
    this.list = t.table;
  }

  mount(panel: HTMLElement): void {
    const form = h(
      'form',
      {
        class: 'filters',
        attrs: { 'aria-label': 'stream filters' },
        on: {
          submit: (e) => {
            e.preventDefault();
            void this.load(true);
          },
        },
      },
      this.states.element,
      h(
        'div',
        { class: 'row' },
        field('Trigger', this.trigger),
        field('Distinguishing trait', this.traitName),
        field('equals', this.traitValue),
        h('button', { type: 'submit' }, 'Apply'),
      ),
    );
    this.trigger.addEventListener('change', () => void this.load(true));
    replace(
      panel,
      h('h2', {}, 'Streams ', this.count),
      form,
      this.notice.element,
      h('div', { class: 'scroll' }, this.list),
      this.pager.element,
      this.detail,
    );
    void this.triggers();
    void this.load(true);
  }

  activate(): void {
    if (this.markers.length > 0) void this.load(false);
  }

  private async triggers(): Promise<void> {
    try {
      const hv = await getJson<Health>('/v1/health');
      for (const t of hv.triggers ?? []) this.trigger.append(h('option', { attrs: { value: t } }, t));
    } catch {
      // the list works without the names
    }
  }

  private filters(): [string, string][] {
    const out: [string, string][] = [];
    const states = this.states.values();
    if (states.length > 0) out.push(['state', states.join(',')]);
    if (this.trigger.value !== '') out.push(['trigger', this.trigger.value]);
    if (this.traitName.value.trim() !== '')
      out.push([`traits.${this.traitName.value.trim()}`, this.traitValue.value]);
    return out;
  }

  private async page(delta: number): Promise<void> {
    if (delta > 0 && this.next !== null) {
      this.markers[this.pageIndex + 1] = this.next;
      this.pageIndex++;
    } else if (delta < 0 && this.pageIndex > 0) {
      this.pageIndex--;
    }
    await this.load(false);
  }

  /** `fresh`: back to the first page (the filters changed). */
  async load(fresh: boolean): Promise<void> {
    if (fresh) {
      this.markers = [null];
      this.pageIndex = 0;
    }
    const f = this.filters();
    const marker = this.markers[this.pageIndex] ?? undefined;
    this.notice.info('loading…');
    try {
      const [list, count] = await Promise.all([
        getJson<{ streams: StreamJSON[]; next: string | null }>(
          `/v1/streams${query([...f, ['limit', PAGE], ['marker', marker ?? undefined]])}`,
        ),
        getJson<{ count: number }>(`/v1/streams${query([...f, ['count', 'true']])}`),
      ]);
      this.notice.clear();
      this.next = list.next;
      this.count.textContent = `(${fmtNumber(count.count)})`;
      const first = this.pageIndex * PAGE + 1;
      this.pager.set(
        list.streams.length === 0
          ? 'no streams'
          : `${fmtNumber(first)}–${fmtNumber(first + list.streams.length - 1)} of ${fmtNumber(count.count)}`,
        this.pageIndex > 0,
        list.next !== null,
      );
      replace(this.body);
      for (const s of list.streams) {
        this.body.append(
          h(
            'tr',
            { attrs: { 'data-stream-id': s.id } },
            h(
              'td',
              {},
              button(String(s.id), () => void this.open(s.id), {
                class: 'link',
                attrs: { 'aria-label': `open stream ${s.id}` },
              }),
            ),
            h('td', {}, s.trigger),
            h('td', {}, h('span', { class: `state state-${s.state}` }, s.state)),
            h('td', { class: 'traits-cell' }, fmtTraits(s.distinguished_by)),
            h('td', { class: 'nowrap' }, fmtTime(s.first)),
            h('td', { class: 'nowrap' }, fmtTime(s.last)),
            h('td', { class: 'num' }, fmtNumber(s.event_count)),
            h('td', {}, s.outcome ?? ''),
          ),
        );
      }
      if (list.streams.length === 0)
        this.body.append(h('tr', {}, h('td', { attrs: { colspan: 8 }, class: 'empty' }, 'no streams match')));
    } catch (e) {
      this.notice.error(e);
    }
  }

  async open(id: number): Promise<void> {
    this.detailNotice.info(`loading stream ${id}…`);
    this.detail.hidden = false;
    try {
      const s = await getJson<StreamJSON>(`/v1/streams/${id}`);
      this.detailNotice.clear();
      const heading = h('h3', { attrs: { tabindex: -1 } }, `Stream ${s.id} · ${s.trigger} · ${s.state}`);
      const fields: [string, unknown][] = [
        ['state', s.state],
        ['distinguished by', fmtTraits(s.distinguished_by)],
        ['first', s.first],
        ['last', s.last],
        ['fire at', s.fire_at],
        ['expire at', s.expire_at],
        ['events', s.event_count],
        ['outcome', s.outcome],
        ['attempts', s.attempts],
        ['last error', s.last_error],
        ['retry at', s.retry_at],
      ];
      this.events.caption = `Events of stream ${s.id}`;
      this.events.show(s.events ?? []);
      replace(
        this.detail,
        heading,
        h('dl', { class: 'kv' }, ...fields.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, fmtValue(v))])),
        h(
          'div',
          { class: 'actions' },
          button('Reset to active…', () => void this.reset(s), {
            attrs: { 'aria-label': `reset stream ${s.id} to active` },
          }),
          button('Delete…', () => void this.remove(s), {
            class: 'danger',
            attrs: { 'aria-label': `delete stream ${s.id}` },
          }),
          button('Close', () => (this.detail.hidden = true)),
        ),
        this.detailNotice.element,
        this.events.element,
      );
      heading.focus();
    } catch (e) {
      replace(this.detail, this.detailNotice.element);
      this.detailNotice.error(e);
    }
  }

  private async reset(s: StreamJSON): Promise<void> {
    const ok = await confirmDialog(
      `Reset stream ${s.id}?`,
      `Stream ${s.id} (${s.trigger}, now ${s.state}) goes back to active: its fire and retry state is cleared and its criteria are evaluated again, so its pipeline may run again.`,
      'Reset',
    );
    if (!ok) return;
    try {
      await getJson(`/v1/streams/${s.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ state: 'active' }),
      });
      await this.open(s.id);
      this.detailNotice.info(`stream ${s.id} reset`);
      await this.load(false);
    } catch (e) {
      this.detailNotice.error(e);
    }
  }

  private async remove(s: StreamJSON): Promise<void> {
    const ok = await confirmDialog(
      `Delete stream ${s.id}?`,
      `Stream ${s.id} (${s.trigger}, ${s.state}, ${s.event_count} events) is deleted. Its events stay stored. This cannot be undone.`,
      'Delete',
    );
    if (!ok) return;
    try {
      await getJson(`/v1/streams/${s.id}`, { method: 'DELETE' });
      replace(this.detail, h('p', { class: 'notice', attrs: { role: 'status' } }, `stream ${s.id} deleted`));
      await this.load(false);
    } catch (e) {
      this.detailNotice.error(e);
    }
  }
}
