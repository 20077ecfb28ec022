import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the definitions waymark ships (`definitions/openstack.yaml`):
 * OpenStack instance notifications (`compute.instance.*`, `scheduler.run_instance.*`)
 * plus the default traits. The default of `waymark distill` and what `waymark demo` uses.
 */
// Compiled to dist/src/distill/bundled.js: the package root is three levels up.
export const BUNDLED_DEFINITIONS: string = fileURLToPath(
  new URL('../../../definitions/openstack.yaml', import.meta.url),
);
