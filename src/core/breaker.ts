/**
 * A circuit breaker per provider (and vendor base URL): after `threshold` consecutive failures
 * (5xx, timeouts, resets — not 4xx answers) it opens and fails fast for `cooldownMs`; then it lets
 * one probe through (half-open): success closes it, failure opens it again.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export class Breaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private state_: BreakerState = 'closed';

  constructor(
    private readonly clock: () => number,
    private readonly threshold = 5,
    private readonly cooldownMs = 15_000,
  ) {}

  get state(): BreakerState {
    if (this.state_ === 'open' && this.clock() - this.openedAt >= this.cooldownMs) this.state_ = 'half_open';
    return this.state_;
  }

  /** Milliseconds until a probe is allowed (0 when calls may go through). */
  retryInMs(): number {
    return this.state === 'open' ? Math.max(0, this.cooldownMs - (this.clock() - this.openedAt)) : 0;
  }

  /** May a call go through now? In half-open state only one probe at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open') return false;
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.state_ = 'closed';
  }

  failure(): void {
    this.probing = false;
    this.failures += 1;
    if (this.state_ === 'half_open' || this.failures >= this.threshold) {
      this.state_ = 'open';
      this.openedAt = this.clock();
    }
  }
}
