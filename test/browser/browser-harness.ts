/**
 * What the browser tests share: Debian's Chromium driven by playwright-core
 * (never a downloaded browser), a real `waymark serve` on a temp store fed by
 * the generator, and screenshots under test-results/browser/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  EventGenerator,
  openstackScenario,
  testrunScenario,
  type GeneratedNotification,
} from '../../src/generate/index.js';
import { Instant, US_PER_MINUTE } from '../../src/model/instant.js';
import { REPO_ROOT } from '../helpers/paths.js';
import {
  call,
  postLines,
  settled,
  startServe,
  tempDir,
  type ServeProcess,
} from '../integration/serve-process.js';

/** Debian's package; `.ci/run` installs it. `WAYMARK_CHROMIUM` names another binary. */
export const CHROMIUM = process.env['WAYMARK_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or `undefined` when they can. The
 * reason is printed (a loud skip); under `CI=true` or `WAYMARK_REQUIRE_SERVICES=1`
 * a missing browser or a missing dashboard build throws: the suite fails.
 */
export function browserSkipReason(suite: string): string | undefined {
  let reason: string | undefined;
  if (!existsSync(CHROMIUM)) {
    reason = `${CHROMIUM} is absent (apt-get install chromium; .ci/run does)`;
  } else if (!existsSync(join(REPO_ROOT, 'dist', 'web', 'index.html'))) {
    reason = 'dist/web/index.html is absent: the dashboard is not built (npm run build)';
  }
  if (reason === undefined) return undefined;
  if (process.env['CI'] === 'true' || process.env['WAYMARK_REQUIRE_SERVICES'] === '1') {
    throw new Error(`${suite}: ${reason}; CI requires the browser tests`);
  }
  process.stderr.write(`SKIPPED: ${suite}: ${reason}\n`);
  return reason;
}

export async function launchBrowser(): Promise<Browser> {
  // Chromium refuses to sandbox as root (containers, CI): only then without the sandbox.
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath: CHROMIUM, args: root ? ['--no-sandbox'] : [] });
}

/** A page at laptop size that records script errors and any request leaving the server. */
export async function openPage(
  browser: Browser,
  base: string,
): Promise<{ page: Page; errors: string[]; foreign: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${base}/`) && !u.startsWith('data:')) foreign.push(u);
  });
  return { page, errors, foreign };
}

const SHOTS = join(REPO_ROOT, 'test-results', 'browser');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** OpenStack operations (20 minutes, 8 a minute) and CI test runs (4 hours, 12 an hour), merged by receive time. */
export function dashboardTraffic(seed = 11): string[] {
  const start = Instant.parse('2026-02-02T08:00:00Z');
  const all: GeneratedNotification[] = [
    ...new EventGenerator({
      scenario: openstackScenario(),
      opsPerHour: 8 * 60,
      seed,
      start,
      duration: 20 * US_PER_MINUTE,
    }),
    ...new EventGenerator({
      scenario: testrunScenario(),
      opsPerHour: 12,
      seed: seed + 1,
      start,
      duration: 240 * US_PER_MINUTE,
    }),
  ];
  all.sort((a, b) => a.received - b.received);
  return all.map((n) => n.line);
}

/** A `waymark serve` on a fresh temp store, fed {@link dashboardTraffic} and settled. */
export async function servedDashboard(
  prefix: string,
): Promise<{ server: ServeProcess; stop: () => Promise<void> }> {
  const tmp = tempDir(prefix);
  const server = await startServe(tmp.store, tmp.dir);
  try {
    await postLines(server.url, dashboardTraffic());
    await settled(server.url);
  } catch (e) {
    await server.stop();
    tmp.remove();
    throw e;
  }
  return {
    server,
    stop: async () => {
      await server.stop();
      tmp.remove();
    },
  };
}

/** GET and parse, failing on anything but 200. */
export async function api<T>(url: string, path: string): Promise<T> {
  const r = await call(url, 'GET', path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
  return r.json as T;
}

/** Poll `check` until it holds (every 50 ms, at most `ms`); then fail with `what`. */
export async function until(check: () => Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
