/**
 * Writes one vendor page into the index: map its items, skip what is held and final (a final run
 * is never joined or rewritten again), join the rest (Sales Lab's scorecards), store them in
 * small chunks so that readers can go on while a slow join runs, and report the watermark.
 */
import type { Group, Run } from '../../schemas/run.js';
import { facetsOf } from '../core/facets.js';
import { rollOf } from '../reports/rollup.js';
import type { Page } from '../core/pager.js';
import type { Logger } from '../core/log.js';
import { backgroundTurn } from '../core/turns.js';
import { MapError, type Listable, type ListSource } from '../core/types.js';
import type { IndexedItem, IndexStore } from './types.js';

/** Statuses after which a run (or group) cannot change any more. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'timed_out', 'cancelled']);

/** Items joined and stored at once when the source joins another endpoint per item (commit often: each join is a vendor call). */
const JOIN_CHUNK = 4;
/** Vendor items mapped in one slice of the event loop (see core/turns.ts). */
const MAP_SLICE = 16;

export type Syncable = Listable & { status: string };

/** An item as the index stores it: its keyset position, whether it is final, when it was seen, its text and facets. */
export function toIndexed(r: Syncable, seen: number, final = FINAL_STATUSES.has(r.status)): IndexedItem {
  const item = r as unknown as Run | Group;
  const out: IndexedItem = { id: r.id, t: Date.parse(r.started_at), final, seen, json: JSON.stringify(r), facets: facetsOf(item) };
  // runs count in the report rollups; groups do not
  if ('outcome' in item) out.roll = rollOf(item, final);
  return out;
}

export interface Absorbed {
  /** Ids the index did not hold before. */
  added: number;
  /** Runs the page's items mapped to. */
  mapped: number;
  /** Vendor items that could not be mapped (skipped, logged). */
  skipped: number;
  /** A held, final item at or below `top` was on the page: the head sync has met what the index held. */
  met: boolean;
}

/**
 * Absorbs `page` into `source`. `onCommit(watermark, oldest)` runs after each stored chunk with the lowest
 * watermark and started_at seen so far on the page.
 */
export async function absorb<T extends Syncable>(o: {
  store: IndexStore;
  source: string;
  src: ListSource<T>;
  page: Page;
  now: number;
  /** The newest t held when a head sync began (null: not a head sync, or nothing held). */
  top: number | null;
  log: Logger;
  onCommit: (watermark: number, oldest: number) => Promise<void> | void;
}): Promise<Absorbed> {
  const { store, source, src, page, now } = o;
  let skipped = 0;
  const mapped: T[] = [];
  const ids = new Set<string>();
  for (const [n, item] of page.items.entries()) {
    if (n % MAP_SLICE === 0) await backgroundTurn();
    let runs: T[];
    try {
      runs = src.map(item);
    } catch (e) {
      skipped += 1;
      o.log.log('warn', 'vendor item skipped: cannot be mapped', { source: src.id, reason: e instanceof MapError ? e.message : 'mapping failed' });
      continue;
    }
    for (const r of runs) {
      // inclusive cursors repeat items across pages, and a page may repeat one: the first wins
      if (ids.has(r.id)) continue;
      ids.add(r.id);
      mapped.push(r);
    }
  }
  const held = await store.get(source, [...ids]);
  const out: Absorbed = { added: 0, mapped: mapped.length, skipped, met: false };
  let watermark = Number.POSITIVE_INFINITY;
  let oldest = Number.POSITIVE_INFINITY;
  const size = src.join ? JOIN_CHUNK : Math.max(1, mapped.length);
  for (let i = 0; i < mapped.length; i += size) {
    const chunk = mapped.slice(i, i + size);
    await backgroundTurn();
    const todo = chunk.filter((r) => !held.get(r.id)?.final);
    const ready = src.join && todo.length ? await src.join(todo) : todo;
    const puts: IndexedItem[] = [];
    for (const r of ready) {
      if (!held.has(r.id)) out.added += 1;
      // a degraded listing's runs stay open, due at once: the refresh reads them again with what was missing
      puts.push(src.degraded ? toIndexed(r, 0, false) : toIndexed(r, now));
    }
    for (const r of chunk) {
      const t = Date.parse(r.started_at);
      const h = held.get(r.id);
      if (h?.final && o.top !== null && h.t <= o.top) out.met = true;
      watermark = Math.min(watermark, src.watermark ? src.watermark(r) : t);
      oldest = Math.min(oldest, t);
    }
    if (puts.length) await store.put(source, puts);
    await o.onCommit(watermark, oldest);
  }
  return out;
}
