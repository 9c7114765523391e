/**
 * One page of a merged list (runs or groups): plan which providers to ask, read each from the run
 * index where it can (live from the vendor where it cannot: index off, store down, below the
 * horizon), merge, and say per provider how it went and how fresh it is.
 */
import type { ProviderId, ProviderStatus } from '../../schemas/run.js';
import type { RunFilter } from '../../schemas/query.js';
import { queryHash, type CursorState, type Key } from './cursor.js';
import { GatewayError, worstProviderError } from './errors.js';
import type { Gateway, ListPage } from './gateway.js';
import { mergePage, SourceReader, type ProviderWalk } from './merge.js';
import type { RequestScope } from './scope.js';
import type { AdapterContext, Listable, ListSource } from './types.js';
import type { IndexKind, IndexStatus, ProviderIndex } from '../index/provider.js';
import { StoreUnavailable } from '../index/reader.js';
import type { Syncable } from '../index/absorb.js';

/** Time kept back from the deadline to write the answer. */
const ANSWER_MS = 50;

type SourcesOf<T extends Listable> = (p: ProviderId) => ((ctx: AdapterContext, f: RunFilter) => Promise<ListSource<T>[]>) | undefined;

/** How a provider's part was read, for its `providers` entry. */
interface Served {
  via: 'index' | 'live';
  /** The index's state, read once the page is merged (the merge may have waited for the backfill). */
  status?: () => IndexStatus;
  syncError?: GatewayError | null;
  waited?: boolean;
}

