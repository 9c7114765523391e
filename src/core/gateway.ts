/**
 * The query planner and the per-request work behind the routes: which providers a tenant
 * has, an upstream client per provider credential, the merged runs walk, one run, a recording.
 */
import type { Group, ProviderId, ProviderStatus, Run } from '../../schemas/run.js';
import type { Include, RunFilter } from '../../schemas/query.js';
import type { Config, TenantProvider } from '../config.js';
import { CursorCodec, queryHash, type CursorState, type Key } from './cursor.js';
import { GatewayError, worstProviderError } from './errors.js';
import { sha256Hex } from './crypto.js';
import type { Limiter } from './limiter.js';
import type { Logger } from './log.js';
import { matches, matchesGroup, mergePage, SourceReader, type ProviderWalk } from './merge.js';
import { Timing, Upstream } from './upstream.js';
import { MapError, type Adapter, type AdapterContext, type Listable, type ListSource } from './types.js';

export interface GatewayDeps {
  config: Config;
  adapters: Partial<Record<ProviderId, Adapter>>;
  fetch: typeof fetch;
  limiter: Limiter;
  log: Logger;
  clock: () => number;
  cursorSecret: string;
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

export class Gateway {
  readonly codec: CursorCodec;
  readonly health = new Map<ProviderId, ProviderHealth>();
  private readonly fingerprints = new Map<string, Promise<string>>();

