/**
 * Cloudflare Workers entry: the same `buildApp` as Node (src/server.ts), with Workers pieces.
 *
 * - Config: the `SIMGATE_CONFIG` binding holds the JSON config text (`wrangler secret put SIMGATE_CONFIG`);
 *   `${NAME}` in it reads the Worker's other string bindings (vars and secrets).
 * - A missing or invalid config answers every request with the API error envelope (500 `internal`), the
 *   message naming the problems, never the config text.
 * - The app is built once per isolate (cached on the config text). With the `STATE` Durable Object binding
 *   (wrangler.toml), the vendors' rate-limit budgets and the run index live in SimgateState objects (SQLite
 *   storage) that every isolate asks (src/worker/): one budget per vendor credential, one index per tenant ×
 *   provider × credential, one count per gateway key with a `perMinute`, as several Node instances share them through
 *   Redis. Without it, all three are per isolate (LocalLimiter, MemoryIndexStore, MemoryKeyLimiter); while an object
 *   fails, budgets and key counts are kept in the isolate and lists are served live from the vendors
 *   (src/worker/do-*.ts). The metrics of GET /metrics are per isolate. Index syncs run in the waitUntil of the
 *   request that started them.
 * - Cache (src/workers-cache.ts): the KV namespace bound as `CACHE` when there is one (global, eventually
 *   consistent), else the Cache API (`caches.default`, per data center), else none.
 * - `/docs` assets and the dashboard's files (`GET /`, `/dashboard/assets/*`) come from the static-assets binding
 *   `ASSETS` (wrangler.toml `[assets]`, filled by scripts/copy-docs-assets.mjs), when bound.
 *
 * Only Web-standard, runtime-neutral modules are reachable from here: no `node:*` imports.
 */
import type { ExecutionContext } from 'hono';
import { adapters } from '../adapters/index.js';
import { buildApp, type App } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { sha256Hex } from './core/crypto.js';
import { Cache, type CacheStore } from './core/cache.js';
import { GatewayError, envelope } from './core/errors.js';
import { LocalLimiter } from './core/limiter.js';
import { jsonLogger, type Logger } from './core/log.js';
import { Metrics } from './core/metrics.js';
import { MemoryKeyLimiter } from './core/ratelimit.js';
import { MemoryIndexStore } from './index/memory.js';
import { CacheApiStore, KvStore, defaultCacheApi, isKvNamespace, type KvNamespace } from './workers-cache.js';
import { DurableIndexStore } from './worker/do-index.js';
import { DurableKeyLimiter } from './worker/do-keys.js';
import { DurableLimiter } from './worker/do-limiter.js';
import type { StateNamespace } from './worker/protocol.js';

/** The static-assets binding (the part simgate uses). */
export interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

/** The Worker's bindings: the config, the optional assets and cache bindings, and any string vars/secrets `${NAME}` reads. */
export interface Env {
  SIMGATE_CONFIG?: string;
  ASSETS?: AssetsBinding;
  /** A KV namespace for the cache (wrangler.toml `[[kv_namespaces]]`, binding "CACHE"). */
  CACHE?: KvNamespace;
  /** The SimgateState Durable Object namespace (wrangler.toml `[[durable_objects.bindings]]`). */
  STATE?: StateNamespace;
  [binding: string]: unknown;
}

export { SimgateState } from './worker/state.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const log: Logger = jsonLogger();

/** The app of this isolate, keyed on the config text it was built from. */
let cached: { text: string; app: Promise<App> } | null = null;

