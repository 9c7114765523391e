/**
 * The sync of one source (tenant × provider × credential × listing): three lanes under one lease —
 * the backfill (newest first down to the horizon, resumable), the head sync (from the newest until it
 * meets final runs it holds, with an overlap) and the refresh of unfinished runs — and the waits of
 * the requests that need them, each bounded by its deadline.
 */
import { GatewayError } from '../core/errors.js';
import { fetchPage } from '../core/pager.js';
import { PRIORITY } from '../core/limiter.js';
import { RequestScope } from '../core/scope.js';
import { absorb, type Syncable } from './absorb.js';
import type { Lane, SourceDeps, Starter } from './deps.js';
import { refreshDue } from './refresh.js';
import { newBackfill, newHead, parseBackfill, parseHead, type BackfillDoc, type HeadDoc, type SourceView } from './docs.js';
import { StoreUnavailable } from './types.js';
import { Lease } from './lease.js';
import { Waits } from './waits.js';

/** The smallest first page of a head sync, and the room it leaves for new vendor items. */
const HEAD_MIN = 5;
const HEAD_SLACK = 5;

export class SourceSync<T extends Syncable> {
  bf: BackfillDoc = newBackfill();
  hd: HeadDoc = newHead();
  /** Bumped on every change of what readers may see. */
  version = 0;
  private loading: Promise<void> | null = null;
  private loadedAt = 0;
  private readonly lanes: Partial<Record<Lane, Promise<void>>> = {};
  private readonly lease: Lease;
  private readonly waits: Waits<Lane>;
  private readonly failed: Partial<Record<Lane, { error: GatewayError; at: number; until: number; count: number }>> = {};
  /** A head sync is wanted that begins at or after this time. */
  private headWanted = 0;
  private nextRefreshAt = 0;
  /** The last step wrote runs a degraded listing mapped (due for a refresh at once). */
  private wroteDegraded = false;
  private closed = false;

  constructor(readonly d: SourceDeps<T>) {
    this.lease = new Lease(d.store, d.key, d.owner, d.settings.leaseMs);
    this.waits = new Waits<Lane>(d.clock);
  }

  /** While this instance syncs the source, its copy of the documents is the newest. */
  private get holding(): boolean {
    return this.lease.holding;
  }

  view(floor: number | null): SourceView {
    return { bf: this.bf, hd: this.hd, floor };
  }

