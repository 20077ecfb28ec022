import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, Distiller, type ConfigProblem } from '../../src/distill/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'distill');

function problemsOf(fn: () => unknown): readonly ConfigProblem[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the definitions to be rejected');
}

function problemsOfText(yaml: string): readonly ConfigProblem[] {
  return problemsOf(() => Distiller.fromText(yaml, 'defs.yaml'));
}

function find(problems: readonly ConfigProblem[], path: string): ConfigProblem {
  const p = problems.find((x) => x.path === path);
  assert.ok(p, `no problem at ${path}; got:\n${problems.map((x) => `${x.path}: ${x.message}`).join('\n')}`);
  return p;
}

test('a bad file reports EVERY problem, each with file, path, line and what is expected', () => {
  const file = join(FIXTURES, 'bad-definitions.yaml');
  const problems = problemsOf(() => Distiller.load(file));
  for (const p of problems) {
    assert.equal(p.file, file);
    assert.equal(typeof p.line, 'number');
  }
  const typo = find(problems, '[0].traits.instance_id.feilds');
  assert.match(typo.message, /unknown key "feilds" \(did you mean "fields"\?\)/);
  assert.equal(typo.line, 4);
  const type = find(problems, '[0].traits.memory_mb.type');
  assert.match(
    type.message,
    /unknown type "integer" \(did you mean "int"\?\); expected one of text, int, float, datetime/,
  );
  assert.equal(type.line, 6);
  const path = find(problems, '[0].traits.host.fields');
  assert.match(path.message, /bad path "payload..host" at column 9/);
  // `      fields: payload..host`: the value starts at column 15; its 9th character is at 23.
  assert.deepEqual([path.line, path.column], [9, 23]);
  const filter = find(problems, '[0].traits.launched_at.fields[1]');
  assert.match(filter.message, /bad filter "\[\?key\]"/);
  assert.deepEqual([filter.line, filter.column], [14, 11 + 18]);
  assert.match(
    find(problems, '[0].traits.service.plugin').message,
    /unknown plugin "splitt" \(did you mean "split"\?\)/,
  );
  assert.match(
    find(problems, '[0].traits.zone.plugin.parameters.segment').message,
    /expected an integer, got "first"/,
  );
  assert.match(
    find(problems, '[0].traits.zone.plugin.parameters.separators').message,
    /unknown parameter "separators"/,
  );
  const glob = find(problems, '[1].event_type[0]');
  assert.match(glob.message, /bad glob "compute.instance.\[create" at column 18: unterminated "\["/);
  assert.match(find(problems, '[2]').message, /missing "event_type"/);
  assert.match(find(problems, '[3]').message, /missing "traits"/);
  assert.match(find(problems, '[4].travis').message, /did you mean "traits"/);
  // The traits merged from the anchor into [1] are not reported a second time.
  assert.equal(problems.filter((p) => p.message.includes('feilds')).length, 1);
  // The message lists all of them, one per line.
  try {
    Distiller.load(file);
  } catch (err) {
    assert.match((err as Error).message, new RegExp(`^${problems.length} problems:\\n`));
    assert.match(
      (err as Error).message,
      /bad-definitions\.yaml:4:7: \[0\]\.traits\.instance_id\.feilds: unknown key/,
    );
  }
});

test('not a list, wrong shapes', () => {
  assert.match(
    (problemsOfText('event_type: x\ntraits: {}\n')[0] as ConfigProblem).message,
    /expected a list of event definitions/,
  );
  assert.match((problemsOfText('')[0] as ConfigProblem).message, /empty document/);
  assert.match(
    find(problemsOfText('- just a string\n'), '[0]').message,
    /expected a definition \{event_type, traits\}/,
  );
  const shapes = problemsOfText(`
- event_type: 42
  traits: []
- event_type: []
  traits:
    a: payload.a
    b: {fields: []}
    c: {fields: [payload.c, 7]}
    d: {fields: payload.d, type: 3}
`);
  assert.match(
    find(shapes, '[0].event_type').message,
    /expected a glob or a non-empty list of globs, got number 42/,
  );
  assert.match(find(shapes, '[0].traits').message, /expected a map of trait name/);
  assert.match(find(shapes, '[1].event_type').message, /non-empty list/);
  assert.match(
    find(shapes, '[1].traits.a').message,
    /expected a trait definition \{fields, type\?, plugin\?\}, got string "payload.a"/,
  );
  assert.match(find(shapes, '[1].traits.b.fields').message, /non-empty list of paths/);
  assert.match(find(shapes, '[1].traits.c.fields[1]').message, /expected a path \(a string\), got number 7/);
  assert.match(find(shapes, '[1].traits.d.type').message, /unknown type 3/);
});

test('bad YAML is a ConfigError with line and column', () => {
  const problems = problemsOfText('- event_type: x\n  traits: {a: [\n');
  assert.equal(problems[0]?.file, 'defs.yaml');
  assert.equal(typeof problems[0]?.line, 'number');
  assert.match(problems[0]?.message ?? '', /invalid YAML/);
  const dup = problemsOfText('- event_type: x\n  event_type: y\n  traits: {}\n');
  assert.match(dup[0]?.message ?? '', /invalid YAML/);
});

