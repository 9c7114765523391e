/**
 * The Worker's vendor limiter: a thin client of the SimgateState Durable Object that keeps each credential's budget, so
 * that every isolate draws on one budget. While the object cannot be reached, calls go through an in-isolate limiter.
 */
import { LimiterTimeout, LocalLimiter, type Limiter, type Limits, type ScheduleOptions } from '../core/limiter.js';
import type { Logger } from '../core/log.js';
import type { BudgetView } from './grants.js';
import { DOWN_MS, Outage } from './outage.js';
import { ask, budgetObject, type StateNamespace } from './protocol.js';

/**
 * The object gives up on a call this long before the caller's deadline: its "not before the deadline" has to travel
 * back in time for the request to answer 429 with a Retry-After (what a held-back call is), not a timeout.
 */
export const ANSWER_MARGIN_MS = 250;

export class DurableLimiter implements Limiter {
  private readonly local: LocalLimiter;
  /** The object's last word on each budget (the synchronous `estimate`, `full` and `queued` read it). */
  private readonly views = new Map<string, { view: BudgetView; at: number }>();
  /** Calls of this isolate waiting for the object's grant. */
  private readonly waiting = new Map<string, number>();
  private readonly outage: Outage;

  constructor(
    private readonly ns: StateNamespace,
    log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.local = new LocalLimiter(clock);
    this.outage = new Outage(log, 'rate limit object unreachable; limiting in this isolate', clock);
  }

  private note(key: string, view: BudgetView): void {
    this.views.set(key, { view, at: this.clock() });
  }

  async schedule<T>(key: string, limits: Limits, fn: () => Promise<T>, o: ScheduleOptions = {}): Promise<T> {
    if (this.outage.down) return this.local.schedule(key, limits, fn, o);
    const name = budgetObject(key);
    this.waiting.set(key, (this.waiting.get(key) ?? 0) + 1);
    let token: string;
    try {
      const deadline = o.deadline === undefined ? null : o.deadline - ANSWER_MARGIN_MS;
      const g = await ask(this.ns, name, 'lim.acquire', [key, limits, o.priority ?? 5, deadline, o.holdMs ?? null]);
      this.note(key, g.view);
      if ('lateMs' in g) throw new LimiterTimeout(g.lateMs);
      token = g.token;
    } catch (e) {
      if (e instanceof LimiterTimeout) throw e;
      this.outage.failed(e);
      return this.local.schedule(key, limits, fn, o);
    } finally {
      this.waiting.set(key, (this.waiting.get(key) ?? 1) - 1);
    }
    try {
      return await fn();
    } finally {
      const released = ask(this.ns, name, 'lim.release', [token, key, limits]).then(
        (view) => this.note(key, view),
        (e: unknown) => this.outage.failed(e),
      );
      // the caller goes on at once and the runtime keeps the give-back alive past the answer (waitUntil); without a
      // runtime to hand it to, it is awaited (an un-returned grant would hold a slot until the object takes it back)
      if (o.background) o.background(released);
      else await released;
    }
  }

  pause(key: string, untilMs: number): void {
    this.local.pause(key, untilMs);
    ask(this.ns, budgetObject(key), 'lim.pause', [key, untilMs]).catch((e: unknown) => this.outage.failed(e));
  }

  hint(key: string, remaining: number, untilMs: number, sentAt: number, limits: Limits): void {
    this.local.hint(key, remaining, untilMs, sentAt, limits);
    ask(this.ns, budgetObject(key), 'lim.hint', [key, remaining, untilMs, sentAt, limits]).catch((e: unknown) => this.outage.failed(e));
  }

  /** This isolate's waiting calls, or the object's count of every isolate's when it said so in the last few seconds. */
  queued(key: string): number {
    const mine = (this.waiting.get(key) ?? 0) + this.local.queued(key);
    const v = this.views.get(key);
    return v && this.clock() - v.at < DOWN_MS ? Math.max(mine, v.view.queued) : mine;
  }

  full(key: string, limits: Limits): boolean {
    return this.views.get(key)?.view.full ?? this.local.full(key, limits);
  }

  /** The object's last estimate for this priority (or the nearest lower one it gave), never before the local one. */
  estimate(key: string, limits: Limits, priority: number): number {
    const local = this.local.estimate(key, limits, priority);
    const v = this.views.get(key)?.view.start;
    if (!v) return local;
    const known = Object.keys(v).map(Number).filter((p) => p <= priority).sort((a, b) => b - a)[0];
    return Math.max(local, known === undefined ? 0 : v[known]!);
  }
}
