/**
 * One page of a merged list (runs or groups): plan which providers to ask, read their sources
 * from the cursor's positions, merge, and say per provider how it went.
 */
import type { ProviderId, ProviderStatus } from '../../schemas/run.js';
import type { RunFilter } from '../../schemas/query.js';
import { queryHash, type CursorState, type Key } from './cursor.js';
import { GatewayError, worstProviderError } from './errors.js';
import type { Gateway, ListPage } from './gateway.js';
import { mergePage, SourceReader, type ProviderWalk } from './merge.js';
import type { RequestScope } from './scope.js';
import type { AdapterContext, Listable, ListSource } from './types.js';

/** The merged walk shared by runs and groups: plan the providers, read their sources, merge one page. */
export async function walkPage<T extends Listable>(
  gw: Gateway,
  tenant: string,
  filter: RunFilter,
  o: { limit: number; cursor?: string | undefined },
  scope: RequestScope,
  kind: string,
  sourcesOf: (p: ProviderId) => ((ctx: AdapterContext, f: RunFilter) => Promise<ListSource<T>[]>) | undefined,
  match: (item: T) => boolean,
): Promise<ListPage<T>> {
  const q = await queryHash(tenant, { kind, ...filter });
  const incoming: CursorState | null = o.cursor ? await gw.codec.decode(o.cursor, q) : null;
  const boundary: Key | null = incoming?.b ?? null;
  const wanted = gw.providersOf(tenant).filter((p) => (!filter.provider || filter.provider.includes(p)) && sourcesOf(p));

  const walks: ProviderWalk<T>[] = await Promise.all(
    wanted.map(async (p): Promise<ProviderWalk<T>> => {
      const ps = incoming?.p[p];
      const lagging = ps !== undefined && ps.l !== undefined;
      const pb = lagging ? (ps.l ?? null) : boundary;
      const walk: ProviderWalk<T> = { provider: p, readers: [], incoming: ps, boundary: pb, lagging };
      // a provider the cursor already found exhausted is not asked again
      if (ps && !lagging && Object.keys(ps.s).length > 0 && Object.values(ps.s).every((s) => s.d)) return walk;
      try {
        const ctx = await gw.context(tenant, p, scope);
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
    gw.record(p, w.error);
    const skipped = w.readers.reduce((n, r) => n + r.skipped, 0);
    providers[p] = w.error
      ? { status: 'error', error: { code: w.error.code, message: w.error.message, retryable: w.error.retryable } }
      : { status: 'ok', ...(scope.cacheSummary(p) ? { cache: scope.cacheSummary(p) } : {}), ...(skipped ? { skipped_items: skipped } : {}) };
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
