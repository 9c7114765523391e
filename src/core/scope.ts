import type { CacheResult } from './cache.js';

/**
 * What one client request carries down to the upstream calls: whether to bypass the cache
 * (`Cache-Control: no-cache`) and its deadline, and what comes back up: upstream time per provider
 * for `Server-Timing`, and how each provider's answers came (cache or vendor). Syncs of the run
 * index run in scopes of their own, without a deadline.
 */
export class RequestScope {
  /** Per provider: when its first upstream call started and its last one ended. */
  private readonly spans = new Map<string, { start: number; end: number }>();
  readonly cacheResults = new Map<string, Set<CacheResult>>();

  constructor(
    readonly bypassCache = false,
    /** Hands work that outlives the answer to the runtime (Workers: the request's waitUntil). */
    readonly background: (p: Promise<unknown>) => void = (p) => void p.catch(() => {}),
    /** The client request's id, carried into every log line of its upstream calls. */
    readonly requestId?: string,
    /** Epoch ms after which nothing of this request waits for a vendor (`requestTimeoutMs`); Infinity = no deadline. */
    readonly deadline: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Milliseconds left before the deadline (Infinity without one). */
  remaining(now: number): number {
    return this.deadline - now;
  }

  /** Upstream calls made in this scope (each attempt counts). */
  calls = 0;

  add(provider: string, start: number, end: number): void {
    this.calls += 1;
    const s = this.spans.get(provider);
    if (!s) this.spans.set(provider, { start, end });
    else {
      s.start = Math.min(s.start, start);
      s.end = Math.max(s.end, end);
    }
  }

  /** Each provider's upstream time: the wall-clock span of its calls (parallel calls are not added up). */
  get byProvider(): Map<string, number> {
    return new Map([...this.spans].map(([p, s]) => [p, s.end - s.start]));
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
