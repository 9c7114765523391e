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
  const s = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
  for (const [k, n] of Object.entries(v)) {
    if (k.charCodeAt(0) !== 107 /* k */ || n <= 0) continue;
    const bin = k.slice(1);
    s.accept(bin === 'z' ? 0 : mapping.value(Number(bin)), n);
  }
  if (s.count === 0) return { p50: null, p90: null };
  return { p50: Math.round(s.getValueAtQuantile(0.5)), p90: Math.round(s.getValueAtQuantile(0.9)) };
}
