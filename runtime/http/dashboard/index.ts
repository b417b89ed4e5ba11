// The dashboard (docs/dashboard.md): static files served under /dashboard/. They hold no data
// (the page reads the query API with the user's token), so they are the only paths served without
// the bearer token: a browser cannot send one before the page has asked for it.
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const DASHBOARD_PATH = '/dashboard/';

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  // The page's ES modules: app.js imports the others.
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'browser.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'live.js': 'text/javascript; charset=utf-8',
  'metrics.js': 'text/javascript; charset=utf-8',
  'status.js': 'text/javascript; charset=utf-8',
  'trends.js': 'text/javascript; charset=utf-8',
  'views.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

// Same-origin everything, no inline code: even if a value slipped past the page's escaping, it
// could neither run script nor load anything from elsewhere.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PUBLIC_ROUTES = new Set(['/', '/dashboard', ...Object.keys(ASSETS).map((f) => DASHBOARD_PATH + f)]);
PUBLIC_ROUTES.add(DASHBOARD_PATH);

/** Whether the request is for a dashboard file (served without the bearer token). */
export function isDashboardRequest(request: FastifyRequest): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    PUBLIC_ROUTES.has(request.routeOptions.url ?? '')
  );
}

/** The folder of the static files: next to this module, or in the sources when run from dist/. */
function staticDir(): string {
  const here = new URL('./static/', import.meta.url);
  if (existsSync(new URL('index.html', here))) return here.pathname;
  const fromDist = new URL('../../../../runtime/http/dashboard/static/', import.meta.url);
  if (existsSync(new URL('index.html', fromDist))) return fromDist.pathname;
  throw new Error('dashboard files not found next to runtime/http/dashboard (copy static/ when building)');
}

export function dashboardRoutes(app: FastifyInstance): void {
  const dir = staticDir();
  // Read once: a few small files, and a missing one fails at start rather than on first view.
  const files = Object.entries(ASSETS).map(
    ([name, type]) => [name, type, readFileSync(decodeURIComponent(dir) + name)] as const,
  );
  // Relative redirects keep a reverse proxy's path prefix.
  app.get('/', async (_request, reply) => reply.redirect('dashboard/'));
  app.get('/dashboard', async (_request, reply) => reply.redirect('dashboard/'));
  for (const [name, type, body] of files) {
    const paths = name === 'index.html' ? [DASHBOARD_PATH, DASHBOARD_PATH + name] : [DASHBOARD_PATH + name];
    for (const path of paths)
      app.get(path, async (_request, reply) =>
        reply
          .type(type)
          .header('content-security-policy', CSP)
          .header('referrer-policy', 'no-referrer')
          .header('x-frame-options', 'DENY')
          .send(body),
      );
  }
}
