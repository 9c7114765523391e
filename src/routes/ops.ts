/** Operations: /healthz, /readyz, /openapi.json, /docs (offline assets from swagger-ui-dist). */
import type { App } from '../app.js';
import type { Metrics } from '../core/metrics.js';
import type { DashboardDeps } from './dashboard.js';

/** The dashboard's files (`dashboardAsset`) flow through here as the docs assets do. */
export interface OpsDeps extends DashboardDeps {
  metrics?: Metrics;
  /** Serve GET /metrics (config `metrics.enabled`, default true). */
  metricsEnabled?: boolean;
  /** Checks of the dependencies (Redis, when configured); empty when there are none. */
  readiness?: () => Promise<Record<string, { ok: boolean; message?: string }>>;
  /** Serves a static asset of the docs page (swagger-ui-dist), or null when absent. */
  docsAsset?: (name: string) => Promise<Response | null>;
  /** Brings the gauges up to date before /metrics renders them (the run index's counts). */
  collect?: () => Promise<void>;
}

const DOCS_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png']);

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simgate API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true,
  persistAuthorization: true, tryItOutEnabled: true, validatorUrl: null });`;

export function registerOps(app: App, deps: OpsDeps): void {
  app.get('/healthz', (c) => c.json({ data: { status: 'ok' } }));

  app.get('/readyz', async (c) => {
    const checks = (await deps.readiness?.()) ?? {};
    const ok = Object.values(checks).every((x) => x.ok);
    return c.json({ data: { status: ok ? 'ready' : 'not_ready', checks } }, ok ? 200 : 503);
  });

  if (deps.metrics && deps.metricsEnabled !== false) {
    const m = deps.metrics;
    app.get('/metrics', async (c) => {
      await deps.collect?.().catch(() => {});
      return c.body(m.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    });
  }

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'simgate',
      version: '1.0.0',
      description:
        'One REST API in front of PathSim, Synthflow, Sales Lab, SigmaMind and Cekura: one Run model, one cursor, one error envelope. ' +
        'Every error is `{"error": {code, message, status, details?, provider?, retryable, request_id}}`.',
    },
  });

  app.get('/docs', (c) => c.html(DOCS_HTML));
  app.get('/docs/init.js', (c) => c.body(DOCS_INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    const res = DOCS_ASSETS.has(name) && deps.docsAsset ? await deps.docsAsset(name) : null;
    if (!res) return c.notFound();
    return res;
  });
}
