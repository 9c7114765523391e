/** The run index in a Durable Object's SQLite storage: the IndexStore semantics of the memory store, as tables (synchronous: the object is its only writer). */
import type { Key } from '../core/cursor.js';
import { currentCell, moveCell, type Cell, type Grain, type Roll } from '../reports/rollup.js';
import type { IndexedItem, SourceStats } from '../index/types.js';

/** The part of a Durable Object's `ctx.storage.sql` used here (no @cloudflare/workers-types in the Node type graph). */
export interface SqlStorage {
  exec(query: string, ...bindings: Array<string | number | null>): { toArray(): Array<Record<string, string | number | null | ArrayBuffer>> };
}

/** Runs `fn` as one transaction (`ctx.storage.transactionSync`). */
export type Transact = <T>(fn: () => T) => T;

const SCHEMA = [
  // `doc` is the item as JSON text: JSON escapes lone surrogates, which SQLite's UTF-8 text would not keep
  `CREATE TABLE IF NOT EXISTS items (src TEXT NOT NULL, id TEXT NOT NULL, t INTEGER NOT NULL, open INTEGER NOT NULL,
     seen INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (src, id)) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS items_order ON items (src, t DESC, id)',
  'CREATE INDEX IF NOT EXISTS items_open ON items (src, seen, t DESC, id) WHERE open = 1',
  `CREATE TABLE IF NOT EXISTS cells (src TEXT NOT NULL, grain INTEGER NOT NULL, d INTEGER NOT NULL, c TEXT NOT NULL,
     doc TEXT NOT NULL, PRIMARY KEY (src, grain, d, c)) WITHOUT ROWID`,
  'CREATE TABLE IF NOT EXISTS docs (src TEXT NOT NULL, name TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (src, name)) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS leases (src TEXT PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL) WITHOUT ROWID',
];

type Row = Record<string, string | number | null | ArrayBuffer>;
const items = (rows: Row[]): IndexedItem[] => rows.map((r) => JSON.parse(String(r['doc'])) as IndexedItem);

export class SqlIndexStore {
  /** Items held (over every source of this object), kept in memory: `room` is asked once per backfill page. */
  private total: number;

  constructor(
    private readonly sql: SqlStorage,
    private readonly transact: Transact,
    private readonly clock: () => number = Date.now,
  ) {
    for (const q of SCHEMA) sql.exec(q);
    this.total = Number(sql.exec('SELECT count(*) AS n FROM items').toArray()[0]?.['n'] ?? 0);
  }

  get(source: string, ids: string[]): Record<string, IndexedItem> {
    const out: Record<string, IndexedItem> = {};
    // in chunks: SQLite bounds the number of bound parameters
    for (let i = 0; i < ids.length; i += 90) {
      const chunk = ids.slice(i, i + 90);
      const rows = this.sql.exec(`SELECT doc FROM items WHERE src = ? AND id IN (${chunk.map(() => '?').join(',')})`, source, ...chunk).toArray();
      for (const item of items(rows)) out[item.id] = item;
    }
    return out;
  }

  put(source: string, list: IndexedItem[]): number {
    return this.transact(() => {
      let added = 0;
      for (const item of list) {
        const old = this.sql.exec('SELECT doc FROM items WHERE src = ? AND id = ?', source, item.id).toArray();
        const held = old.length ? items(old)[0]! : null;
        if (held?.roll) this.roll(source, held.roll, -1);
        if (item.roll) this.roll(source, item.roll, 1);
        if (!held) added += 1;
        this.sql.exec(
          'INSERT OR REPLACE INTO items (src, id, t, open, seen, doc) VALUES (?, ?, ?, ?, ?, ?)',
          source,
          item.id,
          item.t,
          item.final ? 0 : 1,
          item.seen,
          JSON.stringify(item),
        );
      }
      this.total += added;
      return added;
    });
  }

  /** Adds or takes back a contribution in the source's cells of both grains (see moveCell). */
  private roll(source: string, r: Roll, sign: 1 | -1): void {
    this.cell(source, 0, r.d, r.c, r, sign, true);
    if (r.g !== undefined) this.cell(source, 1, r.d, r.g, r, sign, false);
  }

  private cell(source: string, grain: Grain, d: number, c: string, r: Roll, sign: 1 | -1, marks: boolean): void {
    const rows = this.sql.exec('SELECT doc FROM cells WHERE src = ? AND grain = ? AND d = ? AND c = ?', source, grain, d, c).toArray();
    const held = rows.length ? currentCell(JSON.parse(String(rows[0]!['doc'])) as Cell) : undefined;
    const next = moveCell(held, d, c, r, sign, marks);
    if (next) this.sql.exec('INSERT OR REPLACE INTO cells (src, grain, d, c, doc) VALUES (?, ?, ?, ?, ?)', source, grain, d, c, JSON.stringify(next));
    else if (held) this.sql.exec('DELETE FROM cells WHERE src = ? AND grain = ? AND d = ? AND c = ?', source, grain, d, c);
  }

  range(source: string, after: Key | null, limit: number): IndexedItem[] {
    if (limit <= 0) return [];
    const rows = after
      ? this.sql
          .exec('SELECT doc FROM items WHERE src = ? AND (t < ? OR (t = ? AND id > ?)) ORDER BY t DESC, id LIMIT ?', source, after[0], after[0], after[1], limit)
          .toArray()
      : this.sql.exec('SELECT doc FROM items WHERE src = ? ORDER BY t DESC, id LIMIT ?', source, limit).toArray();
    // SQLite orders text by its UTF-8 bytes, the keyset (cmpKey) by UTF-16 code units: the two agree unless an id holds
    // characters beyond U+FFFF (vendor ids are ASCII)
    return items(rows);
  }

  unfinished(source: string, limit: number): IndexedItem[] {
    if (limit <= 0) return [];
    const rows = this.sql.exec('SELECT doc FROM items WHERE src = ? AND open = 1 ORDER BY seen, t DESC, id LIMIT ?', source, limit).toArray();
    return items(rows);
  }

  stats(source: string): SourceStats {
    const r = this.sql.exec('SELECT count(*) AS n, min(t) AS oldest, max(t) AS newest FROM items WHERE src = ?', source).toArray()[0];
    const n = Number(r?.['n'] ?? 0);
    return n ? { items: n, oldest: Number(r!['oldest']), newest: Number(r!['newest']) } : { items: 0, oldest: null, newest: null };
  }

  cells(source: string, fromDay: number, toDay: number, grain: Grain = 0): Cell[] {
    const rows = this.sql.exec('SELECT doc FROM cells WHERE src = ? AND grain = ? AND d >= ? AND d < ?', source, grain, fromDay, toDay).toArray();
    return rows.map((r) => currentCell(JSON.parse(String(r['doc'])) as Cell));
  }

  room(maxItems: number): boolean {
    return this.total < maxItems;
  }

  getDocs(keys: Array<[string, string]>): Array<string | null> {
    return keys.map(([source, name]) => {
      const r = this.sql.exec('SELECT v FROM docs WHERE src = ? AND name = ?', source, name).toArray()[0];
      return r ? (JSON.parse(String(r['v'])) as string) : null;
    });
  }

  setDoc(source: string, name: string, value: string): void {
    this.sql.exec('INSERT OR REPLACE INTO docs (src, name, v) VALUES (?, ?, ?)', source, name, JSON.stringify(value));
  }

  lease(source: string, owner: string, ttlMs: number): boolean {
    const now = this.clock();
    const r = this.sql.exec('SELECT owner, until FROM leases WHERE src = ?', source).toArray()[0];
    if (r && r['owner'] !== owner && Number(r['until']) > now) return false;
    this.sql.exec('INSERT OR REPLACE INTO leases (src, owner, until) VALUES (?, ?, ?)', source, owner, now + ttlMs);
    return true;
  }

  release(source: string, owner: string): void {
    this.sql.exec('DELETE FROM leases WHERE src = ? AND owner = ?', source, owner);
  }
}
