import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WaymarkError } from '../../model/errors.js';
import { DEFAULT_VERIFY_MAPPINGS, verifyAgainstTruth, type TruthLine } from '../../engine/verify.js';
import { openStore } from '../../store/open-store.js';
import { CONFIG_FLAGS, resolveConfig } from '../config-flags.js';
import { OUTPUT_FLAGS, UsageError, parseFlags, writeAll, type Command } from '../command.js';

const FLAGS = {
  ...CONFIG_FLAGS,
  truth: { type: 'string' },
  map: { type: 'string', multiple: true },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark verify --truth FILE [--config FILE] [--store URL] [--map KIND=TRIGGER:METER]... [--json]

Compares what the engine concluded (streams and meters in the store) with the
generator's ground truth (waymark generate --truth FILE): per operation, fired or
expired as expected; for operations no fault touched, the duration and phases to
the microsecond. Prints precision, recall and the first mismatches.

  --truth FILE            ground truth, one JSON object per operation per line
  --map KIND=TRIGGER:METER  which trigger (and duration meter) an operation kind maps to
                          (default: compute.instance.create=build_time:build_seconds,
                          testrun=testrun_phases:testrun_seconds)
  --json                  the report as JSON

Operations whose expiry is not due yet at the store's clock are "pending" (not
counted); ingest with --finish to conclude everything.
Exit codes: 0 all correct, 1 any mismatch, 2 bad flags or files.`;

function readTruth(file: string): TruthLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new WaymarkError(`--truth ${file}: cannot read: ${(cause as Error).message}`, { cause });
  }
  const out: TruthLine[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new WaymarkError(`--truth ${file}: line ${i + 1} is not JSON`);
    }
    const r = v as Partial<TruthLine>;
    if (
      typeof r.kind !== 'string' ||
      typeof r.id !== 'string' ||
      typeof r.outcome !== 'string' ||
      typeof r.group_by !== 'string'
    ) {
      throw new WaymarkError(
        `--truth ${file}: line ${i + 1} is not a truth record (needs kind, group_by, id, outcome)`,
      );
    }
    out.push({
      ...r,
      faults: Array.isArray(r.faults) ? r.faults : [],
      duration_s: r.duration_s ?? null,
    } as TruthLine);
  });
  return out;
}

const command: Command = {
  name: 'verify',
  summary: "compare the engine's streams and meters with the generator's ground truth",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags('verify', args, FLAGS);
    if (values.truth === undefined) throw new UsageError('verify: --truth FILE is required');
    let mappings = DEFAULT_VERIFY_MAPPINGS;
    if (values.map !== undefined) {
      mappings = values.map.map((spec) => {
        const m = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(spec);
        if (m === null) throw new UsageError(`verify: --map expects KIND=TRIGGER[:METER], got "${spec}"`);
        const base = DEFAULT_VERIFY_MAPPINGS.find((d) => d.kind === m[1]);
        return {
          ...(base ?? { expect: { completed: 'fired' } }),
          kind: m[1] as string,
          trigger: m[2] as string,
          ...(m[3] ? { durationMeter: m[3] } : {}),
        };
      });
    }
    const truth = readTruth(resolve(io.cwd, values.truth));
    const config = resolveConfig(values, io);
    const store = await openStore(config.storeUrl, { cwd: io.cwd });
    let report;
    try {
      report = await verifyAgainstTruth(store, truth, mappings);
    } finally {
      await store.close();
    }
    if (values.json === true) {
      await writeAll(io.stdout, JSON.stringify(report) + '\n');
    } else {
      const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
      let out =
        `verified ${report.operations} operations against ${values.truth}: ` +
        `precision ${pct(report.precision)}, recall ${pct(report.recall)}\n` +
        `  correct ${report.correct}, pending ${report.pending}, unobservable ${report.unobservable}, ` +
        `concluded streams ${report.concluded}, durations checked ${report.durationsChecked}\n`;
      const skipped = Object.entries(report.skippedKinds);
      if (skipped.length > 0)
        out += `  not checked (no trigger mapped): ${skipped.map(([k, n]) => `${k} ${n}`).join(', ')}\n`;
      if (report.mismatches.length > 0) {
        out += `${report.mismatches.length} mismatches; the first ones:\n`;
        for (const m of report.mismatches.slice(0, 10))
          out += `  ${m.kind} ${m.id}: expected ${m.expected}, got ${m.got}\n`;
      }
      await writeAll(io.stdout, out);
    }
    return report.mismatches.length === 0 && report.precision === 1 ? 0 : 1;
  },
};

export default command;
