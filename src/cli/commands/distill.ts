import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLED_DEFINITIONS, Distiller, type TraitPluginFactory } from '../../distill/index.js';
import { WaymarkError } from '../../model/errors.js';
import { OUTPUT_FLAGS, parseFlags, writeAll, type CliIO, type Command } from '../command.js';
import { ProgressReporter, progressMode } from '../progress.js';
import { linesOf, openInput } from '../input.js';

const FLAGS = {
  definitions: { type: 'string', short: 'd', multiple: true },
  'catch-all': { type: 'boolean' },
  plugins: { type: 'string', multiple: true },
  'dead-letters': { type: 'string' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark distill [--definitions FILE]... [--catch-all] [--plugins MODULE.js]...
                       [--dead-letters FILE] [--quiet|--json] [INPUT|-]

Reads notifications as JSON lines (bare or in the oslo v2 envelope) from INPUT
(a file; "-" or nothing: stdin) and writes the distilled events as JSON lines on
stdout. The counts go to stderr at the end, always.

  -d, --definitions FILE  event definitions (StackTach/Ceilometer YAML); repeatable,
                          later files are searched first (default: the bundled
                          definitions/openstack.yaml)
      --catch-all         keep notifications no definition matches, envelope fields only
      --plugins MODULE    an ES module whose default export is {name: TraitPluginFactory}; repeatable
      --dead-letters FILE write the lines that are not notifications here (JSON lines:
                          {"line_number", "reason", "line"}) so nothing is lost
  -q, --quiet             no progress line (the final counts are still written)
      --json              progress and final counts as JSON objects on stderr
  -h, --help              this help

Exit codes: 0 done (bad lines are counted, not fatal), 2 bad flags or definitions.`;

const nf = new Intl.NumberFormat('en-US');
const FLUSH_AT = 1 << 16;

function userPath(io: CliIO, file: string): string {
  return isAbsolute(file) || io.cwd === process.cwd() ? file : resolve(io.cwd, file);
}

async function loadPlugins(
  io: CliIO,
  modules: readonly string[],
): Promise<Record<string, TraitPluginFactory>> {
  const out: Record<string, TraitPluginFactory> = {};
  for (const m of modules) {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(resolve(io.cwd, m)).href)) as { default?: unknown };
    } catch (cause) {
      throw new WaymarkError(`--plugins ${m}: cannot load the module: ${(cause as Error).message}`, {
        cause,
      });
    }
    const record = mod.default;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new WaymarkError(
        `--plugins ${m}: the default export must be an object {pluginName: factory}, got ${record === null ? 'null' : typeof record}`,
      );
    }
    for (const [name, factory] of Object.entries(record)) {
      if (typeof factory !== 'function') {
        throw new WaymarkError(
          `--plugins ${m}: plugin "${name}" must be a factory function (parameters, context) => plugin, got ${typeof factory}`,
        );
      }
      out[name] = factory as TraitPluginFactory;
    }
  }
  return out;
}

function openDeadLetters(io: CliIO, file: string): WriteStream {
  try {
    return createWriteStream('', { fd: openSync(resolve(io.cwd, file), 'w') });
  } catch (cause) {
    throw new WaymarkError(`--dead-letters ${file}: cannot write: ${(cause as Error).message}`, { cause });
  }
}

const command: Command = {
  name: 'distill',
  summary: 'turn notifications (JSON lines) into events (JSON lines) with event definitions',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseFlags('distill', args, FLAGS, { min: 0, max: 1 });
    const plugins = await loadPlugins(io, values.plugins ?? []);
    const files = (values.definitions ?? []).map((f) => userPath(io, f));
    const distiller = Distiller.load(files.length > 0 ? files : BUNDLED_DEFINITIONS, {
      catchAll: values['catch-all'] === true,
      plugins,
    });
    const input = openInput(io, positionals[0]);
    const deadFile = values['dead-letters'];
    const dead = deadFile === undefined ? undefined : openDeadLetters(io, deadFile);
    const mode = progressMode(io, values);
    const progress = new ProgressReporter(io, mode, 'distill', 'notifications');

    const counts = { lines: 0, distilled: 0, no_definition: 0, bad: 0, conversion_errors: 0 };
    let firstBad: string | undefined;
    let out = '';
    let deadOut = '';
    let lineNumber = 0;
    const snapshot = (): Parameters<ProgressReporter['update']>[0] => ({
      done: counts.lines,
      extra: { events: counts.distilled, 'no definition': counts.no_definition, bad: counts.bad },
    });

    const handle = (line: string): void => {
      lineNumber++;
      if (line.trim() === '') return;
      counts.lines++;
      const r = distiller.distillLine(line);
      if (r.status === 'event') {
        counts.distilled++;
        counts.conversion_errors += r.conversionErrors;
        out += JSON.stringify(r.event) + '\n';
      } else if (r.status === 'no_definition') {
        counts.no_definition++;
      } else {
        counts.bad++;
        firstBad ??= `line ${lineNumber}: ${r.reason}`;
        if (dead !== undefined) {
          deadOut += JSON.stringify({ line_number: lineNumber, reason: r.reason, line }) + '\n';
        }
      }
    };
    const flush = async (): Promise<void> => {
      if (out !== '') {
        const chunk = out;
        out = '';
        await writeAll(io.stdout, chunk);
      }
      if (dead !== undefined && deadOut !== '') {
        const chunk = deadOut;
        deadOut = '';
        await writeAll(dead, chunk);
      }
    };

    try {
      for await (const lines of linesOf(input, positionals[0] ?? 'stdin')) {
        for (const line of lines) {
          handle(line);
        }
        if (out.length >= FLUSH_AT || deadOut.length >= FLUSH_AT) await flush();
        progress.update(snapshot());
      }
      await flush();
    } finally {
      if (dead !== undefined) await new Promise<void>((done) => dead.end(done));
    }

    if (mode === 'json') {
      progress.finish(snapshot());
      io.stderr.write(JSON.stringify({ summary: 'distill', ...counts, first_bad: firstBad ?? null }) + '\n');
    } else {
      progress.clear();
      io.stderr.write(
        `distilled ${nf.format(counts.distilled)}  no definition ${nf.format(counts.no_definition)}  bad ${nf.format(counts.bad)}  trait conversion errors ${nf.format(counts.conversion_errors)}\n`,
      );
      if (firstBad !== undefined) {
        io.stderr.write(
          `first bad ${firstBad}${dead === undefined ? ' (keep every bad line with --dead-letters FILE)' : ` (all ${nf.format(counts.bad)} in ${deadFile})`}\n`,
        );
      }
    }
    return 0;
  },
};
export default command;
