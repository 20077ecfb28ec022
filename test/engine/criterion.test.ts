import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCriterion, type CriterionOptions } from '../../src/engine/criterion.js';
import type { Criterion } from '../../src/engine/trigger.js';
import { ev, issueLog } from './helpers.js';

const MATCH: CriterionOptions = { distinguishedBy: ['instance_id', 'timestamp'], kind: 'match' };

function criterion(raw: unknown, options: CriterionOptions = MATCH): Criterion {
  const log = issueLog();
  const c = compileCriterion(raw, [0], log, options);
  assert.deepEqual(log.problems, []);
  assert.ok(c);
  return c;
}

function problems(raw: unknown, options: CriterionOptions = MATCH): string[] {
  const log = issueLog();
  const c = compileCriterion(raw, [0], log, options);
  assert.equal(c, undefined, 'a criterion with problems must not compile');
  return log.problems;
}

/** `check` and `matchesType` agree on the type, and `check` gives `expected`. */
function expectCheck(c: Criterion, event: ReturnType<typeof ev>, expected: string | undefined): void {
  assert.equal(c.check(event), expected, `${event.event_type} ${JSON.stringify(event.traits)}`);
}

test('event_type: globs with exclusions (the sandbox match criterion); matchesType agrees with check', () => {
  const c = criterion({
    event_type: [
      'compute.instance.*',
      'snapshot_instance',
      'keypair.import.*',
      'rebuild_instance',
      '!compute.instance.exists',
      '!compute.instance.exists.failed',
    ],
  });
  for (const t of [
    'compute.instance.create.start',
    'snapshot_instance',
    'keypair.import.end',
    'compute.instance.exists.verified',
  ]) {
    assert.equal(c.matchesType(t), true, t);
    expectCheck(c, ev(t), undefined);
  }
  for (const t of [
    'compute.instance.exists',
    'compute.instance.exists.failed',
    'image.upload',
    'snapshot_instancex',
  ]) {
    assert.equal(c.matchesType(t), false, t);
  }
  expectCheck(
    c,
    ev('compute.instance.exists'),
    'event_type "compute.instance.exists" is excluded by !compute.instance.exists',
  );
  expectCheck(
    c,
    ev('image.upload'),
    'event_type "image.upload" does not match compute.instance.*, snapshot_instance, keypair.import.*, rebuild_instance',
  );
  // Cached answers stay right.
  assert.equal(c.matchesType('compute.instance.exists'), false);
  assert.equal(c.matchesType('compute.instance.update'), true);
});

test('event_type: only exclusions means everything else; a single glob string; default "*"', () => {
  const only = criterion({ event_type: ['!compute.instance.exists', '!*.error'] });
  assert.equal(only.matchesType('compute.instance.update'), true);
  assert.equal(only.matchesType('compute.instance.exists'), false);
  assert.equal(only.matchesType('compute.instance.create.error'), false);
  const one = criterion({ event_type: 'compute.instance.create.*' });
  assert.equal(one.matchesType('compute.instance.create.end'), true);
  expectCheck(
    one,
    ev('compute.instance.update'),
    'event_type "compute.instance.update" does not match compute.instance.create.*',
  );
  const all = criterion({});
  assert.equal(all.matchesType('anything.at.all'), true);
  assert.equal(all.check(ev('x')), undefined);
  assert.equal(all.number, 1);
  assert.deepEqual(all.mapDistinguishedBy, {});
  // fnmatch character classes
  const cls = criterion({ event_type: 'testrun.[bq]*_start' });
  assert.equal(cls.matchesType('testrun.boot_start'), true);
  assert.equal(cls.matchesType('testrun.flash_start'), false);
});

test('the type cache is bounded and stays correct past its limit', () => {
  const c = criterion({ event_type: ['a.*', '!a.x*'] });
  for (let i = 0; i < 3000; i++) {
    assert.equal(c.matchesType(`a.${i}`), true);
    assert.equal(c.matchesType(`a.x${i}`), false);
  }
  assert.equal(c.matchesType('b.1'), false);
});

test('number: default 1, or as given', () => {
  assert.equal(criterion({ event_type: 'x' }).number, 1);
  assert.equal(criterion({ event_type: 'x', number: 3 }).number, 3);
});

