/** Requests waiting on a source's sync: each until its condition holds, a lane it depends on fails, or its deadline. */
import type { GatewayError } from '../core/errors.js';

interface Waiter<L> {
  /** The lanes whose failure ends the wait. */
  lanes: L[];
  ready: () => boolean;
  resolve: () => void;
  reject: (e: GatewayError) => void;
}

export class Waits<L extends string> {
  private readonly waiters = new Set<Waiter<L>>();

  constructor(private readonly clock: () => number) {}

  /** Wakes the waiters whose condition now holds. */
  changed(): void {
    for (const w of [...this.waiters]) {
      if (w.ready()) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Ends, with `error`, the waits that depend on `lane`. */
  fail(lane: L, error: GatewayError): void {
    for (const w of [...this.waiters]) {
      if (!w.lanes.includes(lane)) continue;
      this.waiters.delete(w);
      w.reject(error);
    }
  }

  /**
   * Resolves once `ready()` holds (checked at every `changed()`), rejects with the error of a failing lane of
   * `lanes`, or with `timeout` at `deadline`. `poll` runs every `everyMs` meanwhile (another instance may be the
   * one syncing: the caller reads the store again there).
   */
  wait(ready: () => boolean, lanes: L[], deadline: number, timeout: GatewayError, poll?: { everyMs: number; run: () => void }): Promise<void> {
    if (ready()) return Promise.resolve();
    const left = deadline - this.clock();
    if (left <= 0) return Promise.reject(timeout);
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        if (every) clearInterval(every);
        this.waiters.delete(w);
      };
      const w: Waiter<L> = {
        lanes,
        ready,
        resolve: () => {
          done();
          resolve();
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      const timer = setTimeout(() => w.reject(timeout), left);
      const every = poll ? setInterval(poll.run, poll.everyMs) : null;
      this.waiters.add(w);
    });
  }
}
