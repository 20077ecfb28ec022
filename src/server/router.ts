import type { IncomingMessage } from 'node:http';
import type { ServerBackend } from './backend.js';
import { HttpError } from './errors.js';
import type { Reply } from './respond.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What the server's logger must offer (the CLI passes its own; the default drops everything). */
export interface ServerLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything a route sees. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly url: URL;
  /** Decoded `:name` path segments. */
  readonly params: Readonly<Record<string, string>>;
  readonly backend: ServerBackend;
  readonly maxBodyBytes: number;
  readonly log: ServerLogger;
}

export type RouteHandler = (ctx: RouteContext) => Promise<Reply>;

/** One API route: `path` segments starting with `:` are parameters (`/v1/streams/:id`). */
export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly handler: RouteHandler;
}

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route; readonly params: Record<string, string> }
  /** The path exists but not with this method. */
  | { readonly kind: 'method'; readonly allow: string[] }
  | { readonly kind: 'none' };

function matchPath(
  pattern: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith(':')) {
      if (s === '') return undefined;
      let decoded: string;
      try {
        decoded = decodeURIComponent(s);
      } catch (cause) {
        throw new HttpError(400, `bad path segment "${s}": not valid percent-encoding`, { cause });
      }
      params[p.slice(1)] = decoded;
    } else if (p !== s) {
      return undefined;
    }
  }
  return params;
}

/**
 * A small exact-segment router: no regular expressions in patterns, no
 * wildcards. `GET` routes also answer `HEAD`; a path known under other methods
 * gives the `Allow` list for a 405.
 */
export class Router {
  private readonly compiled: { route: Route; segments: string[] }[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  }

  /** `pathname` as in `URL.pathname` (still percent-encoded); one trailing slash is ignored. */
  match(method: string, pathname: string): RouteMatch {
    const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
    const segments = path.split('/').slice(1);
    const allow = new Set<string>();
    const wanted = method === 'HEAD' ? 'GET' : method;
    for (const { route, segments: pattern } of this.compiled) {
      const params = matchPath(pattern, segments);
      if (params === undefined) continue;
      if (route.method === wanted) return { kind: 'route', route, params };
      allow.add(route.method);
      if (route.method === 'GET') allow.add('HEAD');
    }
    return allow.size === 0 ? { kind: 'none' } : { kind: 'method', allow: [...allow] };
  }

  /** `GET /v1/streams`, … for messages. */
  describe(): string[] {
    return this.compiled.map(({ route }) => `${route.method} ${route.path}`);
  }
}
