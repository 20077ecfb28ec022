/**
 * Building the DOM without HTML strings: every value lands in a text node or an
 * attribute, so nothing from an event (a trait holding `<script>`) is parsed as markup.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  title?: string;
  type?: string;
  hidden?: boolean;
  disabled?: boolean;
  /** Other attributes (`aria-*`, `data-*`, `role`, `for`, …); `false`/`undefined` leaves them out. */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class !== undefined) el.className = props.class;
  if (props.id !== undefined) el.id = props.id;
  if (props.title !== undefined) el.title = props.title;
  if (props.type !== undefined) el.setAttribute('type', props.type);
  if (props.hidden === true) el.hidden = true;
  if (props.disabled === true) el.setAttribute('disabled', '');
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [name, fn] of Object.entries(props.on ?? {})) {
    el.addEventListener(name, fn as EventListener);
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    );
  }
}

/** Replace every child of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** A real button: Enter and Space work, it is in the tab order. */
export function button(label: Child, onClick: () => void, props: Props = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...props }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** A labelled form control: `<label>text <control></label>`. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'label' }, label),
    control,
    hint ? h('small', {}, hint) : null,
  );
}

let seq = 0;
/** A fresh element id. */
export function uid(prefix: string): string {
  return `${prefix}-${++seq}`;
}

/** For ECharts tooltips, which take HTML: escape everything that came from data. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A table with a header row; rows are added by the caller to `body`. */
export function table(
  caption: string,
  headers: readonly string[],
  props: Props = {},
): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const t = h(
    'table',
    props,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { attrs: { scope: 'col' } }, x)))),
    body,
  );
  return { table: t, body };
}
