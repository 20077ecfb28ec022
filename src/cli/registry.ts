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
    summary: 'read mmstats files: slurp, clean',
    load: () => import('./commands/stats.js'),
  },
];
