/** Events: search stored events by type (globs), time window and traits. */
import { getJson, query, traitParams, type EventJSON } from '../api.js';
import { field, h, replace } from '../dom.js';
import { EventList } from '../event-list.js';
import { fmtNumber } from '../format.js';
import type { Tab } from '../tab.js';
import { Notice, Pager, timeInput, TraitFilterEditor } from '../widgets.js';

const PAGE = 50;
const TRAITS = [
  'instance_id',
  'request_id',
  'tenant_id',
  'host',
  'service',
  'state',
  'testrun_id',
  'device_group',
  'queue',
  'configuration',
  'error',
];

export class EventsTab implements Tab {
  readonly id = 'events';
  readonly title = 'Events';
  private readonly notice = new Notice();
  private readonly type = h('input', {
    type: 'text',
    attrs: { placeholder: 'compute.instance.create.*', size: 30, spellcheck: 'false', list: 'event-types' },
  });
  private readonly from = timeInput('From');
  private readonly to = timeInput('To');
  private readonly traits = new TraitFilterEditor('Traits', TRAITS);
  private readonly list = new EventList('Events');
  private readonly count = h('span', { class: 'count' });
  private readonly pager = new Pager(
    'events',
    () => void this.page(-1),
    () => void this.page(1),
  );
  private markers: (string | null)[] = [null];
  private pageIndex = 0;
  private next: string | null = null;

  mount(panel: HTMLElement): void {
    const form = h(
      'form',
      {
        class: 'filters',
        attrs: { 'aria-label': 'event search' },
        on: {
          submit: (e) => {
            e.preventDefault();
            void this.search(true);
          },
        },
      },
      h(
        'div',
        { class: 'row' },
        field('Event type', this.type, 'globs: * and ?; several: a,b'),
        this.from.element,
        this.to.element,
      ),
      this.traits.element,
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Search')),
      h(
        'datalist',
        { id: 'event-types' },
        ...[
          'compute.instance.*',
          'compute.instance.create.*',
          'testrun.*',
          'testrun.request',
          'testrun.publish',
        ].map((v) => h('option', { attrs: { value: v } })),
      ),
    );
    replace(
      panel,
      h('h2', {}, 'Events ', this.count),
      form,
      this.notice.element,
      this.list.element,
      this.pager.element,
    );
    void this.search(true);
  }

  private params(): [string, string][] {
    return [
      ['type', this.type.value.trim()],
      ['from', this.from.input.value.trim()],
      ['to', this.to.input.value.trim()],
      ...traitParams(this.traits.values()),
    ];
  }

  private async page(delta: number): Promise<void> {
    if (delta > 0 && this.next !== null) {
      this.markers[this.pageIndex + 1] = this.next;
      this.pageIndex++;
    } else if (delta < 0 && this.pageIndex > 0) this.pageIndex--;
    await this.search(false);
  }

  async search(fresh: boolean): Promise<void> {
    if (fresh) {
      this.markers = [null];
      this.pageIndex = 0;
    }
    const p = this.params();
    this.notice.info('searching…');
    try {
      const [page, count] = await Promise.all([
        getJson<{ events: EventJSON[]; next: string | null }>(
          `/v1/events${query([...p, ['limit', PAGE], ['marker', this.markers[this.pageIndex] ?? undefined]])}`,
        ),
        fresh || this.count.textContent === ''
          ? getJson<{ count: number }>(`/v1/events${query([...p, ['count', 'true']])}`)
          : Promise.resolve(undefined),
      ]);
      this.notice.clear();
      if (count) this.count.textContent = `(${fmtNumber(count.count)} found)`;
      this.next = page.next;
      this.list.caption = 'Events found';
      this.list.show(page.events);
      const first = this.pageIndex * PAGE + 1;
      this.pager.set(
        page.events.length === 0
          ? 'none'
          : `${fmtNumber(first)}–${fmtNumber(first + page.events.length - 1)}`,
        this.pageIndex > 0,
        page.next !== null,
      );
    } catch (e) {
      this.notice.error(e);
    }
  }
}
