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

export interface Limiter {
  /** Runs `fn` when the budget of `key` allows. */
  schedule<T>(key: string, limits: Limits, fn: () => Promise<T>): Promise<T>;
  /** Holds every start of `key` back until `untilMs` (a vendor's Retry-After). */
  pause(key: string, untilMs: number): void;
  /** Calls waiting for a slot. */
  queued(key: string): number;
  /** Has `key` used its whole window by its own count? (Then a vendor's "0 remaining" adds nothing.) */
  full(key: string, limits: Limits): boolean;
}

interface Bucket {
  /** When each finished call finished, in order: a call counts from its start until a window after it ended. */
  done: number[];
  inFlight: number;
  waiters: Array<() => void>;
  pausedUntil: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class LocalLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: () => number = Date.now) {}

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { done: [], inFlight: 0, waiters: [], pausedUntil: 0, timer: null };
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

  async schedule<T>(key: string, limits: Limits, fn: () => Promise<T>): Promise<T> {
    const b = this.bucket(key);
    await new Promise<void>((resolve) => {
      b.waiters.push(resolve);
      this.pump(b, limits);
    });
    try {
      return await fn();
    } finally {
      b.inFlight -= 1;
      // stamped when it ended, not when it started: the vendor counts the call when it arrives,
      // which is after our start, so counting from the end can never free a slot too early
      b.done.push(this.clock());
      this.pump(b, limits);
    }
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
      if (b.pausedUntil > now) waitMs = b.pausedUntil - now;
      else if (b.done.length + b.inFlight >= limits.perMinute) {
        // every slot is taken; calls in flight free theirs when they end (pump runs then)
        if (!b.done.length) return;
        waitMs = b.done[0]! + windowMs - now + 1;
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
      b.waiters.shift()!();
    }
  }
}
