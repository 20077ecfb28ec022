/**
 * What `waymark ingest` does to its input before the engine: decode, split
 * lines, parse and distill them (or read distilled events), in a worker thread
 * (ingest-worker.ts), and the form in which events cross between threads.
 */
import type { Distiller } from '../distill/distiller.js';
import { eventFromJSON, type WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import { LineSplitter } from './input.js';

/** The worker's `workerData`. */
export interface WorkerOptions {
  readonly waymarkIngestWorker: true;
  readonly distillerFiles: readonly string[];
  readonly catchAll: boolean;
  /** `true`: the input is distilled events; `undefined`: decided by its first non-blank line. */
  readonly eventsMode: boolean | undefined;
}

/** An event as posted between threads: instants as microseconds, datetime traits named in `d`. */
export interface PostedEvent {
  readonly m: string;
  readonly e: string;
  readonly t: number;
  readonly r: number;
  readonly x: Record<string, string | number>;
  readonly d?: string[];
}

export interface PostedDeadLetter {
  readonly line: number;
  readonly reason: string;
  readonly payload: string;
  readonly received: number;
}

/** One posted reply per posted chunk, in order; the reply to `{end: true}` has `done`. */
export interface WorkerResult {
  readonly events: PostedEvent[];
  readonly dead: PostedDeadLetter[];
  /** Non-blank lines read. */
  readonly lines: number;
  readonly noDefinition: number;
  readonly done: boolean;
}

/** Dead-letter payloads are cut to this many characters. */
const MAX_PAYLOAD = 65536;

/** An event in its posted form (structured-clonable; class instances are not). */
export function postEvent(e: WaymarkEvent): PostedEvent {
  let x: Record<string, string | number> | undefined;
  let d: string[] | undefined;
  for (const k in e.traits) {
    const v = e.traits[k];
    if (v instanceof Instant) {
      x ??= { ...(e.traits as Record<string, string | number>) };
      x[k] = v.us;
      (d ??= []).push(k);
    }
  }
  const out = {
    m: e.message_id,
    e: e.event_type,
    t: e.timestamp.us,
    r: e.received.us,
    x: x ?? (e.traits as Record<string, string | number>),
  };
  return d === undefined ? out : { ...out, d };
}

/** The event a {@link PostedEvent} stands for (takes ownership of its traits object). */
export function receiveEvent(p: PostedEvent): WaymarkEvent {
  const traits: WaymarkEvent['traits'] = p.x;
  if (p.d !== undefined) for (const k of p.d) traits[k] = new Instant(p.x[k] as number);
  return {
    message_id: p.m,
    event_type: p.e,
    timestamp: new Instant(p.t),
    received: new Instant(p.r),
    traits,
  };
}

/** A distilled event has `traits` and no `payload` (notifications carry their data in `payload`). */
export function looksLikeEvent(line: string): boolean {
  try {
    const v = JSON.parse(line) as unknown;
    return (
      v !== null && typeof v === 'object' && 'traits' in v && !('payload' in v) && !('oslo.message' in v)
    );
  } catch {
    return false;
  }
}

/** Distills lines in order, keeping the line count and the events-or-notifications decision. */
export class LineDistiller {
  private lineNumber = 0;
  private eventsMode: boolean | undefined;
  private readonly split = new LineSplitter();
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly distiller: Distiller,
    eventsMode: boolean | undefined,
  ) {
    this.eventsMode = eventsMode;
  }

  push(chunk: string | Uint8Array): WorkerResult {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.lines(this.split.push(text), false);
  }

  end(): WorkerResult {
    const tail = this.decoder.decode();
    return this.lines([...this.split.push(tail), ...this.split.end()], true);
  }

  private lines(lines: readonly string[], done: boolean): WorkerResult {
    const events: PostedEvent[] = [];
    const dead: PostedDeadLetter[] = [];
    let count = 0;
    let noDefinition = 0;
    const bad = (line: string, reason: string): void => {
      dead.push({
        line: this.lineNumber,
        reason: `line ${this.lineNumber}: ${reason}`,
        payload: line.slice(0, MAX_PAYLOAD),
        received: Instant.now().us,
      });
    };
    for (const line of lines) {
      this.lineNumber++;
      if (line.trim() === '') continue;
      count++;
      this.eventsMode ??= looksLikeEvent(line);
      if (this.eventsMode) {
        try {
          events.push(postEvent(eventFromJSON(JSON.parse(line))));
        } catch (e) {
          bad(line, (e as Error).message);
        }
        continue;
      }
      const r = this.distiller.distillLine(line);
      if (r.status === 'event') events.push(postEvent(r.event));
      else if (r.status === 'no_definition') noDefinition++;
      else bad(line, r.reason);
    }
    return { events, dead, lines: count, noDefinition, done };
  }
}
