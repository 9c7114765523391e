/**
 * Reads one source of the index in the merge's order, from a cursor's boundary: a keyset read over
 * (started_at desc, id asc) that hands out only what the sync has made safe to hand out, and waits
 * (up to the request's deadline) where the backfill or a head sync has not got to yet.
 */
import { cmpKey, type Key, type SourceState } from '../core/cursor.js';
import type { Reader } from '../core/merge.js';
import { matchFacets } from '../core/facets.js';
import type { RunFilter } from '../../schemas/query.js';
import type { Syncable } from './absorb.js';
import { endVerdict, verdict } from './docs.js';
import type { SourceSync } from './source.js';
import { StoreUnavailable, type IndexedItem, type IndexStore } from './types.js';

export { StoreUnavailable } from './types.js';

/** Items read from the store at once: few at first (a page needs `limit`), more while a filter passes many by. */
const FIRST_BATCH = 16;
const MAX_BATCH = 256;

export class IndexReader<T extends Syncable> implements Reader<T> {
  /** Items to hand out, in order; each opened (parsed) only when it becomes the head. */
  private buf: Array<{ item: IndexedItem; open?: T }> = [];
  private batch = FIRST_BATCH;
  /** The key of the last item passed (handed out or filtered away); the boundary at first. */
  private pos: Key | null;
  private state: 'open' | 'done' | 'floor' = 'open';

  constructor(
    readonly id: string,
    private readonly sync: SourceSync<T>,
    private readonly store: IndexStore,
    /** The list filter, matched on each item's facets (only matching items are opened), and the item-level check. */
    private readonly want: { filter: RunFilter; match: (item: T) => boolean },
    boundary: Key | null,
    /** Items at or below it are the live path's (see SourceView.floor). */
    private readonly floor: number | null,
    private readonly deadline: number,
    /** Starts the lanes this reader may be waiting on. */
    private readonly kick: () => void,
  ) {
    // `to` is exclusive: the read starts just before it (or at the boundary, when that is further on)
    const to = want.filter.to;
    const seek: Key | null = to === undefined ? null : [to, ''];
    this.pos = boundary && (!seek || cmpKey(boundary, seek) > 0) ? boundary : seek;
  }

  /** Vendor items of this source the backfill could not map. */
  get skipped(): number {
    return this.sync.bf.skipped;
  }

  /** Everything above the floor has been handed out: the live path goes on below it (on this page or the next). */
  get atFloor(): boolean {
    return this.state === 'floor' && !this.buf.length;
  }

  /** Every item has been handed out and the source is complete. */
  get done(): boolean {
    return this.state === 'done' && !this.buf.length;
  }

  /** At the floor: nothing at or below it may be handed out on this page before the live path has read it. */
  get barrier(): Key | null {
    return this.atFloor && this.floor !== null ? [this.floor, ''] : null;
  }

  async peek(): Promise<T | undefined> {
    for (;;) {
      const head = this.buf[0];
      if (head) {
        head.open ??= JSON.parse(head.item.json) as T;
        if (this.want.match(head.open)) return head.open;
        this.buf.shift(); // an item stored without facets that does not match after all
        continue;
      }
      if (this.state !== 'open') return undefined;
      await this.fill();
    }
  }

  pop(): void {
    this.buf.shift();
  }

  /** The index needs no vendor position: the boundary is enough. `d` once every item has been handed out. */
  position(): SourceState {
    return this.state === 'done' && !this.buf.length ? { t: null, d: 1 } : { t: null };
  }

  private async fill(): Promise<void> {
    const version = this.sync.version;
    const view = this.sync.view(this.floor);
    let batch;
    const size = this.batch;
    this.batch = Math.min(MAX_BATCH, this.batch * 2);
    try {
      batch = await this.store.range(this.sync.d.key, this.pos, size);
    } catch {
      throw new StoreUnavailable();
    }
    const from = this.want.filter.from;
    for (const item of batch) {
      // older than `from`: nothing further can match, whatever the backfill still has to read
      if (from !== undefined && item.t < from) {
        this.state = 'done';
        return;
      }
      const v = verdict(view, item.t);
      if (v === 'floor') {
        this.state = 'floor';
        return;
      }
      if (v === 'wait') {
        if (!this.buf.length) await this.waitForSync(version);
        return;
      }
      this.pos = [item.t, item.id];
      if (v === 'skip') continue;
      if (item.facets && !matchFacets(item.facets, this.want.filter)) continue;
      this.buf.push({ item });
    }
    if (batch.length === size) return;
    const end = from !== undefined && view.bf.reached !== null && view.bf.reached < from && view.bf.started ? 'done' : endVerdict(view);
    if (end === 'done') this.state = 'done';
    else if (end === 'floor') this.state = 'floor';
    else if (!this.buf.length) await this.waitForSync(version);
  }

  /** Waits for the backfill to move on; when it failed and is not running again, the read fails with its error. */
  private async waitForSync(version: number): Promise<void> {
    this.kick();
    if (!this.sync.busy) {
      const failure = this.sync.failure('backfill');
      if (failure) throw failure;
    }
    const oldest = this.sync.bf.oldest;
    const why = this.sync.bf.started
      ? `the index is still being filled (it reaches back to ${oldest === null ? 'nothing yet' : new Date(oldest).toISOString()}) and did not reach this far`
      : 'the first page could not be read';
    await this.sync.wait(() => this.sync.version !== version, ['backfill'], this.deadline, why, this.kick);
  }
}
