/**
 * The run index's shapes: what a store keeps per source (items in keyset order, a few small
 * documents), and the one interface every store (memory, Redis, later Workers) implements.
 */
import type { Key } from '../core/cursor.js';
import { GatewayError } from '../core/errors.js';
import type { Facets } from '../core/facets.js';
import type { Cell, Grain, Roll } from '../reports/rollup.js';

/** One indexed item (a Run or a Group), as the sync engine wrote it. */
export interface IndexedItem {
  id: string;
  /** `started_at` as epoch ms: the keyset is (t desc, id asc), the merge's order. */
  t: number;
  /** The item can no longer change (a final status): it is never fetched again. */
  final: boolean;
  /** When the vendor last showed us this item (epoch ms); the refresh of unfinished items counts from here. */
  seen: number;
  /** The item as the adapter mapped it (raw included), as JSON text. */
  json: string;
  /** Its filterable fields: a filtered read opens only the items whose facets match (absent on items stored before them). */
  facets?: Facets;
  /** A run's contribution to the report rollups (absent on groups): `put` adds it and subtracts the one it replaces. */
  roll?: Roll;
}

/** What a store can say about a source at once. */
export interface SourceStats {
  items: number;
  /** Oldest and newest `t` held, null when empty. */
  oldest: number | null;
  newest: number | null;
}

/**
 * A store of the index. Every source (`tenant|provider|fingerprint|kind|source`) has its own items and
 * documents; nothing is shared across sources. Stores never interpret the items: the engine does.
 * Every method may throw when the store is unavailable (Redis down); the engine then falls back to the live path.
 */
export interface IndexStore {
  readonly name: string;
  /** False while the store cannot be used (Redis disconnected): readers go live instead of waiting for errors. */
  healthy(): boolean;

  /** The held items among `ids` (absent ids are left out). */
  get(source: string, ids: string[]): Promise<Map<string, IndexedItem>>;
  /** Inserts or replaces items by id (a replaced item may move when its `t` changed). Returns how many ids were new. */
  put(source: string, items: IndexedItem[]): Promise<number>;
  /** Up to `limit` items strictly after `after` in (t desc, id asc) order; `after` null = from the newest. */
  range(source: string, after: Key | null, limit: number): Promise<IndexedItem[]>;
  /** Up to `limit` items that are not final, least recently seen first. */
  unfinished(source: string, limit: number): Promise<IndexedItem[]>;
  stats(source: string): Promise<SourceStats>;
  /**
   * The rollup cells of one grain (0: fine cells, the default; 1: the coarse cells of `Roll.g`) of the UTC days
   * [fromDay, toDay) of a source: the sums of its items' contributions (read-only).
   */
  cells(source: string, fromDay: number, toDay: number, grain?: Grain): Promise<Cell[]>;
  /**
   * Whether the store can take more backfill into `source` (a bounded store says no once full: the memory and Redis
   * stores count every source, a Durable Object the sources it holds).
   */
  room(source: string): Promise<boolean>;

  /** Small JSON documents of a source (sync positions, freshness), by name. */
  getDoc(source: string, name: string): Promise<string | null>;
  setDoc(source: string, name: string, value: string): Promise<void>;
  /** Several documents at once (one round trip where the store can): same order as `keys`, null for absent ones. */
  getDocs(keys: Array<[source: string, name: string]>): Promise<Array<string | null>>;

  /**
   * Takes or renews the sync lease of `source` for `owner` for `ttlMs`; false while another owner holds it.
   * One instance syncs a source at a time; the lease expires by itself when its holder dies.
   */
  lease(source: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (only when `owner` holds it). */
  release(source: string, owner: string): Promise<void>;
}

export { cmpKey } from '../core/cursor.js';

/**
 * The index store failed (Redis down): reads go on live from the vendors; a page already under way reports the
 * provider as unavailable for a moment. Never a 500.
 */
export class StoreUnavailable extends GatewayError {
  constructor() {
    super('provider_unavailable', 'the run index is unavailable for a moment; retry', { retryable: true });
  }
}
