/**
 * The run index of a gateway: one ProviderIndex per tenant × provider × credential × kind on one
 * store, the refresh budget per vendor credential, the background tick that refreshes unfinished
 * runs, and the gauges of /metrics.
 */
import type { ProviderId, ProviderInfo } from '../../schemas/run.js';
import type { Config } from '../config.js';
import { GatewayError } from '../core/errors.js';
import type { Limits } from '../core/limiter.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { RequestScope } from '../core/scope.js';
import { MapError, type Adapter, type AdapterContext, type Listable, type ListSource } from '../core/types.js';
import type { Syncable } from './absorb.js';
import { ProviderIndex, type IndexKind } from './provider.js';
import type { SyncSettings } from './deps.js';
import type { IndexedItem, IndexStore } from './types.js';

export interface IndexSettings extends SyncSettings {
  enabled: boolean;
  maxStalenessMs: number;
  /** Share of a credential's per-minute budget the refresh of unfinished runs may use. */
  refreshShare: number;
}

export const DEFAULT_INDEX_SETTINGS: IndexSettings = {
  enabled: true,
  horizonDays: null,
  maxStalenessMs: 15_000,
  overlapMs: 3_600_000,
  leaseMs: 15_000,
  pollMs: 200,
  refreshMinMs: 15_000,
  refreshMaxMs: 3_600_000,
  refreshShare: 0.1,
};

