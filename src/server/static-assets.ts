import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { ExtraHandler } from './create-server.js';

/** Where `npm run build` puts the dashboard: `dist/web`, next to this module's `dist/src/server`. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

export interface StaticAssetsOptions {
  /** The built dashboard (`index.html`, `assets/…`); default {@link DEFAULT_DASHBOARD_DIR}. */
  dir?: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Compressed when the client accepts gzip. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt']);

/**
 * The dashboard's page: scripts only from this server, no inline script, no
 * request leaving for another origin. ECharts sets inline styles (its tooltips).
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly etag: string;
  readonly immutable: boolean;
}

/** Vite names built assets `name-<hash>.ext`: such a file never changes under its name. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const full = join(dir, name);
      const st = statSync(full, { throwIfNoEntry: false });
      if (st?.isDirectory() === true) walk(full);
      else if (st?.isFile() === true) out.push(full);
    }
  };
  walk(root);
  return out;
}

function load(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of listFiles(root)) {
    const ext = extname(file).toLowerCase();
    const type = CONTENT_TYPES[ext];
    if (type === undefined) continue;
    const body = readFileSync(file);
    const rel = relative(root, file).split(sep).join('/');
    const st = statSync(file);
    assets.set(`/${rel}`, {
      type,
      body,
      gzip: COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body) : undefined,
      etag: `"${body.length.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
      immutable: rel.startsWith('assets/') && HASHED.test(rel),
    });
  }
  return assets;
}

function notFound(res: ServerResponse, status: number, message: string, head: boolean): void {
  const text = JSON.stringify({ error: { status, message } }) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : text);
}

/**
 * Serve the built dashboard at `/` (an {@link ExtraHandler} for `createServer`):
 * `/` and `/index.html` (revalidated on every load), `/assets/<name>-<hash>.<ext>`
 * (cached for a year, immutable), with the right content type, an ETag, gzip
 * when accepted, `HEAD`, and a strict Content-Security-Policy on the page.
 *
 * Only files found under the directory are served: the set is listed when the
 * handler is created and again (at most once a second) when a path under
 * `/assets/` is missing, after a rebuild. A request path is looked up in that
 * list, never joined to a file-system path, so `..` cannot reach outside it.
 * Unknown paths under `/assets/` get a JSON 404; other paths are left to the
 * server (its 404 lists the API routes). When the dashboard was never built, `/`
 * answers 404 saying to run `npm run build`.
 *
 * @example
 * const server = createServer({ backend, extraHandlers: [staticAssetsHandler()] });
 */
export function staticAssetsHandler(options: StaticAssetsOptions = {}): ExtraHandler {
  const root = options.dir ?? DEFAULT_DASHBOARD_DIR;
  let assets = load(root);
  let loadedAt = Date.now();

  const lookup = (path: string): Asset | undefined => {
    const hit = assets.get(path);
    if (hit !== undefined || Date.now() - loadedAt < 1000) return hit;
    assets = load(root);
    loadedAt = Date.now();
    return assets.get(path);
  };

  return function staticAssets(req: IncomingMessage, res: ServerResponse): boolean {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const isPage = path === '/' || path === '/index.html';
    const isAsset = path.startsWith('/assets/') || path === '/favicon.svg' || path === '/favicon.ico';
    if (!isPage && !isAsset) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      const text = JSON.stringify({
        error: {
          status: 405,
          message: `method ${req.method ?? '?'} is not allowed on ${path}; allowed: GET, HEAD`,
        },
      });
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json; charset=utf-8' });
      res.end(text + '\n');
      return true;
    }
    const asset = isPage ? lookup('/index.html') : lookup(path);
    if (asset === undefined) {
      if (isPage) {
        notFound(
          res,
          404,
          `the dashboard is not built (no ${join(root, 'index.html')}); run "npm run build"`,
          head,
        );
      } else {
        notFound(res, 404, `no such dashboard file: ${path}`, head);
      }
      return true;
    }
    const headers: Record<string, string | number> = {
      'content-type': asset.type,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: asset.etag,
      'x-content-type-options': 'nosniff',
      vary: 'Accept-Encoding',
    };
    if (isPage) {
      headers['content-security-policy'] = CSP;
      headers['referrer-policy'] = 'no-referrer';
      headers['x-frame-options'] = 'DENY';
    }
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = asset.gzip !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? asset.gzip : asset.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(head ? undefined : body);
    return true;
  };
}
