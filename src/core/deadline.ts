/** Waiting on shared work with a deadline: the caller stops waiting, the work goes on for whoever else waits for it. */

/** `p`, or `late()` thrown once `deadline` (epoch ms) passes; no deadline (undefined or Infinity) waits for `p`. */
export function withDeadline<T>(p: Promise<T>, deadline: number | undefined, late: () => Error): Promise<T> {
  if (deadline === undefined || !Number.isFinite(deadline)) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(late()), Math.max(0, deadline - Date.now()));
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
