/**
 * Upstream rate limiting per vendor credential: at most `perMinute` calls in any sliding
 * window (a fixed window could burst to twice the limit) and `concurrency` in flight.
 * This is the in-process limiter (Node without Redis, and Workers); the Redis-clustered one
 * implements the same interface.
 */
export interface Limits {
  perMinute: number;
  concurrency: number;
  /** The vendor's window (default a minute); `perMinute` requests are allowed per window. */
  windowMs?: number;
}

/** Who is waiting decides the order: a client's request before the syncs it may be waiting on, syncs before refreshes. */
export const PRIORITY = { request: 1, head: 3, backfill: 6, refresh: 8 } as const;

export interface ScheduleOptions {
  /** 0 runs first … 9 last (Bottleneck's scale); default 5. */
  priority?: number;
  /** Epoch ms: a call that cannot start by then is refused with LimiterTimeout instead of waiting on. */
  deadline?: number;
  /**
   * The longest the call can take once started (its timeout): a limiter shared by other processes takes the slot
   * back after that (and a margin) when its holder never gives it back (a Worker isolate cancelled mid-call).
   */
  holdMs?: number;
  /**
   * Hands the limiter's own work that need not hold the caller (a shared limiter giving its slot back) to the runtime
   * (Workers: the request's waitUntil); without it, the caller waits for that work.
   */
  background?: (p: Promise<unknown>) => void;
}

/** A call the budget could not start before its deadline; `retryAfterMs` estimates when it could. */
export class LimiterTimeout extends Error {
  constructor(readonly retryAfterMs: number) {
    super('the rate limit holds this call back past its deadline');
    this.name = 'LimiterTimeout';
  }
}

export interface Limiter {
  /** Runs `fn` when the budget of `key` allows (highest priority first, first come first within one). */
  schedule<T>(key: string, limits: Limits, fn: () => Promise<T>, o?: ScheduleOptions): Promise<T>;
  /** Holds every start of `key` back until `untilMs` (a vendor's Retry-After). */
  pause(key: string, untilMs: number): void;
  /**
   * The vendor says `remaining` calls are left until `untilMs` (X-RateLimit-Remaining / -Reset), in its answer to a
   * call sent at `sentAt`. When that is fewer than our own count of `limits` leaves (someone else spends the same
   * credential, or the vendor allows less than it was configured with), no more than that many start before then,
   * counting the calls still in flight that were sent after it (the vendor may not have counted those yet).
   */
  hint(key: string, remaining: number, untilMs: number, sentAt: number, limits: Limits): void;
  /** Calls waiting for a slot. */
  queued(key: string): number;
  /** Has `key` used its whole window by its own count? (Then a vendor's "0 remaining" adds nothing.) */
  full(key: string, limits: Limits): boolean;
  /** When a call of `priority` asked for now could start (epoch ms, an estimate): now when the budget has room. */
  estimate(key: string, limits: Limits, priority: number): number;
}

/**
 * The share of a window that background work (backfill, refresh) may take: a tenth is kept for clients' requests
 * and the head syncs they wait for, so that a long backfill never holds a request back for a whole window.
 */
export function capOf(limits: Limits, priority: number): number {
  if (priority < PRIORITY.backfill) return limits.perMinute;
  return Math.max(1, limits.perMinute - Math.ceil(limits.perMinute / 10));
}

interface Waiter {
  start: () => void;
  priority: number;
}

