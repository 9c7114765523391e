/** An object's outage as one isolate sees it: after a failed call, the isolate's fallback serves for DOWN_MS before the objects are asked again; the first failure of an outage is logged. */
import type { Logger } from '../core/log.js';

/** After a failed call, the fallback (live reads, the isolate's own counts) serves this long. */
export const DOWN_MS = 5_000;

export class Outage {
  private until = 0;

  constructor(
    private readonly log: Logger,
    /** The warning logged when an outage starts (what the isolate does meanwhile). */
    private readonly message: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Is the fallback serving now? */
  get down(): boolean {
    return this.clock() < this.until;
  }

  /** A call failed with `e`: the fallback serves for DOWN_MS from now. */
  failed(e: unknown, fields: Record<string, unknown> = {}): void {
    if (!this.down) this.log.log('warn', this.message, { ...fields, error: e instanceof Error ? e.message : String(e) });
    this.until = this.clock() + DOWN_MS;
  }
}
