/**
 * Upstream rate limiting per vendor credential: at most `perMinute` starts in any sliding
 * 60 s window (a fixed window could burst to twice the limit) and `concurrency` in flight.
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
}

interface Bucket {
  starts: number[];
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
      b = { starts: [], inFlight: 0, waiters: [], pausedUntil: 0, timer: null };
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
      this.pump(b, limits);
    }
  }

  /** Starts as many waiters as the budget allows; otherwise sets a timer for when a slot frees. */
  private pump(b: Bucket, limits: Limits): void {
    for (;;) {
      if (!b.waiters.length) return;
      const now = this.clock();
      const windowMs = limits.windowMs ?? 60_000;
      while (b.starts.length && b.starts[0]! <= now - windowMs) b.starts.shift();
      let waitMs = 0;
      if (b.pausedUntil > now) waitMs = b.pausedUntil - now;
      else if (b.starts.length >= limits.perMinute) waitMs = b.starts[0]! + windowMs - now + 1;
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
      b.starts.push(now);
      b.waiters.shift()!();
    }
  }
}
