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
