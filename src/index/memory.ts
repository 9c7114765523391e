/**
 * The embedded index store: every source's items in one array sorted by (t desc, id asc) plus an
 * id map, its documents and leases in process memory. Bounded: past `maxItems` it takes no more
 * backfill (head syncs and refreshes still write), so older runs are served by the live path.
 */
import { cmpKey, type Key } from '../core/cursor.js';
import { moveCell, type Cell, type Grain, type Roll } from '../reports/rollup.js';
import type { IndexedItem, IndexStore, SourceStats } from './types.js';

interface Source {
  /** Sorted by (t desc, id asc). */
  order: IndexedItem[];
  byId: Map<string, IndexedItem>;
  /** Ids of the items that are not final. */
  open: Set<string>;
  docs: Map<string, string>;
  /** Rollup cells per grain (0 fine, 1 coarse), by UTC day, then by cell key. */
  days: [Map<number, Map<string, Cell>>, Map<number, Map<string, Cell>>];
}

const keyOfItem = (i: IndexedItem): Key => [i.t, i.id];

/** The first position in `order` whose item comes after `key` (binary search). */
function after(order: IndexedItem[], key: Key): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmpKey(keyOfItem(order[mid]!), key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds (sign 1) or takes back (sign -1) a contribution in the source's cells of both grains; a cell left with no run goes. */
function roll(s: Source, r: Roll, sign: 1 | -1): void {
  add(s.days[0], r.d, r.c, r, sign, true);
  if (r.g !== undefined) add(s.days[1], r.d, r.g, r, sign, false);
}

function add(days: Map<number, Map<string, Cell>>, d: number, c: string, r: Roll, sign: 1 | -1, marks: boolean): void {
  let day = days.get(d);
  if (!day) days.set(d, (day = new Map()));
  const cell = moveCell(day.get(c), d, c, r, sign, marks);
  if (cell) day.set(c, cell);
  else day.delete(c);
  if (!day.size) days.delete(d);
}

export class MemoryIndexStore implements IndexStore {
  readonly name = 'memory';
  private readonly sources = new Map<string, Source>();
  private readonly leases = new Map<string, { owner: string; until: number }>();
  private total = 0;

  constructor(
    /** Items held over every source before backfills stop. */
    readonly maxItems = 250_000,
    private readonly clock: () => number = Date.now,
  ) {}

  healthy(): boolean {
    return true;
  }

  private source(key: string): Source {
    let s = this.sources.get(key);
    if (!s) this.sources.set(key, (s = { order: [], byId: new Map(), open: new Set(), docs: new Map(), days: [new Map(), new Map()] }));
    return s;
  }

  async get(source: string, ids: string[]): Promise<Map<string, IndexedItem>> {
    const s = this.sources.get(source);
    const out = new Map<string, IndexedItem>();
    if (!s) return out;
    for (const id of ids) {
      const item = s.byId.get(id);
      if (item) out.set(id, { ...item });
    }
    return out;
  }

  async put(source: string, items: IndexedItem[]): Promise<number> {
    const s = this.source(source);
    let added = 0;
    for (const raw of items) {
      const item = { ...raw };
      if (item.final) s.open.delete(item.id);
      else s.open.add(item.id);
      const old = s.byId.get(item.id);
      if (old?.roll) roll(s, old.roll, -1);
      if (item.roll) roll(s, item.roll, 1);
      if (old) {
        const at = after(s.order, keyOfItem(old)) - 1;
        if (old.t === item.t) {
          s.order[at] = item;
          s.byId.set(item.id, item);
          continue;
        }
        s.order.splice(at, 1);
      } else {
        added += 1;
      }
      // backfills append older items: the end is the usual place
      const last = s.order.at(-1);
      if (!last || cmpKey(keyOfItem(last), keyOfItem(item)) < 0) s.order.push(item);
      else s.order.splice(after(s.order, keyOfItem(item)), 0, item);
      s.byId.set(item.id, item);
    }
    this.total += added;
    return added;
  }

  async range(source: string, from: Key | null, limit: number): Promise<IndexedItem[]> {
    const s = this.sources.get(source);
    if (!s) return [];
    const start = from ? after(s.order, from) : 0;
    return s.order.slice(start, start + limit).map((i) => ({ ...i }));
  }

  async unfinished(source: string, limit: number): Promise<IndexedItem[]> {
    const s = this.sources.get(source);
    if (!s) return [];
    const open: IndexedItem[] = [];
    for (const id of s.open) open.push(s.byId.get(id)!);
    // least recently seen first; equal ones in the keyset's order
    return open
      .sort((a, b) => a.seen - b.seen || cmpKey(keyOfItem(a), keyOfItem(b)))
      .slice(0, limit)
      .map((i) => ({ ...i }));
  }

  async cells(source: string, fromDay: number, toDay: number, grain: Grain = 0): Promise<Cell[]> {
    const s = this.sources.get(source);
    const out: Cell[] = [];
    if (!s) return out;
    for (const [d, cells] of s.days[grain]) {
      if (d < fromDay || d >= toDay) continue;
      // the counters are handed out as they are held: readers only read them (summing is the report's job)
      for (const c of cells.values()) out.push({ ...c });
    }
    return out;
  }

  async stats(source: string): Promise<SourceStats> {
    const s = this.sources.get(source);
    if (!s || !s.order.length) return { items: 0, oldest: null, newest: null };
    return { items: s.order.length, oldest: s.order.at(-1)!.t, newest: s.order[0]!.t };
  }

  async room(): Promise<boolean> {
    return this.total < this.maxItems;
  }

  /** Items held over every source. */
  get size(): number {
    return this.total;
  }

  async getDoc(source: string, name: string): Promise<string | null> {
    return this.sources.get(source)?.docs.get(name) ?? null;
  }

  async setDoc(source: string, name: string, value: string): Promise<void> {
    this.source(source).docs.set(name, value);
  }

  async getDocs(keys: Array<[string, string]>): Promise<Array<string | null>> {
    return keys.map(([source, name]) => this.sources.get(source)?.docs.get(name) ?? null);
  }

  async lease(source: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    const l = this.leases.get(source);
    if (l && l.owner !== owner && l.until > now) return false;
    this.leases.set(source, { owner, until: now + ttlMs });
    return true;
  }

  async release(source: string, owner: string): Promise<void> {
    if (this.leases.get(source)?.owner === owner) this.leases.delete(source);
  }
}
