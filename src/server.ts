/**
 * Node-only pieces: serving the app with @hono/node-server, docs assets from swagger-ui-dist,
 * demo mode (the built-in simulators on loopback + a demo tenant), graceful shutdown.
 */
import { serve, type ServerType } from '@hono/node-server';
import { compress } from 'hono/compress';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { adapters } from '../adapters/index.js';
import { startSimulators } from '../adapters/simulators.js';
import type { Fault } from '../adapters/simkit.js';
import { PROVIDER_IDS, type ProviderId } from '../schemas/run.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, buildApp } from './app.js';
import type { Config } from './config.js';
import { sha256Hex } from './core/crypto.js';
import type { Gateway } from './core/gateway.js';
import { LocalLimiter } from './core/limiter.js';
import { Cache, MemoryStore } from './core/cache.js';
import { Metrics } from './core/metrics.js';
import { MemoryKeyLimiter } from './core/ratelimit.js';
import { RedisKeyLimiter, RedisLimiter, RedisStore, connectRedis } from './node/redis.js';
import { jsonLogger, type Logger } from './core/log.js';
import { MemoryIndexStore } from './index/memory.js';
import { brotli } from './node/brotli.js';
import { RedisIndexStore } from './node/redis-index.js';

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.png': 'image/png' };

/** Serves a swagger-ui-dist file from node_modules (found from this module up, as from src/ so from dist/src/): the docs page needs no internet. */
export async function docsAsset(name: string): Promise<Response | null> {
  const dir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  try {
    const bytes = await readFile(path.join(dir, path.basename(name)));
    return new Response(bytes, {
      headers: { 'Content-Type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'Cache-Control': 'public, max-age=86400' },
    });
  } catch {
    return null;
  }
}

/** Next to this module: src/dashboard/ under tsx, dist/src/dashboard/ (copied by `npm run build`) when compiled. */
const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

/** Serves a dashboard file from DASHBOARD_DIR, or uPlot's from node_modules/uplot/dist (the route allow-lists the names). */
export async function dashboardAsset(name: string): Promise<Response | null> {
  const base = path.basename(name);
  const dir = base.startsWith('uPlot.') ? path.join(path.dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist') : DASHBOARD_DIR;
  try {
    return new Response(await readFile(path.join(dir, base)));
  } catch {
    return null;
  }
}

export interface RunningGateway {
  url: string;
  gateway: Gateway;
  server: ServerType;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  config: Config;
  port?: number;
  host?: string;
  log?: Logger;
  fetch?: typeof fetch;
  /** The adapters to serve (default: every adapter simgate ships). */
  adapters?: typeof adapters;
  /** Shared cache and rate-limit state for several instances; absent = in-process memory. */
  redisUrl?: string;
  /** Start the run index's backfill of every tenant's providers at once (`npm start` does; tests start it on first use). */
  warm?: boolean;
}

export async function startGateway(o: StartOptions): Promise<RunningGateway> {
  const log = o.log ?? jsonLogger();
  const metrics = new Metrics();
  const redis = o.redisUrl ? connectRedis(o.redisUrl, log) : null;
  // the index, cache and limits live in Redis: give it a moment to connect before the first request (never block start-up)
  if (redis && redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3000);
      redis.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  const onStoreError = (): void => metrics.inc('simgate_cache_store_errors_total');
  const cache = new Cache(redis ? new RedisStore(redis) : new MemoryStore(), Date.now, metrics, onStoreError);
  const limiter = redis ? new RedisLimiter(redis, log) : new LocalLimiter();
  // the run index: shared by every instance through Redis, else in this process (bounded)
  const indexStore = redis ? new RedisIndexStore(redis) : new MemoryIndexStore(o.config.index?.maxRuns);
  const { app, gateway } = await buildApp({
    compress: compress(),
    brotli: brotli(),
    config: o.config,
    adapters: o.adapters ?? adapters,
    fetch: o.fetch ?? fetch,
    limiter,
    log,
    clock: Date.now,
    cursorSecret: o.config.cursorSecret ?? (await sha256Hex(JSON.stringify(o.config))),
    cache,
    indexStore,
    metrics,
    metricsEnabled: o.config.metrics?.enabled ?? true,
    keyLimiter: redis ? new RedisKeyLimiter(redis) : new MemoryKeyLimiter(),
    docsAsset,
    dashboardAsset,
    readiness: async (): Promise<Record<string, { ok: boolean; message?: string }>> => {
      if (!redis) return {};
      try {
        await redis.ping();
        return { redis: { ok: true } };
      } catch (e) {
        return { redis: { ok: false, message: `redis unavailable (${e instanceof Error ? e.message : 'error'}); serving without the shared cache` } };
      }
    },
  });
  const host = o.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: o.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  gateway.index?.start();
  if (o.warm) gateway.index?.warm(Object.fromEntries(Object.keys(o.config.tenants).map((t) => [t, gateway.providersOf(t)])));
  const addr = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  return {
    url,
    gateway,
    server,
    close: async (graceMs = 10_000) => {
      await new Promise<void>((resolve) => {
        const http = server as import('node:http').Server;
        const timer = setTimeout(() => http.closeAllConnections?.(), graceMs);
        http.close(() => {
          clearTimeout(timer);
          resolve();
        });
        http.closeIdleConnections?.();
      });
      await gateway.index?.close();
      if (limiter instanceof RedisLimiter) await limiter.close();
      redis?.disconnect();
    },
  };
}

/** What `SIMGATE_DEMO_FAULTS` can make a built-in simulator do: fail every request, or answer after the deadline. */
export const DEMO_FAULT_KINDS = ['down', 'slow'] as const;
export type DemoFaultKind = (typeof DEMO_FAULT_KINDS)[number];

/** How much later than the request deadline a `slow` simulator answers. */
const SLOW_EXTRA_MS = 5_000;

/** What a demo fault injects into its simulator (a `Fault` without `times` holds until the demo stops). */
export function demoFault(kind: DemoFaultKind): Fault {
  return kind === 'down' ? { status: 500 } : { delayMs: DEFAULT_REQUEST_TIMEOUT_MS + SLOW_EXTRA_MS };
}

/** A `SIMGATE_DEMO_FAULTS` value that cannot be read (the message says which part and what is allowed). */
export class DemoFaultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoFaultsError';
  }
}

