import { Instant } from '../../model/instant.js';
import { parseTimex, TimeRange, TimexSyntaxError, type TimexVariables } from '../../timex/index.js';
import { OUTPUT_FLAGS, parseFlags, UsageError, writeAll, type CliIO, type Command } from '../command.js';

const USAGE = `usage: waymark timex EXPR [--var NAME=TIMESTAMP]... [--now TIMESTAMP] [--json]

Evaluate a time expression (the language of trigger expirations and windows)
and print the timestamp or range [begin, end) it yields.

  EXPR                   e.g. '$last + 1h', 'day($start) + 6h', '$timestamp @ 0h 0m 0s'
  --var NAME=TIMESTAMP   a variable's value (repeatable); NAME with or without '$'
  --now TIMESTAMP        the clock for $timestamp and bare hour/day/month/year
                         (default: now)
  --json                 print {"kind": "timestamp" | "range", ...} instead
  -q, --quiet            accepted; the result is still printed
  -h, --help             this text

Timestamps: ISO-8601 ("2014-08-01T01:00:00Z"), "2014-08-01 01:00:00.123456"
or epoch seconds. Quote EXPR in the shell: $ starts a variable.
Exit codes: 0 ok, 2 bad expression, flag or missing variable.`;

const FLAGS = {
  ...OUTPUT_FLAGS,
  var: { type: 'string', multiple: true },
  now: { type: 'string' },
} as const;

function timestampFlag(what: string, value: string): Instant {
  const t = Instant.tryParse(value.trim());
  if (t === undefined) {
    throw new UsageError(
      `waymark timex: ${what}: not a timestamp: ${JSON.stringify(value)}; expected ISO-8601 such as 2014-08-01T01:00:00Z or epoch seconds`,
    );
  }
  return t;
}

function parseVars(specs: readonly string[]): Record<string, Instant> {
  const vars: Record<string, Instant> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = (eq < 0 ? spec : spec.slice(0, eq)).trim().replace(/^\$/, '');
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(
        `waymark timex: --var expects NAME=TIMESTAMP (e.g. --var last=2014-08-01T01:00:00Z), got ${JSON.stringify(spec)}`,
      );
    }
    if (Object.hasOwn(vars, name)) throw new UsageError(`waymark timex: --var ${name} given twice`);
    vars[name] = timestampFlag(`--var ${name}`, spec.slice(eq + 1));
  }
  return vars;
}

const command: Command = {
  name: 'timex',
  summary: "evaluate a time expression, e.g. waymark timex 'day($t) + 6h' --var t=2014-08-01T01:00:00Z",
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const flags = parseFlags('timex', args, FLAGS, { min: 1, max: 1 });
    const source = flags.positionals[0] as string;
    const vars: TimexVariables = parseVars(flags.values.var ?? []);
    const now = flags.values.now === undefined ? Instant.now() : timestampFlag('--now', flags.values.now);

    let expr;
    try {
      expr = parseTimex(source);
    } catch (err) {
      if (!(err instanceof TimexSyntaxError)) throw err;
      await writeAll(io.stderr, `waymark timex: ${err.message}\n${err.caret('  ')}\n`);
      return 2;
    }
    const missing = expr.variables.filter((v) => v !== 'timestamp' && vars[v] === undefined);
    if (missing.length > 0) {
      const names = missing.map((m) => `$${m}`).join(', ');
      const flagsNeeded = missing.map((m) => `--var ${m}=TIMESTAMP`).join(' ');
      await writeAll(io.stderr, `waymark timex: no value for ${names}; pass ${flagsNeeded}\n`);
      return 2;
    }
    const result = expr.evaluate(vars, now);
    let line: string;
    if (result instanceof TimeRange) {
      line = flags.values.json ? JSON.stringify({ kind: 'range', ...result.toJSON() }) : result.toString();
    } else if (result !== undefined) {
      line = flags.values.json
        ? JSON.stringify({ kind: 'timestamp', timestamp: result.toISOString() })
        : result.toISOString();
    } else {
      // Unreachable: every variable was checked above.
      throw new UsageError('waymark timex: the expression has no value for these variables');
    }
    await writeAll(io.stdout, line + '\n');
    return 0;
  },
};
export default command;
