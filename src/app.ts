/**
 * buildApp(deps) → the one Hono app that Node and Workers serve. Request ids, auth and
 * scopes, the error envelope on every path (unknown route, wrong method, validation,
 * vendor failure, anything thrown), Server-Timing on vendor-backed answers.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Config, Scope } from './config.js';
import { KeyRing, bearer, type Principal } from './auth.js';
import { GatewayError, asGatewayError, envelope } from './core/errors.js';
import { Gateway, type GatewayDeps } from './core/gateway.js';
import type { KeyLimiter } from './core/ratelimit.js';
import { RequestScope } from './core/scope.js';
import { queryProblems } from '../schemas/query.js';
import { etag } from 'hono/etag';
import { cors } from 'hono/cors';
import { registerRuns } from './routes/runs.js';
import { registerProviders } from './routes/providers.js';
import { registerGroups } from './routes/groups.js';
import { registerOps, type OpsDeps } from './routes/ops.js';
import { registerDashboard } from './routes/dashboard.js';
import { registerReports } from './routes/reports.js';
import { Reports } from './reports/service.js';

export type AppEnv = {
  Variables: {
    requestId: string;
    principal: Principal;
    scope: RequestScope;
    started: number;
  };
};

export type App = OpenAPIHono<AppEnv>;

export interface AppDeps extends GatewayDeps, OpsDeps {
  config: Config;
  /** The per-gateway-key request limit (in memory, or shared through Redis). */
  keyLimiter?: KeyLimiter;
  /**
   * Node only: a middleware that answers gzip (hono/compress), used for clients that accept it; given by Node so
   * that the Worker's bundle goes without it (Cloudflare compresses a Worker's answers at the edge itself).
   */
  compress?: MiddlewareHandler<AppEnv>;
  /** Node only: a middleware that answers br to clients that accept it (preferred to gzip; see node/brotli.ts). */
  brotli?: MiddlewareHandler<AppEnv>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Paths the API serves, with their methods, so a wrong method gets 405 rather than 404. */
const KNOWN: Array<[RegExp, string[]]> = [
  [/^\/v1\/runs$/, ['GET']],
  [/^\/v1\/runs\/[^/]+$/, ['GET']],
  [/^\/v1\/runs\/[^/]+\/recording$/, ['GET']],
  [/^\/v1\/providers$/, ['GET']],
  [/^\/v1\/groups(\/[^/]+)?$/, ['GET']],
  [/^\/v1\/reports\/(summary|regressions)$/, ['GET']],
  [/^\/$/, ['GET']],
  [/^\/(healthz|readyz|openapi\.json|docs|docs\/|metrics|favicon\.ico)$/, ['GET']],
];

/**
 * Sets a header on the finished response in place (c.header() after next() would make Hono rebuild the
 * response around a stream, a slow path for every answer); immutable headers fall back to c.header().
 */
