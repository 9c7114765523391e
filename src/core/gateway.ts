/**
 * The per-request work behind the routes: which providers a tenant has, an upstream client per
 * provider credential (cache, limiter, breaker), the runs and groups lists (walk.ts, from the run
 * index where it can); one run, group or recording is details.ts.
 */
import type { Group, ProviderId, ProviderStatus, Run } from '../../schemas/run.js';
import type { Include, RunFilter } from '../../schemas/query.js';
import type { Config, TenantProvider } from '../config.js';
import { CursorCodec } from './cursor.js';
import { GatewayError } from './errors.js';
import { sha256Hex } from './crypto.js';
import { Breaker } from './breaker.js';
import { cachePrefix, type Cache } from './cache.js';
import type { Metrics } from './metrics.js';
import type { Limiter, Limits } from './limiter.js';
import type { Logger } from './log.js';
import { matches, matchesGroup } from './merge.js';
import { walkPage } from './walk.js';
import { Upstream } from './upstream.js';
import { RequestScope } from './scope.js';
import type { Adapter, AdapterContext } from './types.js';
import { Details, shape } from './details.js';
import { RunIndex, settingsOf, type IndexHost } from '../index/engine.js';
import type { IndexStore } from '../index/types.js';

export interface GatewayDeps {
  config: Config;
  adapters: Partial<Record<ProviderId, Adapter>>;
  fetch: typeof fetch;
  limiter: Limiter;
  log: Logger;
  clock: () => number;
  cursorSecret: string;
  /** Shared cache (memory, Redis or Workers); absent = no caching. */
  cache?: Cache;
  metrics?: Metrics;
  /** The run index's store (memory, Redis); absent = every list is a live walk of the vendors. */
  indexStore?: IndexStore;
}

export interface ProviderHealth {
  lastSuccessAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface ListPage<T> {
  data: T[];
  next_cursor: string | null;
  partial: boolean;
  providers: Record<string, ProviderStatus>;
}


export class Gateway implements IndexHost {
  readonly codec: CursorCodec;
  readonly health = new Map<ProviderId, ProviderHealth>();
  /** One breaker per provider and vendor origin (tenants may point a provider at different bases). */
  readonly breakers = new Map<string, Breaker>();
  private readonly fingerprints = new Map<string, Promise<string>>();

  /** Limiter keys seen so far, with their provider (for the queue-depth gauge). */
  private readonly limiterKeys = new Map<string, ProviderId>();
  /** The run index (null without a store). */
  readonly index: RunIndex | null;
  /** One run, group or recording. */
  readonly details: Details;

  constructor(readonly deps: GatewayDeps) {
    this.codec = new CursorCodec(deps.cursorSecret);
    this.details = new Details(this);
    this.index = deps.indexStore ? new RunIndex(deps.indexStore, this, settingsOf(deps.config), deps.clock, deps.log, deps.metrics) : null;
    const m = deps.metrics;
    if (m) {
      const code = { closed: 0, half_open: 1, open: 2 } as const;
      m.gauge('simgate_breaker_state', () => [...this.breakers].map(([k, b]) => [{ provider: k.split('|')[0]!, origin: k.split('|')[1]! }, code[b.state]]));
      m.gauge('simgate_limiter_queued', () => {
        const byProvider = new Map<string, number>();
        for (const [key, p] of this.limiterKeys) byProvider.set(p, (byProvider.get(p) ?? 0) + deps.limiter.queued(key));
        return [...byProvider].map(([provider, n]) => [{ provider }, n]);
      });
    }
  }

  /** The breaker state of a provider for a tenant's base URL. */
  breakerState(tenant: string, p: ProviderId): 'closed' | 'open' | 'half_open' {
    const tp = this.deps.config.tenants[tenant]?.providers[p];
    const base = tp?.baseUrl ?? this.deps.adapters[p]?.spec.defaultBaseUrl;
    return base ? (this.breakers.get(`${p}|${new URL(base).origin}`)?.state ?? 'closed') : 'closed';
  }

  /** The providers a tenant has configured and simgate has an adapter for. */
  providersOf(tenant: string): ProviderId[] {
    const t = this.deps.config.tenants[tenant];
    if (!t) return [];
    return (Object.keys(t.providers) as ProviderId[]).filter((p) => this.deps.adapters[p]);
  }

  adapter(p: ProviderId): Adapter {
    const a = this.deps.adapters[p];
    if (!a) throw new GatewayError('not_found', `unknown provider ${p}`);
    return a;
  }

  /** A short fingerprint of a vendor credential: limiter and cache keys carry it, never the key itself. */
  fingerprint(apiKey: string): Promise<string> {
    let f = this.fingerprints.get(apiKey);
    if (!f) {
      f = sha256Hex(`simgate-credential:${apiKey}`).then((h) => h.slice(0, 16));
      this.fingerprints.set(apiKey, f);
    }
    return f;
  }

  limitsOf(p: ProviderId): Limits {
    const spec = this.adapter(p).spec;
    const tuned = this.deps.config.providers?.[p]?.rateLimit;
    return {
      perMinute: tuned?.perMinute ?? spec.limits.perMinute,
      concurrency: tuned?.concurrency ?? spec.limits.concurrency,
      ...(tuned?.windowMs ? { windowMs: tuned.windowMs } : {}),
    };
  }