test('a missing file is a ConfigError naming it', () => {
  const problems = problemsOf(() => Distiller.load(join(FIXTURES, 'no-such.yaml')));
  assert.match(problems[0]?.message ?? '', /no such file/);
  assert.equal(problems[0]?.file, join(FIXTURES, 'no-such.yaml'));
});

test('bad paths: every syntax error names the column inside the path', () => {
  const cases: [string, number, RegExp][] = [
    ['payload.', 9, /expected a key/],
    ['payload[0', 8, /unterminated "\["/],
    ["payload.'open", 9, /unterminated quote/],
    ['payload.`split(., x)`', 9, /unsupported function/],
    ['payload.`split(., 1, 1)`.more', 25, /nothing may follow/],
    ['payload host', 8, /unexpected " "/],
    ['payload[]', 8, /bad subscript/],
    ['$x', 2, /expected "." after "\$"/],
  ];
  for (const [path, column, message] of cases) {
    const problems = problemsOfText(`- event_type: x\n  traits:\n    t:\n      fields: ["${path}"]\n`);
    const p = find(problems, '[0].traits.t.fields[0]');
    assert.match(p.message, message, path);
    assert.match(p.message, new RegExp(`at column ${column}:`), path);
    // `      fields: ["`: the path starts at column 17.
    assert.equal(p.column, 16 + column, path);
  }
});

test('plugin problems: unknown, malformed, bad parameters (built-in and user)', () => {
  const problems = problemsOf(() =>
    Distiller.fromText(
      `
- event_type: x
  traits:
    a: {fields: p, plugin: {nme: split}}
    b: {fields: p, plugin: {name: split, parameters: [1]}}
    c: {fields: p, plugin: {name: split, parameters: {separator: ''}}}
    d: {fields: [p, q], plugin: {name: bitfield, parameters: {flags: [{path: r, bit: 99}, {pth: p, bit: 1}]}}}
    e: {fields: p, plugin: timedelta}
    f: {fields: p, plugin: {name: mine, parameters: {ok: false}}}
    g: {fields: p, plugin: 7}
`,
      'p.yaml',
      {
        plugins: {
          mine: (params, ctx) => {
            if (params['ok'] !== true) ctx.problem('ok', 'must be true');
            return () => undefined;
          },
        },
      },
    ),
  );
  assert.match(
    find(problems, '[0].traits.a.plugin.nme').message,
    /unknown key "nme" \(did you mean "name"\?\)/,
  );
  assert.match(find(problems, '[0].traits.a.plugin').message, /missing "name"/);
  assert.match(find(problems, '[0].traits.b.plugin.parameters').message, /expected a map/);
  assert.match(find(problems, '[0].traits.c.plugin.parameters.separator').message, /non-empty string/);
  assert.match(
    find(problems, '[0].traits.d.plugin.parameters.flags[0].path').message,
    /"r" is not one of the trait's fields/,
  );
  assert.match(find(problems, '[0].traits.d.plugin.parameters.flags[0].bit').message, /bit number 0-52/);
  assert.match(find(problems, '[0].traits.d.plugin.parameters.flags[1].pth').message, /unknown key "pth"/);
  assert.match(find(problems, '[0].traits.e.plugin').message, /timedelta needs exactly two fields/);
  assert.match(find(problems, '[0].traits.f.plugin.parameters.ok').message, /plugin mine: must be true/);
  assert.match(find(problems, '[0].traits.g.plugin').message, /unknown plugin 7/);
  // The user's plugin is listed among the expected names.
  assert.match(
    find(problems, '[0].traits.g.plugin').message,
    /expected one of split, bitfield, timedelta, mine/,
  );
});

test('a factory that throws becomes a problem too', () => {
  const problems = problemsOf(() =>
    Distiller.fromText('- {event_type: x, traits: {a: {fields: p, plugin: bad}}}', 'f.yaml', {
      plugins: {
        bad: () => {
          throw new Error('needs a regex');
        },
      },
    }),
  );
  assert.match(find(problems, '[0].traits.a.plugin').message, /plugin bad: needs a regex/);
});

test('bad globs', () => {
  const problems = problemsOfText(`
- event_type: ['', 'a.[z-a]', '![x']
  traits: {}
`);
  assert.match(find(problems, '[0].event_type[0]').message, /empty glob/);
  assert.match(find(problems, '[0].event_type[1]').message, /range "z-a" goes backwards/);
  assert.match(find(problems, '[0].event_type[2]').message, /unterminated "\["/);
});

test('problems in several files are reported together', () => {
  const bad = join(FIXTURES, 'bad-definitions.yaml');
  const problems = problemsOf(() => Distiller.load([bad, join(FIXTURES, 'no-such.yaml')]));
  assert.ok(problems.some((p) => p.file === bad));
  assert.ok(problems.length > 5);
});
