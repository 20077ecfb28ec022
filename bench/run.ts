/**
 * `npm run bench [-- SUITE ...] [--write]`: runs the benchmark suites (all by
 * default), prints each figure next to its same-run baseline, and with `--write`
 * replaces the table in bench/RESULTS.md with today's figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { BenchFigure, BenchSuite } from './lib.js';

const ALL = ['generate', 'distill', 'timex', 'stats', 'store', 'engine', 'analysis', 'amqp', 'postgres'];
const args = process.argv.slice(2);
const write = args.includes('--write');
const names = args.filter((a) => !a.startsWith('--'));
const suites = names.length > 0 ? names : ALL;

const fmt = (n: number): string =>
  n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });

function row(f: BenchFigure): string {
  const base = f.baseline === undefined ? '' : `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}`;
  const ratio = f.baseline === undefined ? '' : `${((f.value / f.baseline.value) * 100).toFixed(0)}%`;
  const met = f.met === undefined ? '' : f.met ? 'yes' : '**no**';
  return `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${base} | ${ratio} | ${f.target ?? ''} | ${met} | ${f.notes ?? ''} |`;
}

const lines: string[] = [];
for (const name of suites) {
  const suite = ((await import(`./${name}.js`)) as { default: BenchSuite }).default;
  process.stderr.write(`bench: ${suite.title} ...\n`);
  const figures = await suite.run();
  lines.push(`| **${suite.title}** | | | | | | |`);
  for (const f of figures) {
    lines.push(row(f));
    process.stderr.write(`  ${row(f)}\n`);
  }
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}.`,
  '',
  '| figure | value | baseline (same run, same input) | vs baseline | target | met | notes |',
  '|---|---|---|---|---|---|---|',
  ...lines,
].join('\n');
process.stdout.write(header + '\n');

if (write) {
  const path = new URL('../../bench/RESULTS.md', import.meta.url);
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  let text = readFileSync(path, 'utf8');
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`bench/RESULTS.md lacks the ${begin} ... ${end} markers`);
  text = text.slice(0, i + begin.length) + '\n' + header + '\n' + text.slice(j);
  writeFileSync(path, text);
  process.stderr.write('bench: bench/RESULTS.md updated\n');
}
