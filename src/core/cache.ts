/**
 * The cache: one interface over three stores (in-memory LRU, Redis, Workers Cache API / KV),
 * with stale-while-revalidate, coalescing of identical concurrent loads, and no caching of
 * errors. A store that fails (Redis down) degrades to "no cache", never to a failed request.
 */
import type { Metrics } from './metrics.js';
import { withDeadline } from './deadline.js';

/** Cache keys carry the tenant, the provider and the credential's fingerprint: nothing is shared across tenants. */
export function cachePrefix(tenant: string, p: string, fp: string): string {
  return `v1|${tenant}|${p}|${fp}|`;
}

/** A key-value store with expiry; values are strings. */
export interface CacheStore {
  readonly name: string;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/** How long a value is fresh, and how much longer it may be served stale while it is refreshed. */
export interface Policy {
  freshMs: number;
  staleMs: number;
}

export const POLICIES = {
  /** Vendor list pages: briefly. */
  list: { freshMs: 15_000, staleMs: 120_000 },
  /** Slow-changing vendor metadata (workspaces, agents, users). */
  meta: { freshMs: 300_000, staleMs: 3_600_000 },
  /** What cannot change any more (finished runs, final scorecards). */
  long: { freshMs: 86_400_000, staleMs: 86_400_000 },
} satisfies Record<string, Policy>;
export type PolicyName = keyof typeof POLICIES;

export type CacheResult = 'hit' | 'stale' | 'miss' | 'bypass';

interface Entry {
  v: string;
  f: number;
  s: number;
}

/** Bounded in-memory LRU (the embedded default). */
export class MemoryStore implements CacheStore {
  readonly name = 'memory';
  private readonly map = new Map<string, { value: string; expires: number }>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | null> {
    const e = this.map.get(key);
    if (!e) return null;
    if (e.expires <= this.clock()) {
      this.delete(key);
      return null;
    }
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.delete(key);
    if (value.length * 2 > this.maxBytes) return;
    this.map.set(key, { value, expires: this.clock() + ttlMs });
    this.bytes += value.length * 2;
    while (this.map.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  get size(): number {
    return this.map.size;
  }

  private delete(key: string): void {
    const e = this.map.get(key);
    if (e) {
      this.bytes -= e.value.length * 2;
      this.map.delete(key);
    }
  }
}

export class Cache {
  private readonly inflight = new Map<string, Promise<string | null>>();

  constructor(
    readonly store: CacheStore,
    private readonly clock: () => number,
    private readonly metrics?: Metrics,
    private readonly onStoreError: (e: unknown) => void = () => {},
  ) {}

  /** Entries are stored as `fresh|stale|value`: the value is not escaped into another JSON string. */
  private async read(key: string): Promise<Entry | null> {
    try {
      const text = await this.store.get(key);
      if (!text) return null;
      const i = text.indexOf('|');
      const j = text.indexOf('|', i + 1);
      if (i < 0 || j < 0) return null;
      return { f: Number(text.slice(0, i)), s: Number(text.slice(i + 1, j)), v: text.slice(j + 1) };
    } catch (e) {
      this.onStoreError(e);
      return null;
    }
  }

  private async write(key: string, value: string, p: Policy): Promise<void> {
    const now = this.clock();
    try {
      await this.store.set(key, `${now + p.freshMs}|${now + p.freshMs + p.staleMs}|${value}`, p.freshMs + p.staleMs);
    } catch (e) {
      this.onStoreError(e);
    }
  }

  /**
   * The value of `key`, loading it when absent (or when `o.bypass`, unless `o.keep` calls the cached value
   * final). `policy(value)` says how long a loaded value may be kept; null keeps it out of the cache. A failed load is never stored.
   * Work that outlives the answer (a stale value's refresh, a store write) goes to `o.background`
   * (on Workers the request's `waitUntil`, without which the runtime would cancel it).
   */
  async get(
    key: string,
    load: () => Promise<string | null>,
    policy: (value: string) => Policy | null,
    o: {
      bypass?: boolean;
      keep?: (value: string) => boolean;
      background?: (p: Promise<unknown>) => void;
      /** Epoch ms: a load shared with another caller (a sync without deadline, say) is waited for no longer. */
      deadline?: number;
      /** What to throw when the deadline passes first. */
      late?: () => Error;
      /**
       * Loads are shared only within a class (a client's request does not queue behind a sync's low-priority call
       * of the same URL); the stored value is one.
       */
      share?: string;
    } = {},
  ): Promise<{ value: string | null; result: CacheResult }> {
    const bypass = o.bypass ?? false;
    const background = o.background ?? ((p: Promise<unknown>) => void p.catch(() => {}));
    // `no-cache` asks again only for what can change: a cached value that `keep` calls final is still served
    const e = !bypass || o.keep ? await this.read(key) : null;
    if (bypass && e && e.f > this.clock() && o.keep?.(e.v)) {
      this.metrics?.inc('simgate_cache_requests_total', { result: 'hit' });
      return { value: e.v, result: 'hit' };
    }
    if (!bypass) {
      const now = this.clock();
      if (e && e.f > now) {
        this.metrics?.inc('simgate_cache_requests_total', { result: 'hit' });
        return { value: e.v, result: 'hit' };
      }
      if (e && e.s > now) {
        this.metrics?.inc('simgate_cache_requests_total', { result: 'stale' });
        // serve stale now; refresh behind (coalesced; errors leave the stale value in place)
        background(this.coalesced(key, load, policy, background, o.share).catch(() => {}));
        return { value: e.v, result: 'stale' };
      }
    }
    this.metrics?.inc('simgate_cache_requests_total', { result: bypass ? 'bypass' : 'miss' });
    const value = this.coalesced(key, load, policy, background, o.share);
    return { value: await withDeadline(value, o.deadline, o.late ?? (() => new Error('deadline passed'))), result: bypass ? 'bypass' : 'miss' };
  }

  /** One load per key at a time: concurrent callers share it. The store write does not hold the answer back. */
  private coalesced(
    key: string,
    load: () => Promise<string | null>,
    policy: (value: string) => Policy | null,
    background: (p: Promise<unknown>) => void,
    share = '',
  ): Promise<string | null> {
    const slot = `${share}\u0000${key}`;
    let p = this.inflight.get(slot);
    if (!p) {
      p = (async () => {
        try {
          const v = await load();
          const pol = v === null ? null : policy(v);
          if (v !== null && pol) background(this.write(key, v, pol));
          return v;
        } finally {
          this.inflight.delete(slot);
        }
      })();
      this.inflight.set(slot, p);
    }
    return p;
  }
}