interface Bucket {
  /** When each finished call finished, in order: a call counts from its start until a window after it ended. */
  done: number[];
  inFlight: number;
  /** When each call in flight started. */
  started: number[];
  /** Sorted by priority, then arrival. */
  waiters: Waiter[];
  pausedUntil: number;
  /** Starts the vendor still allows until `vendorUntil` (its own rate headers); null when it said nothing. */
  vendorLeft: number | null;
  vendorUntil: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class LocalLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: () => number = Date.now) {}

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { done: [], inFlight: 0, started: [], waiters: [], pausedUntil: 0, vendorLeft: null, vendorUntil: 0, timer: null };
      this.buckets.set(key, b);
    }
    return b;
  }

  queued(key: string): number {
    return this.buckets.get(key)?.waiters.length ?? 0;
  }

  pause(key: string, untilMs: number): void {
    const b = this.bucket(key);
    b.pausedUntil = Math.max(b.pausedUntil, untilMs);
  }

  hint(key: string, remaining: number, untilMs: number, sentAt: number, limits: Limits): void {
    const b = this.bucket(key);
    const now = this.clock();
    if (untilMs <= now) return;
    const left = remaining - b.started.filter((t) => t > sentAt).length;
    const windowMs = limits.windowMs ?? 60_000;
    const ours = limits.perMinute - b.done.filter((t) => t > now - windowMs).length - b.inFlight;
    // the vendor's reset is coarse (whole seconds, the whole window): it adds nothing where our own count is stricter
    if (left >= ours) return;
    b.vendorLeft = b.vendorUntil >= untilMs && b.vendorLeft !== null ? Math.min(b.vendorLeft, left) : left;
    b.vendorUntil = untilMs;
  }

  async schedule<T>(key: string, limits: Limits, fn: () => Promise<T>, o: ScheduleOptions = {}): Promise<T> {
    const b = this.bucket(key);
    const priority = o.priority ?? 5;
    if (o.deadline !== undefined) {
      const start = this.estimateStart(b, limits, priority);
      if (start > o.deadline) throw new LimiterTimeout(start - this.clock());
    }
    await new Promise<void>((resolve, reject) => {
      const w: Waiter = { start: resolve, priority };
      let at = b.waiters.findIndex((x) => x.priority > priority);
      if (at < 0) at = b.waiters.length;
      b.waiters.splice(at, 0, w);
      if (o.deadline !== undefined) {
        const timer = setTimeout(() => {
          const i = b.waiters.indexOf(w);
          if (i < 0) return;
          b.waiters.splice(i, 1);
          reject(new LimiterTimeout(Math.max(1000, this.estimateStart(b, limits, priority) - this.clock())));
        }, Math.max(0, o.deadline - this.clock()));
        w.start = () => {
          clearTimeout(timer);
          resolve();
        };
      }
      this.pump(b, limits);
    });
    const at = this.clock();
    b.started.push(at);
    try {
      return await fn();
    } finally {
      b.started.splice(b.started.indexOf(at), 1);
      b.inFlight -= 1;
      // stamped when it ended, not when it started: the vendor counts the call when it arrives,
      // which is after our start, so counting from the end can never free a slot too early
      b.done.push(this.clock());
      this.pump(b, limits);
    }
  }

  estimate(key: string, limits: Limits, priority: number): number {
    return this.estimateStart(this.bucket(key), limits, priority);
  }

  /**
   * When a call of `priority` arriving now could start: after the vendor's pause, and once the window has room
   * for it and for every waiter ahead of it. An estimate (calls in flight are assumed to end at once).
   */
  private estimateStart(b: Bucket, limits: Limits, priority: number): number {
    const now = this.clock();
    const windowMs = limits.windowMs ?? 60_000;
    const done = b.done.filter((t) => t > now - windowMs);
    const ahead = b.waiters.filter((w) => w.priority <= priority).length;
    const over = done.length + b.inFlight + ahead + 1 - capOf(limits, priority);
    let start = Math.max(now, b.pausedUntil);
    if (over > 0) start = Math.max(start, over <= done.length ? done[over - 1]! + windowMs : now + windowMs);
    return start;
  }

  full(key: string, limits: Limits): boolean {
    const b = this.buckets.get(key);
    if (!b) return false;
    const windowMs = limits.windowMs ?? 60_000;
    const now = this.clock();
    return b.done.filter((t) => t > now - windowMs).length + b.inFlight >= limits.perMinute;
  }

  /** Starts as many waiters as the budget allows; otherwise sets a timer for when a slot frees. */
  private pump(b: Bucket, limits: Limits): void {
    for (;;) {
      if (!b.waiters.length) return;
      const now = this.clock();
      const windowMs = limits.windowMs ?? 60_000;
      while (b.done.length && b.done[0]! <= now - windowMs) b.done.shift();
      let waitMs = 0;
      if (b.vendorUntil <= now) b.vendorLeft = null;
      if (b.pausedUntil > now) waitMs = b.pausedUntil - now;
      else if (b.vendorLeft !== null && b.vendorLeft <= 0) waitMs = b.vendorUntil - now;
      else if (b.done.length + b.inFlight >= capOf(limits, b.waiters[0]!.priority)) {
        // every slot it may take is taken; calls in flight free theirs when they end (pump runs then)
        const used = b.done.length + b.inFlight - capOf(limits, b.waiters[0]!.priority);
        if (used >= b.done.length) return;
        waitMs = b.done[used]! + windowMs - now + 1;
      }
      if (waitMs > 0) {
        if (!b.timer) {
          b.timer = setTimeout(() => {
            b.timer = null;
            this.pump(b, limits);
          }, waitMs);
        }
        return;
      }
      if (b.inFlight >= limits.concurrency) return;
      b.inFlight += 1;
      if (b.vendorLeft !== null) b.vendorLeft -= 1;
      b.waiters.shift()!.start();
    }
  }
}
