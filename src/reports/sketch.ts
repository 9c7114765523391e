/**
 * Duration percentiles from mergeable bins: a run's duration counts in one DDSketch bin (1 % relative
 * accuracy), stores add bin counts like any counter, and p50/p90 come from a DDSketch rebuilt from the
 * summed bins. Bins subtract as well as add, which a run that changes never needs twice.
 */
import { DDSketch } from '@datadog/sketches-js';
import type { Counters } from './rollup.js';

const RELATIVE_ACCURACY = 0.01;
const mapping = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }).mapping;

/** The bin of a duration in ms: `z` for 0, else the sketch's logarithmic key. */
export function durationBin(ms: number): string {
  return ms < 1 ? 'z' : String(mapping.key(ms));
}

/**
 * p50 and p90 (value at rank ⌊q·(n−1)⌋, within 1 %) of the durations counted in `v`'s `k<bin>` counters; null
 * without any. Rounded to whole ms.
 */
export function durationPercentiles(v: Counters): { p50: number | null; p90: number | null } {
  let zero = 0;
  let count = 0;
  const bins: Array<[number, number]> = [];
  for (const k in v) {
    const n = v[k]!;
    if (k.charCodeAt(0) !== 107 /* k */ || n <= 0) continue;
    const bin = k.slice(1);
    if (bin === 'z') zero += n;
    else bins.push([Number(bin), n]);
    count += n;
  }
  if (count === 0) return { p50: null, p90: null };
  // DDSketch's getValueAtQuantile over these bins: the key at rank q·(n−1) (zero bin first), the sketch's mapping
  // giving its value — without filling a sketch's store, which shifts its dense array bin by bin
  bins.sort((a, b) => a[0] - b[0]);
  const at = (q: number): number => {
    const rank = q * (count - 1);
    if (rank < zero) return 0;
    let running = zero;
    for (const [key, n] of bins) {
      running += n;
      if (running > rank) return mapping.value(key);
    }
    return mapping.value(bins.at(-1)![0]);
  };
  return { p50: Math.round(at(0.5)), p90: Math.round(at(0.9)) };
}
