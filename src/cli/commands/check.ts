import { isAbsolute, relative } from 'node:path';
import { ConfigError, type ConfigProblem } from '../../config/config-error.js';
import { Distiller } from '../../distill/index.js';
import { loadTriggerDefinitions } from '../../engine/trigger-definitions.js';
import type { TriggerDefinition } from '../../engine/trigger.js';
import type { PipelineDefinition } from '../../pipeline/handler.js';
import { checkTriggerPipelines, loadPipelineDefinitions } from '../../pipeline/pipeline-definitions.js';
import { handlerRegistry } from '../../runtime/runtime.js';
import { parseFlags, type CliIO, type Command } from '../command.js';
import { CONFIG_FLAGS, CONFIG_FLAGS_USAGE, resolveConfig } from '../config-flags.js';

const FLAGS = {
  ...CONFIG_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

const USAGE = `usage: waymark check [--config FILE] [--store URL]

Loads the configuration and everything it names — event definitions, trigger
definitions, pipeline definitions — checks that every trigger's pipelines
exist, and prints every problem (FILE:LINE:COL: PATH: what is expected) and
warning, then a summary.

${CONFIG_FLAGS_USAGE}
  -h, --help              this help

Exit codes: 0 ok (warnings allowed), 2 problems.`;

/** Run `fn`, moving the problems of a ConfigError into `problems`. */
function collect<T>(problems: ConfigProblem[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return undefined;
  }
}

/** A file name as shown: relative to the current directory when inside it. */
function shownPath(io: CliIO, file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(io.cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function formatter(io: CliIO): (p: ConfigProblem, warning?: boolean) => string {
  const shown = (file: string): string => shownPath(io, file);
  return (p, warning = false) => {
    const where = p.line === undefined ? shown(p.file) : `${shown(p.file)}:${p.line}:${p.column ?? 1}`;
    return `${where}: ${warning ? 'warning: ' : ''}${p.path === '' ? '' : `${p.path}: `}${p.message}`;
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const command: Command = {
  name: 'check',
  summary: 'check waymark.yaml and the event, trigger and pipeline definitions it names',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags('check', args, FLAGS);
    const format = formatter(io);
    const problems: ConfigProblem[] = [];
    const warnings: ConfigProblem[] = [];
    const config = collect(problems, () => resolveConfig(values, io));
    let summary = '';
    if (config !== undefined) {
      warnings.push(...config.warnings);
      const distiller = collect(problems, () =>
        Distiller.load(config.distillerFiles, { catchAll: config.catchAll }),
      );
      const loaded = collect(problems, () => loadTriggerDefinitions(config.triggerFiles));
      const triggers: TriggerDefinition[] | undefined = loaded?.triggers;
      if (loaded !== undefined) warnings.push(...loaded.warnings);
      const registry = await handlerRegistry(config, problems);
      const pipelines: Map<string, PipelineDefinition> | undefined = collect(problems, () =>
        loadPipelineDefinitions(config.pipelineFiles, registry),
      );
      if (triggers !== undefined && pipelines !== undefined)
        problems.push(...checkTriggerPipelines(triggers, pipelines));
      summary =
        `${plural(distiller?.size ?? 0, 'event definition')}, ${plural(triggers?.length ?? 0, 'trigger')}, ` +
        `${plural(pipelines?.size ?? 0, 'pipeline')}`;
    }
    const from =
      config === undefined
        ? 'not loaded'
        : config.file === undefined
          ? 'default'
          : shownPath(io, config.file);
    let out = '';
    for (const p of problems) out += format(p) + '\n';
    for (const w of warnings) out += format(w, true) + '\n';
    const tail = warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : '';
    if (problems.length === 0) {
      out += `ok: ${summary}${tail} (config: ${from})\n`;
    } else {
      out += `${plural(problems.length, 'problem')}${tail}${summary === '' ? '' : ` (loaded: ${summary})`} (config: ${from})\n`;
    }
    io.stdout.write(out);
    return problems.length === 0 ? 0 : 2;
  },
};
export default command;