test('traits {int|float|numeric: "OP N"}: every operator, both sides of it', () => {
  const cases: [unknown, number, boolean][] = [
    [{ int: '> 4096' }, 8192, true],
    [{ int: '> 4096' }, 4096, false],
    [{ int: '>= 4096' }, 4096, true],
    [{ int: '>= 4096' }, 4095, false],
    [{ int: '< 10' }, 9, true],
    [{ int: '< 10' }, 10, false],
    [{ int: '<= 10' }, 10, true],
    [{ int: '<= 10' }, 11, false],
    [{ int: '= 7' }, 7, true],
    [{ int: '= 7' }, 8, false],
    [{ int: '== 7' }, 7, true],
    [{ int: '==7' }, 6, false],
    [{ int: '!= 7' }, 6, true],
    [{ int: '!= 7' }, 7, false],
    [{ int: 7 }, 7, true],
    [{ int: '7' }, 8, false],
    [{ float: '> 0.5' }, 0.75, true],
    [{ float: '> 0.5' }, 0.5, false],
    [{ float: '<= -1.5e1' }, -15, true],
    [{ numeric: '> 4096' }, 4097, true],
    [{ numeric: '> 4096' }, 100, false],
  ];
  for (const [spec, value, ok] of cases) {
    const c = criterion({ traits: { memory_mb: spec } });
    const why = c.check(ev('x', { memory_mb: value }));
    assert.equal(why === undefined, ok, `${JSON.stringify(spec)} on ${value}: ${why}`);
  }
  const c = criterion({ traits: { memory_mb: { int: '> 4096' } } });
  assert.equal(c.check(ev('x', { memory_mb: 512 })), 'trait memory_mb: 512 is not > 4096');
  assert.equal(c.check(ev('x', {})), 'trait memory_mb: missing');
  assert.equal(c.check(ev('x', { memory_mb: '8192' })), undefined, 'numeric text compares numerically');
  assert.equal(
    c.check(ev('x', { memory_mb: 'lots' })),
    'trait memory_mb: "lots" is not a number (expected > 4096)',
  );
  const ne = criterion({ traits: { n: { int: '!= 3' } } });
  assert.equal(ne.check(ev('x', { n: 3 })), 'trait n: 3 is 3, expected != 3');
  const eq = criterion({ traits: { n: { float: 2.5 } } });
  assert.equal(eq.check(ev('x', { n: 3 })), 'trait n: 3 is not 2.5');
});

test('traits: a constant is equality; numbers numerically, datetimes by instant', () => {
  const distro = criterion({ traits: { os_distro: 'ubuntu' } });
  assert.equal(distro.check(ev('x', { os_distro: 'ubuntu' })), undefined);
  assert.equal(distro.check(ev('x', { os_distro: 'centos' })), 'trait os_distro: "centos" is not "ubuntu"');
  assert.equal(distro.check(ev('x', {})), 'trait os_distro: missing');
  const mem = criterion({ traits: { memory_mb: 512 } });
  assert.equal(mem.check(ev('x', { memory_mb: 512 })), undefined);
  assert.equal(mem.check(ev('x', { memory_mb: 512.0 })), undefined);
  assert.equal(mem.check(ev('x', { memory_mb: '512' })), undefined, 'a text trait holding 512');
  assert.equal(mem.check(ev('x', { memory_mb: 1024 })), 'trait memory_mb: 1024 is not 512');
  const memText = criterion({ traits: { memory_mb: '512' } });
  assert.equal(
    memText.check(ev('x', { memory_mb: 512 })),
    undefined,
    'a numeric string constant on a number trait',
  );
  assert.equal(memText.check(ev('x', { memory_mb: 513 })), 'trait memory_mb: 513 is not "512"');
  const launched = criterion({ traits: { launched_at: '2014-06-11 16:09:41' } });
  assert.equal(launched.check(ev('x', { launched_at: '2014-06-11T16:09:41.000000Z' })), undefined);
  assert.equal(
    launched.check(ev('x', { launched_at: '2014-06-11T16:09:42.000000Z' })),
    'trait launched_at: 2014-06-11T16:09:42.000000Z is not "2014-06-11 16:09:41"',
  );
  const notATime = criterion({ traits: { launched_at: 'yesterday' } });
  assert.match(
    notATime.check(ev('x', { launched_at: '2014-06-11T16:09:41.000000Z' })) ?? '',
    /"yesterday" is not a timestamp/,
  );
  // A trait named like an Object.prototype member is still just a trait.
  const proto = criterion({ traits: { constructor: 'x' } });
  assert.equal(proto.check(ev('e', {})), 'trait constructor: missing');
  assert.equal(proto.check(ev('e', { constructor: 'x' })), undefined);
});

