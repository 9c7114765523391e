/**
 * Cache stores for Cloudflare Workers (src/core/cache.ts `CacheStore`): the Cache API and Workers KV.
 *
 * - `CacheApiStore` (`caches.default`): local to the Cloudflare data center, free, no write limits. Each key is
 *   a synthetic GET URL (`https://simgate-cache.internal/<sha256 of the key>`), each value a text Response
 *   with `Cache-Control: max-age`. Cache API writes have no effect in dashboard previews (and, by some
 *   versions of Cloudflare's docs, on `*.workers.dev`): there every look-up is a miss, never a failure.
 * - `KvStore` (a KV namespace binding): global, but eventually consistent (a write may take up to ~60 s to
 *   show in other locations) and with write limits (1 write/s per key; 1,000 writes/day on the free plan).
 *   KV keeps a key at least 60 s: a shorter ttl is rounded up. Whether a value is still fresh is decided
 *   by `Cache` from the entry itself, so a longer expiry only keeps a stale value around a little longer.
 *
 * Runtime-neutral: only Web-standard APIs and the minimal binding types declared here (no node:*,
 * no @cloudflare/workers-types).
 */
import type { CacheStore } from './core/cache.js';
import { sha256Hex } from './core/crypto.js';

/** The part of a Workers `Cache` (`caches.default`, `await caches.open(name)`) the store uses. */
export interface CacheApi {
  match(request: Request): Promise<Response | undefined>;
  put(request: Request, response: Response): Promise<void>;
}

/** The part of a Workers KV namespace binding the store uses. */
export interface KvNamespace {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
}

/** KV refuses an `expirationTtl` under 60 s. */
export const KV_MIN_TTL_S = 60;
/** KV refuses keys longer than 512 bytes (UTF-8). */
export const KV_MAX_KEY_BYTES = 512;

const utf8 = new TextEncoder();

/** Seconds for a ttl in ms: rounded up, at least `min`. */
function ttlSeconds(ttlMs: number, min: number): number {
  return Math.max(min, Math.ceil(ttlMs / 1000));
}

/** The Workers Cache API as a `CacheStore`. */
export class CacheApiStore implements CacheStore {
  readonly name = 'cache-api';

  /**
   * @param cache `caches.default` (or a named cache)
   * @param origin the origin of the synthetic request URLs (never fetched; only a cache key)
   */
  constructor(
    private readonly cache: CacheApi,
    private readonly origin = 'https://simgate-cache.internal',
  ) {}

  /** The synthetic GET request a key is stored under. */
  async requestFor(key: string): Promise<Request> {
    return new Request(`${this.origin}/${await sha256Hex(key)}`, { method: 'GET' });
  }

  async get(key: string): Promise<string | null> {
    const res = await this.cache.match(await this.requestFor(key));
    return res ? res.text() : null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const res = new Response(value, {
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': `max-age=${ttlSeconds(ttlMs, 1)}` },
    });
    await this.cache.put(await this.requestFor(key), res);
  }
}

/** A Workers KV namespace as a `CacheStore`. */
export class KvStore implements CacheStore {
  readonly name = 'kv';

  constructor(private readonly kv: KvNamespace) {}

  /**
   * The KV key of a cache key: the key itself when it fits KV's 512-byte limit; else a readable head of
   * it (tenant, provider, ...; still good for listing by prefix) and the SHA-256 of the whole key.
   */
  async kvKey(key: string): Promise<string> {
    if (utf8.encode(key).length <= KV_MAX_KEY_BYTES) return key;
    // 100 UTF-16 units are at most 300 bytes of UTF-8; with '#' and 64 hex digits well under 512
    const cut = /[\uD800-\uDBFF]/.test(key.charAt(99)) ? 99 : 100; // never half a surrogate pair
    return `${key.slice(0, cut)}#${await sha256Hex(key)}`;
  }

  async get(key: string): Promise<string | null> {
    return this.kv.get(await this.kvKey(key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.kv.put(await this.kvKey(key), value, { expirationTtl: ttlSeconds(ttlMs, KV_MIN_TTL_S) });
  }
}

/** A KV namespace binding (and not a string var, an R2 bucket, a service, ...). */
export function isKvNamespace(v: unknown): v is KvNamespace {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.get === 'function' && typeof o.put === 'function' && typeof o.getWithMetadata === 'function' && typeof o.list === 'function';
}

/** `caches.default` when the runtime has the Workers Cache API (not Node, not browsers' CacheStorage). */
export function defaultCacheApi(): CacheApi | null {
  const c = (globalThis as { caches?: { default?: unknown } }).caches?.default;
  if (typeof c !== 'object' || c === null) return null;
  const o = c as Record<string, unknown>;
  return typeof o.match === 'function' && typeof o.put === 'function' ? (c as CacheApi) : null;
}
