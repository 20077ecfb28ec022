import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { call, settled } from '../integration/serve-process.js';
import {
  api,
  browserSkipReason,
  launchBrowser,
  openPage,
  screenshot,
  servedDashboard,
  until,
} from './browser-harness.js';

interface StreamJSON {
  id: number;
  trigger: string;
  state: string;
  event_count: number;
  events?: { message_id: string; event_type: string }[];
}

const skip = browserSkipReason('dashboard browser tests');

describe(
  'the dashboard in Chromium against a real waymark serve: overview, streams, events',
  { skip },
  () => {
    let browser: Browser;
    let page: Page;
    let base: string;
    let errors: string[];
    let foreign: string[];
    let stop: () => Promise<void>;

    before(async () => {
      const served = await servedDashboard('web');
      base = served.server.url;
      stop = served.stop;
      browser = await launchBrowser();
      ({ page, errors, foreign } = await openPage(browser, base));
    });
    after(async () => {
      await browser?.close();
      await stop?.();
    });

    /** A fresh load of one view (a new document: no state left from the test before). */
    const load = async (view: string): Promise<void> => {
      await page.goto(`${base}/?load=${Date.now()}#${view}`);
    };

    test('the page is served at / with its hashed assets; no request leaves the server', async () => {
      const index = await call(base, 'GET', '/');
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
      assert.ok(script, 'index.html names its script');
      const js = await call(base, 'GET', script);
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.match(js.headers.get('cache-control') ?? '', /immutable/);
      assert.equal((await call(base, 'GET', '/assets/missing-12345678.js')).status, 404);
      assert.equal((await call(base, 'GET', '/v1/health')).status, 200, 'the API is unchanged');

      await page.goto(`${base}/`);
      await page.getByRole('tab', { name: 'Overview' }).waitFor();
      const tabs = await page.getByRole('tab').allTextContents();
      assert.deepEqual(tabs, ['Overview', 'Time and motion', 'Phase statistics', 'Streams', 'Events']);
      assert.deepEqual(foreign, []);
    });

    test('overview: tiles from the live stats and health, four graphs that move every second', async () => {
      await load('overview');
      const stats = await api<{ fields: Record<string, number> }>(base, '/v1/stats?prefix=waymark.');
      const eventsIn = stats.fields['waymark.events_in'] as number;
      assert.ok(eventsIn > 1000, `the server took the traffic (${eventsIn})`);
      const tile = page.locator('[data-tile="eventsIn"]');
      await until(async () => (await tile.textContent()) === eventsIn.toLocaleString('en-GB'));
      const health = await api<{ streams: Record<string, number> }>(base, '/v1/health');
      assert.equal(
        await page.locator('[data-tile="active"]').textContent(),
        (health.streams['active'] ?? 0).toLocaleString('en-GB'),
      );
      for (const name of [
        'events in per second',
        'fires and expiries per second',
        'streams by state',
        'dead letters',
      ]) {
        assert.equal(await page.locator(`[data-chart="${name}"] svg`).count(), 1, name);
      }
      // Live: the time axis of the rate graph moves on as samples arrive every second.
      const axis = async (): Promise<string> =>
        (await page.locator('[data-chart="events in per second"] svg text').allTextContents()).join('|');
      await page.waitForTimeout(1200);
      const before = await axis();
      await page.waitForTimeout(2200);
      assert.notEqual(await axis(), before);
      assert.ok(
        (await page.locator('table').filter({ hasText: 'build_seconds' }).count()) === 1,
        'the meters table lists build_seconds',
      );
      await screenshot(page, 'overview');
    });

    test('streams: state filter, open a stream and its events, explain an event', async () => {
      await load('streams');
      const completed = await api<{ count: number }>(base, '/v1/streams?state=completed&count=true');
      assert.ok(completed.count > 0);
      await page.getByRole('button', { name: 'completed', exact: true }).click();
      const count = page.locator('#view-streams h2 .count');
      await until(async () => (await count.textContent()) === `(${completed.count.toLocaleString('en-GB')})`);
      const states = await page.locator('#view-streams table.streams tbody .state').allTextContents();
      assert.ok(states.length > 0 && states.length <= 50);
      assert.deepEqual([...new Set(states)], ['completed']);

      const firstId = Number(
        await page.locator('#view-streams tbody tr').first().getAttribute('data-stream-id'),
      );
      const stream = await api<StreamJSON>(base, `/v1/streams/${firstId}`);
      await page.getByRole('button', { name: `open stream ${firstId}`, exact: true }).click();
      await page
        .getByRole('heading', { name: `Stream ${firstId} · ${stream.trigger} · completed` })
        .waitFor();
      const rows = page.locator('.stream-detail table.events tbody tr');
      assert.equal(await rows.count(), stream.event_count);
      const ids = await Promise.all((await rows.all()).map((r) => r.getAttribute('data-message-id')));
      assert.deepEqual(
        ids,
        (stream.events ?? []).map((e) => e.message_id),
      );

      const first = (stream.events ?? [])[0]?.message_id as string;
      await page
        .getByRole('button', { name: `explain event ${first}` })
        .first()
        .click();
      const explain = page.locator('.stream-detail table.explain-table');
      await explain.waitFor();
      const matchedTriggers = await explain.locator('tr.matched td:first-child').allTextContents();
      assert.ok(matchedTriggers.includes(stream.trigger), `${stream.trigger} took ${first}`);
      await screenshot(page, 'streams-explain');
    });

    test('streams: delete and reset only after confirming; cancel keeps the stream', async () => {
      const list = await api<{ streams: StreamJSON[] }>(
        base,
        '/v1/streams?state=completed&trigger=build_time&limit=2',
      );
      const [victim, toReset] = list.streams as [StreamJSON, StreamJSON];
      const builds = async (): Promise<number> =>
        (await api<{ meters: { name: string; count: number }[] }>(base, '/v1/meters')).meters.find(
          (m) => m.name === 'build_seconds',
        )?.count ?? 0;
      const buildsBefore = await builds();
      await load('streams');
      await page.getByRole('button', { name: `open stream ${victim.id}`, exact: true }).click();
      await page.getByRole('button', { name: `delete stream ${victim.id}` }).click();
      const dialog = page.getByRole('dialog', { name: `Delete stream ${victim.id}?` });
      await dialog.waitFor();
      await screenshot(page, 'streams-confirm-delete');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      assert.equal((await call(base, 'GET', `/v1/streams/${victim.id}`)).status, 200, 'Escape cancels');
      await page.getByRole('button', { name: `delete stream ${victim.id}` }).click();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      assert.equal((await call(base, 'GET', `/v1/streams/${victim.id}`)).status, 200, 'Cancel cancels');
      await page.getByRole('button', { name: `delete stream ${victim.id}` }).click();
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await page.getByText(`stream ${victim.id} deleted`).waitFor();
      assert.equal((await call(base, 'GET', `/v1/streams/${victim.id}`)).status, 404);

      await page.getByRole('button', { name: `open stream ${toReset.id}`, exact: true }).click();
      await page.getByRole('button', { name: `reset stream ${toReset.id} to active` }).click();
      // Keyboard: the dialog's Reset button is reached with Tab and pressed with Enter.
      await page.getByRole('dialog').waitFor();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.getByText(`stream ${toReset.id} reset`).waitFor();
      // Reset re-evaluates the criteria: the completed build fires again and its pipeline meters it once more.
      await settled(base);
      assert.equal(await builds(), buildsBefore + 1);
    });

    test('events: search by type glob and trait; the count is the API count', async () => {
      await load('events');
      const view = page.locator('#view-events');
      await view.getByLabel('Event type').fill('testrun.flash_*');
      await view.getByRole('button', { name: 'add a Traits row' }).click();
      await view.getByLabel('trait name').fill('device_group');
      await view.getByLabel('trait value').fill('rpi-5');
      await view.getByRole('button', { name: 'Search' }).click();
      const expected = await api<{ count: number }>(
        base,
        '/v1/events?type=testrun.flash_*&traits.device_group=eq:rpi-5&count=true',
      );
      assert.ok(expected.count > 0);
      const count = view.locator('h2 .count');
      await until(
        async () => (await count.textContent()) === `(${expected.count.toLocaleString('en-GB')} found)`,
      );
      const types = await view.locator('table.events tbody tr td:nth-child(3)').allTextContents();
      assert.equal(types.length, Math.min(50, expected.count));
      assert.ok(types.every((t) => t === 'testrun.flash_start' || t === 'testrun.flash_end'));
      const traits = await view.locator('table.events tbody tr td.traits-cell').allTextContents();
      assert.ok(traits.every((t) => t.includes('device_group=rpi-5')));
      await screenshot(page, 'events-search');
    });

    test('keyboard: arrows move between tabs, Enter opens one; focus is visible', async () => {
      await load('overview');
      await page.getByRole('tab', { name: 'Overview' }).focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      assert.equal(await page.evaluate<string>('document.activeElement.textContent'), 'Streams');
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('tab', { name: 'Streams' }).getAttribute('aria-selected'), 'true');
      assert.equal(await page.locator('#view-streams').isVisible(), true);
      const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
      assert.notEqual(outline, 'none');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press(' ');
      assert.equal(await page.getByRole('tab', { name: 'Events' }).getAttribute('aria-selected'), 'true');
    });

    test('XSS: trait values holding <script> and <img onerror> are shown as text and never run', async () => {
      const script = '<script>window.__xss=1</script>';
      const img = '<img src=x onerror="window.__xss=2">';
      const posted = await call(base, 'POST', '/v1/events', [
        {
          message_id: 'xss-1',
          event_type: 'testrun.request',
          timestamp: '2026-02-02T09:00:00Z',
          traits: { testrun_id: script, device_group: img, queue: '"><svg onload=window.__xss=3>' },
        },
      ]);
      assert.equal(posted.status, 200, posted.text);
      assert.equal((posted.json as { accepted: number }).accepted, 1);

      await load('events');
      const view = page.locator('#view-events');
      await view.getByRole('button', { name: 'add a Traits row' }).click();
      await view.getByLabel('trait name').fill('testrun_id');
      await view.getByLabel('trait value').fill(script);
      await view.getByRole('button', { name: 'Search' }).click();
      const row = view.locator('tr[data-message-id="xss-1"]');
      await row.waitFor();
      const cell = await row.locator('td.traits-cell').textContent();
      assert.ok(cell?.includes(`testrun_id=${script}`), cell ?? '');
      assert.ok(cell?.includes(`device_group=${img}`), cell ?? '');
      await row.getByRole('button', { name: 'details of event xss-1' }).click();
      const values = await view.locator('.event-detail dd.trait-value').allTextContents();
      assert.ok(values.includes(script) && values.includes(img), values.join(' | '));

      // The trigger on testrun_id took it: the stream list shows the value too.
      await load('streams');
      const streams = page.locator('#view-streams');
      await streams.getByLabel('Distinguishing trait').fill('testrun_id');
      await streams.getByLabel('equals').fill(script);
      await streams.getByRole('button', { name: 'Apply' }).click();
      await streams.locator('tbody td.traits-cell', { hasText: script }).first().waitFor();

      await page.waitForTimeout(300);
      assert.equal(await page.evaluate<string>('typeof window.__xss'), 'undefined');
      assert.equal(await page.locator('img').count(), 0, 'no <img> element was made from a value');
      assert.equal(await page.locator('body script').count(), 0, 'no <script> element was made from a value');
      assert.equal(await page.locator('svg[onload]').count(), 0);
      await screenshot(page, 'xss-as-text');
      assert.deepEqual(errors, [], 'no script error on any page');
      assert.deepEqual(foreign, [], 'no request left the server');
    });
  },
);