test('traits {string: v} and {text: v}: equality of the text form', () => {
  const c = criterion({ traits: { state: { string: 'active' }, flavor: { text: 5 } } });
  assert.equal(c.check(ev('x', { state: 'active', flavor: '5' })), undefined);
  assert.equal(c.check(ev('x', { state: 'active', flavor: 5 })), undefined);
  assert.equal(c.check(ev('x', { state: 'error', flavor: '5' })), 'trait state: "error" is not "active"');
  assert.equal(c.check(ev('x', { state: 'active' })), 'trait flavor: missing');
});

test('traits {datetime: timex}: the sandbox fire criterion (equality with a timestamp result)', () => {
  const c = criterion(
    {
      event_type: 'compute.instance.exists',
      traits: { audit_period_ending: { datetime: '$audit_period_beginning + 1d' } },
    },
    { distinguishedBy: ['instance_id'], kind: 'fire' },
  );
  const day = {
    audit_period_beginning: '2014-06-11T00:00:00.000000Z',
    audit_period_ending: '2014-06-12T00:00:00.000000Z',
  };
  assert.equal(c.check(ev('compute.instance.exists', day)), undefined);
  assert.equal(
    c.check(ev('compute.instance.exists', { ...day, audit_period_ending: '2014-06-11T12:00:00.000000Z' })),
    'trait audit_period_ending: 2014-06-11T12:00:00.000000Z is not 2014-06-12T00:00:00.000000Z ($audit_period_beginning + 1d)',
  );
  assert.equal(
    c.check(ev('compute.instance.exists', { audit_period_ending: '2014-06-12T00:00:00.000000Z' })),
    'trait audit_period_beginning: missing (needed by "$audit_period_beginning + 1d")',
  );
  assert.equal(
    c.check(ev('compute.instance.exists', { audit_period_beginning: day.audit_period_beginning })),
    'trait audit_period_ending: missing',
  );
  assert.equal(
    c.check(ev('compute.instance.exists', { ...day, audit_period_beginning: 'soon' })),
    'trait audit_period_beginning: "soon" is not a datetime (needed by "$audit_period_beginning + 1d")',
  );
  assert.equal(
    c.check(ev('compute.instance.update', day)),
    'event_type "compute.instance.update" does not match compute.instance.exists',
  );
});

test('traits {datetime: timex}: a range result means the trait is inside it; $timestamp is the event time', () => {
  const c = criterion({ traits: { launched_at: { datetime: 'day($timestamp)' } } });
  assert.equal(
    c.check(ev('x', { launched_at: '2014-06-11T01:00:00.000000Z' }, '2014-06-11T23:00:00Z')),
    undefined,
  );
  assert.equal(
    c.check(ev('x', { launched_at: '2014-06-10T23:59:59.000000Z' }, '2014-06-11T23:00:00Z')),
    'trait launched_at: 2014-06-10T23:59:59.000000Z not in [2014-06-11T00:00:00.000000Z, 2014-06-12T00:00:00.000000Z) (day($timestamp))',
  );
  assert.equal(c.check(ev('x', { launched_at: 42 })), 'trait launched_at: 42 is not a datetime');
});

