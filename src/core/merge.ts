/**
 * The merge: one newest-first list across providers and across the sources (workspaces,
 * agents, …) within a provider. Each source is read through a SourceReader that turns the
 * vendor's order into the gateway's total order (started_at desc, id asc), reading ahead
 * over ties; the merge takes the smallest head until the page is full and records, per
 * source, the vendor page where the first run not yet returned sits.
 */
import type { Group, Run } from '../../schemas/run.js';
import type { RunFilter } from '../../schemas/query.js';
import { asGatewayError, type GatewayError } from './errors.js';
import { facetsOf, matchFacets } from './facets.js';
import { cmpKey, type Key, type ProviderState, type SourceState } from './cursor.js';
export { cmpKey } from './cursor.js';
import { fetchPage } from './pager.js';
import type { Upstream } from './upstream.js';
import { MapError, type Listable, type ListSource, type PageToken } from './types.js';
import type { Logger } from './log.js';

export function keyOf(item: Listable): Key {
  return [Date.parse(item.started_at), item.id];
}


/** Does a group match the filter? Filters on run-only fields (outcome, channel, agent) do not apply to groups. */
export function matchesGroup(g: Group, f: RunFilter): boolean {
  return matchFacets(facetsOf(g), f);
}

/** Does a run match the filter (applied after mapping, whatever went down to the vendor)? */
export function matches(run: Run, f: RunFilter): boolean {
  return matchFacets(facetsOf(run), f);
}

/** One source's stream in the merge's order: a live vendor walk (SourceReader) or the run index (src/index/reader.ts). */
export interface Reader<T extends Listable = Run> {
  readonly id: string;
  /** Vendor items that could not be mapped. */
  readonly skipped: number;
  /**
   * No head now, yet items from this key on may come on a later page (the index ended at its floor; the live
   * path reads on below it): the page must not hand out anything at or after it, or they would be skipped.
   */
  readonly barrier?: Key | null;
  /** The next item in the merge's order, or undefined when there is none (now). */
  peek(): Promise<T | undefined>;
  /** Removes the item `peek` returned. */
  pop(): void;
  /** Where the next page resumes this source. */
  position(): SourceState;
}

interface Buffered<T> {
  run: T;
  key: Key;
  seq: number;
  token: PageToken;
}

export class SourceReader<T extends Listable = Run> implements Reader<T> {
  private buffer: Buffered<T>[] = [];
  private seq = 0;
  private next: PageToken | undefined;
  private watermark = Number.POSITIVE_INFINITY;
  private readonly seen = new Set<string>();
  skipped = 0;

  constructor(
    readonly provider: string,
    private readonly src: ListSource<T>,
    private readonly http: Upstream,
    /** The query's filter, applied to every mapped item. */
    private readonly match: (item: T) => boolean,
    /** Runs at or before this key were returned on earlier pages. */
    private readonly boundary: Key | null,
    start: SourceState | undefined,
    private readonly log: Logger,
  ) {
    this.next = start?.d ? undefined : (start?.t ?? null);
  }

  get id(): string {
    return this.src.id;
  }

  /** The next run in the gateway's order, or undefined when the source has no more. */
  async peek(): Promise<T | undefined> {
    for (;;) {
      const best = this.best();
      if (best && (this.next === undefined || best.key[0] > this.watermark)) return best.run;
      if (this.next === undefined) return undefined;
      await this.readPage(this.next);
    }
  }

  /** Removes the run `peek` returned. */
  pop(): void {
    const best = this.best();
    if (best) this.buffer.splice(this.buffer.indexOf(best), 1);
  }

  /** Where to resume: the page holding the earliest (vendor order) run not yet returned. */
  position(): SourceState {
    if (this.buffer.length) {
      const first = this.buffer.reduce((a, b) => (a.seq < b.seq ? a : b));
      return { t: first.token };
    }
    return this.next === undefined ? { t: null, d: 1 } : { t: this.next };
  }

  private best(): Buffered<T> | undefined {
    let best: Buffered<T> | undefined;
    for (const b of this.buffer) if (!best || cmpKey(b.key, best.key) < 0) best = b;
    return best;
  }

