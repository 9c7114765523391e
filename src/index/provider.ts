/**
 * The index of one tenant's provider for one kind (runs or groups): which sources it has, their
 * syncs, what a read needs first (a head sync when the head is stale or `no-cache` asks, the first
 * page when it is cold), and what the answer says about freshness.
 */
import type { ProviderId } from '../../schemas/run.js';
import type { RunFilter } from '../../schemas/query.js';
import type { Key } from '../core/cursor.js';
import { GatewayError, asGatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RequestScope } from '../core/scope.js';
import type { ListSource } from '../core/types.js';
import type { Upstream } from '../core/upstream.js';
import { PRIORITY } from '../core/limiter.js';
import { withDeadline } from '../core/deadline.js';
import { toIndexed, type Syncable } from './absorb.js';
import { IndexReader } from './reader.js';
import { SourceSync } from './source.js';
import type { Lane, SyncSettings } from './deps.js';
import type { IndexedItem, IndexStore } from './types.js';

export type IndexKind = 'runs' | 'groups';

/** How a provider's part of an answer stands in the index. */
export interface IndexStatus {
  fresh_as_of: string | null;
  index: 'ready' | 'backfilling';
  /** The oldest started_at held so far (while backfilling). */
  oldest?: string;
}

export interface ProviderDeps<T extends Syncable> {
  tenant: string;
  provider: ProviderId;
  kind: IndexKind;
  /** Fingerprint of the vendor credential and the settings that shape mapped runs. */
  fingerprint: string;
  vendor: string;
  store: IndexStore;
  settings: SyncSettings & { maxStalenessMs: number };
  owner: string;
  clock: () => number;
  log: Logger;
  /** The provider's listings of this kind, read through an upstream client at `priority` in `scope`. */
  discover: (priority: number, scope: RequestScope) => Promise<{ sources: ListSource<T>[]; http: Upstream }>;
  refetch: (priority: number, scope: RequestScope, held: IndexedItem) => Promise<T | null>;
  refreshBudget: (charge?: number) => boolean;
  record: (err?: GatewayError) => void;
  onLane?: (lane: Lane, ok: boolean) => void;
  /** When a vendor call at `priority` could start (epoch ms), by the credential's budget. */
  budgetStart: (priority: number) => Promise<number>;
}

/** What a read got ready: the syncs, the floor, and why the head may be staler than asked. */
export interface Prepared<T extends Syncable> {
  syncs: Array<SourceSync<T>>;
  floor: number | null;
  /** A head sync this request needed failed or did not finish in time. */
  syncError: GatewayError | null;
  /** The request waited for the vendor (a head sync or the first page). */
  waited: boolean;
}

/** Source lists are looked up again at most this often. */
const DISCOVER_EVERY_MS = 60_000;

export class ProviderIndex<T extends Syncable> {
  private readonly syncs = new Map<string, SourceSync<T>>();
  private ids: string[] | null = null;
  private discoveredAt = 0;
  private discovering: Promise<string[]> | null = null;
  private readonly listKey: string;

  constructor(readonly d: ProviderDeps<T>) {
    this.listKey = this.keyOf('*');
  }

  private keyOf(sourceId: string): string {
    const d = this.d;
    return `${d.tenant}|${d.provider}|${d.fingerprint}|${d.kind}|${sourceId}`;
  }

  /** Every sync this instance knows of this provider. */
  get known(): Array<SourceSync<T>> {
    return [...this.syncs.values()];
  }

  private sync(id: string): SourceSync<T> {
    let s = this.syncs.get(id);
    if (!s) {
      const d = this.d;
      s = new SourceSync<T>({
        store: d.store,
        key: this.keyOf(id),
        sourceId: id,
        vendor: d.vendor,
        owner: d.owner,
        clock: d.clock,
        log: d.log.child({ provider: d.provider, source: id, kind: d.kind }),
        settings: d.settings,
        open: async (priority, scope) => {
          const { sources, http } = await d.discover(priority, scope);
          const src = sources.find((x) => x.id === id);
          return src ? { src, http } : null;
        },
        refetch: d.refetch,
        refreshBudget: d.refreshBudget,
        record: d.record,
        ...(d.onLane ? { onLane: d.onLane } : {}),
      });
      this.syncs.set(id, s);
    }
    return s;
  }

  /** The source ids: remembered, from the store, or from the vendor (at most once a minute; a failure keeps what is known). */
  private async sourceIds(scope: RequestScope, deadline: number): Promise<string[]> {
    if (!this.ids) {
      const doc = await this.d.store.getDoc(this.listKey, 'sources');
      if (doc) this.ids = (JSON.parse(doc) as string[]).filter((x) => typeof x === 'string');
    }
    const stale = this.d.clock() - this.discoveredAt > DISCOVER_EVERY_MS;
    if (this.ids && !stale) return this.ids;
    if (!this.discovering) {
      this.discovering = (async () => {
        try {
          const { sources } = await this.d.discover(PRIORITY.head, scope);
          const ids = sources.map((s) => s.id);
          this.ids = ids;
          this.discoveredAt = this.d.clock();
          await this.d.store.setDoc(this.listKey, 'sources', JSON.stringify(ids)).catch(() => {});
          return ids;
        } finally {
          this.discovering = null;
        }
      })();
      this.discovering.catch(() => {});
    }
    if (this.ids) {
      // known sources serve now; the new list is picked up by a later request
      scope.background(this.discovering.catch(() => {}));
      return this.ids;
    }
    const late = (): Error => new GatewayError('provider_timeout', `${this.d.vendor}: its listings could not be read within the request deadline`, { retryable: true });
    return withDeadline(this.discovering, deadline, late);
  }

