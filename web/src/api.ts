/** The waymark HTTP API, as the dashboard uses it (same origin: no data leaves the machine). */

export interface StreamJSON {
  id: number;
  trigger: string;
  state: string;
  distinguished_by: Record<string, unknown>;
  first: string;
  last: string;
  fire_at: string | null;
  expire_at: string | null;
  event_count: number;
  outcome: string | null;
  attempts: number;
  last_error: string | null;
  retry_at: string | null;
  events?: EventJSON[];
}

export interface EventJSON {
  message_id: string;
  event_type: string;
  timestamp: string;
  received: string;
  traits: Record<string, unknown>;
}

export interface ExplainEntry {
  trigger: string;
  matched: boolean;
  criterion: number | null;
  reason: string | null;
  distinguished_by: Record<string, unknown> | null;
  streams: number[];
}

export interface MeterJSON {
  name: string;
  type: 'meter' | 'counter';
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  stddev: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface Health {
  status: string;
  store?: string;
  clock?: { mode: string; now: string };
  streams?: Record<string, number>;
  dead_letters?: number;
  triggers?: string[];
}

export interface HistogramValue {
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface StatsJSON {
  files: number;
  fields: Record<string, number | HistogramValue | null>;
}

export interface PhaseDef {
  name: string;
  start: string;
  end: string;
}
export interface PhaseSet {
  name: string;
  description?: string;
  group_by: string;
  /** Run traits reports group and filter by. */
  traits?: string[];
  phases: PhaseDef[];
}

export interface DistStats {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  stddev: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface PhaseRow extends DistStats {
  phase: string;
  group: Record<string, unknown>;
  histogram?: { min: number; width: number; counts: number[] };
}

export interface EventReportRow {
  event_type: string;
  group: Record<string, unknown>;
  count: number;
  delay?: DistStats;
}

export interface RunPhase {
  phase: string;
  start: string | null;
  end: string | null;
  duration_s: number | null;
  percentile: number | null;
}
export interface Run {
  id: string;
  start: string | null;
  end: string | null;
  traits: Record<string, unknown>;
  phases: RunPhase[];
}
export interface RunsPage {
  set: string;
  total: number;
  runs: Run[];
}

/** A failed request: the status and the server's message. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(res: Response, what: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let message = text.trim();
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string };
    if (typeof body.error === 'string') message = body.error;
    else if (body.error?.message !== undefined) message = body.error.message;
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(res.status, `${what}: ${res.status}${message ? ` ${message}` : ''}`);
}

export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  if (!res.ok && !(path === '/v1/health' && res.status === 503))
    throw await errorOf(res, `${init?.method ?? 'GET'} ${path}`);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Query string from pairs; repeated names allowed; empty values left out. */
export function query(pairs: readonly (readonly [string, string | number | undefined])[]): string {
  const p = new URLSearchParams();
  for (const [k, v] of pairs) if (v !== undefined && v !== '') p.append(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/**
 * An NDJSON answer, line by line as it arrives (`fetch` + a stream reader):
 * `onLine` sees each parsed line; a `{"error": …}` line ends it with an ApiError.
 */
export async function streamNdjson(
  path: string,
  onLine: (value: Record<string, unknown>) => void,
  signal?: AbortSignal,
): Promise<void> {
  const res = await fetch(path, {
    headers: { accept: 'application/x-ndjson' },
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw await errorOf(res, `GET ${path}`);
  if (!res.body) throw new ApiError(res.status, `GET ${path}: empty answer`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  const take = (line: string): void => {
    if (line.trim() === '') return;
    const value = JSON.parse(line) as Record<string, unknown>;
    if ('error' in value) {
      const e = value['error'];
      throw new ApiError(200, `GET ${path}: ${typeof e === 'string' ? e : JSON.stringify(e)}`);
    }
    onLine(value);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      take(line);
    }
  }
  take(buffered);
}

/** A trait filter row, written as `/v1/events` takes it: `traits.<name>=<op>:<value>`. */
export interface TraitFilter {
  name: string;
  op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
  value: string;
}

export function traitParams(filters: readonly TraitFilter[]): [string, string][] {
  return filters
    .filter((f) => f.name.trim() !== '')
    .map((f) => [`traits.${f.name.trim()}`, `${f.op}:${f.value}`]);
}
