import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { call } from '../integration/serve-process.js';
import {
  api,
  browserSkipReason,
  launchBrowser,
  openPage,
  screenshot,
  servedDashboard,
  until,
} from './browser-harness.js';

interface RunJSON {
  id: string;
  phases: { phase: string; duration_s: number | null; percentile: number | null }[];
}
interface RunsPage {
  total: number;
  runs: RunJSON[];
}
interface PhaseSetJSON {
  name: string;
  group_by: string;
  phases: { name: string }[];
}

/** testruns.md: the six phases of a test run, in order. */
const TESTRUN_PHASES = ['initialisation', 'queue', 'flash', 'boot', 'test', 'publish'];

/** How the chart labels a run: its id, cut to 12 characters and an ellipsis when longer than 13. */
const label = (id: string): string => (id.length > 13 ? `${id.slice(0, 12)}…` : id);

const skip = browserSkipReason('analysis views browser tests');

describe('the dashboard in Chromium: time and motion, phase statistics', { skip }, () => {
  let browser: Browser;
  let page: Page;
  let base: string;
  let errors: string[];
  let foreign: string[];
  let stop: () => Promise<void>;

  before(async () => {
    const served = await servedDashboard('web-analysis');
    base = served.server.url;
    stop = served.stop;
    browser = await launchBrowser();
    ({ page, errors, foreign } = await openPage(browser, base));
  });
  after(async () => {
    await browser?.close();
    await stop?.();
  });

  const load = async (view: string): Promise<void> => {
    await page.goto(`${base}/?load=${Date.now()}#${view}`);
  };

  const chart = (): Locator => page.locator('[data-chart="time-and-motion"] svg');

  /** What the chart shows, read in one go (it may redraw meanwhile): its texts, and its filled shapes by colour. */
  async function drawn(): Promise<{ texts: string[]; fills: Map<string, number> }> {
    const svg = await chart().innerHTML();
    const decode = (t: string): string =>
      t
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, '&');
    const texts = [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1] as string));
    const fills = new Map<string, number>();
    for (const m of svg.matchAll(/<path\b[^>]*>/g)) {
      const fill = /\sfill="([^"]*)"/.exec(m[0])?.[1] ?? 'none';
      if (fill === 'none' || fill === 'transparent' || fill === 'rgb(0,0,0)') continue;
      fills.set(fill, (fills.get(fill) ?? 0) + 1);
    }
    return { texts, fills };
  }

  /** The chart shows exactly `page`'s runs, one bar each, one segment per phase measured, and the legend. */
  async function assertChartShows(runs: RunsPage, phases: readonly string[]): Promise<void> {
    const expected = runs.runs.map((r) => label(r.id));
    await until(
      async () => {
        const { texts } = await drawn();
        return (
          expected.every((l) => texts.includes(l)) &&
          texts.filter((t) => t.endsWith('…')).length === expected.length
        );
      },
      10_000,
      `the chart's run labels ${expected.join(', ')}`,
    );
    const { texts, fills } = await drawn();
    const runLabels = texts.filter((t) => t.endsWith('…') || expected.includes(t));
    assert.deepEqual(runLabels, expected, 'one bar per run, in order');
    assert.deepEqual(
      texts.filter((t) => phases.includes(t)),
      [...phases],
      'the legend names every phase, in order',
    );
    assert.equal(fills.size, phases.length, 'one colour per phase');
    const segments = runs.runs.reduce((n, r) => n + r.phases.filter((p) => p.duration_s !== null).length, 0);
    const shapes = [...fills.values()].reduce((a, b) => a + b, 0);
    assert.equal(shapes, segments + phases.length, 'a segment per measured phase, plus the legend icons');
  }

  test('time and motion: 20 runs a page with six phases in the legend; paging to the last page', async () => {
    const sets = await api<{ phase_sets: PhaseSetJSON[] }>(base, '/v1/phases');
    assert.deepEqual(
      sets.phase_sets.find((s) => s.name === 'testrun')?.phases.map((p) => p.name),
      TESTRUN_PHASES,
    );
    const first = await api<RunsPage>(base, '/v1/reports/runs?set=testrun&limit=20&offset=0');
    assert.ok(first.total > 40, `enough runs for three pages (${first.total})`);
    assert.notEqual(first.total % 20, 0, 'the last page is not full');

    await load('time-motion');
    assert.equal(first.runs.length, 20);
    await assertChartShows(first, TESTRUN_PHASES);
    const pager = page.locator('#view-time-motion .pager-label');
    const pages = Math.ceil(first.total / 20);
    assert.equal(await pager.textContent(), `runs 1–20 of ${first.total} · page 1 of ${pages}`);
    await screenshot(page, 'time-and-motion');

    for (let offset = 20; offset < first.total; offset += 20) {
      await page.getByRole('button', { name: 'next page of runs' }).click();
      const expected = await api<RunsPage>(base, `/v1/reports/runs?set=testrun&limit=20&offset=${offset}`);
      await assertChartShows(expected, TESTRUN_PHASES);
      assert.equal(expected.runs.length, Math.min(20, first.total - offset));
    }
    assert.ok((await pager.textContent())?.startsWith(`runs ${(pages - 1) * 20 + 1}–${first.total} of`));
    assert.equal(await page.getByRole('button', { name: 'next page of runs' }).isDisabled(), true);
    await screenshot(page, 'time-and-motion-last-page');
    await page.getByRole('button', { name: 'previous page of runs' }).click();
    await assertChartShows(
      await api<RunsPage>(base, `/v1/reports/runs?set=testrun&limit=20&offset=${(pages - 2) * 20}`),
      TESTRUN_PHASES,
    );

    await page.getByRole('button', { name: 'seconds', exact: true }).click();
    await until(async () => (await drawn()).texts.includes('time / seconds'), 5000, 'the axis in seconds');
  });

  test('time and motion: runs chosen by a trait filter and by id; a bar opens the run’s events', async () => {
    await load('time-motion');
    const view = page.locator('#view-time-motion');
    await view.getByRole('button', { name: 'add a Run traits row' }).click();
    await view.getByLabel('trait name').fill('device_group');
    await view.getByLabel('trait value').fill('pixel-8');
    await view.getByRole('button', { name: 'Show runs' }).click();
    const filtered = await api<RunsPage>(
      base,
      '/v1/reports/runs?set=testrun&limit=20&offset=0&traits.device_group=eq:pixel-8',
    );
    assert.ok(filtered.total > 0 && filtered.total < 40);
    await assertChartShows(filtered, TESTRUN_PHASES);
    assert.ok((await view.locator('.pager-label').textContent())?.includes(`of ${filtered.total}`));

    const run = filtered.runs[1] as RunJSON;
    await view.getByRole('button', { name: 'remove this trait filter' }).click();
    await view.getByLabel('Run id').fill(run.id);
    await view.getByRole('button', { name: 'Show runs' }).click();
    await assertChartShows({ total: 1, runs: [run] }, TESTRUN_PHASES);

    // Click the bar's widest segment (the colour with most shapes is a phase of this run).
    const { fills } = await drawn();
    const [fill] = [...fills.entries()].find(([, n]) => n === 2) ?? [];
    assert.ok(fill, 'a phase colour with one segment and one legend icon');
    const segment = chart().locator(`path[fill="${fill}"]`).first();
    await segment.click({ force: true });
    await page.getByRole('heading', { name: `Events of run ${run.id}` }).waitFor();
    const events = await api<{ count: number }>(
      base,
      `/v1/events?traits.testrun_id=${encodeURIComponent(`eq:"${run.id}"`)}&count=true`,
    );
    const rows = view.locator('.run-events table.events tbody tr');
    await until(async () => (await rows.count()) === events.count, 5000, `${events.count} event rows`);
    const traits = await rows.locator('td.traits-cell').allTextContents();
    assert.ok(traits.every((t) => t.includes(`testrun_id=${run.id}`)));
    await screenshot(page, 'time-and-motion-run-events');

    // From the run to its place in the distributions.
    await view.getByRole('button', { name: `compare run ${run.id} with the phase distributions` }).click();
    assert.equal(
      await page.getByRole('tab', { name: 'Phase statistics' }).getAttribute('aria-selected'),
      'true',
    );
    const stats = page.locator('#view-phases');
    await stats.getByText(/^done:/).waitFor();
    // Percentiles among all runs of the set (the filter by device group is not on this view).
    const among = await api<RunsPage>(base, `/v1/reports/runs?set=testrun&id=${encodeURIComponent(run.id)}`);
    assert.equal(among.runs.length, 1);
    for (const p of (among.runs[0] as RunJSON).phases) {
      if (p.percentile === null) continue;
      const pct = await stats.locator(`tr[data-phase="${p.phase}"] .run-pct`).first().textContent();
      assert.ok(pct?.startsWith(String(Math.round(p.percentile))), `${p.phase}: ${pct} vs ${p.percentile}`);
    }
  });

  test('time and motion: the OpenStack phase set', async () => {
    const sets = await api<{ phase_sets: PhaseSetJSON[] }>(base, '/v1/phases');
    const os = sets.phase_sets.find((s) => s.group_by === 'request_id');
    assert.ok(os, 'an OpenStack phase set is bundled');
    await load('time-motion');
    await page.locator('#view-time-motion').getByLabel('Phase set').selectOption(os.name);
    const expected = await api<RunsPage>(base, `/v1/reports/runs?set=${os.name}&limit=20&offset=0`);
    assert.equal(expected.runs.length, 20);
    await assertChartShows(
      expected,
      os.phases.map((p) => p.name),
    );
    // Builds take seconds, not minutes: the axis says so until the user picks a unit.
    assert.ok((await drawn()).texts.includes('time / seconds'));
    await screenshot(page, 'time-and-motion-openstack');
  });

  test('phase statistics: a row per phase and group as the NDJSON report has them, a histogram per phase', async () => {
    const report = await call(
      base,
      'GET',
      '/v1/reports/phases?set=testrun&group_by=device_group&histogram=20',
    );
    assert.equal(report.status, 200);
    const lines = report.text
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            phase?: string;
            group?: { device_group: string };
            count?: number;
            done?: boolean;
          },
      );
    const rows = lines.filter((l) => l.done !== true);
    assert.ok(rows.length > TESTRUN_PHASES.length);

    await load('phases');
    const view = page.locator('#view-phases');
    await view.getByText(/^done:/).waitFor();
    assert.equal(await view.locator('table.phase-stats tbody tr[data-phase]').count(), TESTRUN_PHASES.length);
    await view.getByLabel('Group by traits').fill('device_group');
    await view.getByRole('button', { name: 'Compute' }).click();
    await until(
      async () => (await view.locator('table.phase-stats tbody tr[data-phase]').count()) === rows.length,
      10_000,
      `${rows.length} rows`,
    );
    await view.getByText(/^done:/).waitFor();
    const shown = await view.locator('table.phase-stats tbody tr[data-phase]').all();
    for (const [i, tr] of shown.entries()) {
      const row = rows[i] as { phase: string; group: { device_group: string }; count: number };
      assert.equal(await tr.getAttribute('data-phase'), row.phase);
      assert.equal(await tr.locator('td').nth(0).textContent(), `device_group=${row.group.device_group}`);
      assert.equal(await tr.locator('td').nth(1).textContent(), row.count.toLocaleString('en-GB'));
    }
    assert.deepEqual(
      await Promise.all(
        (await view.locator('[data-histogram]').all()).map((h) => h.getAttribute('data-histogram')),
      ),
      TESTRUN_PHASES,
    );
    assert.equal(await view.locator('[data-histogram] svg').count(), TESTRUN_PHASES.length);
    await until(
      async () => (await view.locator('table').filter({ hasText: 'testrun.request' }).count()) === 1,
      10_000,
      'the event report',
    );
    await screenshot(page, 'phase-statistics');

    // A query the server refuses: its message is shown, nothing else changes.
    await view.getByLabel('From').fill('soon');
    await view.getByRole('button', { name: 'Compute' }).click();
    await view.locator('.notice.error', { hasText: 'bad query parameter "from"' }).first().waitFor();
    assert.deepEqual(errors, [], 'no script error');
    assert.deepEqual(foreign, [], 'no request left the server');
  });
});
