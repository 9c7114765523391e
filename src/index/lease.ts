/** A source's sync lease in the index store: one instance syncs a source at a time; renewed while held, lost when a renewal fails or stops. */
import type { IndexStore } from './types.js';

export class Lease {
  private held = false;
  /** When the store last granted the lease to this owner (the grant was asked at this time). */
  private grantedAt = 0;
  private acquiring: Promise<boolean> | null = null;
  private keeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly store: IndexStore,
    private readonly key: string,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * This instance holds the lease (its copy of the source's documents is the newest). Only until the last grant
   * expires: where the renewal timer stops (a Worker isolate between requests), the lease lapses as it does in the
   * store, so that two instances never both believe they hold it.
   */
  get holding(): boolean {
    return this.held && this.clock() - this.grantedAt < this.ttlMs;
  }

  /**
   * Takes the lease unless another instance holds it. `onTaken` runs before `holding` turns true (to read what the
   * last holder — another instance, or this one before a restart or a lapse — stored).
   */
  acquire(onTaken: () => Promise<void>): Promise<boolean> {
    if (this.holding) return Promise.resolve(true);
    if (!this.acquiring) {
      this.acquiring = (async () => {
        try {
          this.held = false;
          const asked = this.clock();
          if (!(await this.store.lease(this.key, this.owner, this.ttlMs))) return false;
          await onTaken();
          this.grantedAt = asked;
          this.held = true;
          if (!this.keeper) {
            this.keeper = setInterval(() => void this.renew(), Math.max(100, this.ttlMs / 3));
            (this.keeper as { unref?: () => void }).unref?.();
          }
          return true;
        } finally {
          this.acquiring = null;
        }
      })();
    }
    return this.acquiring;
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    const asked = this.clock();
    try {
      if (await this.store.lease(this.key, this.owner, this.ttlMs)) this.grantedAt = asked;
      else this.held = false;
    } catch {
      this.held = false;
    }
  }

  /** Gives the lease up (when held). */
  async release(): Promise<void> {
    if (this.keeper) clearInterval(this.keeper);
    this.keeper = null;
    if (!this.held) return;
    this.held = false;
    await this.store.release(this.key, this.owner).catch(() => {});
  }
}
