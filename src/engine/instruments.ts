import type { StreamState } from '../store/store.js';

/**
 * What the engine reports about itself (events in, duplicates, fires, …). The
 * stats module implements it to publish through mmstats files and /metrics;
 * the engine only calls it. Every method must be cheap and must not throw.
 */
export interface EngineInstruments {
  /** New events committed. */
  eventsIn(n: number): void;
  duplicates(n: number): void;
  deadLetters(n: number): void;
  fired(n: number): void;
  expired(n: number): void;
  pipelineErrors(n: number): void;
  /** One store commit: its size and how long it took. */
  storeBatch(events: number, milliseconds: number): void;
  /** Streams per state, after each commit. */
  streamStates(counts: Readonly<Record<StreamState, number>>): void;
}

/** Instruments that record nothing. */
export const NO_INSTRUMENTS: EngineInstruments = {
  eventsIn() {},
  duplicates() {},
  deadLetters() {},
  fired() {},
  expired() {},
  pipelineErrors() {},
  storeBatch() {},
  streamStates() {},
};
