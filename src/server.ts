/**
 * Node-only pieces: serving the app with @hono/node-server, docs assets from swagger-ui-dist,
 * demo mode (the built-in simulators on loopback + a demo tenant), graceful shutdown.
 */
import { serve, type ServerType } from '@hono/node-server';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { adapters } from '../adapters/index.js';
import { startSimulators } from '../adapters/simulators.js';
import { buildApp } from './app.js';
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
import { RedisIndexStore } from './node/redis-index.js';

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.png': 'image/png' };

/** Serves a swagger-ui-dist file from node_modules: the docs page needs no internet. */
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

const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

/** Serves a dashboard file from src/dashboard/, or uPlot's from node_modules/uplot/dist (the route allow-lists the names). */
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

export interface Demo {
  config: Config;
  close(): Promise<void>;
}

/**
 * Starts the built-in vendor simulators on loopback and a config with the demo tenant (key `demo`)
 * reading every provider simgate has an adapter for. The simulators' limits are raised so that a
 * first page answers at once; production limits are the vendors' own.
 */
export async function startDemo(): Promise<Demo> {
  const set = await startSimulators({ limits: { perWindow: 6000, concurrency: 20 } });
  const providers = Object.fromEntries(Object.entries(set.providers).filter(([p]) => p in adapters));
  const tuning = Object.fromEntries(Object.entries(set.tuning).filter(([p]) => p in adapters));
  const config: Config = {
    tenants: { demo: { keys: [{ key: 'demo', scopes: ['runs:read', 'reports:read'] }], providers } },
    providers: tuning,
  };
  return { config, close: set.close };
}
