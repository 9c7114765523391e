/** The Worker's gateway-key limit: each key's requests per minute counted by one SimgateState object for every isolate, in the isolate while it cannot be reached. */
import type { Logger } from '../core/log.js';
import { MemoryKeyLimiter, type KeyHit, type KeyLimiter } from '../core/ratelimit.js';
import { DOWN_MS } from './do-index.js';
import { ask, keyObject, type StateNamespace } from './protocol.js';

/** Longest a request waits at authentication for the object's count before counting in the isolate. */
export const ANSWER_MS = 1_000;

export class DurableKeyLimiter implements KeyLimiter {
  private readonly local: MemoryKeyLimiter;
  private downUntil = 0;

  constructor(
    private readonly ns: StateNamespace,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.local = new MemoryKeyLimiter(clock);
  }

  async hit(id: string, perMinute: number): Promise<KeyHit> {
    if (this.clock() < this.downUntil) return this.local.hit(id, perMinute);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_MS} ms`)), ANSWER_MS);
    });
    try {
      return await Promise.race([ask(this.ns, keyObject(id), 'key.hit', [id, perMinute]), late]);
    } catch (e) {
      if (this.clock() >= this.downUntil) this.log.log('warn', 'key limit object unreachable; counting in this isolate', { error: e instanceof Error ? e.message : String(e) });
      this.downUntil = this.clock() + DOWN_MS;
      return this.local.hit(id, perMinute);
    } finally {
      clearTimeout(timer);
    }
  }
}
