import { UnsupportedPostgresVersionError } from './postgres-errors.js';

/**
 * The oldest PostgreSQL waymark runs on: 13 (`server_version_num` 130000).
 *
 * The SQL needs 9.5 (`INSERT … ON CONFLICT`, `FOR UPDATE SKIP LOCKED` for the
 * workers to come, `unnest` of several arrays), but releases before 13 lack
 * B-tree deduplication, which keeps the many-duplicates indexes here small
 * (streams by state, memberships by message id), and are out of community
 * support since November 2024. Tested on 15.
 */
export const MIN_SERVER_VERSION_NUM = 130000;

/** `150020` -> `15.20`; `90624` -> `9.6.24`. */
export function versionName(versionNum: number): string {
  if (versionNum >= 100000) return `${Math.floor(versionNum / 10000)}.${versionNum % 10000}`;
  return `${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}.${versionNum % 100}`;
}

/**
 * Check `SHOW server_version_num`'s answer; throws
 * {@link UnsupportedPostgresVersionError} for a server older than
 * {@link MIN_SERVER_VERSION_NUM} (or an answer that is not a version number).
 */
export function checkServerVersion(serverVersionNum: string, where: string): number {
  const n = /^\d+$/.test(serverVersionNum.trim()) ? Number(serverVersionNum) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UnsupportedPostgresVersionError(
      `the server at ${where} answered server_version_num ${JSON.stringify(serverVersionNum)}, not a version number; ` +
        'is it PostgreSQL?',
    );
  }
  if (n < MIN_SERVER_VERSION_NUM) {
    throw new UnsupportedPostgresVersionError(
      `waymark needs PostgreSQL ${versionName(MIN_SERVER_VERSION_NUM).replace(/\.0$/, '')} or newer; the server at ` +
        `${where} runs ${versionName(n)} (server_version_num ${n}); upgrade it, or use --store duckdb:FILE`,
    );
  }
  return n;
}
