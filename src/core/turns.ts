/**
 * Background work gets one slice per turn of the event loop. A Node server accepts one new connection
 * per loop turn while it is busy: an index sync that parses, maps and stores vendor pages for several
 * sources in the same turn makes every waiting client wait that long for its connection. Background
 * steps call `backgroundTurn()` between slices; the slices of all sources then run one per turn, and
 * requests (never throttled) are accepted and served between them. Workers have no such accept loop (and a
 * promise must be settled within the request that made it): there a slice goes on at once.
 */

type Resume = () => void;

const waiting: Resume[] = [];
let pumping = false;

/** The next turn of the event loop (Node's setImmediate); undefined where there is none (Workers). */
const immediate = typeof globalThis.setImmediate === 'function' ? globalThis.setImmediate : undefined;
const nextTurn = (fn: () => void): void => void immediate!(fn);

function pump(): void {
  const resume = waiting.shift();
  if (!resume) {
    pumping = false;
    return;
  }
  resume();
  // scheduled from within this turn's check phase: the next slice runs in the next turn, after its I/O
  nextTurn(pump);
}

/** Resolves when this background slice may run: at most one slice (of any source) per event-loop turn. */
export function backgroundTurn(): Promise<void> {
  if (!immediate) return Promise.resolve();
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    if (!pumping) {
      pumping = true;
      nextTurn(pump);
    }
  });
}