/** The string bindings, for `${NAME}` substitution. */
function stringBindings(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A config problem without any of the config text (V8's JSON.parse messages quote the input). */
function safeProblem(p: string): string {
  return p.startsWith('(root): not valid JSON') ? '(root): not valid JSON' : p;
}

function docsAssetFrom(assets: AssetsBinding | undefined): ((name: string) => Promise<Response | null>) | undefined {
  if (!assets) return undefined;
  return async (name) => {
    const res = await assets.fetch(new Request(`https://assets/${encodeURIComponent(name)}`));
    if (!res.ok) return null;
    // a fresh Response: headers of a fetched Response are immutable, and the app adds its own
    const headers = new Headers(res.headers);
    headers.set('Cache-Control', 'public, max-age=86400');
    return new Response(res.body, { status: res.status, headers });
  };
}

/** The dashboard's files, copied to `dashboard/` of the assets directory; the route sets their headers. */
function dashboardAssetFrom(assets: AssetsBinding | undefined): ((name: string) => Promise<Response | null>) | undefined {
  if (!assets) return undefined;
  return async (name) => {
    const res = await assets.fetch(new Request(`https://assets/dashboard/${encodeURIComponent(name)}`));
    return res.ok ? res : null;
  };
}

/** The cache store: KV when `CACHE` is a KV namespace, else the Cache API when the runtime has it, else none. */
function cacheStoreFor(env: Env): CacheStore | null {
  if (isKvNamespace(env.CACHE)) return new KvStore(env.CACHE);
  if (env.CACHE !== undefined) log.log('warn', 'the CACHE binding is not a KV namespace; using the Cache API');
  const c = defaultCacheApi();
  return c ? new CacheApiStore(c) : null;
}

/** Is `v` a Durable Object namespace binding? */
function isStateNamespace(v: unknown): v is StateNamespace {
  return typeof v === 'object' && v !== null && typeof (v as StateNamespace).idFromName === 'function' && typeof (v as StateNamespace).get === 'function';
}

async function build(text: string, env: Env): Promise<App> {
  const config = parseConfig(text, stringBindings(env));
  const metrics = new Metrics();
  const store = cacheStoreFor(env);
  const state = isStateNamespace(env.STATE) ? env.STATE : null;
  if (!state) log.log('warn', 'no STATE Durable Object binding: rate limits, key limits and the run index are per isolate');
  const onStoreError = (e: unknown): void => {
    metrics.inc('simgate_cache_store_errors_total');
    log.log('warn', 'cache store failed; serving without it', { store: store?.name, error: e instanceof Error ? e.message : String(e) });
  };
  const { app } = await buildApp({
    config,
    adapters,
    // not `fetch` itself: workerd throws "Illegal invocation" when the global fetch is called as `deps.fetch(...)`
    fetch: (input, init) => fetch(input, init),
    limiter: state ? new DurableLimiter(state, log) : new LocalLimiter(),
    log,
    clock: Date.now,
    cursorSecret: config.cursorSecret ?? (await sha256Hex(text)),
    ...(store ? { cache: new Cache(store, Date.now, metrics, onStoreError) } : {}),
    indexStore: state ? new DurableIndexStore(state, config.index?.maxRuns, log) : new MemoryIndexStore(config.index?.maxRuns),
    metrics,
    metricsEnabled: config.metrics?.enabled ?? true,
    keyLimiter: state ? new DurableKeyLimiter(state, log) : new MemoryKeyLimiter(),
    docsAsset: docsAssetFrom(env.ASSETS),
    dashboardAsset: dashboardAssetFrom(env.ASSETS),
    readiness: async () => ({}),
  });
  return app;
}

/** The cached app for this config text, building it on first use. A failure other than a config error is retried. */
function appFor(text: string, env: Env): Promise<App> {
  if (cached?.text === text) return cached.app;
  const app = build(text, env);
  const entry = { text, app };
  cached = entry;
  app.catch((e: unknown) => {
    if (e instanceof ConfigError) {
      log.log('error', 'invalid SIMGATE_CONFIG', { problems: e.problems.map(safeProblem) });
    } else {
      log.log('error', 'gateway failed to start', { error: e instanceof Error ? e.message : String(e) });
      if (cached === entry) cached = null;
    }
  });
  return app;
}

/** The API error envelope for a request the app cannot serve (no or bad config). */
function startupError(request: Request, message: string): Response {
  const given = request.headers.get('x-request-id');
  const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  const e = new GatewayError('internal', message, { retryable: false });
  return new Response(JSON.stringify(envelope(e, requestId)), {
    status: 500,
    headers: { 'Content-Type': 'application/json; charset=UTF-8', 'X-Request-Id': requestId, 'Cache-Control': 'no-store' },
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const text = env.SIMGATE_CONFIG;
    if (typeof text !== 'string' || text.trim() === '') {
      return startupError(request, 'SIMGATE_CONFIG is not set: put the JSON config in it (wrangler secret put SIMGATE_CONFIG)');
    }
    let app: App;
    try {
      app = await appFor(text, env);
    } catch (e) {
      if (e instanceof ConfigError) return startupError(request, `invalid SIMGATE_CONFIG: ${e.problems.map(safeProblem).join('; ')}`);
      return startupError(request, 'the gateway could not start; see the Worker logs');
    }
    // work that outlives the answer (cache refreshes and writes) goes to ctx.waitUntil through the app
    return app.fetch(request, env, ctx);
  },
};
