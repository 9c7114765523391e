// Duration bins: dense per cell, summed across cells, taken back, and read as p50/p90 within 1 % of the exact value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../schemas/run.js';
import { addCell, addContribution, currentCell, moveCell, rollOf, type Cell, type Counters } from '../../src/reports/rollup.js';
import { durationBin, durationPercentiles, type Bins } from '../../src/reports/sketch.js';

/** The value at rank floor(q·(n−1)) of the sorted durations (the contract's definition). */
const exact = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const contribution = (ms: number): Counters => ({ n: 1, dn: 1, [`k${durationBin(ms)}`]: 1 });

describe('duration bins', () => {
  const durations = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 36_000_000 })), { minLength: 1, maxLength: 300 });

  it('p50/p90 of cells summed in any split are within 1 % of the exact percentile of all their durations', () => {
    fc.assert(
      fc.property(durations, fc.array(fc.nat(5), { minLength: 300, maxLength: 300 }), (xs, where) => {
        const cells = Array.from({ length: 6 }, () => ({ v: {} as Counters, b: undefined as Bins | undefined }));
        xs.forEach((ms, i) => addContribution(cells[where[i]!]!, contribution(ms)));
        const sum: { v: Counters; b?: Bins } = { v: {} };
        for (const c of cells) addCell(sum, c);
        expect(sum.v['n']).toBe(xs.length);
        const got = durationPercentiles(sum.b);
        for (const [q, value] of [[0.5, got.p50], [0.9, got.p90]] as const) {
          const want = exact(xs, q);
          expect(Math.abs(value! - want)).toBeLessThanOrEqual(Math.max(0.5, 0.01 * want + 0.5));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a duration taken back leaves the bins of the rest, trimmed to one form; none left is no bins', () => {
    fc.assert(
      fc.property(durations, durations, (keep, drop) => {
        const cell: { v: Counters; b?: Bins } = { v: {} };
        const only: { v: Counters; b?: Bins } = { v: {} };
        for (const ms of [...drop, ...keep]) addContribution(cell, contribution(ms));
        for (const ms of drop) addContribution(cell, contribution(ms), -1);
        for (const ms of keep) addContribution(only, contribution(ms));
        expect(cell).toEqual(only);
        for (const ms of keep) addContribution(cell, contribution(ms), -1);
        expect(cell).toEqual({ v: {} });
        expect(durationPercentiles(cell.b)).toEqual({ p50: null, p90: null });
      }),
      { numRuns: 200 },
    );
  });

  it('a run without a duration adds no bins', () => {
    const cell: { v: Counters; b?: Bins } = { v: {} };
    addContribution(cell, rollOf({ status: 'running', outcome: 'none', score: null, duration_ms: null, started_at: '2026-12-01T00:00:00Z', provider: 'pathsim', agent: { id: 'a', name: null }, scenario: { id: 's', name: null }, channel: 'voice', target: null, id: 'pathsim:r' } as unknown as Run, false).v);
    expect(cell).toEqual({ v: { n: 1, w: 1 } });
  });
});

describe('a cell stored before its bins were dense', () => {
  it('reads as the cell of the same runs, and takes a run back and a new one in like one', () => {
    // as a store wrote it before: two runs of ~1 s, their bin among the counters
    const bin = durationBin(1000);
    const old: Cell = { d: 20_000, c: '["pathsim"]', v: { n: 2, dn: 2, [`k${bin}`]: 2 } };
    const fresh = (ms: number[]): Cell => {
      let cell: Cell | undefined;
      for (const x of ms) cell = moveCell(cell, 20_000, '["pathsim"]', { d: 20_000, c: '["pathsim"]', v: contribution(x) }, 1, false)!;
      return cell!;
    };
    const now = currentCell(old);
    expect(now).toEqual(fresh([1000, 1000]));
    // one of the two replaced by a run of an hour
    const moved = moveCell(moveCell(now, 20_000, '["pathsim"]', { d: 20_000, c: '["pathsim"]', v: contribution(1000) }, -1, false)!, 20_000, '["pathsim"]', { d: 20_000, c: '["pathsim"]', v: contribution(3_600_000) }, 1, false)!;
    expect(moved).toEqual(fresh([1000, 3_600_000]));
    expect(durationPercentiles(moved.b).p50).toBeLessThan(1011);
    // a cell already current is handed back as it is
    expect(currentCell(moved)).toBe(moved);
  });
});
