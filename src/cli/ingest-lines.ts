import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { Distiller } from '../distill/distiller.js';
import { WaymarkError } from '../model/errors.js';
import {
  TRAITS_JSON,
  TRAITS_JSON_OF,
  eventFromJSON,
  type EventWithTraitsJSON,
  type TraitValue,
  type WaymarkEvent,
} from '../model/event.js';
import { Instant } from '../model/instant.js';
import { LineSplitter, chunksOf } from './input.js';

/**
 * `waymark ingest`'s reading, on a worker thread: the bytes of the input go to
 * the worker, which splits them into lines, parses and distills them and sends
 * back the events in a compact form (the traits as the JSON text the store
 * writes, the datetimes as microseconds). Parsing and distilling were more
 * than half of the main thread's work (about 17 µs of 54 per notification on
 * the benchmark machine, plus making the traits JSON for the store); on the
 * other core they overlap with the engine and the store, and the main thread
 * only parses the small traits JSON back (about 5 µs).
 */

/** What the worker needs to distill as the main thread would. */
export interface IngestLinesOptions {
  readonly distillerFiles: readonly string[];
  readonly catchAll: boolean;
  /** true: the lines are distilled events; undefined: decided by the first line that is not blank. */
  readonly eventsMode: boolean | undefined;
}

/** A line that could not be read, for the dead letters. */
export interface BadLine {
  readonly line: number;
  readonly reason: string;
  /** The line, cut at 64 KiB. */
  readonly payload: string;
}

/** What one chunk of input gave. */
export interface LinesResult {
  /** Lines that were not blank. */
  readonly lines: number;
  readonly noDefinition: number;
  readonly bad: readonly BadLine[];
  readonly events: WaymarkEvent[];
}

/** {@link LinesResult} as it crosses from the worker: events as columns. */
interface WireResult {
  lines: number;
  noDefinition: number;
  bad: BadLine[];
  n: number;
  ids: string[];
  types: string[];
  ts: Float64Array;
  received: Float64Array;
  traits: string[];
  /** Per event, the names of its datetime traits joined by NUL ('' for none)… */
  dateNames: string[];
  /** …and their microseconds, all events' one after the other. */
  dateUs: Float64Array;
}

/** Worker -> main: a chunk's result, the end, or a failure. */
export type WorkerReply =
  | { kind: 'chunk'; result: WireResult }
  | { kind: 'end'; result: WireResult }
  | { kind: 'error'; message: string };

/** Main -> worker. */
export type WorkerRequest = { kind: 'chunk'; bytes: Uint8Array } | { kind: 'end' };

const PAYLOAD_LIMIT = 65536;

/** A distilled event has `traits` and no `payload` (notifications carry their data in `payload`). */
function looksLikeEvent(line: string): boolean {
  try {
    const v = JSON.parse(line) as unknown;
    return (
      v !== null && typeof v === 'object' && 'traits' in v && !('payload' in v) && !('oslo.message' in v)
    );
  } catch {
    return false;
  }
}

/** The worker's side: lines in, {@link WireResult}s out. Exported for the worker entry only. */
export class LineDistiller {
  private readonly splitter = new LineSplitter();
  private readonly distiller: Distiller;
  private eventsMode: boolean | undefined;
  private lineNumber = 0;

  constructor(options: IngestLinesOptions) {
    this.distiller = Distiller.load(options.distillerFiles, { catchAll: options.catchAll });
    this.eventsMode = options.eventsMode;
  }

  chunk(bytes: Uint8Array): WireResult {
    return this.lines(this.splitter.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  }

  end(): WireResult {
    return this.lines(this.splitter.end());
  }

  private lines(lines: readonly string[]): WireResult {
    const events: WaymarkEvent[] = [];
    const out = { lines: 0, noDefinition: 0, bad: [] as BadLine[] };
    for (const line of lines) {
      this.lineNumber++;
      if (line.trim() === '') continue;
      out.lines++;
      const bad = (reason: string): void => {
        out.bad.push({
          line: this.lineNumber,
          reason: `line ${this.lineNumber}: ${reason}`,
          payload: line.slice(0, PAYLOAD_LIMIT),
        });
      };
      this.eventsMode ??= looksLikeEvent(line);
      if (this.eventsMode) {
        try {
          events.push(eventFromJSON(JSON.parse(line)));
        } catch (e) {
          bad((e as Error).message);
        }
        continue;
      }
      const r = this.distiller.distillLine(line);
      if (r.status === 'event') events.push(r.event);
      else if (r.status === 'no_definition') out.noDefinition++;
      else bad(r.reason);
    }
    return { ...out, ...toWire(events) };
  }
}

function toWire(events: readonly WaymarkEvent[]): Omit<WireResult, 'lines' | 'noDefinition' | 'bad'> {
  const n = events.length;
  const ts = new Float64Array(n);
  const received = new Float64Array(n);
  const ids: string[] = [];
  const types: string[] = [];
  const traits: string[] = [];
  const dateNames: string[] = [];
  const dateUs: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = events[i] as WaymarkEvent;
    ids.push(e.message_id);
    types.push(e.event_type);
    ts[i] = e.timestamp.us;
    received[i] = e.received.us;
    traits.push(JSON.stringify(e.traits));
    let names = '';
    for (const name in e.traits) {
      const v = e.traits[name];
      if (typeof v !== 'object') continue;
      names = names === '' ? name : `${names}\u0000${name}`;
      dateUs.push(v.us);
    }
    dateNames.push(names);
  }
  return { n, ids, types, ts, received, traits, dateNames, dateUs: Float64Array.from(dateUs) };
}

