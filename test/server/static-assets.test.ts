import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after } from 'node:test';
import { staticAssetsHandler } from '../../src/server/static-assets.js';
import { startServer } from './harness.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with the path sent exactly as given (fetch would resolve `..`). */
function raw(url: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Raw> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const INDEX = '<!doctype html><title>t</title><script type="module" src="/assets/app-AbCd1234.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

function builtDashboard(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'waymark-static-'));
  const dir = join(root, 'web');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app-AbCd1234.js'), SCRIPT);
  writeFileSync(join(dir, 'assets', 'app-AbCd1234.css'), 'body{color:red}');
  writeFileSync(join(dir, 'assets', 'run.sh'), 'echo no');
  writeFileSync(join(root, 'secret.txt'), 'outside the dashboard');
  after(() => rmSync(root, { recursive: true, force: true }));
  return { root, dir };
}

describe('staticAssetsHandler: the built dashboard at /', () => {
  test('/ and /index.html: the page, revalidated, with a strict content security policy', async () => {
    const { dir } = builtDashboard();
    const h = await startServer({ extraHandlers: [staticAssetsHandler({ dir })] });
    for (const path of ['/', '/index.html', '/?load=1']) {
      const r = await raw(h.url, path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.match(String(r.headers['content-security-policy']), /script-src 'self';/);
      assert.match(String(r.headers['content-security-policy']), /connect-src 'self'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.body.toString(), INDEX);
    }
  });

  test('hashed assets: their content type, cached a year, gzip when accepted, ETag and 304, HEAD', async () => {
    const { dir } = builtDashboard();
    const h = await startServer({ extraHandlers: [staticAssetsHandler({ dir })] });
    const js = await raw(h.url, '/assets/app-AbCd1234.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['content-encoding'], undefined);
    assert.equal(js.body.toString(), SCRIPT);
    const css = await raw(h.url, '/assets/app-AbCd1234.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');

    const gz = await raw(h.url, '/assets/app-AbCd1234.js', 'GET', { 'accept-encoding': 'gzip, br' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers['vary'], 'Accept-Encoding');
    assert.ok(gz.body.length < SCRIPT.length);
    assert.equal(gunzipSync(gz.body).toString(), SCRIPT);

    const etag = String(js.headers['etag']);
    const again = await raw(h.url, '/assets/app-AbCd1234.js', 'GET', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);

    const head = await raw(h.url, '/assets/app-AbCd1234.js', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(SCRIPT)));
    assert.equal(head.body.length, 0);
  });

  test('unknown assets, other file kinds and paths out of the directory: 404; other methods: 405', async () => {
    const { dir } = builtDashboard();
    const h = await startServer({ extraHandlers: [staticAssetsHandler({ dir })] });
    for (const path of [
      '/assets/missing-AbCd1234.js',
      '/assets/run.sh',
      '/assets/../secret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/..%2fsecret.txt',
      '/assets/..\\secret.txt',
      '/assets//etc/passwd',
      '/assets/%00',
    ]) {
      const r = await raw(h.url, path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body.toString(), /outside the dashboard/, path);
      const body = JSON.parse(r.body.toString()) as { error: { status: number; message: string } };
      assert.equal(body.error.status, 404);
    }
    const post = await raw(h.url, '/', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET, HEAD');
  });

  test('the API is untouched: /v1 routes answer as before, other paths get the API 404', async () => {
    const { dir } = builtDashboard();
    const h = await startServer({ extraHandlers: [staticAssetsHandler({ dir })] });
    const health = await h.json<{ status: string }>('/v1/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    const other = await raw(h.url, '/secret.txt');
    assert.equal(other.status, 404);
    assert.match(other.body.toString(), /no route for GET \/secret\.txt; the API has/);
  });

  test('a rebuild is picked up; a dashboard never built says how to build it', async () => {
    const { dir } = builtDashboard();
    const h = await startServer({ extraHandlers: [staticAssetsHandler({ dir })] });
    assert.equal((await raw(h.url, '/assets/next-EfGh5678.js')).status, 404);
    writeFileSync(join(dir, 'assets', 'next-EfGh5678.js'), 'export {};');
    await new Promise((r) => setTimeout(r, 1100));
    const fresh = await raw(h.url, '/assets/next-EfGh5678.js');
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body.toString(), 'export {};');

    const none = await startServer({
      extraHandlers: [staticAssetsHandler({ dir: join(dir, 'not-built') })],
    });
    const r = await raw(none.url, '/');
    assert.equal(r.status, 404);
    assert.match(r.body.toString(), /the dashboard is not built .*npm run build/);
  });
});