/** The merged walk shared by runs and groups: plan the providers, read their sources, merge one page. */
export async function walkPage<T extends Syncable>(
  gw: Gateway,
  tenant: string,
  filter: RunFilter,
  o: { limit: number; cursor?: string | undefined },
  scope: RequestScope,
  kind: IndexKind,
  sourcesOf: SourcesOf<T>,
  match: (item: T) => boolean,
): Promise<ListPage<T>> {
  const q = await queryHash(tenant, { kind, ...filter });
  const incoming: CursorState | null = o.cursor ? await gw.codec.decode(o.cursor, q) : null;
  const boundary: Key | null = incoming?.b ?? null;
  const wanted = gw.providersOf(tenant).filter((p) => (!filter.provider || filter.provider.includes(p)) && sourcesOf(p));
  const at = gw.deps.clock();
  const served = new Map<string, Served>();

  const walks: ProviderWalk<T>[] = await Promise.all(
    wanted.map(async (p): Promise<ProviderWalk<T>> => {
      const ps = incoming?.p[p];
      const lagging = ps !== undefined && ps.l !== undefined;
      const pb = lagging ? (ps.l ?? null) : boundary;
      const walk: ProviderWalk<T> = { provider: p, readers: [], incoming: ps, boundary: pb, lagging };
      // a provider the cursor already found exhausted is not asked again (its entry still says how its index stands)
      if (ps && !lagging && Object.keys(ps.s).length > 0 && Object.values(ps.s).every((s) => s.d)) {
        served.set(p, await indexState(gw, tenant, p, kind));
        return walk;
      }
      const ix = await fromIndex(gw, tenant, p, kind, filter, match, pb, at, scope, walk);
      if (ix.via === 'index') {
        served.set(p, ix);
        return walk;
      }
      served.set(p, { via: 'live' });
      try {
        const ctx = await gw.context(tenant, p, scope);
        const narrowed = ix.below === undefined ? filter : { ...filter, to: Math.min(filter.to ?? Number.POSITIVE_INFINITY, ix.below + 1) };
        const keep = ix.below === undefined ? match : (item: T) => match(item) && Date.parse(item.started_at) <= ix.below!;
        const sources = await sourcesOf(p)!(ctx, narrowed);
        walk.readers = sources.map((src) => new SourceReader<T>(p, src, ctx.http, keep, pb, ps?.s[src.id], ctx.log));
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
    if (w.error?.code === 'rate_limited') w.error = asTimeout(w.error);
    if (served.get(p)?.via !== 'index') gw.record(p, w.error);
    providers[p] = statusOf(w, served.get(p), scope, at);
  }
  const failed = walks.filter((w) => w.error);
  if (walks.length > 0 && failed.length === walks.length) {
    const worst = worstProviderError(failed.map((w) => w.error!));
    throw new GatewayError(worst.code, failed.length > 1 ? `every provider failed: ${failed.map((w) => w.error!.message).join('; ')}` : worst.message, {
      ...(failed.length === 1 && worst.provider ? { provider: worst.provider } : {}),
      ...(worst.retryAfterS !== undefined ? { retryAfterS: worst.retryAfterS } : {}),
    });
  }
  const next = merged.more ? await gw.codec.encode({ v: 1, q, b: merged.boundary, p: merged.state }) : null;
  return { data: merged.runs, next_cursor: next, partial: failed.length > 0, providers };
}

/**
 * Reads a provider from the run index: gets the read ready (head sync, first page) and peeks its readers.
 * `live` when the index cannot serve it (off, store down, no such listing), with `below` when the index
 * holds everything above that point and the live path must read on below it (horizon, full store).
 */
async function fromIndex<T extends Syncable>(
  gw: Gateway,
  tenant: string,
  p: ProviderId,
  kind: IndexKind,
  filter: RunFilter,
  match: (item: T) => boolean,
  pb: Key | null,
  at: number,
  scope: RequestScope,
  walk: ProviderWalk<T>,
): Promise<Served & { below?: number }> {
  const ix = gw.index;
  if (!ix?.usable()) return { via: 'live' };
  const deadline = scope.deadline - ANSWER_MS;
  const started = gw.deps.clock();
  let prep;
  let pi: ProviderIndex<T> | null = null;
  try {
    // the kind decides the item type: runs for 'runs', groups for 'groups'
    pi = (await ix.provider(tenant, p, kind)) as unknown as ProviderIndex<T> | null;
    if (!pi) return { via: 'live' };
    prep = await pi.prepare({ fromHead: pb === null, noCache: scope.bypassCache, at, deadline, scope });
  } catch (e) {
    if (!(e instanceof GatewayError)) return live(gw, p, e); // the store failed: the vendors still answer
    walk.error = e;
    const known = pi;
    return { via: 'index', status: () => known?.status(known.known) ?? { fresh_as_of: null, index: 'backfilling' } };
  }
  const readers = pi.readers(prep, filter, match, pb, deadline, scope);
  try {
    await Promise.all(readers.map((r) => r.peek()));
  } catch (e) {
    if (!(e instanceof GatewayError) || e instanceof StoreUnavailable) return live(gw, p, e);
    walk.error = e;
  }
  // everything above the floor handed out (a source may be complete, another at the floor): the live path reads on below it
  const below = readers.every((r) => r.atFloor || r.done) && readers.some((r) => r.atFloor);
  if (!walk.error && below && prep.floor !== null) return { via: 'live', below: prep.floor };
  // Server-Timing: the time this request waited for the provider's sync (a head sync, the first page)
  if (prep.waited) scope.add(p, started, gw.deps.clock());
  walk.readers = readers;
  const ready = pi;
  const syncs = prep.syncs;
  return { via: 'index', status: () => ready.status(syncs), syncError: prep.syncError, waited: prep.waited };
}

/** How a provider's index stands, without reading it (a provider this walk has finished). */
async function indexState(gw: Gateway, tenant: string, p: ProviderId, kind: IndexKind): Promise<Served> {
  if (!gw.index?.usable()) return { via: 'live' };
  const pi = await gw.index.provider(tenant, p, kind).catch(() => null);
  return pi ? { via: 'index', status: () => pi.status(pi.known) } : { via: 'live' };
}

/** The index could not serve (its store failed): the live path does, and the log says why. */
function live(gw: Gateway, p: ProviderId, e: unknown): Served {
  gw.deps.log.log('warn', 'run index unavailable; reading the vendor live', { provider: p, error: e instanceof Error ? e.message : String(e) });
  return { via: 'live' };
}

/** A vendor budget that holds a list's part back is, for the list, a part that missed the deadline. */
function asTimeout(e: GatewayError): GatewayError {
  return new GatewayError('provider_timeout', e.message, { ...(e.provider ? { provider: e.provider } : {}), retryable: true, ...(e.retryAfterS ? { retryAfterS: e.retryAfterS } : {}) });
}

function statusOf<T extends Listable>(w: ProviderWalk<T>, s: Served | undefined, scope: RequestScope, at: number): ProviderStatus {
  const skipped = w.readers.reduce((n, r) => n + r.skipped, 0);
  const st = s?.via === 'index' ? s.status?.() : undefined;
  const fresh: Partial<ProviderStatus> = st
    ? { fresh_as_of: st.fresh_as_of, index: st.index, ...(st.oldest ? { oldest: st.oldest } : {}) }
    : { fresh_as_of: new Date(at).toISOString() };
  if (w.error) return { status: 'error', error: { code: w.error.code, message: w.error.message, retryable: w.error.retryable }, ...fresh };
  const cache =
    s?.via === 'index' ? (scope.bypassCache ? 'bypass' : s.waited ? 'miss' : 'hit') : scope.cacheSummary(w.provider);
  return {
    status: 'ok',
    ...(cache ? { cache } : {}),
    ...fresh,
    ...(s?.syncError ? { sync_error: { code: s.syncError.code, message: s.syncError.message, retryable: s.syncError.retryable } } : {}),
    ...(skipped ? { skipped_items: skipped } : {}),
  };
}