/** The main thread's side: a {@link WireResult} back to events. */
function fromWire(w: WireResult, namesCache: Map<string, string[]>): LinesResult {
  const events: WaymarkEvent[] = [];
  let d = 0;
  for (let i = 0; i < w.n; i++) {
    const json = w.traits[i] as string;
    const traits = JSON.parse(json) as Record<string, TraitValue>;
    const joined = w.dateNames[i] as string;
    if (joined !== '') {
      let names = namesCache.get(joined);
      if (names === undefined) namesCache.set(joined, (names = joined.split('\u0000')));
      for (const name of names) traits[name] = new Instant(w.dateUs[d++] as number);
    }
    const event: EventWithTraitsJSON = {
      message_id: w.ids[i] as string,
      event_type: w.types[i] as string,
      timestamp: new Instant(w.ts[i] as number),
      received: new Instant(w.received[i] as number),
      traits,
      [TRAITS_JSON]: json,
      [TRAITS_JSON_OF]: traits,
    };
    events.push(event);
  }
  return { lines: w.lines, noDefinition: w.noDefinition, bad: w.bad, events };
}

/** Chunks of input handed to the worker and not yet taken back as results: bounds memory and read-ahead. */
const CHUNKS_AHEAD = 4;

/**
 * The input's lines distilled on a worker thread, a result per chunk of
 * input, in input order. A read error is a WaymarkError naming the input;
 * the worker is stopped when the caller stops early.
 */
export async function* distilledLines(
  input: Readable,
  name: string,
  options: IngestLinesOptions,
): AsyncGenerator<LinesResult> {
  const worker = new Worker(new URL('./ingest-worker.js', import.meta.url), { workerData: options });
  const replies: WorkerReply[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: WorkerReply) => {
    replies.push(m);
    notify();
  });
  worker.on('error', (e) => {
    failure ??= new WaymarkError(`ingest: the reading worker failed: ${e.message}`, { cause: e });
    notify();
  });
  worker.on('exit', (code) => {
    failure ??= new WaymarkError(`ingest: the reading worker stopped (exit code ${code})`);
    notify();
  });
  const wait = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));

  let ahead = 0;
  let reading = true;
  let moreRoom: (() => void) | undefined;
  const namesCache = new Map<string, string[]>();
  // Feeds the worker; stops when CHUNKS_AHEAD chunks are out, until one comes back.
  const feed = (async (): Promise<void> => {
    try {
      for await (const chunk of chunksOf(input, name)) {
        // A copy the worker owns: read streams may hand out views of a shared pool.
        const bytes = new Uint8Array(chunk.length);
        bytes.set(chunk);
        worker.postMessage({ kind: 'chunk', bytes } satisfies WorkerRequest, [bytes.buffer]);
        ahead++;
        while (ahead >= CHUNKS_AHEAD && failure === undefined) await new Promise<void>((r) => (moreRoom = r));
        if (failure !== undefined) return;
      }
      worker.postMessage({ kind: 'end' } satisfies WorkerRequest);
    } catch (e) {
      failure ??= e as Error;
      notify();
    } finally {
      reading = false;
    }
  })();

  try {
    for (;;) {
      const m = replies.shift();
      if (m === undefined) {
        if (failure !== undefined) throw failure;
        await wait();
        continue;
      }
      if (m.kind === 'error') throw new WaymarkError(`ingest: ${m.message}`);
      if (m.kind === 'chunk') {
        ahead--;
        const room = moreRoom;
        moreRoom = undefined;
        room?.();
      }
      yield fromWire(m.result, namesCache);
      if (m.kind === 'end') break;
    }
  } finally {
    failure ??= new WaymarkError('ingest: reading stopped');
    moreRoom?.();
    if (reading) input.destroy();
    await feed;
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}
