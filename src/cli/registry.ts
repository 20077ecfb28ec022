import type { Command } from './command.js';

/** A subcommand, loaded only when it runs so `waymark --help` stays instant. */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ default: Command }>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'generate an hour of OpenStack traffic, distill it, print a summary (what `npm start` runs)',
    load: () => import('./commands/demo.js'),
  },
  {
    name: 'generate',
    summary: 'generate realistic notification traffic with ground truth',
    load: () => import('./commands/generate.js'),
  },
  {
    name: 'distill',
    summary: 'turn notifications (JSON lines) into events (JSON lines) with event definitions',
    load: () => import('./commands/distill.js'),
  },
  {
    name: 'check',
    summary: 'check waymark.yaml and the event, trigger and pipeline definitions it names',
    load: () => import('./commands/check.js'),
  },
  {
    name: 'timex',
    summary: "evaluate a time expression, e.g. waymark timex 'day($t) + 6h' --var t=2014-08-01T01:00:00Z",
    load: () => import('./commands/timex.js'),
  },
  {
    name: 'stats',
    summary: 'read mmstats files: slurp, poll, clean, serve (Prometheus /metrics)',
    load: () => import('./commands/stats.js'),
  },
  {
    name: 'serve',
    summary: 'run ingest + engine + pipelines + HTTP API on the store (Ctrl-C stops)',
    load: () => import('./commands/serve.js'),
  },
  {
    name: 'ingest',
    summary: 'replay notifications or events (JSON lines) into the store through the trigger engine',
    load: () => import('./commands/ingest.js'),
  },
  {
    name: 'streams',
    summary: 'list, show, delete or reset streams (server or store)',
    load: () => import('./commands/streams.js'),
  },
  {
    name: 'report',
    summary: 'time-and-motion reports: phase statistics of runs, event counts and delays (server or store)',
    load: () => import('./commands/report.js'),
  },
  {
    name: 'events',
    summary: 'search stored events by type, time and traits (server or store)',
    load: () => import('./commands/events.js'),
  },
  {
    name: 'meters',
    summary: 'show the meters and counters pipelines recorded (server or store)',
    load: () => import('./commands/meters.js'),
  },
  {
    name: 'explain',
    summary: 'why an event did or did not match each trigger',
    load: () => import('./commands/explain.js'),
  },
  {
    name: 'backtest',
    summary: 'run trigger definitions against stored events in a scratch store; report fires and expiries',
    load: () => import('./commands/backtest.js'),
  },
  {
    name: 'verify',
    summary: "compare the engine's streams and meters with the generator's ground truth",
    load: () => import('./commands/verify.js'),
  },
];
