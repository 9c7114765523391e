/** The gateway's own limit per gateway key: fixed one-minute windows, in memory or shared (Redis, a Durable Object). */
/** One counted request: ok false (with seconds until the window ends) once over the key's `perMinute`. */
export interface KeyHit {
  ok: boolean;
  retryAfterS: number;
  remaining: number;
}

export interface KeyLimiter {
  /** Counts one request of `id`; a shared count answers by `deadline` (epoch ms) or is counted in this process. */
  hit(id: string, perMinute: number, deadline?: number): Promise<KeyHit>;
}

export const WINDOW_MS = 60_000;

export class MemoryKeyLimiter implements KeyLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  async hit(id: string, perMinute: number): Promise<KeyHit> {
    const now = this.clock();
    const start = now - (now % WINDOW_MS);
    let w = this.windows.get(id);
    if (!w || w.start !== start) {
      w = { start, count: 0 };
      this.windows.set(id, w);
      if (this.windows.size > 100_000) for (const [k, v] of this.windows) if (v.start !== start) this.windows.delete(k);
    }
    w.count += 1;
    return { ok: w.count <= perMinute, retryAfterS: Math.ceil((start + WINDOW_MS - now) / 1000), remaining: Math.max(0, perMinute - w.count) };
  }
}