test('timestamp: the event timestamp must be in the range, evaluated with its traits', () => {
  // The day after the audit period began (a shift by a whole unit is not pinned).
  const c = criterion({ event_type: 'compute.instance.*', timestamp: 'day($audit_period_beginning) + 1d' });
  const begin = { audit_period_beginning: '2014-06-11T00:00:00.000000Z' };
  assert.equal(c.check(ev('compute.instance.update', begin, '2014-06-12T01:59:59Z')), undefined);
  assert.equal(
    c.check(ev('compute.instance.update', begin, '2014-06-11T23:00:00Z')),
    'timestamp 2014-06-11T23:00:00.000000Z not in [2014-06-12T00:00:00.000000Z, 2014-06-13T00:00:00.000000Z)',
  );
  assert.equal(
    c.check(ev('compute.instance.update', {}, '2014-06-12T01:00:00Z')),
    'timestamp: trait audit_period_beginning: missing (needed by "day($audit_period_beginning) + 1d")',
  );
  // Pinned: a shift shorter than the unit slides the range back over its timestamp.
  const pinned = criterion({ timestamp: 'day($audit_period_beginning) + 2h' });
  assert.equal(pinned.check(ev('x', begin, '2014-06-11T01:00:00Z')), undefined);
  assert.match(
    pinned.check(ev('x', begin, '2014-06-11T02:00:00Z')) ?? '',
    /not in \[2014-06-10T02:00:00.000000Z, 2014-06-11T02:00:00.000000Z\)$/,
  );
  const window = criterion({ timestamp: '$launched_at to $deleted_at' });
  const life = { launched_at: '2014-06-11T10:00:00.000000Z', deleted_at: '2014-06-11T12:00:00.000000Z' };
  assert.equal(window.check(ev('x', life, '2014-06-11T11:00:00Z')), undefined);
  assert.match(
    window.check(ev('x', life, '2014-06-11T12:00:00Z')) ?? '',
    /^timestamp 2014-06-11T12:00:00.000000Z not in \[/,
  );
});

test('the first failing condition is reported: type, then timestamp, then traits in order', () => {
  const c = criterion({
    event_type: 'compute.instance.exists',
    timestamp: 'day($audit_period_beginning)',
    traits: { os_distro: 'ubuntu', memory_mb: { int: '> 4096' } },
  });
  const good = {
    audit_period_beginning: '2014-06-11T00:00:00.000000Z',
    os_distro: 'ubuntu',
    memory_mb: 8192,
  };
  assert.equal(c.check(ev('compute.instance.exists', good)), undefined);
  assert.match(c.check(ev('compute.instance.update', { os_distro: 'centos' })) ?? '', /^event_type/);
  assert.match(
    c.check(ev('compute.instance.exists', { ...good, os_distro: 'centos' }, '2014-07-01T00:00:00Z')) ?? '',
    /^timestamp /,
  );
  assert.equal(
    c.check(ev('compute.instance.exists', { ...good, os_distro: 'centos', memory_mb: 1 })),
    'trait os_distro: "centos" is not "ubuntu"',
  );
  assert.equal(
    c.check(ev('compute.instance.exists', { ...good, memory_mb: 1 })),
    'trait memory_mb: 1 is not > 4096',
  );
});

test('map_distinguished_by: kept as given; the misspelling is accepted with a warning', () => {
  const c = criterion({
    event_type: 'compute.instance.exists',
    map_distinguished_by: { timestamp: 'audit_period_beginning' },
  });
  assert.deepEqual(c.mapDistinguishedBy, { timestamp: 'audit_period_beginning' });
  const log = issueLog();
  const misspelt = compileCriterion(
    { map_distingushed_by: { timestamp: 'audit_period_beginning' } },
    [0],
    log,
    MATCH,
  );
  assert.deepEqual(misspelt?.mapDistinguishedBy, { timestamp: 'audit_period_beginning' });
  assert.deepEqual(log.problems, []);
  assert.equal(log.warnings.length, 1);
  assert.match(
    log.warnings[0] ?? '',
    /^\[0\]\.map_distingushed_by: .*misspelling.*rename it to "map_distinguished_by"/,
  );
  const fire = issueLog();
  compileCriterion({ map_distinguished_by: { timestamp: 'x' } }, [0], fire, { ...MATCH, kind: 'fire' });
  assert.match(fire.warnings[0] ?? '', /only applies to match_criteria/);
});

test('a malformed criterion reports every problem at once, each with its path and what is expected', () => {
  const got = problems({
    event_type: ['compute.*', 5, '[z-a]'],
    number: 0,
    timestamp: '$last + 1h',
    traits: {
      memory_mb: { int: '>> 4096' },
      vcpus: { int: '> 1.5' },
      disk_gb: { flaot: 10 },
      ram: { int: 1, float: 2 },
      empty: {},
      flag: true,
      listy: [1, 2],
      launched_at: { datetime: '$launched_at +' },
      deleted_at: { datetime: 5 },
      state: { string: ['a'] },
    },
    map_distinguished_by: { tenant: 'tenant_id', timestamp: 7 },
    traitz: {},
  });
  const expected: [string, RegExp][] = [
    ['[0].event_type[1]', /expected a glob \(a string\), got number 5/],
    ['[0].event_type[2]', /range "z-a" goes backwards/],
    ['[0].number', /expected how many matching events are needed, a whole number >= 1, got number 0/],
    ['[0].timestamp', /"\$last \+ 1h" gives a timestamp; expected a time range/],
    ['[0].traits.memory_mb.int', /expected a number or a comparison such as "> 4096" .*got string ">> 4096"/],
    ['[0].traits.vcpus.int', /expected a whole number for an int comparison, got 1.5/],
    ['[0].traits.disk_gb.flaot', /unknown comparison "flaot" \(did you mean "float"\?\)/],
    [
      '[0].traits.ram',
      /expected exactly one of int, float, numeric, datetime, string, text .*got 2 keys: int, float/,
    ],
    ['[0].traits.empty', /got an empty map/],
    ['[0].traits.flag', /expected a constant \(a string or a number\) or a one-key map .*got boolean true/],
    ['[0].traits.listy', /got a list/],
    ['[0].traits.launched_at.datetime', /datetime "\$launched_at \+": .* at column/],
    ['[0].traits.deleted_at.datetime', /expected a time expression .*got number 5/],
    ['[0].traits.state.string', /expected a string to compare with, got a list/],
    [
      '[0].map_distinguished_by.tenant',
      /"tenant" is not a distinguishing trait of this trigger; expected one of instance_id, timestamp/,
    ],
    ['[0].map_distinguished_by.timestamp', /expected the name of a trait of the event, got number 7/],
    ['[0].traitz', /unknown key "traitz" \(did you mean "traits"\?\); expected one of event_type, number/],
  ];
  for (const [path, message] of expected) {
    const line = got.find((g) => g.startsWith(`${path}: `));
    assert.ok(line, `no problem at ${path}; got:\n${got.join('\n')}`);
    assert.match(line, message);
  }
  assert.equal(got.length, expected.length, got.join('\n'));
});

test('malformed: not a map, bad event_type shapes, bad mapping shapes, both spellings', () => {
  assert.match(problems('compute.*')[0] ?? '', /^\[0\]: expected a criterion \{event_type, number/);
  assert.match(
    problems({ event_type: [] })[0] ?? '',
    /^\[0\]\.event_type: expected a glob .*non-empty list.*got a list/,
  );
  assert.match(problems({ event_type: { a: 1 } })[0] ?? '', /got a map/);
  assert.match(problems({ event_type: '' })[0] ?? '', /empty glob/);
  assert.match(problems({ number: 1.5 })[0] ?? '', /^\[0\]\.number: .*got number 1.5/);
  assert.match(problems({ number: '2' })[0] ?? '', /got string "2"/);
  assert.match(problems({ timestamp: 'day(' })[0] ?? '', /^\[0\]\.timestamp: timestamp "day\(": .*column/);
  assert.match(problems({ timestamp: 3 })[0] ?? '', /expected a time range expression/);
  assert.match(problems({ traits: ['a'] })[0] ?? '', /^\[0\]\.traits: expected a map of trait name/);
  assert.match(
    problems({ map_distinguished_by: ['timestamp'] })[0] ?? '',
    /^\[0\]\.map_distinguished_by: expected a map/,
  );
  assert.match(
    problems({ map_distinguished_by: { timestamp: 'a' }, map_distingushed_by: { timestamp: 'a' } })[0] ?? '',
    /^\[0\]\.map_distingushed_by: both map_distinguished_by and its misspelling/,
  );
  assert.match(
    problems({ map_distinguished_by: { instance_id: 'x' } }, { distinguishedBy: [], kind: 'match' })[0] ?? '',
    /\(none: distinguished_by is empty\)/,
  );
});
