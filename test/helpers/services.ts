import { test } from 'node:test';

/** CI sets it: a service that cannot be reached is then a failure, not a skip. */
export const REQUIRE_SERVICES = process.env['WAYMARK_REQUIRE_SERVICES'] === '1';

/**
 * Tests that need a real server (PostgreSQL, RabbitMQ): when `unavailable` is
 * a reason, say so loudly on stderr and either register one failing test
 * (under WAYMARK_REQUIRE_SERVICES=1) or one skipped test carrying the reason;
 * returns whether the caller should register its tests.
 *
 * ```ts
 * const reason = await postgresUnavailable();
 * if (serviceAvailable('PostgreSQL store suite', reason)) storeSuite('postgres', makePostgresStore);
 * ```
 */
export function serviceAvailable(what: string, unavailable: string | undefined): boolean {
  if (unavailable === undefined) return true;
  if (REQUIRE_SERVICES) {
    test(`${what}: the service is reachable (WAYMARK_REQUIRE_SERVICES=1)`, () => {
      throw new Error(unavailable);
    });
  } else {
    process.stderr.write(`SKIPPED: ${what}: ${unavailable}\n`);
    test(what, { skip: unavailable }, () => undefined);
  }
  return false;
}
