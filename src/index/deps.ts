/** What the sync of one source needs from the provider around it, and its settings. */
import type { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RequestScope } from '../core/scope.js';
import type { ListSource } from '../core/types.js';
import type { Upstream } from '../core/upstream.js';
import type { Syncable } from './absorb.js';
import type { IndexedItem, IndexStore } from './types.js';

export type Lane = 'backfill' | 'head' | 'refresh';

/** Who starts a lane: where its work goes on (Workers: that request's waitUntil) and whose request id its logs carry. */
export interface Starter {
  background: (p: Promise<unknown>) => void;
  requestId?: string | undefined;
}

export interface SyncSettings {
  /** Backfill no deeper than this many days (null: everything the vendor lists). */
  horizonDays: number | null;
  /** How far below what it held a head sync reads on (ties, runs listed late). */
  overlapMs: number;
  leaseMs: number;
  /** How often a request's wait looks again when another instance holds the lease. */
  pollMs: number;
  /** Bounds of the refresh interval of an unfinished run (see refreshInterval). */
  refreshMinMs: number;
  refreshMaxMs: number;
}

/** What a lane needs from the provider around it. */
export interface SourceDeps<T extends Syncable> {
  store: IndexStore;
  /** The store's key of this source. */
  key: string;
  sourceId: string;
  /** Name for messages ("PathSim"). */
  vendor: string;
  owner: string;
  clock: () => number;
  log: Logger;
  settings: SyncSettings;
  /** This source's listing with an upstream client at `priority` (null when the vendor no longer lists it). */
  open: (priority: number, scope: RequestScope) => Promise<{ src: ListSource<T>; http: Upstream } | null>;
  /** One held item again from the vendor, shaped as the list stores it (null: the vendor has it no more). */
  refetch: (priority: number, scope: RequestScope, held: IndexedItem) => Promise<T | null>;
  /**
   * The credential's refresh budget: without `charge`, may the refresh lane spend one more vendor call now (and it
   * is taken)? With `charge`, that many more calls are taken (a refetch that needed several; the budget may go
   * into debt, which holds later refreshes back).
   */
  refreshBudget: (charge?: number) => boolean;
  /** Notes a sync call's success or failure in the provider's health. */
  record: (err?: GatewayError) => void;
  onLane?: (lane: Lane, ok: boolean) => void;
}
