import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventGenerator, openstackScenario, type TruthRecord } from '../../src/generate/index.js';
import { Instant, US_PER_MINUTE } from '../../src/model/instant.js';
import { REPO_ROOT } from '../helpers/paths.js';

export const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** A temp dir with a random name (removed by `remove()`), holding the store and the stats files. */
export function tempDir(prefix: string): { dir: string; store: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `waymark-it-${prefix}-`));
  return {
    dir,
    store: `duckdb:${join(dir, 'w.duckdb')}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stdout: () => string;
  /** SIGTERM and wait for a clean exit; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * `waymark serve --port 0 --store STORE --clock event [EXTRA…]` as a child process,
 * with MMSTATS_PATH = statsDir. Resolves once stdout has the "serving on" banner
 * (and `ready`, when given); rejects if serve exits first or prints neither within
 * `timeoutMs`, so a changed banner fails the test instead of hanging the suite.
 */
export async function startServe(
  store: string,
  statsDir: string,
  extra: readonly string[] = [],
  ready?: RegExp,
  timeoutMs = 30_000,
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--port', '0', '--store', store, '--clock', 'event', ...extra],
    { env: { ...process.env, MMSTATS_PATH: statsDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve printed no banner within ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`));
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (http:\/\/[\d.:]+)/.exec(out);
      if (m && (ready === undefined || ready.test(out))) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${err}`));
    });
  });
  return {
    child,
    url,
    stderr: () => err,
    stdout: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when empty or not JSON). */
  json: unknown;
}

/** One request; the body is sent as given (string) or JSON-serialised. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: string | Buffer | object,
  contentType = 'application/json',
): Promise<Answer> {
  const payload =
    body === undefined
      ? undefined
      : typeof body === 'string' || Buffer.isBuffer(body)
        ? body
        : JSON.stringify(body);
  const res = await fetch(`${url}${path}`, {
    method,
    ...(payload === undefined ? {} : { body: payload, headers: { 'content-type': contentType } }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Generated OpenStack traffic: 30 minutes at 30 operations a minute (fixed seed), with its truth. */
export function generatedTraffic(seed = 7): { lines: string[]; truth: TruthRecord[] } {
  const truth: TruthRecord[] = [];
  const gen = new EventGenerator({
    scenario: openstackScenario(),
    opsPerHour: 30 * 60,
    seed,
    start: Instant.parse('2026-03-01T00:00:00Z'),
    duration: 30 * US_PER_MINUTE,
    onTruth: (r) => truth.push(r),
  });
  const lines: string[] = [];
  for (const n of gen) lines.push(n.line);
  return { lines, truth };
}

/** POST the lines as JSON lines in batches; every batch must be acknowledged. */
export async function postLines(url: string, lines: readonly string[], batch = 500): Promise<void> {
  for (let i = 0; i < lines.length; i += batch) {
    const r = await call(
      url,
      'POST',
      '/v1/notifications',
      lines.slice(i, i + batch).join('\n'),
      'application/x-ndjson',
    );
    if (r.status !== 200) throw new Error(`batch at line ${i}: ${r.status} ${r.text}`);
  }
}

/** Every page of a list route (`streams` or `events`). */
export async function listAll<T>(url: string, path: string, key: 'streams' | 'events'): Promise<T[]> {
  const out: T[] = [];
  let marker: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await call(
      url,
      'GET',
      `${path}${sep}limit=1000${marker === null ? '' : `&marker=${encodeURIComponent(marker)}`}`,
    );
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`);
    const body = r.json as Record<string, unknown> & { next: string | null };
    out.push(...(body[key] as T[]));
    marker = body.next;
  } while (marker !== null);
  return out;
}

/**
 * Wait until the engine has no stream between criteria met and pipeline done
 * (`ready`, `firing`, `expiring`): pipelines run after the ingest is acknowledged.
 */
export async function settled(url: string): Promise<void> {
  for (;;) {
    const r = await call(url, 'GET', '/v1/streams?state=ready,firing,expiring&count=true');
    if (r.status !== 200) throw new Error(`count: ${r.status} ${r.text}`);
    if ((r.json as { count: number }).count === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