/** The run index's settings from the config (`index`). */
export function settingsOf(config: Config): IndexSettings {
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

/** What the index needs of the gateway around it. */
export interface IndexHost {
  adapter(p: ProviderId): Adapter;
  /** An adapter context whose upstream calls run at `priority` within `scope`. */
  context(tenant: string, p: ProviderId, scope: RequestScope, priority?: number): Promise<AdapterContext>;
  /** Fingerprint of the tenant's vendor credential and of the provider settings that shape its mapped runs. */
  indexFingerprint(tenant: string, p: ProviderId): Promise<string>;
  limitsOf(p: ProviderId): Limits;
  record(p: ProviderId, err?: GatewayError): void;
  /** When a call to the provider at `priority` could start, by its vendor budget (epoch ms). */
  budgetStart(tenant: string, p: ProviderId, priority: number): Promise<number>;
}

/** A refetched item in the shape the list stores: the list's start (the keyset must not move), no detail-only parts the list lacks. */
export function listShape<T extends Listable>(fresh: T, held: T): T {
  const out = { ...fresh, started_at: held.started_at } as unknown as Record<string, unknown>;
  const h = held as unknown as Record<string, unknown>;
  for (const k of ['transcript', 'evaluations']) if (h[k] === undefined) delete out[k];
  if (h['started_at_precision'] !== undefined) out['started_at_precision'] = h['started_at_precision'];
  return out as unknown as T;
}

export class RunIndex {
  /** This instance's name in sync leases. */
  readonly owner = crypto.randomUUID();
  private readonly providers = new Map<string, Promise<ProviderIndex<Syncable> | null>>();
  /** The provider indexes made so far. */
  private readonly made: Array<ProviderIndex<Syncable>> = [];
  private readonly budgets = new Map<string, { tokens: number; at: number }>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private pendingWarm: Record<string, ProviderId[]> | null = null;
  /** Items held per provider, as last counted (for /metrics). */
  private readonly counted = new Map<string, number>();

  constructor(
    readonly store: IndexStore,
    private readonly host: IndexHost,
    readonly settings: IndexSettings,
    private readonly clock: () => number,
    private readonly log: Logger,
    metrics?: Metrics,
  ) {
    if (metrics) {
      metrics.gauge('simgate_index_runs', () => [...this.counted].map(([provider, n]) => [{ provider }, n]));
      metrics.gauge('simgate_index_sync_lag_seconds', () => this.lag().map(([provider, s]) => [{ provider }, s]));
    }
  }

  /** The state of a tenant's provider's index for GET /v1/providers (`disabled` when the config turns it off). */
  async summary(tenant: string, p: ProviderId): Promise<ProviderInfo['index']> {
    const none = { runs: 0, oldest: null, fresh_as_of: null };
    if (!this.settings.enabled) return { state: 'disabled', ...none };
    const pi = await this.provider(tenant, p, 'runs').catch(() => null);
    if (!pi) return { state: 'empty', ...none };
    try {
      return await pi.summary();
    } catch {
      // the store is down: say what this instance last saw
      const st = pi.status(pi.known);
      return { state: pi.known.length ? st.index : 'empty', ...none, fresh_as_of: st.fresh_as_of };
    }
  }

  /** Can reads use the index now? (Off by config, or its store is down: the live path serves.) */
  usable(): boolean {
    return this.settings.enabled && this.store.healthy();
  }

  /** The index of a tenant's provider for a kind; null when the adapter has no such listings (no groups). */
  provider(tenant: string, p: ProviderId, kind: IndexKind): Promise<ProviderIndex<Syncable> | null> {
    const k = `${tenant}|${p}|${kind}`;
    let x = this.providers.get(k);
    if (!x) {
      x = this.make(tenant, p, kind).then((pi) => {
        if (pi) this.made.push(pi);
        return pi;
      });
      this.providers.set(k, x);
      x.catch(() => this.providers.delete(k));
    }
    return x;
  }

  private async make(tenant: string, p: ProviderId, kind: IndexKind): Promise<ProviderIndex<Syncable> | null> {
    const a = this.host.adapter(p);
    const listings = kind === 'runs' ? a.sources : a.groups?.sources;
    const fetchOne = kind === 'runs' ? a.getRun : a.groups?.get;
    if (!listings || !fetchOne) return null;
    const host = this.host;
    return new ProviderIndex<Syncable>({
      tenant,
      provider: p,
      kind,
      fingerprint: await host.indexFingerprint(tenant, p),
      vendor: a.spec.name,
      store: this.store,
      settings: this.settings,
      owner: this.owner,
      clock: this.clock,
      log: this.log,
      discover: async (priority, scope) => {
        const ctx = await host.context(tenant, p, scope, priority);
        return { sources: (await listings(ctx, {})) as unknown as Array<ListSource<Syncable>>, http: ctx.http };
      },
      refetch: async (priority, scope, held: IndexedItem) => {
        const ctx = { ...(await host.context(tenant, p, scope, priority)), strict: true };
        let fresh: Syncable | null;
        try {
          fresh = (await fetchOne(ctx, held.id.slice(p.length + 1))) as Syncable | null;
        } catch (e) {
          if (e instanceof MapError) throw new GatewayError('provider_error', `${a.spec.name}: the vendor's answer cannot be read (${e.message})`, { provider: p });
          throw e;
        }
        return fresh ? listShape(fresh, JSON.parse(held.json) as Syncable) : null;
      },
      refreshBudget: (charge) => this.takeRefresh(`${tenant}|${p}`, p, charge),
      budgetStart: (priority) => host.budgetStart(tenant, p, priority),
      record: (err) => host.record(p, err),
    });
  }

  /** A run just fetched from the vendor's detail: its indexed copy follows (in the background; a store failure is ignored). */
  noteRun(tenant: string, p: ProviderId, run: Syncable, background: (p: Promise<unknown>) => void): void {
    if (!this.usable()) return;
    background(
      (async () => {
        const pi = await this.provider(tenant, p, 'runs');
        await pi?.note(run, listShape);
      })().catch(() => {}),
    );
  }

  /**
   * A credential's refresh budget (`refreshShare` of its per-minute limit, at least one call a minute): takes one
   * call when there is one; with `charge`, takes that many more whatever is left (a refetch that needed several).
   */
  private takeRefresh(key: string, p: ProviderId, charge?: number): boolean {
    const perMinute = Math.max(1, Math.floor(this.host.limitsOf(p).perMinute * this.settings.refreshShare));
    const now = this.clock();
    const b = this.budgets.get(key) ?? { tokens: perMinute, at: now };
    b.tokens = Math.min(perMinute, b.tokens + ((now - b.at) / 60_000) * perMinute);
    b.at = now;
    this.budgets.set(key, b);
    if (charge !== undefined) {
      b.tokens -= charge;
      return true;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Starts the refresh of due unfinished runs on every source this instance knows, and recounts the gauges. */
  async tick(background: (p: Promise<unknown>) => void = (p) => void p.catch(() => {})): Promise<void> {
    if (!this.usable()) return;
    if (this.pendingWarm) this.warm(this.pendingWarm);
    for (const pi of this.made) {
      for (const s of pi.known) {
        s.kick('refresh', { background });
        if (!s.bf.done) s.kick('backfill', { background });
      }
    }
    await this.recount();
  }

  /** Counts the runs held per provider for the gauges (GET /metrics asks before it renders). */
  async recount(): Promise<void> {
    if (!this.usable()) return;
    const counts = new Map<string, number>();
    for (const pi of this.made) {
      if (pi.d.kind !== 'runs') continue;
      for (const s of pi.known) {
        const st = await this.store.stats(s.d.key).catch(() => null);
        if (st) counts.set(pi.d.provider, (counts.get(pi.d.provider) ?? 0) + st.items);
      }
    }
    for (const [p, n] of counts) this.counted.set(p, n);
  }

  /** Seconds since each provider's staleest run-index head was synced. */
  private lag(): Array<[string, number]> {
    const worst = new Map<string, number>();
    const now = this.clock();
    for (const pi of this.made) {
      if (pi.d.kind !== 'runs') continue;
      for (const s of pi.known) {
        if (s.hd.freshAsOf === null) continue;
        worst.set(pi.d.provider, Math.max(worst.get(pi.d.provider) ?? 0, (now - s.hd.freshAsOf) / 1000));
      }
    }
    return [...worst];
  }

  /** Starts the backfill of every tenant's providers now (Node at start-up), rather than on their first request. */
  warm(tenants: Record<string, ProviderId[]>): void {
    if (!this.usable()) {
      // the store is not there yet (Redis connecting): the next tick that finds it warms up
      this.pendingWarm = tenants;
      return;
    }
    this.pendingWarm = null;
    const scope = new RequestScope();
    for (const [tenant, ps] of Object.entries(tenants)) {
      for (const p of ps) {
        void this.provider(tenant, p, 'runs')
          .then((pi) => pi?.prepare({ fromHead: false, noCache: false, at: this.clock(), deadline: this.clock() + 60_000, scope }))
          .catch((e: unknown) => this.log.log('warn', 'index warm-up failed; the first request starts it', { provider: p, error: e instanceof Error ? e.message : String(e) }));
      }
    }
  }

  /** Ticks in the background (Node; a Worker ticks on its requests instead): every 5 s, or the refresh floor when shorter. */
  start(everyMs = Math.min(5_000, this.settings.refreshMinMs)): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick().catch((e: unknown) => this.log.log('warn', 'index tick failed', { error: String(e) })), everyMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.made.flatMap((pi) => pi.known.map((s) => s.close())));
  }
}
