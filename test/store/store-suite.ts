/**
 * The behavioural suite of the Store port, run against every adapter
 * (memory-store.test.ts, duckdb-store.test.ts, postgres-store.test.ts). Tests go
 * through the port only.
 */
import { describe } from 'node:test';
import type { MakeStore } from './suite/with-store.js';
import { eventQueryTests } from './suite/event-queries.js';
import { housekeepingTests } from './suite/housekeeping.js';
import { recordTests } from './suite/records.js';
import { streamTests } from './suite/streams.js';
import { writeTests } from './suite/writes.js';

export type { MakeStore };

export function storeSuite(name: string, makeStore: MakeStore): void {
  describe(`${name}: commits`, () => writeTests(makeStore));
  describe(`${name}: event queries`, () => eventQueryTests(makeStore));
  describe(`${name}: streams`, () => streamTests(makeStore));
  describe(`${name}: outcomes, dead letters, meters`, () => recordTests(makeStore));
  describe(`${name}: housekeeping`, () => housekeepingTests(makeStore));
}
