/**
 * The per-request work behind the routes: which providers a tenant has, an upstream client per
 * provider credential (cache, limiter, breaker), the runs and groups lists (walk.ts, from the run
 * index where it can), one run, a recording.
 */
import type { Group, ProviderId, ProviderInfo, ProviderStatus, Run } from '../../schemas/run.js';
import type { Include, RunFilter } from '../../schemas/query.js';
import type { Config, TenantProvider } from '../config.js';
import { CursorCodec } from './cursor.js';
import { GatewayError } from './errors.js';
import { sha256Hex } from './crypto.js';
import { Breaker } from './breaker.js';
import { POLICIES, type Cache } from './cache.js';
import type { Metrics } from './metrics.js';
import type { Limiter, Limits } from './limiter.js';
import type { Logger } from './log.js';
import { matches, matchesGroup } from './merge.js';
import { walkPage } from './walk.js';
import { Upstream } from './upstream.js';
import { RequestScope } from './scope.js';
import { MapError, type Adapter, type AdapterContext } from './types.js';
import { DEFAULT_INDEX_SETTINGS, RunIndex, type IndexHost, type IndexSettings } from '../index/engine.js';
import type { IndexStore } from '../index/types.js';
import { FINAL_STATUSES } from '../index/absorb.js';

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

/** Cache keys carry the tenant, the provider and the credential's fingerprint: nothing is shared across tenants. */
export function cachePrefix(tenant: string, p: ProviderId, fp: string): string {
  return `v1|${tenant}|${p}|${fp}|`;
}

/** The run index's settings from the config (`index`). */
export function indexSettings(config: Config): IndexSettings {
  const c = config.index ?? {};
  return {
    ...DEFAULT_INDEX_SETTINGS,
    ...(c.enabled !== undefined ? { enabled: c.enabled } : {}),
    ...(c.horizonDays !== undefined ? { horizonDays: c.horizonDays } : {}),
    ...(c.maxStalenessMs !== undefined ? { maxStalenessMs: c.maxStalenessMs } : {}),
    ...(c.overlapMs !== undefined ? { overlapMs: c.overlapMs } : {}),
    ...(c.refreshMinMs !== undefined ? { refreshMinMs: c.refreshMinMs } : {}),
    ...(c.refreshMaxMs !== undefined ? { refreshMaxMs: c.refreshMaxMs } : {}),
  };
}

export class Gateway implements IndexHost {
  readonly codec: CursorCodec;
  readonly health = new Map<ProviderId, ProviderHealth>();
  /** One breaker per provider and vendor origin (tenants may point a provider at different bases). */
  readonly breakers = new Map<string, Breaker>();
  private readonly fingerprints = new Map<string, Promise<string>>();

  /** Answers of GET /v1/runs/{id} by run and include, with the cached text they were made from. */
  private readonly answers = new Map<string, { source: string; body: string }>();
  /** Limiter keys seen so far, with their provider (for the queue-depth gauge). */
  private readonly limiterKeys = new Map<string, ProviderId>();
  /** The run index (null without a store). */
  readonly index: RunIndex | null;

