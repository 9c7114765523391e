/**
 * Operations: /healthz, /readyz, /metrics, /openapi.json, /docs (offline assets from swagger-ui-dist), each in the
 * OpenAPI document; the dashboard's `/` (served by routes/dashboard.ts) is described here too.
 */
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import type { App } from '../app.js';
import type { Metrics } from '../core/metrics.js';
import { VERSION } from '../version.js';
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

/** The tags of the OpenAPI document, in the order /docs shows them. */
const TAGS = [
  { name: 'runs', description: 'Runs of every provider, merged: lists, one run, its recording' },
  { name: 'groups', description: 'Batches of runs where the vendor has them' },
  { name: 'reports', description: 'Pass rates, buckets and regressions from the run index' },
  { name: 'providers', description: "The tenant's providers: capabilities, health, rate limits, run index" },
  { name: 'operations', description: 'Health, readiness, metrics, this document, the reference and the dashboard (public)' },
];

/** The document's own fields (the rest is generated from the registered routes); scripts/openapi-documents.ts reads it too. */
export const OPENAPI_OBJECT = {
  openapi: '3.1.0',
  info: {
    title: 'simgate',
    version: VERSION,
    description:
      'One REST API in front of PathSim, Synthflow, Sales Lab, SigmaMind and Cekura: one Run model, one cursor, one error envelope. ' +
      'Every error is `{"error": {code, message, status, details?, provider?, retryable, request_id}}`. The reference for people: docs/api.md in the repository.',
  },
  servers: [{ url: '/', description: 'The gateway that serves this document' }],
  tags: TAGS,
};

const Health = z.object({ data: z.object({ status: z.literal('ok') }) }).openapi('Health');
const Readiness = z
  .object({
    data: z.object({
      status: z.enum(['ready', 'not_ready']),
      checks: z
        .record(z.string(), z.object({ ok: z.boolean(), message: z.string().optional() }))
        .openapi({ description: 'One entry per dependency (`redis` when REDIS_URL is set); empty when there is none' }),
    }),
  })
  .openapi('Readiness');

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  tags: ['operations'],
  summary: 'Liveness: 200 once the server listens',
  responses: { 200: { description: 'Listening', content: { 'application/json': { schema: Health } } } },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  tags: ['operations'],
  summary: 'Readiness: 200 when every dependency (Redis, when configured) answers, else 503',
  description: 'While Redis is away the gateway still serves (lists live from the vendors); this says so with 503 and the check\'s message.',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: Readiness } } },
    503: { description: 'A dependency does not answer', content: { 'application/json': { schema: Readiness } } },
  },
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tags: ['operations'],
  summary: 'Prometheus metrics (text exposition format); config `metrics.enabled: false` turns it off',
  description:
    'Requests by route and status, upstream calls by provider and status, cache results, limiter queue depth, breaker state, ' +
    'the run index\'s size (`simgate_index_runs`) and sync lag (`simgate_index_sync_lag_seconds`) per provider.',
  responses: { 200: { description: 'The metrics', content: { 'text/plain': { schema: z.string() } } } },
});

const DOCS_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png']);

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simgate API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico" type="image/png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true,
  persistAuthorization: true, tryItOutEnabled: true, validatorUrl: null });`;

const HTML = { 'text/html': { schema: z.string() } };

export function registerOps(app: App, deps: OpsDeps): void {
  app.openapi(healthRoute, (c) => c.json({ data: { status: 'ok' as const } }, 200));

  app.openapi(readyRoute, async (c) => {
    const checks = (await deps.readiness?.()) ?? {};
    const ok = Object.values(checks).every((x) => x.ok);
    return c.json({ data: { status: ok ? ('ready' as const) : ('not_ready' as const), checks } }, ok ? 200 : 503);
  });

  if (deps.metrics && deps.metricsEnabled !== false) {
    const m = deps.metrics;
    app.openapi(metricsRoute, async (c) => {
      await deps.collect?.().catch(() => {});
      return c.body(m.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }) as never;
    });
  }

  // served by the routes below and by routes/dashboard.ts: described here so that the document names every public page
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    tags: ['operations'],
    summary: 'This document: OpenAPI 3.1, generated from the zod schemas that validate requests and responses',
    responses: { 200: { description: 'The OpenAPI document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/docs',
    operationId: 'getDocs',
    tags: ['operations'],
    summary: 'The interactive reference (Swagger UI) of this document; works offline',
    responses: { 200: { description: 'The reference page', content: HTML } },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/',
    operationId: 'getDashboard',
    tags: ['operations'],
    summary: 'The dashboard: a public page that asks for a gateway key and reads the JSON API with it',
    responses: { 200: { description: 'The dashboard page', content: HTML } },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/favicon.ico',
    operationId: 'getFavicon',
    tags: ['operations'],
    summary: 'The icon of the docs and the dashboard (PNG)',
    responses: { 200: { description: 'The icon', content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } } }, 404: { description: 'No icon in this deployment' } },
  });

  app.doc31('/openapi.json', OPENAPI_OBJECT);

  app.get('/docs', (c) => c.html(DOCS_HTML));
  app.get('/docs/', (c) => c.html(DOCS_HTML));
  // a favicon for the docs and the dashboard (the one swagger-ui-dist ships, served from the same files)
  app.get('/favicon.ico', async (c) => {
    const res = deps.docsAsset ? await deps.docsAsset('favicon-32x32.png') : null;
    if (!res) return c.notFound();
    return res;
  });
  app.get('/docs/init.js', (c) => c.body(DOCS_INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    const res = DOCS_ASSETS.has(name) && deps.docsAsset ? await deps.docsAsset(name) : null;
    if (!res) return c.notFound();
    return res;
  });
}