  /**
   * Gets a read ready: loads the sources' documents and starts what the index still lacks. A read from the newest
   * (`fromHead`) needs a head no older than `maxStalenessMs` — or, with `noCache`, a head sync begun after `at` —
   * and waits for it up to `deadline` (a failure leaves the index as it is and says so). A cold source's first
   * page is the head sync every concurrent request shares.
   */
  async prepare(o: { fromHead: boolean; noCache: boolean; at: number; deadline: number; scope: RequestScope }): Promise<Prepared<T>> {
    const ids = await this.sourceIds(o.scope, o.deadline);
    const syncs = ids.map((id) => this.sync(id));
    await Promise.all(syncs.map((s) => s.load(250)));
    const by = o.scope;
    for (const s of syncs) {
      // `no-cache` asks the vendor again even while a failed lane waits out its backoff
      s.kick('backfill', by, o.noCache);
      s.kick('refresh', by);
    }
    let syncError: GatewayError | null = null;
    let waited = syncs.some((s) => !s.bf.started);
    const since = o.noCache ? o.at : o.at - this.d.settings.maxStalenessMs;
    const behind = o.fromHead ? syncs.filter((s) => s.bf.started && !s.headFresh(since)) : [];
    if (behind.length) {
      for (const s of behind) s.wantHead(since, by, o.noCache);
      // a head sync the vendor budget cannot start before the deadline is not waited for: the answer says so
      const start = await this.d.budgetStart(PRIORITY.head);
      if (start > o.deadline) {
        const s = Math.max(1, Math.ceil((start - this.d.clock()) / 1000));
        syncError = new GatewayError('rate_limited', `${this.d.vendor}: the vendor's rate limit holds the head sync back for ${s} s; the runs are as of fresh_as_of`, {
          retryAfterS: s,
        });
      } else {
        waited = true;
        const results = await Promise.allSettled(
          behind.map((s) => s.wait(() => s.headFresh(since), ['head'], o.deadline, 'the head could not be synced', () => s.wantHead(since, by))),
        );
        for (const r of results) if (r.status === 'rejected') syncError ??= asGatewayError(r.reason);
      }
    }
    return { syncs, floor: floorOf(syncs), syncError, waited };
  }

  /** One reader per source, from `boundary`, for `filter`, waiting for the sync at most until `deadline`. */
  readers(p: Prepared<T>, filter: RunFilter, match: (item: T) => boolean, boundary: Key | null, deadline: number, scope: RequestScope): Array<IndexReader<T>> {
    return p.syncs.map(
      (s) => new IndexReader<T>(s.d.sourceId, s, this.d.store, { filter, match }, boundary, p.floor, deadline, () => s.kick('backfill', scope)),
    );
  }

  /**
   * A run (or group) just read from the vendor's detail endpoint: where a source holds it and it was not final,
   * its indexed copy becomes this one (shaped as the list stores it), so lists agree with the detail.
   */
  async note(fresh: T, shape: (fresh: T, held: T) => T): Promise<void> {
    for (const s of this.syncs.values()) {
      const held = (await this.d.store.get(s.d.key, [fresh.id])).get(fresh.id);
      if (!held) continue;
      if (held.final) return;
      const item = shape(fresh, JSON.parse(held.json) as T);
      // kept unfinished whatever it says: the detail was read for a client (names may be missing when reference data
      // failed); the refresh lane reads it once more, strictly, before the index calls it final
      await this.d.store.put(s.d.key, [{ ...toIndexed(item, 0, false), t: held.t }]);
      return;
    }
  }

  /** Freshness and state for an answer's `providers` entry. */
  status(syncs: Array<SourceSync<T>>): IndexStatus {
    const fresh = syncs.map((s) => s.hd.freshAsOf);
    const ready = syncs.every((s) => s.bf.done);
    const oldest = syncs.map((s) => s.bf.oldest).filter((x): x is number => x !== null);
    return {
      fresh_as_of: fresh.length && fresh.every((f) => f !== null) ? new Date(Math.min(...(fresh as number[]))).toISOString() : null,
      index: ready ? 'ready' : 'backfilling',
      ...(!ready && oldest.length ? { oldest: new Date(Math.min(...oldest)).toISOString() } : {}),
    };
  }

  /** For GET /v1/providers: state, runs held, oldest, freshness (read from the store). */
  async summary(): Promise<{ state: 'empty' | 'backfilling' | 'ready'; runs: number; oldest: string | null; fresh_as_of: string | null }> {
    let ids = this.ids;
    if (!ids) {
      const doc = await this.d.store.getDoc(this.listKey, 'sources');
      ids = doc ? (JSON.parse(doc) as string[]) : [];
    }
    const syncs = ids.map((id) => this.sync(id));
    await Promise.all(syncs.map((s) => s.load(1000)));
    const stats = await Promise.all(syncs.map((s) => this.d.store.stats(s.d.key)));
    const runs = stats.reduce((n, s) => n + s.items, 0);
    const oldest = stats.map((s) => s.oldest).filter((x): x is number => x !== null);
    const st = this.status(syncs);
    return {
      state: !syncs.length || syncs.every((s) => !s.bf.started) ? 'empty' : st.index,
      runs,
      oldest: oldest.length ? new Date(Math.min(...oldest)).toISOString() : null,
      fresh_as_of: st.fresh_as_of,
    };
  }
}

/** The provider's floor: the highest point where a source stopped short of the vendor's end (horizon, full store). */
function floorOf<T extends Syncable>(syncs: Array<SourceSync<T>>): number | null {
  let floor: number | null = null;
  for (const s of syncs) {
    if ((s.bf.done === 'horizon' || s.bf.done === 'bounded') && s.bf.reached !== null) floor = floor === null ? s.bf.reached : Math.max(floor, s.bf.reached);
  }
  return floor;
}