  constructor(readonly deps: GatewayDeps) {
    this.codec = new CursorCodec(deps.cursorSecret);
    this.index = deps.indexStore ? new RunIndex(deps.indexStore, this, indexSettings(deps.config), deps.clock, deps.log, deps.metrics) : null;
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
    return (await sha256Hex(`simgate-index:${tp.apiKey}\n${shape}`)).slice(0, 16);
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

  /** The state of a tenant's provider's run index for GET /v1/providers (`disabled` when the config turns the index off). */
  async indexSummary(tenant: string, p: ProviderId): Promise<ProviderInfo['index']> {
    const none = { runs: 0, oldest: null, fresh_as_of: null };
    if (!this.index?.settings.enabled) return { state: 'disabled', ...none };
    try {
      const pi = await this.index.provider(tenant, p, 'runs');
      return pi ? await pi.summary() : { state: 'empty', ...none };
    } catch {
      // the store is down: say what this instance last saw
      const pi = await this.index.provider(tenant, p, 'runs').catch(() => null);
      const st = pi?.status(pi.known);
      return { state: st ? st.index : 'empty', ...none, fresh_as_of: st?.fresh_as_of ?? null };
    }
  }

  /** One page of the merged runs list. */
  async listRuns(tenant: string, filter: RunFilter, o: { limit: number; cursor?: string | undefined; include: Include[] }, scope: RequestScope): Promise<ListPage<Run>> {
    const page = await walkPage<Run>(this, tenant, filter, o, scope, 'runs', (p) => this.adapter(p).sources, (r) => matches(r, filter));
    let runs = page.data;
    if (o.include.includes('transcript') || o.include.includes('evaluations')) runs = await this.enrich(tenant, runs, scope, page.providers);
    return { ...page, data: runs.map((r) => shape(r, o.include)), partial: page.partial || Object.values(page.providers).some((s) => s.status === 'error') };
  }

  /** One page of the merged groups list (providers without groups are left out). */
  async listGroups(tenant: string, filter: RunFilter, o: { limit: number; cursor?: string | undefined }, scope: RequestScope): Promise<ListPage<Group>> {
    const page = await walkPage<Group>(this, tenant, filter, o, scope, 'groups', (p) => this.adapter(p).groups?.sources, (g) => matchesGroup(g, filter));
    return { ...page, data: page.data.map(({ raw: _raw, ...g }) => g) };
  }

  /** Fetches each run in full where the list did not carry transcript / evaluations. */
  private async enrich(tenant: string, runs: Run[], scope: RequestScope, providers: Record<string, ProviderStatus>): Promise<Run[]> {
    const out = [...runs];
    const todo = runs.map((r, i) => ({ r, i })).filter(({ r }) => r.transcript === undefined || r.evaluations === undefined);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const { r, i } = todo[next++]!;
        try {
          const full = await this.fetchRun(tenant, r.provider, r.id.slice(r.provider.length + 1), scope);
          if (full) out[i] = { ...r, transcript: full.transcript ?? [], evaluations: full.evaluations ?? [] };
        } catch (e) {
          const err = e instanceof GatewayError ? e : new GatewayError('provider_error', `${r.provider}: detail failed`);
          providers[r.provider] = { status: 'error', error: { code: err.code, message: `detail of ${r.id}: ${err.message}`, retryable: err.retryable } };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, todo.length) }, worker));
    return out;
  }

  /** Parses `<provider>:<native key>` (runs and groups); anything else (or another tenant's provider) is not_found. */
  parseRunId(tenant: string, id: string): { provider: ProviderId; native: string } {
    const m = /^([a-z]+):([A-Za-z0-9._~:-]{1,400})$/.exec(id);
    const p = m?.[1] as ProviderId | undefined;
    if (!m || !p || !this.providersOf(tenant).includes(p)) throw new GatewayError('not_found', `no run ${id}`, { retryable: false });
    return { provider: p, native: m[2]! };
  }

  /** Runs one adapter call for a provider, recording its health; an unreadable vendor item is a provider_error. */
  private async call<T>(provider: ProviderId, fn: () => Promise<T>): Promise<T> {
    try {
      const out = await fn();
      this.record(provider);
      return out;
    } catch (e) {
      const err =
        e instanceof MapError
          ? new GatewayError('provider_error', `${this.adapter(provider).spec.name}: the vendor's answer cannot be read (${e.message})`, { provider, retryable: false })
          : e;
      if (err instanceof GatewayError) this.record(provider, err);
      throw err;
    }
  }

  /**
   * One run from its adapter, through the cache: a finished run is immutable and kept long,
   * an unfinished one briefly; `Cache-Control: no-cache` asks the vendor afresh.
   */
  private async fetchRun(tenant: string, provider: ProviderId, key: string, scope: RequestScope): Promise<Run | null> {
    const text = await this.fetchRunText(tenant, provider, key, scope);
    return text ? (JSON.parse(text) as Run) : null;
  }

  /** The run as JSON text, through the cache (the cache is asked first: a hit builds no upstream client). */
  private async fetchRunText(tenant: string, provider: ProviderId, key: string, scope: RequestScope): Promise<string | null> {
    const load = async (): Promise<string | null> => {
      const ctx = await this.context(tenant, provider, scope);
      const run = await this.call(provider, () => this.adapter(provider).getRun(ctx, key));
      // the index's copy follows what the vendor just said (a run still running, say)
      if (run) this.index?.noteRun(tenant, provider, run, scope.background);
      return run ? JSON.stringify(run) : null;
    };
    const cache = this.deps.cache;
    const tp = this.deps.config.tenants[tenant]?.providers[provider];
    if (!cache || !tp) return load();
    const prefix = cachePrefix(tenant, provider, await this.fingerprint(tp.apiKey));
    const final = (v: string): boolean => FINAL_STATUSES.has((JSON.parse(v) as Run).status);
    const r = await cache.get(`${prefix}run:${key}`, load, (v) => (final(v) ? POLICIES.long : POLICIES.list), {
      bypass: scope.bypassCache,
      // `no-cache` re-reads a run that can still change; a finished one comes from the cache
      keep: final,
      background: scope.background,
      deadline: scope.deadline,
      late: () => new GatewayError('provider_timeout', `${this.adapter(provider).spec.name}: no answer within the request deadline`, { provider }),
    });
    scope.noteCache(provider, r.result);
    return r.value;
  }

  /**
   * GET /v1/runs/{id} as response text (`{"data": Run}` with transcript and evaluations). The answer for a
   * cached run is remembered while the cached text stays the same, so a cache hit is not re-serialised.
   */
  async getRunJson(tenant: string, id: string, include: Include[], scope: RequestScope): Promise<string> {
    const { provider, native } = this.parseRunId(tenant, id);
    const text = await this.fetchRunText(tenant, provider, native, scope);
    if (!text) throw new GatewayError('not_found', `no run ${id}`, { retryable: false });
    const memoKey = `${tenant}|${provider}|${native}|${[...include].sort().join(',')}`;
    const memo = this.answers.get(memoKey);
    if (memo && memo.source === text) return memo.body;
    const run = JSON.parse(text) as Run;
    const body = JSON.stringify({ data: shape({ ...run, transcript: run.transcript ?? [], evaluations: run.evaluations ?? [] }, ['transcript', 'evaluations', ...include]) });
    if (this.answers.size >= 2000) this.answers.clear();
    this.answers.set(memoKey, { source: text, body });
    return body;
  }

  async getGroup(tenant: string, id: string, scope: RequestScope): Promise<Group> {
    const { provider, native } = this.parseRunId(tenant, id);
    const groups = this.adapter(provider).groups;
    if (!groups) throw new GatewayError('not_found', `${provider} has no groups`, { retryable: false });
    const ctx = await this.context(tenant, provider, scope);
    const g = await this.call(provider, () => groups.get(ctx, native));
    if (!g) throw new GatewayError('not_found', `no group ${id}`, { retryable: false });
    const { raw: _raw, ...rest } = g;
    return rest;
  }

  async recording(tenant: string, id: string, range: string | undefined, scope: RequestScope): Promise<Response> {
    const { provider, native } = this.parseRunId(tenant, id);
    const a = this.adapter(provider);
    if (!a.recording) throw new GatewayError('not_found', `${provider} runs have no recordings`, { retryable: false });
    const ctx = await this.context(tenant, provider, scope);
    const res = await this.call(provider, () => a.recording!(ctx, native, range));
    if (!res) throw new GatewayError('not_found', `run ${id} has no recording`, { retryable: false });
    return res;
  }
}

/** Leaves out what the client did not ask for. */
export function shape(run: Run, include: Include[]): Run {
  const out: Run = { ...run };
  if (!include.includes('transcript')) delete out.transcript;
  if (!include.includes('evaluations')) delete out.evaluations;
  if (!include.includes('raw')) delete out.raw;
  return out;
}