/**
 * Reads `SIMGATE_DEMO_FAULTS`: a comma list of `<provider>:<down|slow>` (`synthflow:down,cekura:slow`); unset or
 * empty = none. Throws DemoFaultsError naming the first part that is not one.
 */
export function parseDemoFaults(text: string | undefined): Partial<Record<ProviderId, DemoFaultKind>> {
  const out: Partial<Record<ProviderId, DemoFaultKind>> = {};
  const parts = (text ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  for (const part of parts) {
    const m = /^([^:\s]+)\s*:\s*([^:\s]+)$/.exec(part);
    const where = `SIMGATE_DEMO_FAULTS: '${part}'`;
    if (!m) throw new DemoFaultsError(`${where} is not <provider>:<fault> (e.g. synthflow:down; faults: ${DEMO_FAULT_KINDS.join(', ')})`);
    const provider = m[1]!;
    const kind = m[2]!;
    if (!(PROVIDER_IDS as readonly string[]).includes(provider)) throw new DemoFaultsError(`${where}: unknown provider '${provider}'; providers: ${PROVIDER_IDS.join(', ')}`);
    if (!(DEMO_FAULT_KINDS as readonly string[]).includes(kind)) throw new DemoFaultsError(`${where}: unknown fault '${kind}'; faults: ${DEMO_FAULT_KINDS.join(', ')}`);
    const id = provider as ProviderId;
    if (out[id] !== undefined) throw new DemoFaultsError(`${where}: ${id} is given twice`);
    out[id] = kind as DemoFaultKind;
  }
  return out;
}

/** The simulators' limits in the demo, raised from the vendors' published ones (60–120 a minute) so that a first page answers at once. */
export const DEMO_LIMITS = { perWindow: 6000, concurrency: 20 } as const;

export interface Demo {
  config: Config;
  /** The runs each built-in simulator holds (generated at start-up, ending before it; nothing new arrives). */
  runs: Partial<Record<ProviderId, number>>;
  /** The simulators' limits: requests a minute and at once, per simulator (the gateway is tuned to the same). */
  limits: { perMinute: number; concurrency: number };
  /** The faults injected from `SIMGATE_DEMO_FAULTS`. */
  faults: Partial<Record<ProviderId, DemoFaultKind>>;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** From `SIMGATE_DEMO_FAULTS` (parseDemoFaults): a simulator that fails every request, or answers after the deadline. */
  faults?: Partial<Record<ProviderId, DemoFaultKind>>;
}

/**
 * Starts the built-in vendor simulators on loopback and a config with the demo tenant (key `demo`)
 * reading every provider simgate has an adapter for. The simulators' limits are raised so that a
 * first page answers at once; production limits are the vendors' own.
 */
export async function startDemo(o: DemoOptions = {}): Promise<Demo> {
  const set = await startSimulators({ limits: DEMO_LIMITS });
  const faults = o.faults ?? {};
  for (const [p, kind] of Object.entries(faults) as Array<[ProviderId, DemoFaultKind]>) set.sims[p].server.injectFault(demoFault(kind));
  const providers = Object.fromEntries(Object.entries(set.providers).filter(([p]) => p in adapters));
  const tuning = Object.fromEntries(Object.entries(set.tuning).filter(([p]) => p in adapters));
  const config: Config = {
    tenants: { demo: { keys: [{ key: 'demo', scopes: ['runs:read', 'reports:read'] }], providers } },
    providers: tuning,
  };
  const runs = Object.fromEntries((Object.keys(providers) as ProviderId[]).map((p) => [p, set.sims[p].runs().length]));
  return { config, runs, limits: { perMinute: DEMO_LIMITS.perWindow, concurrency: DEMO_LIMITS.concurrency }, faults, close: set.close };
}

/** The demo's start-up lines about its limits: the runs each simulator holds, their raised rate limits, and the fault switch. */
export function demoLimitLines(demo: Demo): string[] {
  const counts = Object.entries(demo.runs).map(([p, n]) => `${p} ${n}`);
  const total = Object.values(demo.runs).reduce((a, n) => a + n, 0);
  const faults = Object.entries(demo.faults).map(([p, kind]) => `${p} ${kind}`);
  const slowS = (DEFAULT_REQUEST_TIMEOUT_MS + SLOW_EXTRA_MS) / 1000;
  return [
    `  data: ${counts.join(', ')} runs (${total} in all), generated at start-up and ending before it; no new runs arrive while the demo runs.`,
    `  limits: each simulator allows ${demo.limits.perMinute} requests a minute and ${demo.limits.concurrency} at once, raised from the vendors' published 60-120 a minute; simgate is tuned to the same.`,
    faults.length
      ? `  faults (SIMGATE_DEMO_FAULTS): ${faults.join(', ')}. Lists answer partial: true with ${faults.length > 1 ? 'these providers' : 'this provider'} in error.`
      : `  faults: none. SIMGATE_DEMO_FAULTS=synthflow:down makes a simulator fail every request (500), synthflow:slow answer after ${slowS} s (past the ${DEFAULT_REQUEST_TIMEOUT_MS / 1000} s deadline); comma list for several.`,
  ];
}