  constructor(readonly deps: GatewayDeps) {
    this.codec = new CursorCodec(deps.cursorSecret);
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

  limitsOf(p: ProviderId): { perMinute: number; concurrency: number } {
    const spec = this.adapter(p).spec;
    const tuned = this.deps.config.providers?.[p]?.rateLimit;
    return { perMinute: tuned?.perMinute ?? spec.limits.perMinute, concurrency: tuned?.concurrency ?? spec.limits.concurrency };
  }

  async context(tenant: string, p: ProviderId, timing: Timing): Promise<AdapterContext> {
    const a = this.adapter(p);
    const tp = this.deps.config.tenants[tenant]?.providers[p] as TenantProvider | undefined;
    if (!tp) throw new GatewayError('not_found', `provider ${p} is not configured for this tenant`);
    const baseUrl = tp.baseUrl ?? a.spec.defaultBaseUrl;
    if (!baseUrl) throw new GatewayError('provider_error', `${p}: no baseUrl configured`, { provider: p, retryable: false });
    const tuning = this.deps.config.providers?.[p];
    const fp = await this.fingerprint(tp.apiKey);
    const log = this.deps.log.child({ provider: p });
    const http = new Upstream({
      provider: p,
      spec: a.spec,
      baseUrl,
      apiKey: tp.apiKey,
      fetch: this.deps.fetch,
      limiter: this.deps.limiter,
      limiterKey: `${p}:${fp}`,
      limits: this.limitsOf(p),
      timeoutMs: tuning?.timeoutMs ?? a.spec.timeoutMs,
      retries: tuning?.retries ?? 2,
      timing,
      log,
      clock: this.deps.clock,
    });
    return { provider: p, tenant, cfg: { ...tp, baseUrl }, http, log };
  }

  private record(p: ProviderId, err?: GatewayError): void {
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
  async listRuns(tenant: string, filter: RunFilter, o: { limit: number; cursor?: string | undefined; include: Include[] }, timing: Timing): Promise<ListPage<Run>> {
    const page = await this.list<Run>(tenant, filter, o, timing, 'runs', (p) => this.adapter(p).sources, (r) => matches(r, filter));
    let runs = page.data;
    if (o.include.includes('transcript') || o.include.includes('evaluations')) runs = await this.enrich(tenant, runs, timing, page.providers);
    return { ...page, data: runs.map((r) => shape(r, o.include)), partial: page.partial || Object.values(page.providers).some((s) => s.status === 'error') };
  }

  /** One page of the merged groups list (providers without groups are left out). */
  async listGroups(tenant: string, filter: RunFilter, o: { limit: number; cursor?: string | undefined }, timing: Timing): Promise<ListPage<Group>> {
    const page = await this.list<Group>(tenant, filter, o, timing, 'groups', (p) => this.adapter(p).groups?.sources, (g) => matchesGroup(g, filter));
    return { ...page, data: page.data.map(({ raw: _raw, ...g }) => g) };
  }

  /** The merged walk shared by runs and groups: plan the providers, read their sources, merge one page. */
  private async list<T extends Listable>(
    tenant: string,
    filter: RunFilter,
    o: { limit: number; cursor?: string | undefined },
    timing: Timing,
    kind: string,
    sourcesOf: (p: ProviderId) => ((ctx: AdapterContext, f: RunFilter) => Promise<ListSource<T>[]>) | undefined,
    match: (item: T) => boolean,
  ): Promise<ListPage<T>> {
    const q = await queryHash(tenant, { kind, ...filter });
    const incoming: CursorState | null = o.cursor ? await this.codec.decode(o.cursor, q) : null;
    const boundary: Key | null = incoming?.b ?? null;
    const wanted = this.providersOf(tenant).filter((p) => (!filter.provider || filter.provider.includes(p)) && sourcesOf(p));

    const walks: ProviderWalk<T>[] = await Promise.all(
      wanted.map(async (p): Promise<ProviderWalk<T>> => {
        const ps = incoming?.p[p];
        const lagging = ps !== undefined && ps.l !== undefined;
        const pb = lagging ? (ps.l ?? null) : boundary;
        const walk: ProviderWalk<T> = { provider: p, readers: [], incoming: ps, boundary: pb, lagging };
        // a provider the cursor already found exhausted is not asked again
        if (ps && !lagging && Object.keys(ps.s).length > 0 && Object.values(ps.s).every((s) => s.d)) return walk;
        try {
          const ctx = await this.context(tenant, p, timing);
          const sources = await sourcesOf(p)!(ctx, filter);
          walk.readers = sources.map((src) => new SourceReader<T>(p, src, ctx.http, match, pb, ps?.s[src.id], ctx.log));
        } catch (e) {
          walk.error = e instanceof GatewayError ? e : new GatewayError('provider_error', `${p}: failed`, { provider: p });
        }
        return walk;
      }),
    );

    const merged = await mergePage(walks, o.limit, boundary);
    const providers: Record<string, ProviderStatus> = {};
    for (const w of walks) {
      const p = w.provider as ProviderId;
      this.record(p, w.error);
      const skipped = w.readers.reduce((n, r) => n + r.skipped, 0);
      providers[p] = w.error
        ? { status: 'error', error: { code: w.error.code, message: w.error.message, retryable: w.error.retryable } }
        : { status: 'ok', ...(skipped ? { skipped_items: skipped } : {}) };
    }
    const failed = walks.filter((w) => w.error);
    if (walks.length > 0 && failed.length === walks.length) {
      const worst = worstProviderError(failed.map((w) => w.error!));
      throw new GatewayError(worst.code, failed.length > 1 ? `every provider failed: ${failed.map((w) => w.error!.message).join('; ')}` : worst.message, {
        ...(failed.length === 1 && worst.provider ? { provider: worst.provider } : {}),
        ...(worst.retryAfterS !== undefined ? { retryAfterS: worst.retryAfterS } : {}),
      });
    }
    const next = merged.more ? await this.codec.encode({ v: 1, q, b: merged.boundary, p: merged.state }) : null;
    return { data: merged.runs, next_cursor: next, partial: failed.length > 0, providers };
  }

  /** Fetches each run in full where the list did not carry transcript / evaluations. */
  private async enrich(tenant: string, runs: Run[], timing: Timing, providers: Record<string, ProviderStatus>): Promise<Run[]> {
    const out = [...runs];
    const todo = runs.map((r, i) => ({ r, i })).filter(({ r }) => r.transcript === undefined || r.evaluations === undefined);
    const ctxs = new Map<ProviderId, Promise<AdapterContext>>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const { r, i } = todo[next++]!;
        try {
          let ctx = ctxs.get(r.provider);
          if (!ctx) ctxs.set(r.provider, (ctx = this.context(tenant, r.provider, timing)));
          const full = await this.adapter(r.provider).getRun(await ctx, r.id.slice(r.provider.length + 1));
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

  async getRun(tenant: string, id: string, include: Include[], timing: Timing): Promise<Run> {
    const { provider, native } = this.parseRunId(tenant, id);
    const ctx = await this.context(tenant, provider, timing);
    const run = await this.call(provider, () => this.adapter(provider).getRun(ctx, native));
    if (!run) throw new GatewayError('not_found', `no run ${id}`, { retryable: false });
    return shape({ ...run, transcript: run.transcript ?? [], evaluations: run.evaluations ?? [] }, ['transcript', 'evaluations', ...include]);
  }

  async getGroup(tenant: string, id: string, timing: Timing): Promise<Group> {
    const { provider, native } = this.parseRunId(tenant, id);
    const groups = this.adapter(provider).groups;
    if (!groups) throw new GatewayError('not_found', `${provider} has no groups`, { retryable: false });
    const ctx = await this.context(tenant, provider, timing);
    const g = await this.call(provider, () => groups.get(ctx, native));
    if (!g) throw new GatewayError('not_found', `no group ${id}`, { retryable: false });
    const { raw: _raw, ...rest } = g;
    return rest;
  }

  async recording(tenant: string, id: string, range: string | undefined, timing: Timing): Promise<Response> {
    const { provider, native } = this.parseRunId(tenant, id);
    const a = this.adapter(provider);
    if (!a.recording) throw new GatewayError('not_found', `${provider} runs have no recordings`, { retryable: false });
    const ctx = await this.context(tenant, provider, timing);
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
