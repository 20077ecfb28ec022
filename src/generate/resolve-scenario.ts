import { WaymarkError } from '../model/errors.js';
import { openstackScenario } from './openstack/openstack-scenario.js';
import type { Scenario } from './scenario.js';
import { loadTemplateScenario } from './templates/template-scenario.js';
import { testrunScenario } from './testruns/testrun-scenario.js';

/** A `--scenario` value that names no scenario. */
export class UnknownScenarioError extends WaymarkError {
  override name = 'UnknownScenarioError';
}

export const SCENARIO_SPECS = 'openstack, testruns or templates:DIR';

/**
 * The scenario a spec names: `openstack` (built-in Nova traffic), `testruns`
 * (CI test runs of testruns.md), or `templates:DIR` (a notigen template
 * directory; bad template files throw a ConfigError).
 *
 * ```ts
 * const scenario = resolveScenario('templates:./notigen-templates');
 * ```
 */
export function resolveScenario(spec: string): Scenario {
  const s = spec.trim();
  if (s === 'openstack') return openstackScenario();
  if (s === 'testruns') return testrunScenario();
  if (s.startsWith('templates:')) {
    const dir = s.slice('templates:'.length);
    if (dir === '')
      throw new UnknownScenarioError(`scenario "${spec}": give the template directory, templates:DIR`);
    return loadTemplateScenario(dir);
  }
  throw new UnknownScenarioError(`unknown scenario "${spec}"; expected ${SCENARIO_SPECS}`);
}
