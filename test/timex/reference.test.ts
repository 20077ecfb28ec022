import { test } from 'node:test';
import assert from 'node:assert/strict';
import { YamlSource } from '../../src/config/yaml-source.js';
import { Instant } from '../../src/model/instant.js';
import { parseTimex, TimeRange } from '../../src/timex/index.js';
import { sharedReference } from '../helpers/paths.js';

interface Found {
  where: string;
  source: string;
  role: 'expiration' | 'distinguished_by' | 'criterion timestamp' | 'datetime trait';
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every timex string in a winchester trigger file: expiration, distinguished_by ranges, criteria. */
function timexStrings(file: string, value: unknown): Found[] {
  const out: Found[] = [];
  if (!Array.isArray(value)) return out;
  value.forEach((trigger, i) => {
    if (!isMap(trigger)) return;
    const at = `${file}[${i}]`;
    if (typeof trigger['expiration'] === 'string') {
      out.push({ where: `${at}.expiration`, source: trigger['expiration'], role: 'expiration' });
    }
    const dist = trigger['distinguished_by'];
    if (Array.isArray(dist)) {
      dist.forEach((d, j) => {
        if (!isMap(d)) return;
        for (const [k, v] of Object.entries(d)) {
          if (typeof v === 'string')
            out.push({ where: `${at}.distinguished_by[${j}].${k}`, source: v, role: 'distinguished_by' });
        }
      });
    }
    for (const key of ['match_criteria', 'fire_criteria', 'load_criteria']) {
      const list = trigger[key];
      if (!Array.isArray(list)) continue;
      list.forEach((c, j) => {
        if (!isMap(c)) return;
        const where = `${at}.${key}[${j}]`;
        if (typeof c['timestamp'] === 'string') {
          out.push({ where: `${where}.timestamp`, source: c['timestamp'], role: 'criterion timestamp' });
        }
        const traits = c['traits'];
        if (!isMap(traits)) return;
        for (const [name, t] of Object.entries(traits)) {
          if (isMap(t) && typeof t['datetime'] === 'string') {
            out.push({
              where: `${where}.traits.${name}.datetime`,
              source: t['datetime'],
              role: 'datetime trait',
            });
          }
        }
      });
    }
  });
  return out;
}

for (const name of ['winchester-triggers.yaml', 'sandbox-triggers.yaml']) {
  test(`every time expression in the reference ${name} compiles and evaluates`, (t) => {
    const path = sharedReference(t, 'stacktach-configs', name);
    if (path === undefined) return;
    const found = timexStrings(name, YamlSource.load(path).value);
    // Each file has an expiration and a distinguished_by day bucket at least.
    assert.ok(
      found.some((f) => f.role === 'expiration'),
      'no expiration found',
    );
    assert.ok(
      found.some((f) => f.role === 'distinguished_by'),
      'no distinguished_by range found',
    );

    const first = Instant.parse('2014-08-01T01:00:00Z');
    const last = Instant.parse('2014-08-01T05:00:00Z');
    for (const f of found) {
      const expr = parseTimex(f.source, { label: f.where });
      const vars: Record<string, Instant> = { first, last, timestamp: last };
      for (const v of expr.variables) vars[v] ??= first;
      const result = expr.evaluate(vars);
      switch (f.role) {
        case 'expiration':
          assert.equal(expr.resultKind, 'timestamp', f.where);
          assert.ok(result instanceof Instant && result.us > last.us, `${f.where}: expires after $last`);
          break;
        case 'distinguished_by':
        case 'criterion timestamp':
          assert.equal(expr.resultKind, 'range', f.where);
          assert.ok(
            result instanceof TimeRange && result.contains(last),
            `${f.where}: bucket holds the event`,
          );
          break;
        case 'datetime trait':
          assert.notEqual(result, undefined, f.where);
          break;
      }
      // And a missing variable is "no match", not an error.
      if (expr.variables.some((v) => v !== 'timestamp')) assert.equal(expr.evaluate({}), undefined, f.where);
    }
  });
}
