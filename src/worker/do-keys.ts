/** The Worker's gateway-key limit: each key's requests per minute counted by one SimgateState object for every isolate, in the isolate while it cannot be reached. */
import type { Logger } from '../core/log.js';
import { MemoryKeyLimiter, type KeyHit, type KeyLimiter } from '../core/ratelimit.js';
import { Outage } from './outage.js';
import { ask, keyObject, type StateNamespace } from './protocol.js';

/** Longest a request waits at authentication for the object's count before counting in the isolate. */
export const ANSWER_MS = 1_000;

export class DurableKeyLimiter implements KeyLimiter {
  private readonly local: MemoryKeyLimiter;
  private readonly outage: Outage;

  constructor(
    private readonly ns: StateNamespace,
    log: Logger,
    clock: () => number = Date.now,
  ) {
    this.local = new MemoryKeyLimiter(clock);
    this.outage = new Outage(log, 'key limit object unreachable; counting in this isolate', clock);
  }

  async hit(id: string, perMinute: number): Promise<KeyHit> {
    if (this.outage.down) return this.local.hit(id, perMinute);
    try {
      return await ask(this.ns, keyObject(id), 'key.hit', [id, perMinute], ANSWER_MS);
    } catch (e) {
      this.outage.failed(e);
      return this.local.hit(id, perMinute);
    }
  }
}
