/** The dashboard: GET / (a public page, its data read through the JSON API with the user's key) and its allow-listed static assets. */
import type { App } from '../app.js';

export interface DashboardDeps {
  /** The bytes of a dashboard file (src/dashboard/*) or of uPlot's dist files, or null when absent. */
  dashboardAsset?: (name: string) => Promise<Response | null>;
}

/** The files of src/dashboard/ the page loads (index.html is served at `/` only). */
export const DASHBOARD_FILES = ['dashboard.css', 'dashboard.js', 'api.js', 'format.js', 'cards.js', 'tables.js', 'trend.js', 'detail.js'] as const;
/** uPlot's files, served from node_modules/uplot/dist (Node) or their copies (Workers). */
export const UPLOT_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'] as const;

const ASSETS = new Set<string>([...DASHBOARD_FILES, ...UPLOT_FILES]);

/** Nothing from another host; the recording plays from a blob: URL made of what the page fetched with the key. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** A fresh response around the asset's body with the dashboard's own headers (a fetched Response's headers are immutable). */
function serve(res: Response, name: string, extra: Record<string, string>): Response {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  const headers = new Headers({ 'Content-Type': TYPES[ext] ?? 'application/octet-stream', 'X-Content-Type-Options': 'nosniff', ...extra });
  return new Response(res.body, { status: 200, headers });
}

export function registerDashboard(app: App, deps: DashboardDeps): void {
  app.get('/', async (c) => {
    const res = deps.dashboardAsset ? await deps.dashboardAsset('index.html') : null;
    if (!res) return c.notFound();
    return serve(res, 'index.html', {
      // the page is small and changes with each release: revalidate, never serve a stale one
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': DASHBOARD_CSP,
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
  });

  app.get('/dashboard/assets/:name', async (c) => {
    const name = c.req.param('name');
    const res = ASSETS.has(name) && deps.dashboardAsset ? await deps.dashboardAsset(name) : null;
    if (!res) return c.notFound();
    // uPlot's files change only with its pinned version; the page's own (unhashed) files with any release
    const cache = name.startsWith('uPlot.') ? 'public, max-age=86400' : 'no-cache';
    return serve(res, name, { 'Cache-Control': cache });
  });
}