  private async readPage(token: PageToken): Promise<void> {
    const page = await fetchPage(this.http, this.src, token);
    const mapped: T[] = [];
    for (const item of page.items) {
      try {
        mapped.push(...this.src.map(item));
      } catch (e) {
        this.skipped += 1;
        this.log.log('warn', 'vendor item skipped: cannot be mapped', {
          provider: this.provider,
          source: this.src.id,
          reason: e instanceof MapError ? e.message : 'mapping failed',
        });
      }
    }
    // dedupe (inclusive cursors repeat runs), bound the vendor's order, skip what earlier pages returned
    let newIds = 0;
    let fresh: T[] = [];
    for (const run of mapped) {
      if (this.seen.has(run.id)) continue;
      this.seen.add(run.id);
      newIds += 1;
      const wm = this.src.watermark ? this.src.watermark(run) : Date.parse(run.started_at);
      this.watermark = Math.min(this.watermark, wm);
      if (this.boundary && cmpKey(keyOf(run), this.boundary) <= 0) continue;
      fresh.push(run);
    }
    // the join (another endpoint per run) only for runs this walk can still return
    if (this.src.join && fresh.length) fresh = await this.src.join(fresh);
    for (const run of fresh) if (this.match(run)) this.buffer.push({ run, key: keyOf(run), seq: this.seq++, token });
    this.next = page.next;
    if (this.src.pagination.style === 'cursor' && this.src.pagination.inclusive && newIds === 0 && page.items.length > 0) {
      this.log.log('warn', 'vendor cursor page brought no new run; ending the walk there', { provider: this.provider, source: this.src.id });
      this.next = undefined;
    }
  }
}

/** A provider's part in one page: its readers, or the error that stopped it. */
export interface ProviderWalk<T extends Listable = Run> {
  provider: string;
  readers: Reader<T>[];
  error?: GatewayError;
  /** Incoming cursor state (kept when the provider fails before reading). */
  incoming: ProviderState | undefined;
  /** The boundary this provider's readers skip up to. */
  boundary: Key | null;
  lagging: boolean;
  lastEmitted?: Key;
}

export interface MergeResult<T> {
  runs: T[];
  more: boolean;
  boundary: Key | null;
  state: Record<string, ProviderState>;
}

/** Fills one page of `limit` runs from the walks, newest first. */
export async function mergePage<T extends Listable>(walks: ProviderWalk<T>[], limit: number, boundary: Key | null): Promise<MergeResult<T>> {
  const heads = new Map<Reader<T>, T | undefined>();
  const fail = (w: ProviderWalk<T>, e: unknown): void => {
    w.error ??= asGatewayError(e);
  };
  const peek = async (w: ProviderWalk<T>, r: Reader<T>): Promise<void> => {
    try {
      heads.set(r, await r.peek());
    } catch (e) {
      fail(w, e);
    }
  };
  await Promise.all(walks.flatMap((w) => (w.error ? [] : w.readers.map((r) => peek(w, r)))));

  const runs: T[] = [];
  while (runs.length < limit) {
    let pick: { w: ProviderWalk<T>; r: Reader<T>; run: T } | undefined;
    let barrier: Key | null = null;
    for (const w of walks) {
      if (w.error) continue;
      for (const r of w.readers) {
        const run = heads.get(r);
        if (run && (!pick || cmpKey(keyOf(run), keyOf(pick.run)) < 0)) pick = { w, r, run };
        if (!run && r.barrier && (!barrier || cmpKey(r.barrier, barrier) < 0)) barrier = r.barrier;
      }
    }
    if (!pick || (barrier && cmpKey(barrier, keyOf(pick.run)) <= 0)) break;
    runs.push(pick.run);
    pick.w.lastEmitted = keyOf(pick.run);
    pick.r.pop();
    await peek(pick.w, pick.r);
  }

  const last = runs.at(-1);
  const newBoundary = last ? keyOf(last) : boundary;
  const state: Record<string, ProviderState> = {};
  let more = false;
  for (const w of walks) {
    const s: Record<string, SourceState> = { ...(w.incoming?.s ?? {}) };
    for (const r of w.readers) if (heads.has(r) || !w.error) s[r.id] = r.position();
    const ps: ProviderState = { s };
    if (w.error) {
      ps.l = w.lastEmitted ?? w.boundary;
      more = true;
    } else {
      const caughtUp = w.readers.every((r) => {
        const h = heads.get(r);
        return !h || !newBoundary || cmpKey(keyOf(h), newBoundary) > 0;
      });
      // where this provider stands: everything of it up to here has been handed out, nothing after
      const own = w.lastEmitted ?? w.boundary;
      // a provider ahead of the page's boundary (others catching up handed out newer runs) resumes from its own
      // position, or it would hand out again what lies between the two
      const ahead = own !== null && newBoundary !== null && cmpKey(own, newBoundary) > 0;
      if (ahead || (w.lagging && !caughtUp)) ps.l = own;
      if (w.readers.some((r) => heads.get(r) !== undefined || r.barrier)) more = true;
    }
    state[w.provider] = ps;
  }
  return { runs, more, boundary: newBoundary, state };
}

