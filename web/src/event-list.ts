/** A table of events with, per event, its full JSON and `explain` (which triggers took it, and why not). */
import { getJson, type EventJSON, type ExplainEntry } from './api.js';
import { button, h, replace, table } from './dom.js';
import { clip, fmtTime, fmtTraits, fmtValue } from './format.js';
import { Notice } from './widgets.js';

export class EventList {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly detail = h('section', {
    class: 'event-detail',
    hidden: true,
    attrs: { 'aria-live': 'polite' },
  });

  constructor(caption: string) {
    const t = table(caption, ['time (emit)', 'received', 'event type', 'traits', ''], { class: 'events' });
    this.body = t.body;
    this.element = h('div', { class: 'event-list' }, h('div', { class: 'scroll' }, t.table), this.detail);
  }

  set caption(text: string) {
    const c = this.element.querySelector('caption');
    if (c) c.textContent = text;
  }

  show(events: readonly EventJSON[]): void {
    replace(this.body);
    this.detail.hidden = true;
    if (events.length === 0) {
      this.body.append(h('tr', {}, h('td', { attrs: { colspan: 5 }, class: 'empty' }, 'no events')));
      return;
    }
    for (const e of events) {
      const traits = fmtTraits(e.traits);
      const row = h(
        'tr',
        { attrs: { 'data-message-id': e.message_id } },
        h('td', { class: 'nowrap' }, fmtTime(e.timestamp)),
        h('td', { class: 'nowrap' }, fmtTime(e.received)),
        h('td', {}, e.event_type),
        h('td', { class: 'traits-cell', title: traits }, clip(traits, 180)),
        h(
          'td',
          { class: 'nowrap' },
          button('Details', () => this.openEvent(e, false), {
            class: 'small',
            attrs: { 'aria-label': `details of event ${e.message_id}` },
          }),
          ' ',
          button('Explain', () => this.openEvent(e, true), {
            class: 'small',
            attrs: { 'aria-label': `explain event ${e.message_id}` },
          }),
        ),
      );
      this.body.append(row);
    }
  }

  private openEvent(e: EventJSON, explain: boolean): void {
    const notice = new Notice();
    const explainBox = h('div', { class: 'explain' });
    const heading = h('h3', { attrs: { tabindex: -1 } }, `Event ${e.message_id}`);
    replace(
      this.detail,
      heading,
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, 'type'),
        h('dd', {}, e.event_type),
        h('dt', {}, 'emitted'),
        h('dd', {}, e.timestamp),
        h('dt', {}, 'received'),
        h('dd', {}, e.received),
        ...Object.entries(e.traits).flatMap(([k, v]) => [
          h('dt', {}, k),
          h('dd', { class: 'trait-value' }, fmtValue(v)),
        ]),
      ),
      button('Explain', () => void this.explain(e.message_id, explainBox, notice), {
        attrs: { 'aria-label': `explain event ${e.message_id}` },
      }),
      button('Close', () => (this.detail.hidden = true)),
      notice.element,
      explainBox,
    );
    this.detail.hidden = false;
    heading.focus();
    if (explain) void this.explain(e.message_id, explainBox, notice);
  }

  private async explain(id: string, box: HTMLElement, notice: Notice): Promise<void> {
    notice.info('explaining…');
    try {
      const r = await getJson<{ triggers: ExplainEntry[] }>(`/v1/events/${encodeURIComponent(id)}/explain`);
      notice.clear();
      const t = table(
        `Why triggers took event ${id} or not`,
        ['trigger', 'matched', 'criterion', 'reason', 'distinguished by', 'streams'],
        {
          class: 'explain-table',
        },
      );
      for (const x of r.triggers) {
        t.body.append(
          h(
            'tr',
            { class: x.matched ? 'matched' : 'unmatched' },
            h('td', {}, x.trigger),
            h('td', {}, x.matched ? 'yes' : 'no'),
            h('td', {}, x.criterion === null ? '–' : String(x.criterion)),
            h('td', {}, x.reason ?? ''),
            h('td', {}, fmtTraits(x.distinguished_by)),
            h('td', {}, x.streams.length === 0 ? '–' : x.streams.join(', ')),
          ),
        );
      }
      if (r.triggers.length === 0)
        t.body.append(h('tr', {}, h('td', { attrs: { colspan: 6 } }, 'no triggers configured')));
      replace(box, t.table);
    } catch (e) {
      notice.error(e);
    }
  }
}
