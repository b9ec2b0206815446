import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { INVALIDATABLE_TYPENAMES } from '../cache/invalidation/tags.js';

/**
 * GET /ops: the operators' console. Static files only: the page signs in with OPS_TOKEN and
 * reads and acts through /graphql (cacheStats and the operator mutations), so nothing here
 * needs the token or touches data. Everything is read once, at start: the page, its script and
 * style from src/ops/assets, and uPlot from its installed package; no CDN, no request leaves
 * the host (the Content-Security-Policy says so to the browser as well).
 *
 * A plain Request -> Response function, so that any router can mount it (Yoga's onRequest today,
 * a node:http front later).
 */
export interface OpsConsole {
  /** True for the paths this console answers (`/ops` and everything under it). */
  matches(pathname: string): boolean;
  handle(request: Request): Response;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: string;
  type: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loadAssets(): Map<string, Asset> {
  const require = createRequire(import.meta.url);
  const own = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
  const vendored = (path: string) => readFileSync(require.resolve(path), 'utf8');
  const typenames = [...INVALIDATABLE_TYPENAMES]
    .map((t) => `<option value="${escapeHtml(t)}"></option>`)
    .join('');
  const html = own('index.html').replace('<!--TYPENAMES-->', typenames);
  return new Map<string, Asset>([
    ['/ops', { body: html, type: 'text/html; charset=utf-8' }],
    ['/ops/console.js', { body: own('console.js'), type: 'text/javascript; charset=utf-8' }],
    ['/ops/format.js', { body: own('format.js'), type: 'text/javascript; charset=utf-8' }],
    ['/ops/chart.js', { body: own('chart.js'), type: 'text/javascript; charset=utf-8' }],
    ['/ops/why.js', { body: own('why.js'), type: 'text/javascript; charset=utf-8' }],
    ['/ops/console.css', { body: own('console.css'), type: 'text/css; charset=utf-8' }],
    [
      '/ops/uplot.js',
      { body: vendored('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
    ],
    [
      '/ops/uplot.css',
      { body: vendored('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
    ],
  ]);
}

export function createOpsConsole(): OpsConsole {
  const assets = loadAssets();
  return {
    matches: (pathname) => pathname === '/ops' || pathname.startsWith('/ops/'),
    handle(request) {
      const { pathname } = new URL(request.url);
      const asset = assets.get(pathname === '/ops/' ? '/ops' : pathname);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response('Method Not Allowed\n', {
          status: 405,
          headers: { allow: 'GET, HEAD' },
        });
      }
      if (!asset) return new Response('Not Found\n', { status: 404 });
      return new Response(request.method === 'HEAD' ? null : asset.body, {
        headers: {
          'content-type': asset.type,
          'cache-control': 'no-cache',
          'content-security-policy': CSP,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        },
      });
    },
  };
}
