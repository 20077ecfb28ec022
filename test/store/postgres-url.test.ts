import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadWaymarkConfig } from '../../src/config/waymark-config.js';
import { parsePostgresUrl, redactPostgresUrl } from '../../src/store/postgres/postgres-url.js';
import {
  checkServerVersion,
  MIN_SERVER_VERSION_NUM,
  versionName,
} from '../../src/store/postgres/server-version.js';

test('a PostgreSQL URL: waymark reads its own options, strips them, and passes the rest to pg', () => {
  const u = parsePostgresUrl(
    'postgresql://w:pw@db.example:6432/waymark?pool=16&statement_timeout=5s&connect_timeout=3&idle_timeout=2min&schema=ops&sslmode=require&application_name=w1',
  );
  assert.equal(u.pool, 16);
  assert.equal(u.statementTimeoutMs, 5000);
  assert.equal(u.connectTimeoutMs, 3000, "a bare connect_timeout is in seconds, as libpq's");
  assert.equal(u.idleTimeoutMs, 120_000);
  assert.equal(u.schema, 'ops');
  assert.equal(
    u.connectionString,
    'postgresql://w:pw@db.example:6432/waymark?sslmode=require&application_name=w1',
  );
  assert.equal(
    u.redacted,
    'postgresql://w:***@db.example:6432/waymark?pool=16&statement_timeout=5s&connect_timeout=3&idle_timeout=2min&schema=ops&sslmode=require&application_name=w1',
  );

  const d = parsePostgresUrl('postgres://w@db/waymark');
  assert.deepEqual(
    [d.pool, d.statementTimeoutMs, d.connectTimeoutMs, d.idleTimeoutMs, d.schema],
    [8, 30_000, 10_000, 10_000, 'public'],
  );
  assert.equal(parsePostgresUrl('postgresql://w@db/x?statement_timeout=250').statementTimeoutMs, 250);
  assert.equal(parsePostgresUrl('postgresql://w@db/x?statement_timeout=0').statementTimeoutMs, 0);
  assert.equal(parsePostgresUrl('postgresql://w@db/x?statement_timeout=1500ms').statementTimeoutMs, 1500);
});

test('a URL without a user connects as the operating-system user, as psql does', () => {
  const saved = process.env['PGUSER'];
  delete process.env['PGUSER'];
  try {
    const u = new URL(parsePostgresUrl('postgresql://127.0.0.1:5432/test').connectionString);
    assert.notEqual(u.username, '');
  } finally {
    if (saved !== undefined) process.env['PGUSER'] = saved;
  }
});

test('bad PostgreSQL URLs are refused with what is wrong, never showing the password', () => {
  const cases: [string, RegExp][] = [
    ['postgresql://w:pw@db:notaport/waymark', /: not a valid URL; expected postgresql:\/\/USER/],
    ['postgresql://w:pw@db:70000/waymark', /: not a valid URL/],
    ['postgresql://w:pw@db', /: no database/],
    ['postgresql://w:pw@db/', /: no database/],
    ['postgresql:///waymark', /: no host/],
    ['postgresql://w:pw@db/x?pool=0', /pool=0 must be a whole number of connections from 1 to 100/],
    ['postgresql://w:pw@db/x?pool=101', /pool=101 must be/],
    ['postgresql://w:pw@db/x?pool=2.5', /pool=2\.5 must be/],
    ['postgresql://w:pw@db/x?pool=4&pool=5', /option "pool" is given twice/],
    [
      'postgresql://w:pw@db/x?statement_timeout=soon',
      /statement_timeout=soon is not a duration; write it as 500ms, 30s or 2min/,
    ],
    ['postgresql://w:pw@db/x?statement_timeout=-1s', /statement_timeout=-1s is not a duration/],
    ['postgresql://w:pw@db/x?statement_timeout=999999999min', /statement_timeout=999999999min is too long/],
    ['postgresql://w:pw@db/x?connect_timeout=0', /connect_timeout must be more than 0/],
    ['postgresql://w:pw@db/x?schema=Ops', /schema=Ops must be a lower-case SQL identifier/],
    ['postgresql://w:pw@db/x?schema=a;drop', /schema=a;drop must be a lower-case SQL identifier/],
    ['postgresql://w:pw@db/x?poool=4', /unknown option "poool"; waymark reads pool, statement_timeout/],
    ['mysql://w:pw@db/x', /: not a PostgreSQL URL/],
  ];
  for (const [url, message] of cases) {
    assert.throws(
      () => parsePostgresUrl(url),
      (e: Error) => {
        assert.equal(e.name, 'UnsupportedStoreError', url);
        assert.match(e.message, message, url);
        assert.doesNotMatch(e.message, /:pw@/, `${url}: the password is hidden`);
        return true;
      },
    );
  }
});

test('redactPostgresUrl hides the password, also in a URL that does not parse', () => {
  assert.equal(redactPostgresUrl('postgresql://w:secret@db/x'), 'postgresql://w:***@db/x');
  assert.equal(redactPostgresUrl('postgresql://w@db/x'), 'postgresql://w@db/x');
  assert.equal(redactPostgresUrl('postgresql://w:secret@db:port/x'), 'postgresql://w:***@db:port/x');
});

test('the server version check: 13 or newer, with a message saying what was found and what to do', () => {
  assert.equal(MIN_SERVER_VERSION_NUM, 130000);
  assert.equal(checkServerVersion('150020', 'postgresql://db/x'), 150020);
  assert.equal(checkServerVersion('130000', 'postgresql://db/x'), 130000);
  assert.equal(checkServerVersion('170004', 'postgresql://db/x'), 170004);
  assert.throws(() => checkServerVersion('120022', 'postgresql://w:***@db/x'), {
    name: 'UnsupportedPostgresVersionError',
    message:
      'waymark needs PostgreSQL 13 or newer; the server at postgresql://w:***@db/x runs 12.22 (server_version_num 120022); ' +
      'upgrade it, or use --store duckdb:FILE',
  });
  assert.throws(() => checkServerVersion('90624', 'postgresql://db/x'), {
    message: /runs 9\.6\.24 \(server_version_num 90624\)/,
  });
  assert.throws(() => checkServerVersion('', 'postgresql://db/x'), {
    name: 'UnsupportedPostgresVersionError',
    message: /answered server_version_num "", not a version number; is it PostgreSQL\?/,
  });
  assert.equal(versionName(150020), '15.20');
  assert.equal(versionName(100001), '10.1');
});

test('waymark.yaml: a bad PostgreSQL option in database.url is a config error naming the file and the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-pgurl-'));
  try {
    const file = join(dir, 'waymark.yaml');
    writeFileSync(file, 'database:\n  url: postgresql://w:s3cret@db/waymark?pool=0\n');
    assert.throws(
      () => loadWaymarkConfig(file),
      (e: Error) => {
        assert.equal(e.name, 'ConfigError');
        assert.match(
          e.message,
          /waymark\.yaml.*database\.url.*pool=0 must be a whole number of connections/s,
        );
        assert.doesNotMatch(e.message, /s3cret/);
        return true;
      },
    );
    writeFileSync(file, 'database:\n  url: postgresql://w@db/waymark?pool=4&schema=ops\n');
    assert.equal(loadWaymarkConfig(file).storeUrl, 'postgresql://w@db/waymark?pool=4&schema=ops');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