  /** Reads the documents from the store (coalesced; `maxAgeMs` lets a recent read stand). */
  async load(maxAgeMs = 0): Promise<void> {
    if (this.holding) return; // while we sync it, our copy is the newest
    if (this.loading) return this.loading;
    if (this.d.clock() - this.loadedAt < maxAgeMs) return;
    this.loading = (async () => {
      try {
        const [bf, hd] = await this.d.store.getDocs([
          [this.d.key, 'bf'],
          [this.d.key, 'hd'],
        ]);
        const nb = this.reopen(parseBackfill(bf ?? null));
        const nh = parseHead(hd ?? null);
        if (JSON.stringify(nb) !== JSON.stringify(this.bf) || JSON.stringify(nh) !== JSON.stringify(this.hd)) {
          this.bf = nb;
          this.hd = nh;
          this.changed();
        }
        this.loadedAt = this.d.clock();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** A backfill stopped at the horizon goes on when the horizon has moved further back (config changed). */
  private reopen(bf: BackfillDoc): BackfillDoc {
    const h = this.horizonMs();
    if (bf.done === 'horizon' && (h === null || (bf.reached !== null && bf.reached >= h))) return { ...bf, done: false };
    return bf;
  }

  private horizonMs(): number | null {
    const days = this.d.settings.horizonDays;
    return days === null ? null : this.d.clock() - days * 86_400_000;
  }

  /** Asks for a head sync that begins at or after `at` (a request's arrival). `force` ignores a failure's backoff. */
  wantHead(at: number, by: Starter, force = false): void {
    this.headWanted = Math.max(this.headWanted, at);
    if (!this.holding) void this.d.store.setDoc(this.d.key, 'want', String(this.headWanted)).catch(() => {});
    this.kick(this.bf.started ? 'head' : 'backfill', by, force);
  }

  /** Has a head sync that began at or after `at` completed? (Readers see the index as of that sync.) */
  headFresh(at: number): boolean {
    return this.hd.freshAsOf !== null && this.hd.freshAsOf >= at;
  }

  /** Starts a lane unless it runs already, or failed a moment ago (then it waits out its backoff unless `force`). */
  kick(lane: Lane, by: Starter, force = false): void {
    if (this.closed || this.lanes[lane]) return;
    const f = this.failed[lane];
    if (f && !force && f.until > this.d.clock()) return;
    if (lane === 'backfill' && this.bf.done) return;
    if (lane === 'refresh' && this.d.clock() < this.nextRefreshAt) return;
    const run = this.runLane(lane, by);
    this.lanes[lane] = run;
    by.background(run);
  }

  private async runLane(lane: Lane, by: Starter): Promise<void> {
    // a refresh asks the vendor for the run itself, not a cached copy (scorecards and reference data still come from the cache)
    const scope = new RequestScope(lane === 'refresh', by.background, by.requestId);
    try {
      if (!(await this.acquire())) return;
      for (;;) {
        if (this.closed || !this.holding) break;
        const more = await this.step(lane, scope);
        delete this.failed[lane];
        // what a backfill or head page wrote may be unfinished: look for due refreshes no later than the floor, at
        // once when they were mapped without reference data (degraded: due at once)
        if (lane !== 'refresh') this.nextRefreshAt = Math.min(this.nextRefreshAt, this.wroteDegraded ? 0 : this.d.clock() + this.d.settings.refreshMinMs);
        this.wroteDegraded = false;
        this.d.onLane?.(lane, true);
        if (!more) break;
        // another instance may have asked for the head while this lane held the lease
        if (lane !== 'head') await this.readWant(by);
      }
    } catch (e) {
      // a vendor's failure is the vendor's; anything else came from the store
      const error = e instanceof GatewayError ? e : new StoreUnavailable();
      const prev = this.failed[lane];
      const count = (prev?.count ?? 0) + 1;
      this.failed[lane] = { error, at: this.d.clock(), until: this.d.clock() + Math.min(30_000, 500 * 2 ** (count - 1)), count };
      this.d.onLane?.(lane, false);
      this.d.log.log('warn', 'index sync failed', {
        source: this.d.sourceId,
        lane,
        error: e instanceof Error ? e.message : error.message,
        ...(by.requestId ? { request_id: by.requestId } : {}),
      });
      this.waits.fail(lane, error);
    } finally {
      delete this.lanes[lane];
      if (!Object.keys(this.lanes).length) await this.releaseLease();
      this.changed();
    }
  }

  private async step(lane: Lane, scope: RequestScope): Promise<boolean> {
    switch (lane) {
      case 'backfill':
        return this.backfillStep(scope);
      case 'head':
        return this.headStep(scope);
      case 'refresh':
        return this.refreshStep(scope);
    }
  }

  private async readWant(by: Starter): Promise<void> {
    const want = Number((await this.d.store.getDoc(this.d.key, 'want').catch(() => null)) ?? 0);
    if (want > this.headWanted) this.headWanted = want;
    if (this.bf.started && !this.headFresh(this.headWanted) && this.headWanted > 0) this.kick('head', by);
  }

  /** Stores a document — only while this instance holds the lease (a step left behind by close() writes nothing). */
  private async save(name: 'bf' | 'hd'): Promise<void> {
    if (!this.holding) return;
    await this.d.store.setDoc(this.d.key, name, JSON.stringify(name === 'bf' ? this.bf : this.hd));
  }

  /** One backfill page; false once the backfill is done. The first page is the head: a request waits for it. */
  private async backfillStep(scope: RequestScope): Promise<boolean> {
    if (this.bf.done) return false;
    if (!(await this.d.store.room(this.d.key))) {
      this.bf = { ...this.bf, done: 'bounded' };
      await this.save('bf');
      this.d.log.log('warn', 'index store full: backfill stops, older runs are served live', { source: this.d.sourceId });
      return false;
    }
    const first = !this.bf.started;
    const io = await this.d.open(first ? PRIORITY.head : PRIORITY.backfill, scope);
    if (!io) {
      this.bf = { ...this.bf, started: true, done: 'end' };
      await this.save('bf');
      return false;
    }
    const startedAt = this.d.clock();
    this.wroteDegraded ||= io.src.degraded === true;
    const page = await this.call(() => fetchPage(io.http, io.src, this.bf.next, { cache: 'none' }));
    const bf = this.bf;
    const commit = async (watermark: number, oldest: number): Promise<void> => {
      bf.reached = bf.reached === null ? watermark : Math.min(bf.reached, watermark);
      bf.oldest = bf.oldest === null ? oldest : Math.min(bf.oldest, oldest);
      await this.startHead(bf, startedAt);
      await this.save('bf');
      this.changed();
    };
    const r = await this.call(() => absorb({ store: this.d.store, source: this.d.key, src: io.src, page, now: startedAt, top: null, log: this.d.log, onCommit: commit }));
    await this.startHead(bf, startedAt);
    bf.pages += 1;
    bf.skipped += r.skipped;
    if (page.items.length) bf.perItem = Math.max(1, r.mapped / page.items.length);
    const h = this.horizonMs();
    if (page.next === undefined) bf.done = 'end';
    else if (h !== null && bf.reached !== null && bf.reached < h) bf.done = 'horizon';
    if (page.next !== undefined) bf.next = page.next;
    await this.save('bf');
    this.changed();
    return !bf.done;
  }

  /** The backfill's first page was the head as it was when the page was asked for. */
  private async startHead(bf: BackfillDoc, startedAt: number): Promise<void> {
    if (bf.started) return;
    bf.started = true;
    this.hd = { v: 1, freshAsOf: startedAt, open: null };
    await this.save('hd');
  }

  /** One head-sync page; false when no head sync is wanted (or the backfill has not read its first page yet). */
  private async headStep(scope: RequestScope): Promise<boolean> {
    if (!this.bf.started) return false;
    if (!this.hd.open && this.headFresh(this.headWanted)) return false;
    const io = await this.d.open(PRIORITY.head, scope);
    if (!io) return false;
    if (!this.hd.open) {
      const top = (await this.d.store.stats(this.d.key)).newest;
      this.hd = { ...this.hd, open: { next: null, top, low: null, startedAt: this.d.clock(), met: false, size: await this.headSize(top, io.src.pagination.size) } };
    }
    const open = this.hd.open!;
    this.wroteDegraded ||= io.src.degraded === true;
    const page = await this.call(() => fetchPage(io.http, io.src, open.next, { cache: 'none', ...(open.size ? { size: open.size } : {}) }));
    const r = await this.call(() =>
      absorb({
        store: this.d.store,
        source: this.d.key,
        src: io.src,
        page,
        now: this.d.clock(),
        top: open.top,
        log: this.d.log,
        onCommit: (watermark) => {
          open.low = open.low === null ? watermark : Math.min(open.low, watermark);
          this.changed();
        },
      }),
    );
    open.met ||= r.met;
    const connected = open.top !== null && open.low !== null && open.low <= open.top - this.d.settings.overlapMs && open.met;
    if (page.next === undefined || connected) this.hd = { v: 1, freshAsOf: open.startedAt, open: null };
    else if (open.size && open.size < io.src.pagination.size && io.src.pagination.style === 'page') {
      // more came than a small page holds; page numbers count in pages of one size: again from the top, at full size
      open.next = null;
      delete open.size;
    } else {
      open.next = page.next;
      delete open.size;
    }
    await this.save('hd');
    this.changed();
    return true;
  }

  /**
   * How many items the first page of a head sync asks for: what the index holds within the overlap below its newest
   * run (what the head sync must read again to meet it), plus a few for new runs; the vendor's largest page at most.
   */
  private async headSize(top: number | null, full: number): Promise<number | undefined> {
    if (top === null) return undefined;
    const perItem = this.bf.perItem ?? 1;
    const recent = await this.d.store.range(this.d.key, null, Math.ceil(full * perItem));
    const within = recent.filter((i) => i.t >= top - this.d.settings.overlapMs).length;
    // in vendor items (a vendor item may hold several runs: Cekura's results), with room for a few new ones
    const size = Math.max(HEAD_MIN, Math.ceil(within / perItem) + HEAD_SLACK);
    return size < full ? size : undefined;
  }

  /** Refreshes a few unfinished items that are due; false when none is (it remembers when the next one is). */
  private async refreshStep(scope: RequestScope): Promise<boolean> {
    const r = await refreshDue({ ...this.d, scope, call: (fn) => this.call(fn) });
    this.nextRefreshAt = r.nextAt;
    if (r.did) this.changed();
    return r.did > 0;
  }

  /** Runs a vendor call of a lane, noting the provider's health. */
  private async call<R>(fn: () => Promise<R>): Promise<R> {
    try {
      const r = await fn();
      this.d.record();
      return r;
    } catch (e) {
      if (e instanceof GatewayError && e.provider) this.d.record(e);
      throw e;
    }
  }

  private acquire(): Promise<boolean> {
    return this.lease.acquire(async () => {
      this.loadedAt = 0;
      await this.load();
    });
  }

  private async releaseLease(): Promise<void> {
    const held = this.holding;
    await this.lease.release();
    if (held) this.loadedAt = this.d.clock();
  }

  /** Is any lane running here? */
  get busy(): boolean {
    return Object.keys(this.lanes).length > 0;
  }

  /** The last failure of a lane (while its backoff lasts), for answers that say why they are stale. */
  failure(lane: Lane): GatewayError | null {
    const f = this.failed[lane];
    return f && f.until > this.d.clock() ? f.error : null;
  }

  private changed(): void {
    this.version += 1;
    this.waits.changed();
  }

  /**
   * Waits until `ready()` holds, one of `lanes` fails (rejects with its error), or the deadline (rejects with
   * provider_timeout). When another instance syncs this source, the documents are read again every `pollMs`
   * (and `onPoll` may start a lane here, should that instance have gone away).
   */
  wait(ready: () => boolean, lanes: Lane[], deadline: number, why: string, onPoll?: () => void): Promise<void> {
    const timeout = new GatewayError('provider_timeout', `${this.d.vendor}: ${why} within the request deadline; the sync goes on and its runs follow on later pages`, {
      retryable: true,
    });
    const run = (): void => {
      if (this.holding) return;
      onPoll?.();
      void this.load().then(() => this.changed(), () => {});
    };
    return this.waits.wait(ready, lanes, deadline, timeout, { everyMs: this.d.settings.pollMs, run });
  }

  /**
   * Stops starting lane steps and gives the lease up. A step under way may finish within `graceMs` (its page is then
   * stored and the next holder resumes after it); a step still waiting for the vendor budget is left behind — the
   * position stored before it is where the next holder resumes.
   */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled(Object.values(this.lanes)), grace]);
    clearTimeout(timer);
    await this.releaseLease();
  }
}