  /** Fingerprint of the index of a tenant's provider: its credential and the settings that shape the mapped runs. */
  async indexFingerprint(tenant: string, p: ProviderId): Promise<string> {
    const tp = this.deps.config.tenants[tenant]?.providers[p];
    if (!tp) throw new GatewayError('not_found', `provider ${p} is not configured for this tenant`);
    const shape = JSON.stringify([tp.baseUrl ?? null, tp.passScore ?? null, tp.agentIds ?? null]);
    // v2: items carry their rollup contributions; an index written before them is synced afresh
    return (await sha256Hex(`simgate-index:v2:${tp.apiKey}\n${shape}`)).slice(0, 16);
  }

  /** An adapter context for a tenant's provider; its upstream calls run at `priority` in the limiter (default: a request's). */
  async context(tenant: string, p: ProviderId, scope: RequestScope, priority?: number): Promise<AdapterContext> {
    const a = this.adapter(p);
    const tp = this.deps.config.tenants[tenant]?.providers[p] as TenantProvider | undefined;
    if (!tp) throw new GatewayError('not_found', `provider ${p} is not configured for this tenant`);
    const baseUrl = tp.baseUrl ?? a.spec.defaultBaseUrl;
    if (!baseUrl) throw new GatewayError('provider_error', `${p}: no baseUrl configured`, { provider: p, retryable: false });
    const tuning = this.deps.config.providers?.[p];
    const fp = await this.fingerprint(tp.apiKey);
    const log = this.deps.log.child({ provider: p, ...(scope.requestId ? { request_id: scope.requestId } : {}) });
    const bkey = `${p}|${new URL(baseUrl).origin}`;
    let breaker = this.breakers.get(bkey);
    if (!breaker) this.breakers.set(bkey, (breaker = new Breaker(this.deps.clock, tuning?.breaker?.failures, tuning?.breaker?.cooldownMs)));
    const http = new Upstream({
      provider: p,
      spec: a.spec,
      baseUrl,
      apiKey: tp.apiKey,
      fetch: this.deps.fetch,
      limiter: this.deps.limiter,
      limiterKey: this.limiterKey(p, fp),
      limits: this.limitsOf(p),
      timeoutMs: tuning?.timeoutMs ?? a.spec.timeoutMs,
      retries: tuning?.retries ?? 2,
      timing: scope,
      log,
      clock: this.deps.clock,
      breaker,
      ...(priority !== undefined ? { priority } : {}),
      ...(this.deps.metrics ? { metrics: this.deps.metrics } : {}),
      ...(this.deps.cache ? { cache: { cache: this.deps.cache, prefix: cachePrefix(tenant, p, fp) } } : {}),
    });
    return { provider: p, tenant, cfg: { ...tp, baseUrl }, http, log };
  }

  /** When a call to a tenant's provider at `priority` could start, by the vendor budget (epoch ms). */
  async budgetStart(tenant: string, p: ProviderId, priority: number): Promise<number> {
    const tp = this.deps.config.tenants[tenant]?.providers[p];
    if (!tp) return this.deps.clock();
    return this.deps.limiter.estimate(this.limiterKey(p, await this.fingerprint(tp.apiKey)), this.limitsOf(p), priority);
  }

  limiterKey(p: ProviderId, fp: string): string {
    const key = `${p}:${fp}`;
    this.limiterKeys.set(key, p);
    return key;
  }

  /** Notes a provider's success or failure for GET /v1/providers. */
  record(p: ProviderId, err?: GatewayError): void {
    const h = this.health.get(p) ?? { lastSuccessAt: null, lastError: null, consecutiveFailures: 0 };
    if (err) {
      h.lastError = err.message;
      h.consecutiveFailures += 1;
    } else {
      h.lastSuccessAt = this.deps.clock();
      h.consecutiveFailures = 0;
    }
    this.health.set(p, h);
  }

  /** One page of the merged runs list. */
  async listRuns(tenant: string, filter: RunFilter, o: { limit: number; cursor?: string | undefined; include: Include[] }, scope: RequestScope): Promise<ListPage<Run>> {
    const page = await walkPage<Run>(this, tenant, filter, o, scope, 'runs', (p) => this.adapter(p).sources, (r) => matches(r, filter));
    let runs = page.data;
    if (o.include.includes('transcript') || o.include.includes('evaluations')) runs = await this.details.enrich(tenant, runs, scope, page.providers);
    return { ...page, data: runs.map((r) => shape(r, o.include)), partial: page.partial || Object.values(page.providers).some((s) => s.status === 'error') };
  }

  /** One page of the merged groups list (providers without groups are left out). */
  async listGroups(tenant: string, filter: RunFilter, o: { limit: number; cursor?: string | undefined }, scope: RequestScope): Promise<ListPage<Group>> {
    const page = await walkPage<Group>(this, tenant, filter, o, scope, 'groups', (p) => this.adapter(p).groups?.sources, (g) => matchesGroup(g, filter));
    return { ...page, data: page.data.map(({ raw: _raw, ...g }) => g) };
  }

  /** Parses `<provider>:<native key>` (runs and groups); anything else (or another tenant's provider) is not_found. */
  parseRunId(tenant: string, id: string): { provider: ProviderId; native: string } {
    const m = /^([a-z]+):([A-Za-z0-9._~:-]{1,400})$/.exec(id);
    const p = m?.[1] as ProviderId | undefined;
    if (!m || !p || !this.providersOf(tenant).includes(p)) throw new GatewayError('not_found', `no run ${id}`, { retryable: false });
    return { provider: p, native: m[2]! };
  }


}
