import type { CacheResult } from './cache.js';

/**
 * What one client request carries down to the upstream calls: whether to bypass the cache
 * (`Cache-Control: no-cache`), and what comes back up: upstream time per provider for
 * `Server-Timing`, and how each provider's answers came (cache or vendor).
 */
export class RequestScope {
  readonly byProvider = new Map<string, number>();
  readonly cacheResults = new Map<string, Set<CacheResult>>();

  constructor(
    readonly bypassCache = false,
    /** Hands work that outlives the answer to the runtime (Workers: the request's waitUntil). */
    readonly background: (p: Promise<unknown>) => void = (p) => void p.catch(() => {}),
    /** The client request's id, carried into every log line of its upstream calls. */
    readonly requestId?: string,
  ) {}

  add(provider: string, ms: number): void {
    this.byProvider.set(provider, (this.byProvider.get(provider) ?? 0) + ms);
  }

  noteCache(provider: string, r: CacheResult): void {
    let set = this.cacheResults.get(provider);
    if (!set) this.cacheResults.set(provider, (set = new Set()));
    set.add(r);
  }

  /** How a provider's answers came in this request: from the cache, from the vendor, or both. */
  cacheSummary(provider: string): 'hit' | 'miss' | 'bypass' | 'partial' | undefined {
    const r = this.cacheResults.get(provider);
    if (!r?.size) return undefined;
    if (r.has('bypass')) return 'bypass';
    const hit = r.has('hit') || r.has('stale');
    if (hit && r.has('miss')) return 'partial';
    return hit ? 'hit' : 'miss';
  }
}
