import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/paths.js';

test("the package root exports the library API by name (import { … } from 'waymark')", () => {
  // Resolve through package.json "exports", as a user's import would.
  const script = `
    import * as w from 'waymark';
    const want = ['EventGenerator', 'Distiller', 'parseTimex', 'Instant', 'openstackScenario',
      'testrunScenario', 'loadTemplateScenario', 'BUNDLED_DEFINITIONS', 'ConfigError', 'TimeRange'];
    const missing = want.filter((k) => w[k] === undefined);
    const gen = new w.EventGenerator({ scenario: w.openstackScenario(), opsPerHour: 600, seed: 3, count: 50 });
    const d = w.Distiller.load(w.BUNDLED_DEFINITIONS);
    let events = 0;
    for (const g of gen) if (d.distillLine(g.line).status === 'event') events++;
    const t = w.parseTimex('$last + 1h').evaluate({ last: w.Instant.parse('2014-06-11 16:09:41') });
    process.stdout.write(JSON.stringify({ missing, events, t }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
  }).toString();
  const r = JSON.parse(out) as { missing: string[]; events: number; t: string };
  assert.deepEqual(r.missing, []);
  assert.equal(r.events, 50);
  assert.equal(r.t, '2014-06-11T17:09:41.000000Z');
});

test("the stats writer is a subpath export (import { stats } from 'waymark/stats') and round-trips", () => {
  const script = `
    import { mkdtempSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    import { stats, counter, readStatsFile } from 'waymark/stats';
    const dir = mkdtempSync(join(tmpdir(), 'waymark-export-'));
    const s = stats({ prefix: 'x.', path: dir, fields: { hits: counter('hits') } });
    s.hits.incr(5);
    const hits = readStatsFile(s.path).find((f) => f.label === 'x.hits');
    s.close();
    process.stdout.write(JSON.stringify({ hits: Number(hits.value) }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
  }).toString();
  assert.deepEqual(JSON.parse(out), { hits: 5 });
});
