/** GET /v1/reports/summary and /v1/reports/regressions: JSON, or CSV with `format=csv` / `Accept: text/csv`. */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../app.js';
import type { Reports } from '../reports/service.js';
import { regressionsCsv, summaryCsv } from '../reports/csv.js';
import { Regressions, RegressionsQuery, Summary, SummaryQuery } from '../../schemas/report.js';
import { errorResponses } from './runs.js';

const CSV = { 'text/csv': { schema: { type: 'string' as const } } };

const summaryRoute = createRoute({
  method: 'get',
  path: '/v1/reports/summary',
  operationId: 'getSummary',
  tags: ['reports'],
  summary: 'Cross-vendor pass rates and buckets for a period, grouped by up to two levels',
  description:
    'Computed from the run index\'s rollups (never a walk of the vendors): each provider\'s head is brought up to date first (within `requestTimeoutMs`; ' +
    'a provider that cannot be is left out, with `provider_timeout`, and `partial` is true). Buckets: `passed`/`failed` = completed runs with that outcome; ' +
    '`errored` = status `failed` or `timed_out`; `pending` = `queued`, `running`, `evaluating`; `not_evaluated` = completed with outcome `none`; `cancelled`; ' +
    'status `unknown` counts in `runs` only. `pass_rate` = passed / (passed + failed). Default period: the last 30 days (whole UTC days, today included).',
  security: [{ gatewayKey: [] }],
  request: { query: SummaryQuery },
  responses: {
    200: { description: 'The summary', content: { 'application/json': { schema: Summary }, ...CSV } },
    ...errorResponses(400, 401, 403, 429, 502, 503, 504),
  },
});

const regressionsRoute = createRoute({
  method: 'get',
  path: '/v1/reports/regressions',
  operationId: 'getRegressions',
  tags: ['reports'],
  summary: 'What changed between two periods, per provider, agent and scenario',
  description:
    'Only evaluated runs count (completed, outcome `passed` or `failed`). Verdict, the first rule that holds: `new` (no baseline runs), `newly_failing` ' +
    '(no baseline failure, a current one), `flaky` (current passes and failures), `still_failing`, `fixed`, `stable_passing`. Default: the last 7 days ' +
    'against the 7 days before.',
  security: [{ gatewayKey: [] }],
  request: { query: RegressionsQuery },
  responses: {
    200: { description: 'The regressions', content: { 'application/json': { schema: Regressions }, ...CSV } },
    ...errorResponses(400, 401, 403, 429, 502, 503, 504),
  },
});

/** CSV when the query asks for it, or when it says nothing and the client accepts text/csv before JSON. */
function wantsCsv(c: Context<AppEnv>, format: 'json' | 'csv' | undefined): boolean {
  if (format) return format === 'csv';
  const accept = c.req.header('accept') ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

function csvResponse(c: Context<AppEnv>, body: string, name: string, filters: Record<string, string>): Response {
  return c.body(body, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}.csv"`,
    // what the export was made with travels with it (the rows are the contract's columns only)
    'X-Report-Filters': new URLSearchParams(filters).toString(),
  });
}

export function registerReports(app: App, reports: Reports): void {
  app.openapi(summaryRoute, async (c) => {
    const q = c.req.valid('query');
    const s = await reports.summary(c.get('principal').tenant, q, c.get('scope'));
    if (wantsCsv(c, q.format)) return csvResponse(c, summaryCsv(s), `simgate-summary-${s.data.from.slice(0, 10)}-${s.data.to.slice(0, 10)}`, s.data.filters) as never;
    return c.json(s, 200);
  });

  app.openapi(regressionsRoute, async (c) => {
    const q = c.req.valid('query');
    const r = await reports.regressions(c.get('principal').tenant, q, c.get('scope'));
    if (wantsCsv(c, q.format)) return csvResponse(c, regressionsCsv(r), `simgate-regressions-${r.data.from.slice(0, 10)}-${r.data.to.slice(0, 10)}`, r.data.filters) as never;
    return c.json(r, 200);
  });
}
