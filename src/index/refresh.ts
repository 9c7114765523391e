/** The refresh of unfinished runs: which are due (after 1/20 of their age, within bounds) and reading them again. */
import { PRIORITY } from '../core/limiter.js';
import type { RequestScope } from '../core/scope.js';
import { toIndexed, type Syncable } from './absorb.js';
import type { SourceDeps, SyncSettings } from './deps.js';
import type { IndexedItem } from './types.js';

/** Refresh an unfinished run after 1/20 of its age, within the configured bounds (default 15 s … 1 h). */
export function refreshInterval(ageMs: number, s: Pick<SyncSettings, 'refreshMinMs' | 'refreshMaxMs'>): number {
  return Math.min(Math.max(s.refreshMaxMs, s.refreshMinMs), Math.max(s.refreshMinMs, ageMs / 20));
}

/**
 * Reads again up to five due unfinished items of a source (as the refresh budget allows), least recently seen
 * first. Returns how many it read and when to look again.
 */
export async function refreshDue<T extends Syncable>(
  o: SourceDeps<T> & { scope: RequestScope; call: <R>(fn: () => Promise<R>) => Promise<R> },
): Promise<{ did: number; nextAt: number }> {
  const now = o.clock();
  const open = await o.store.unfinished(o.key, 20);
  const every = (i: IndexedItem): number => refreshInterval(now - i.t, o.settings);
  const due = open.filter((i) => now - i.seen >= every(i));
  if (!due.length) {
    const next = open.map((i) => i.seen + every(i));
    return { did: 0, nextAt: next.length ? Math.min(...next) : now + o.settings.refreshMinMs };
  }
  let did = 0;
  for (const held of due.slice(0, 5)) {
    if (!o.refreshBudget()) break;
    const before = o.scope.calls;
    const fresh = await o.call(() => o.refetch(PRIORITY.refresh, o.scope, held));
    // a refetch may take several calls (Cekura: the result and runs/bulk): the budget pays for each
    o.refreshBudget(o.scope.calls - before - 1);
    await o.store.put(o.key, [fresh ? toIndexed(fresh, o.clock()) : { ...held, seen: o.clock() }]);
    did += 1;
  }
  return { did, nextAt: did ? 0 : now + Math.min(5_000, o.settings.refreshMinMs) };
}
