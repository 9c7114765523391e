/**
 * Duration percentiles from mergeable bins: a run's duration counts in one DDSketch bin (1 % relative
 * accuracy); a cell holds its bins dense (one count per key from its lowest to its highest), so cells add
 * like arrays, whatever their runs, and p50/p90 come from a rank walk over the summed bins with the
 * sketch's own mapping. Bins subtract as well as add, which a run that changes never needs twice.
 */
// the sketch's key mapping alone (what `new DDSketch({ relativeAccuracy })` uses), without its stores and serialisation
import { LogarithmicMapping } from '@datadog/sketches-js/dist/ddsketch/mapping/index.js';

const RELATIVE_ACCURACY = 0.01;
const mapping = new LogarithmicMapping(RELATIVE_ACCURACY);

/** A cell's duration bins: `c[i]` durations in the sketch's key `lo + i`, `z` durations under 1 ms. */
export interface Bins {
  lo: number;
  c: number[];
  z: number;
}

/** The bin of a duration in ms, as a contribution's counter names it (`k<bin>`): `z` under 1 ms, else the sketch's key. */
export function durationBin(ms: number): string {
  return ms < 1 ? 'z' : String(mapping.key(ms));
}

/** Bins of counts by bin name (see durationBin), built in one pass. */
export function binsOf(counts: Record<string, number>): Bins {
  let lo = Infinity;
  let hi = -Infinity;
  for (const bin in counts) {
    if (bin === 'z') continue;
    const key = Number(bin);
    if (key < lo) lo = key;
    if (key > hi) hi = key;
  }
  const c = lo <= hi ? new Array<number>(hi - lo + 1).fill(0) : [];
  for (const bin in counts) if (bin !== 'z') c[Number(bin) - lo] = counts[bin]!;
  return { lo: c.length ? lo : 0, c, z: counts['z'] ?? 0 };
}

/** `n` durations (negative: taken back) in the bin named `bin` (see durationBin) of `b` (absent: none yet). */
export function addBin(b: Bins | undefined, bin: string, n: number): Bins {
  const out = b ?? { lo: 0, c: [], z: 0 };
  if (bin === 'z') out.z += n;
  else {
    const key = Number(bin);
    const c = spread(out, key, 1);
    c[key - out.lo]! += n;
  }
  return out;
}

/** `b` added into `into` (absent: a new one; `b` itself is never changed). */
export function addBins(into: Bins | undefined, b: Bins): Bins {
  const out = into ?? { lo: b.lo, c: [], z: 0 };
  out.z += b.z;
  if (b.c.length) {
    const c = spread(out, b.lo, b.c.length);
    const at = b.lo - out.lo;
    for (let i = 0; i < b.c.length; i++) c[at + i]! += b.c[i]!;
  }
  return out;
}

/** Widens `b` to hold the keys `lo`..`lo + n - 1` (zeros where new); its counts. */
function spread(b: Bins, lo: number, n: number): number[] {
  if (!b.c.length) {
    b.lo = lo;
    b.c = new Array<number>(n).fill(0);
    return b.c;
  }
  if (lo < b.lo) {
    b.c = new Array<number>(b.lo - lo).fill(0).concat(b.c);
    b.lo = lo;
  }
  const end = lo + n - b.lo;
  while (b.c.length < end) b.c.push(0);
  return b.c;
}

/** `b` without zero counts at its ends (one form for equal bins); undefined when no duration is left. */
export function trimBins(b: Bins | undefined): Bins | undefined {
  if (!b) return undefined;
  let i = 0;
  let j = b.c.length;
  while (i < j && b.c[i] === 0) i++;
  while (j > i && b.c[j - 1] === 0) j--;
  if (i > 0 || j < b.c.length) {
    b.c = b.c.slice(i, j);
    b.lo = b.c.length ? b.lo + i : 0;
  }
  return b.z || b.c.length ? b : undefined;
}

/** p50 and p90 (value at rank ⌊q·(n−1)⌋, within 1 %) of the durations in `b`; null without any. Rounded to whole ms. */
export function durationPercentiles(b: Bins | undefined): { p50: number | null; p90: number | null } {
  let count = b ? b.z : 0;
  for (const n of b?.c ?? []) if (n > 0) count += n;
  if (!b || count === 0) return { p50: null, p90: null };
  // DDSketch's getValueAtQuantile over these bins: the key at rank q·(n−1) (zero bin first), the sketch's mapping
  // giving its value — without filling a sketch's store
  const at = (q: number): number => {
    const rank = q * (count - 1);
    let running = b.z;
    if (rank < running) return 0;
    let last = 0;
    for (let i = 0; i < b.c.length; i++) {
      const n = b.c[i]!;
      if (n <= 0) continue;
      running += n;
      last = i;
      if (running > rank) return mapping.value(b.lo + i);
    }
    return mapping.value(b.lo + last);
  };
  return { p50: Math.round(at(0.5)), p90: Math.round(at(0.9)) };
}
