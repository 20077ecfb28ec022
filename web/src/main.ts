/**
 * The waymark dashboard: five views of one `waymark serve`, all data from its
 * `/v1` API on the same origin. The location hash names the view (`#streams`).
 */
import { h } from './dom.js';
import { EventsTab } from './tabs/events-tab.js';
import { OverviewTab } from './tabs/overview-tab.js';
import { PhaseStatsTab } from './tabs/phase-stats-tab.js';
import { StreamsTab } from './tabs/streams-tab.js';
import { TimeMotionTab } from './tabs/time-motion-tab.js';
import type { Tab } from './tab.js';

const phaseStats = new PhaseStatsTab();
const tabs: Tab[] = [new OverviewTab(), new TimeMotionTab(), phaseStats, new StreamsTab(), new EventsTab()];

const tablist = document.getElementById('tabs') as HTMLElement;
const main = document.getElementById('panel') as HTMLElement;

const buttons = new Map<string, HTMLButtonElement>();
const panels = new Map<string, HTMLElement>();
let current: Tab | undefined;

for (const tab of tabs) {
  const b = h(
    'button',
    {
      type: 'button',
      id: `tab-${tab.id}`,
      attrs: { role: 'tab', 'aria-selected': 'false', 'aria-controls': `view-${tab.id}`, tabindex: -1 },
    },
    tab.title,
  );
  b.addEventListener('click', () => select(tab.id, true));
  b.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const to =
      e.key === 'ArrowRight'
        ? tabs[(i + 1) % tabs.length]
        : e.key === 'ArrowLeft'
          ? tabs[(i - 1 + tabs.length) % tabs.length]
          : e.key === 'Home'
            ? tabs[0]
            : e.key === 'End'
              ? tabs[tabs.length - 1]
              : undefined;
    if (to) {
      e.preventDefault();
      buttons.get(to.id)?.focus();
    }
  });
  buttons.set(tab.id, b);
  tablist.append(b);
}

function select(id: string, fromUser: boolean): void {
  const tab = tabs.find((t) => t.id === id) ?? tabs[0];
  if (!tab) return;
  if (current === tab) return;
  current?.deactivate?.();
  for (const [tid, b] of buttons) {
    const on = tid === tab.id;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
  }
  for (const p of panels.values()) p.hidden = true;
  let panel = panels.get(tab.id);
  if (!panel) {
    panel = h('section', {
      id: `view-${tab.id}`,
      class: 'view',
      attrs: { role: 'tabpanel', 'aria-labelledby': `tab-${tab.id}`, tabindex: -1 },
    });
    panels.set(tab.id, panel);
    main.append(panel);
    tab.mount(panel);
  }
  panel.hidden = false;
  current = tab;
  tab.activate?.();
  document.title = `waymark · ${tab.title}`;
  if (fromUser && location.hash !== `#${tab.id}`) history.replaceState(null, '', `#${tab.id}`);
}

// Time and motion -> Phase statistics: a run's phases against the distributions.
window.addEventListener('waymark:compare-run', (e) => {
  const { set, id } = (e as CustomEvent<{ set: string; id: string }>).detail;
  select(phaseStats.id, true);
  phaseStats.compare(set, id);
});
window.addEventListener('hashchange', () => {
  // Other anchors (the skip link's #panel) are not views.
  const id = location.hash.slice(1);
  if (tabs.some((t) => t.id === id)) select(id, false);
});
select(location.hash.slice(1), false);
