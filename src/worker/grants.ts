/** The vendor budgets a Durable Object keeps for every isolate that asks it: LocalLimiter's accounting, handed out as grants a caller gives back. */
import { LimiterTimeout, LocalLimiter, PRIORITY, type Limits } from '../core/limiter.js';

/** What a budget looks like now, sent back with every answer (the caller's synchronous `estimate`/`full`/`queued`). */
export interface BudgetView {
  queued: number;
  full: boolean;
  /** When a call of each priority asked for now could start (epoch ms). */
  start: Record<string, number>;
}

/** A slot to call the vendor now (`token`, to give back), or none before the deadline (`lateMs`: when one may be). */
export type Grant = ({ token: string } | { lateMs: number }) & { view: BudgetView };

/**
 * A grant not given back within this long is taken back (its isolate was cancelled mid-call): the call's own bound
 * (its timeout) plus HOLD_MARGIN_MS when the caller says it, else HOLD_MS (longer than any vendor call's timeout).
 */
export const HOLD_MS = 310_000;
export const HOLD_MARGIN_MS = 5_000;

export class Grants {
  private readonly limiter: LocalLimiter;
  private readonly held = new Map<string, () => void>();
  private next = 0;

  constructor(private readonly clock: () => number = Date.now) {
    this.limiter = new LocalLimiter(clock);
  }

  /** Waits for a slot of `key`'s budget (by priority, then arrival) until `deadline`; the slot is held at most `holdMs` (+ margin). */
  acquire(key: string, limits: Limits, priority: number, deadline: number | null, holdMs: number | null = null): Promise<Grant> {
    const hold = holdMs === null ? HOLD_MS : Math.min(HOLD_MS, holdMs + HOLD_MARGIN_MS);
    return new Promise<Grant>((resolve, reject) => {
      const token = String(++this.next);
      const call = (): Promise<void> =>
        new Promise<void>((done) => {
          const timer = setTimeout(() => this.release(token), hold);
          this.held.set(token, () => {
            clearTimeout(timer);
            done();
          });
          resolve({ token, view: this.view(key, limits) });
        });
      this.limiter.schedule(key, limits, call, { priority, ...(deadline !== null ? { deadline } : {}) }).catch((e: unknown) => {
        if (e instanceof LimiterTimeout) resolve({ lateMs: e.retryAfterMs, view: this.view(key, limits) });
        else reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  /** Gives a slot back: the call ended (its window counts from now). */
  release(token: string): void {
    const done = this.held.get(token);
    this.held.delete(token);
    done?.();
  }

  pause(key: string, untilMs: number): void {
    this.limiter.pause(key, untilMs);
  }

  hint(key: string, remaining: number, untilMs: number, sentAt: number, limits: Limits): void {
    this.limiter.hint(key, remaining, untilMs, sentAt, limits);
  }

  view(key: string, limits: Limits): BudgetView {
    const start: Record<string, number> = {};
    for (const p of Object.values(PRIORITY)) start[p] = this.limiter.estimate(key, limits, p);
    return { queued: this.limiter.queued(key), full: this.limiter.full(key, limits), start };
  }
}
