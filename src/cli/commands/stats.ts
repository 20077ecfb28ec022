import { unlinkSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { filesTemplate, listGlob, pidFromName, statsGlob } from '../../stats/paths.js';
import { readStatsFile, type StatsField } from '../../stats/reader.js';
import { parseFlags, UsageError, writeAll, type CliIO, type Command } from '../command.js';

const USAGE = `usage: waymark stats slurp [FILE...] [--json]
       waymark stats clean [--dry-run] [--json]

Read the stats files (mmstats format v1) that waymark and Python's mmstats write.

  slurp [FILE...]  print every field of every file: the named files, else every
                   file MMSTATS_GLOB matches (default: $MMSTATS_PATH/*.mmstats,
                   MMSTATS_PATH defaulting to the OS temp dir)
  clean            remove the files whose writer process is gone (the pid from the
                   file's sys.pid field, else from its name); a live process's
                   file is never removed
  --json           one JSON object per file (slurp) or per removal (clean);
                   64-bit integers beyond 2^53 are printed as JSON numbers
  --dry-run        clean: say what would be removed, remove nothing
  -h, --help       this text

Exit codes: 0 ok, 2 bad flags or a file that could not be read (the others are
still printed).`;

function userPath(io: CliIO, file: string): string {
  return isAbsolute(file) ? file : resolve(io.cwd, file);
}

function jsonValue(v: StatsField['value']): string {
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}

function fieldJson(f: StatsField): string {
  return `{"label":${JSON.stringify(f.label)},"type":${JSON.stringify(f.type)},"buffered":${f.buffered},"value":${jsonValue(f.value)}}`;
}

function reason(err: unknown): string {
  return (err as Error).message;
}

async function slurp(args: string[], io: CliIO): Promise<number> {
  const flags = parseFlags('stats slurp', args, { json: { type: 'boolean' } }, { min: 0, max: Infinity });
  const files =
    flags.positionals.length > 0
      ? flags.positionals.map((f) => userPath(io, f))
      : listGlob(statsGlob(io.env));
  let code = 0;
  for (const file of files) {
    let fields: StatsField[];
    try {
      fields = readStatsFile(file);
    } catch (err) {
      await writeAll(
        io.stderr,
        `waymark stats slurp: ${reason(err).startsWith(file) ? '' : `${file}: `}${reason(err)}\n`,
      );
      code = 2;
      continue;
    }
    if (flags.values.json) {
      await writeAll(
        io.stdout,
        `{"file":${JSON.stringify(file)},"fields":[${fields.map(fieldJson).join(',')}]}\n`,
      );
    } else {
      const width = Math.max(0, ...fields.map((f) => f.label.length));
      const lines = fields.map((f) => `  ${f.label.padEnd(width)}  ${String(f.value)}`);
      await writeAll(io.stdout, `==> ${file} <==\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`);
    }
  }
  return code;
}

/** The writer's pid: the file's `sys.pid` field, else the `{PID}` in its name. */
function writerPid(file: string, template: string): { pid?: number; via: string } {
  try {
    const field = readStatsFile(file).find((f) => f.label === 'sys.pid' || f.label.endsWith('.sys.pid'));
    if (field !== undefined && typeof field.value === 'number' && field.value > 0) {
      return { pid: field.value, via: field.label };
    }
  } catch {
    // An unreadable file may still carry the pid in its name.
  }
  const pid = pidFromName(template, basename(file));
  return pid === undefined ? { via: 'none' } : { pid, via: 'file name' };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function clean(args: string[], io: CliIO): Promise<number> {
  const flags = parseFlags('stats clean', args, {
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const dry = flags.values['dry-run'] === true;
  const template = filesTemplate(io.env);
  let code = 0;
  let removed = 0;
  for (const file of listGlob(statsGlob(io.env))) {
    const { pid, via } = writerPid(file, template);
    if (pid === undefined || alive(pid)) continue;
    if (!dry) {
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        await writeAll(io.stderr, `waymark stats clean: cannot remove ${file}: ${reason(err)}\n`);
        code = 2;
        continue;
      }
    }
    removed += 1;
    const line = flags.values.json
      ? JSON.stringify({ file, pid, pidFrom: via, removed: !dry })
      : `${dry ? 'would remove' : 'removed'} ${file} (pid ${pid} is gone)`;
    await writeAll(io.stdout, line + '\n');
  }
  if (!flags.values.json) {
    await writeAll(io.stderr, `waymark stats clean: ${removed} ${dry ? 'would be removed' : 'removed'}\n`);
  }
  return code;
}

const command: Command = {
  name: 'stats',
  summary: 'read mmstats files: slurp, clean',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'slurp') return slurp(rest, io);
    if (sub === 'clean') return clean(rest, io);
    throw new UsageError(
      sub === undefined
        ? 'waymark stats: missing subcommand; expected slurp or clean'
        : `waymark stats: unknown subcommand "${sub}"; expected slurp or clean`,
    );
  },
};
export default command;