function setHeader(c: Context<AppEnv>, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/**
 * Keeps work that outlives the answer alive: the request's waitUntil on Workers, a detached promise on Node.
 * The execution context is looked up only when there is such work (on Node the lookup throws, which is costly).
 */
function background(c: Context<AppEnv>): (p: Promise<unknown>) => void {
  let ctx: { waitUntil(p: Promise<unknown>): void } | null | undefined;
  return (p) => {
    const quiet = p.catch(() => {});
    if (ctx === undefined) {
      try {
        ctx = c.executionCtx;
      } catch {
        ctx = null; // Node: no execution context
      }
    }
    ctx?.waitUntil(quiet);
  };
}

/** The route template of a path (bounded label values for metrics and logs). */
function routeOf(path: string): string {
  if (/^\/v1\/runs\/[^/]+\/recording$/.test(path)) return '/v1/runs/{id}/recording';
  if (/^\/v1\/runs\/[^/]+$/.test(path)) return '/v1/runs/{id}';
  if (/^\/v1\/groups\/[^/]+$/.test(path)) return '/v1/groups/{id}';
  if (/^\/docs\//.test(path)) return '/docs/*';
  const known = ['/v1/runs', '/v1/groups', '/v1/providers', '/healthz', '/readyz', '/openapi.json', '/docs', '/metrics', '/'];
  return known.includes(path) ? path : 'other';
}

function errorResponse(c: Context<AppEnv>, e: GatewayError): Response {
  const headers: Record<string, string> = { ...e.headers };
  if (e.retryAfterS !== undefined) headers['Retry-After'] = String(e.retryAfterS);
  return c.json(envelope(e, c.get('requestId') ?? 'unknown'), e.status as 400, headers);
}

/** No request waits for vendors longer than this by default (config `requestTimeoutMs`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export async function buildApp(deps: AppDeps): Promise<{ app: App; gateway: Gateway }> {
  const keys = await KeyRing.from(deps.config);
  const requestTimeoutMs = deps.config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const gateway = new Gateway(deps);
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        // people's messages, never the validator's: a repeated parameter arrives as an array (c.req.queries())
        const details = queryProblems(result.error.issues, result.target === 'query' ? c.req.queries() : {});
        const messages = [...new Set(details.map((d) => (d.message.includes(d.path) ? d.message : `${d.path}: ${d.message}`)))];
        throw new GatewayError('invalid_request', messages.join('; '), { details, retryable: false });
      }
      return undefined;
    },
  });

  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set('requestId', id);
    c.set('started', deps.clock());
    c.set('scope', new RequestScope(/\bno-cache\b/i.test(c.req.header('cache-control') ?? ''), background(c), id, deps.clock() + requestTimeoutMs));
    await next();
    setHeader(c, 'X-Request-Id', id);
    const route = routeOf(c.req.path);
    deps.metrics?.inc('simgate_http_requests_total', { route, status: String(c.res.status) });
    deps.metrics?.observe('simgate_http_request_duration_seconds', { route }, (deps.clock() - c.get('started')) / 1000);
    if (route !== '/healthz' && route !== '/metrics') {
      deps.log.log('info', 'request', {
        request_id: id,
        method: c.req.method,
        route,
        status: c.res.status,
        ms: deps.clock() - c.get('started'),
        tenant: c.get('principal')?.tenant,
      });
    }
  });

  // CORS for the configured origins only (none by default); a preflight is answered here, before any key is asked for
  const origins = deps.config.cors?.origins ?? [];
  if (origins.length) {
    app.use(
      '*',
      cors({
        origin: origins.includes('*') ? '*' : origins,
        allowMethods: ['GET', 'HEAD', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Cache-Control', 'If-None-Match', 'Range', 'X-Request-Id', 'Accept'],
        exposeHeaders: ['X-Request-Id', 'Server-Timing', 'Retry-After', 'ETag', 'Content-Range', 'X-Report-Filters', 'Content-Disposition'],
        maxAge: 600,
      }),
    );
  }

  // gzip for JSON, CSV, the docs and dashboard assets when the client accepts it (recordings pass as they are)
  if (deps.brotli) app.use('*', deps.brotli);
  const gzip = deps.compress;
  if (gzip) {
    // only for a client that accepts it: looking at a finished answer's headers rebuilds it around a stream (slow)
    const brotli = deps.brotli !== undefined;
    app.use('*', (c, next) => {
      const accepts = c.req.header('accept-encoding') ?? '';
      // br, when the client takes it and this runtime has it, wins over gzip
      return /\bgzip\b/i.test(accepts) && !(brotli && /\bbr\b/i.test(accepts)) ? gzip(c, next) : next();
    });
  }

  app.onError((err, c) => {
    const e = asGatewayError(err);
    if (e.code === 'internal') deps.log.log('error', 'unhandled error', { request_id: c.get('requestId'), error: err instanceof Error ? err.message : String(err) });
    return errorResponse(c, e);
  });

  app.notFound((c) => {
    const path = c.req.path;
    const known = KNOWN.find(([re]) => re.test(path));
    if (known && !known[1].includes(c.req.method)) {
      return errorResponse(
        c,
        new GatewayError('method_not_allowed', `method ${c.req.method} is not allowed on ${path}; allowed: ${known[1].join(', ')}`, {
          retryable: false,
          headers: { Allow: known[1].join(', ') },
        }),
      );
    }
    return errorResponse(c, new GatewayError('not_found', `no route ${c.req.method} ${path}`, { retryable: false }));
  });

  const requireScope =
    (scope: Scope): MiddlewareHandler<AppEnv> =>
    async (c, next) => {
      const token = bearer(c.req.header('authorization'));
      if (!token) throw new GatewayError('unauthorized', 'missing Authorization: Bearer <gateway key>', { retryable: false, headers: { 'WWW-Authenticate': 'Bearer' } });
      const p = await keys.verify(token);
      if (!p) throw new GatewayError('unauthorized', 'unknown gateway key', { retryable: false, headers: { 'WWW-Authenticate': 'Bearer' } });
      if (!p.scopes.includes(scope)) throw new GatewayError('forbidden', `this key lacks the ${scope} scope`, { retryable: false });
      c.set('principal', p);
      if (deps.keyLimiter && p.perMinute !== null) {
        const r = await deps.keyLimiter.hit(p.keyId, p.perMinute, c.get('scope').deadline);
        if (!r.ok) {
          deps.metrics?.inc('simgate_gateway_rate_limited_total', { tenant: p.tenant });
          throw new GatewayError('rate_limited', `this key may make ${p.perMinute} requests per minute`, { retryAfterS: r.retryAfterS });
        }
      }
      await next();
    };

  /** Server-Timing: the gateway's own time and each provider's upstream time. */
  const serverTiming: MiddlewareHandler<AppEnv> = async (c, next) => {
    await next();
    const parts = [`gateway;dur=${deps.clock() - c.get('started')}`];
    for (const [p, ms] of c.get('scope').byProvider) parts.push(`${p};dur=${ms}`);
    setHeader(c, 'Server-Timing', parts.join(', '));
  };

  app.use('/v1/runs', requireScope('runs:read'), serverTiming);
  app.use('/v1/runs/*', requireScope('runs:read'), serverTiming);
  app.use('/v1/providers', requireScope('runs:read'));
  app.use('/v1/groups', requireScope('runs:read'), serverTiming);
  app.use('/v1/groups/*', requireScope('runs:read'), serverTiming);
  app.use('/v1/reports/*', requireScope('reports:read'), serverTiming);
  // ETag and 304 on a group and the reports (a run's detail sets its own, routes/runs.ts; a recording streams)
  app.use('/v1/groups/:id', etag());
  app.use('/v1/reports/*', etag());

  app.openAPIRegistry.registerComponent('securitySchemes', 'gatewayKey', { type: 'http', scheme: 'bearer', description: 'A gateway key from the config' });
  registerRuns(app, gateway);
  registerProviders(app, gateway);
  registerGroups(app, gateway);
  registerReports(app, new Reports(gateway));
  registerOps(app, { ...deps, collect: async () => gateway.index?.recount() });
  registerDashboard(app, deps);
  return { app, gateway };
}
