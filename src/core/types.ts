/**
 * What every adapter provides and what core gives it. Core knows no vendor by name:
 * it runs these descriptions (pagination as data, mapping as pure functions).
 */
import type { Group, ProviderId, Run } from '../../schemas/run.js';
import type { RunFilter } from '../../schemas/query.js';
import type { TenantProvider } from '../config.js';
import type { Upstream } from './upstream.js';
import type { Logger } from './log.js';

/** Where a page starts: an offset, a page number or a vendor cursor; null = the first page. */
export type PageToken = string | number | null;

export type Pagination =
  | {
      style: 'offset';
      offsetParam: string;
      limitParam: string;
      size: number;
      /** The vendor's own "there is more" signal. */
      hasMore: (body: unknown) => boolean;
    }
  | {
      style: 'page';
      pageParam: string;
      sizeParam: string;
      firstPage: number;
      size: number;
      hasMore: (body: unknown, page: number) => boolean;
    }
  | {
      style: 'cursor';
      cursorParam: string;
      limitParam: string;
      size: number;
      /** The next cursor, or null at the end. */
      next: (body: unknown) => string | null;
      /** The vendor's cursor includes the items at its own timestamp: pages overlap and need dedupe by id. */
      inclusive: boolean;
    };

export interface VendorSpec {
  name: string;
  /** Vendor's base URL as its docs name it; undefined where config must give one. */
  defaultBaseUrl?: string;
  /** Header that carries the credential and how the value is formed. */
  auth: { header: string; scheme?: 'Bearer' };
  /** Published limits (or simgate's defaults where the vendor is silent). */
  limits: { perMinute: number; concurrency: number };
  timeoutMs: number;
  /** Pulls the vendor's error message out of an error body (never echoed with secrets). */
  errorMessage: (body: unknown) => string | undefined;
}

/** What the merge needs of a listed item (a Run or a Group). */
export interface Listable {
  id: string;
  started_at: string;
}

/** One listing stream of a provider (a workspace, an agent, …), walked by the generic pager. */
export interface ListSource<T extends Listable = Run> {
  /** Stable id within the provider (goes into cursors). */
  id: string;
  path: string;
  query: Record<string, string>;
  pagination: Pagination;
  /** The items of a page body. */
  items: (body: unknown) => unknown[];
  /** Native item → unified runs (an item may hold several runs); throws MapError when it cannot be mapped. */
  map: (item: unknown) => T[];
  /**
   * Optional per-page join (Sales Lab's scorecards): completes the mapped runs of one page with what
   * another endpoint holds. Called before filtering; it may not drop or reorder runs.
   */
  join?: (runs: T[]) => Promise<T[]>;
  /**
   * This listing maps without reference data that failed for a moment (Sales Lab's names): what it maps is not
   * final yet, whatever its status — the run index keeps it open and reads it again.
   */
  degraded?: boolean;
  /**
   * Upper bound (epoch ms, inclusive) on `started_at` of every item that comes after `run` in the vendor's order.
   * Default: run's own started_at (the vendor sorts exactly by it). A vendor that sorts by a finer clock
   * than it shows (PathSim: minutes) returns the end of the coarse bucket, so that ties are read ahead.
   */
  watermark?: (item: T) => number;
}

export interface AdapterContext {
  provider: ProviderId;
  tenant: string;
  cfg: TenantProvider & { baseUrl: string };
  http: Upstream;
  log: Logger;
  /**
   * The run index reads a run again to make it final: reference data that fails for a moment must fail the read
   * (it is tried again later) rather than leave fields null. Lists and the live path leave them null instead.
   */
  strict?: boolean;
}

export interface Capabilities {
  filters_pushed_down: string[];
  has_transcripts: boolean;
  has_recordings: boolean;
  has_scores: boolean;
  has_groups: boolean;
}

export interface Adapter {
  id: ProviderId;
  spec: VendorSpec;
  capabilities: Capabilities;
  /** The listing streams that together hold the tenant's runs for a filter (pushed-down filters in their queries). */
  sources: (ctx: AdapterContext, filter: RunFilter) => Promise<ListSource[]>;
  /** One run in full (transcript, evaluations); null when the vendor has no such run. */
  getRun: (ctx: AdapterContext, nativeKey: string) => Promise<Run | null>;
  /** Streams the run's recording with the vendor's credentials; null when it has none. */
  recording?: (ctx: AdapterContext, nativeKey: string, range: string | undefined) => Promise<Response | null>;
  /** Batches of runs, where the vendor has them (GET /v1/groups). */
  groups?: {
    /** The listing streams of the tenant's groups, newest first (pushed-down filters in their queries). */
    sources: (ctx: AdapterContext, filter: RunFilter) => Promise<ListSource<Group>[]>;
    /** One group; null when the vendor has no such group. */
    get: (ctx: AdapterContext, nativeKey: string) => Promise<Group | null>;
  };
}

/** Thrown by a mapping when a vendor item cannot become a Run (the item is skipped, counted, logged). */
export class MapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MapError';
  }
}
