/** The Worker's gateway-key limit: each key's requests per minute counted by one SimgateState object for every isolate, in the isolate while it cannot be reached. */
import type { Logger } from '../core/log.js';
import { MemoryKeyLimiter, type KeyHit, type KeyLimiter } from '../core/ratelimit.js';
import { Outage } from './outage.js';
import { ask, keyObject, type StateNamespace } from './protocol.js';

/** Longest a request waits at authentication for the object's count before counting in the isolate (less when its deadline is nearer). */
export const ANSWER_MS = 1_000;

export class DurableKeyLimiter implements KeyLimiter {
  private readonly local: MemoryKeyLimiter;
  private readonly outage: Outage;

  constructor(
    private readonly ns: StateNamespace,
    log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.local = new MemoryKeyLimiter(clock);
    this.outage = new Outage(log, 'key limit object unreachable; counting in this isolate', clock);
  }

  async hit(id: string, perMinute: number, deadline = Infinity): Promise<KeyHit> {
    if (this.outage.down) return this.local.hit(id, perMinute);
    try {
      // never past the request's deadline: a count not there by then is made in the isolate
      return await ask(this.ns, keyObject(id), 'key.hit', [id, perMinute], Math.max(0, Math.min(ANSWER_MS, deadline - this.clock())));
    } catch (e) {
      this.outage.failed(e);
      return this.local.hit(id, perMinute);
    }
  }
}
