/** A source's sync lease in the index store: one instance syncs a source at a time; renewed while held, lost when a renewal fails. */
import type { IndexStore } from './types.js';

export class Lease {
  /** This instance holds the lease (its copy of the source's documents is the newest). */
  holding = false;
  private acquiring: Promise<boolean> | null = null;
  private keeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly store: IndexStore,
    private readonly key: string,
    private readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  /**
   * Takes the lease unless another instance holds it. `onTaken` runs before `holding` turns true (to read what the
   * last holder — another instance, or this one before a restart — stored).
   */
  acquire(onTaken: () => Promise<void>): Promise<boolean> {
    if (this.holding) return Promise.resolve(true);
    if (!this.acquiring) {
      this.acquiring = (async () => {
        try {
          if (!(await this.store.lease(this.key, this.owner, this.ttlMs))) return false;
          await onTaken();
          this.holding = true;
          this.keeper = setInterval(() => void this.renew(), Math.max(100, this.ttlMs / 3));
          (this.keeper as { unref?: () => void }).unref?.();
          return true;
        } finally {
          this.acquiring = null;
        }
      })();
    }
    return this.acquiring;
  }

  private async renew(): Promise<void> {
    try {
      if (!(await this.store.lease(this.key, this.owner, this.ttlMs))) this.holding = false;
    } catch {
      this.holding = false;
    }
  }

  /** Gives the lease up (when held). */
  async release(): Promise<void> {
    if (this.keeper) clearInterval(this.keeper);
    this.keeper = null;
    if (!this.holding) return;
    this.holding = false;
    await this.store.release(this.key, this.owner).catch(() => {});
  }
}
