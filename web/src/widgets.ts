/** Pieces several tabs share: trait filter rows, a confirmation dialog, a pager, messages. */
import type { TraitFilter } from './api.js';
import { button, field, h, replace, uid, type Child } from './dom.js';

const OPS: readonly TraitFilter['op'][] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
const OP_LABELS: Record<TraitFilter['op'], string> = {
  eq: '=',
  ne: '≠',
  lt: '<',
  le: '≤',
  gt: '>',
  ge: '≥',
};

/** Rows of `trait op value`, added and removed with buttons. */
export class TraitFilterEditor {
  readonly element: HTMLFieldSetElement;
  private readonly rows: HTMLDivElement;
  private readonly listId = uid('trait-names');
  private readonly datalist: HTMLDataListElement;

  constructor(
    legend: string,
    suggestions: readonly string[] = [],
    private readonly withOps = true,
  ) {
    this.rows = h('div', { class: 'filter-rows' });
    const datalist = h('datalist', { id: this.listId });
    this.datalist = datalist;
    this.suggest(suggestions);
    this.element = h(
      'fieldset',
      { class: 'traits' },
      h('legend', {}, legend),
      this.rows,
      datalist,
      button('+ trait filter', () => this.add(), {
        class: 'small',
        attrs: { 'aria-label': `add a ${legend} row` },
      }),
    );
  }

  add(init: Partial<TraitFilter> = {}): void {
    const name = h('input', {
      type: 'text',
      attrs: {
        list: this.listId,
        'aria-label': 'trait name',
        placeholder: 'trait',
        value: init.name ?? '',
        spellcheck: 'false',
      },
    });
    const op = h(
      'select',
      { attrs: { 'aria-label': 'comparison' }, hidden: !this.withOps },
      ...OPS.map((o) =>
        h('option', { attrs: { value: o, selected: o === (init.op ?? 'eq') } }, OP_LABELS[o]),
      ),
    );
    const value = h('input', {
      type: 'text',
      attrs: {
        'aria-label': 'trait value',
        placeholder: 'value',
        value: init.value ?? '',
        spellcheck: 'false',
      },
    });
    const row = h('div', { class: 'filter-row' }, name, op, value);
    row.append(
      button('×', () => row.remove(), {
        class: 'small',
        attrs: { 'aria-label': 'remove this trait filter' },
      }),
    );
    this.rows.append(row);
    name.focus();
  }

  values(): TraitFilter[] {
    const out: TraitFilter[] = [];
    for (const row of this.rows.querySelectorAll('.filter-row')) {
      const [name, value] = row.querySelectorAll('input');
      const op = row.querySelector('select');
      if (!name || !value || !op || name.value.trim() === '') continue;
      out.push({ name: name.value.trim(), op: op.value as TraitFilter['op'], value: value.value });
    }
    return out;
  }

  /** The trait names offered while typing. */
  suggest(names: readonly string[]): void {
    replace(this.datalist, ...names.map((s) => h('option', { attrs: { value: s } })));
  }
}

/**
 * Ask before doing something that cannot be undone: a modal `<dialog>` (focus
 * stays inside, Escape cancels). Resolves true when confirmed.
 */
export function confirmDialog(title: string, message: Child, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const dialog = h('dialog', { class: 'confirm', attrs: { 'aria-labelledby': titleId } });
    const close = (ok: boolean): void => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    const cancel = button('Cancel', () => close(false));
    const ok = button(confirmLabel, () => close(true), { class: 'danger' });
    replace(
      dialog,
      h('h2', { id: titleId }, title),
      h('p', {}, message),
      h('div', { class: 'actions' }, cancel, ok),
    );
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A line that says what is going on (loading, errors), read by screen readers. */
export class Notice {
  readonly element = h('p', { class: 'notice', attrs: { role: 'status', 'aria-live': 'polite' } });
  info(text: string): void {
    this.element.className = 'notice';
    this.element.textContent = text;
  }
  error(e: unknown): void {
    this.element.className = 'notice error';
    this.element.textContent = e instanceof Error ? e.message : String(e);
  }
  clear(): void {
    this.info('');
  }
}

/** Previous / next buttons and a label. */
export class Pager {
  readonly element: HTMLElement;
  readonly prev: HTMLButtonElement;
  readonly next: HTMLButtonElement;
  private readonly label = h('span', { class: 'pager-label', attrs: { 'aria-live': 'polite' } });

  constructor(name: string, onPrev: () => void, onNext: () => void) {
    this.prev = button('‹ Previous', onPrev, { attrs: { 'aria-label': `previous page of ${name}` } });
    this.next = button('Next ›', onNext, { attrs: { 'aria-label': `next page of ${name}` } });
    this.element = h(
      'nav',
      { class: 'pager', attrs: { 'aria-label': `${name} pages` } },
      this.prev,
      this.label,
      this.next,
    );
  }

  set(text: string, hasPrev: boolean, hasNext: boolean): void {
    this.label.textContent = text;
    this.prev.disabled = !hasPrev;
    this.next.disabled = !hasNext;
  }
}

/** A group of toggle buttons (`aria-pressed`); `single` makes it a choice of one. */
export function toggleGroup(
  label: string,
  options: readonly { value: string; label: string }[],
  selected: readonly string[],
  single: boolean,
  onChange: (values: string[]) => void,
): { element: HTMLElement; values: () => string[]; set: (values: readonly string[]) => void } {
  const buttons = options.map((o) => {
    const b = button(
      o.label,
      () => {
        if (single) for (const x of buttons) x.setAttribute('aria-pressed', String(x === b));
        else b.setAttribute('aria-pressed', String(b.getAttribute('aria-pressed') !== 'true'));
        onChange(values());
      },
      {
        class: 'toggle',
        attrs: { 'aria-pressed': String(selected.includes(o.value)), 'data-value': o.value },
      },
    );
    return b;
  });
  const values = (): string[] =>
    buttons.filter((b) => b.getAttribute('aria-pressed') === 'true').map((b) => b.dataset['value'] ?? '');
  const set = (vs: readonly string[]): void => {
    for (const b of buttons) b.setAttribute('aria-pressed', String(vs.includes(b.dataset['value'] ?? '')));
  };
  const element = h(
    'div',
    { class: 'toggles', attrs: { role: 'group', 'aria-label': label } },
    h('span', { class: 'label' }, label),
    ...buttons,
  );
  return { element, values, set };
}

/** A datetime-ish text input (the API takes ISO, OpenStack form, a date or epoch seconds). */
export function timeInput(label: string): { element: HTMLLabelElement; input: HTMLInputElement } {
  const input = h('input', {
    type: 'text',
    attrs: { placeholder: 'e.g. 2026-01-01 09:00', spellcheck: 'false', size: 22 },
  });
  return { element: field(label, input), input };
}
