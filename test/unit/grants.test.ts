/** The budget a SimgateState object keeps (src/worker/grants.ts), in Node: slots granted and given back, refused past a deadline, and taken back from a holder that vanished. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Grants, HOLD_MARGIN_MS } from '../../src/worker/grants.js';

const limits = { perMinute: 3, concurrency: 1 };

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const token = (g: { token: string } | { lateMs: number }): string => {
  if (!('token' in g)) throw new Error('no slot');
  return g.token;
};

describe('Grants', () => {
  it('grants one slot at a time at concurrency 1, the next when the first is given back', async () => {
    const grants = new Grants();
    const first = token(await grants.acquire('k', limits, 1, null));
    let second: string | null = null;
    void grants.acquire('k', limits, 1, null).then((g) => (second = token(g)));
    await vi.advanceTimersByTimeAsync(1000);
    expect(second).toBeNull();
    expect(grants.view('k', limits).queued).toBe(1);
    grants.release(first);
    await vi.advanceTimersByTimeAsync(0);
    expect(second).not.toBeNull();
  });

  it('answers lateMs at once when the window is spent and the deadline comes before it frees', async () => {
    const grants = new Grants();
    for (let i = 0; i < 3; i++) grants.release(token(await grants.acquire('k', limits, 1, null)));
    await vi.advanceTimersByTimeAsync(0);
    const g = await grants.acquire('k', limits, 1, Date.now() + 5000);
    expect('lateMs' in g && g.lateMs).toBeGreaterThan(50_000);
    expect(grants.view('k', limits).full).toBe(true);
  });

  it('takes a slot back from a holder that never gives it back, after its hold and the margin', async () => {
    const grants = new Grants();
    await grants.acquire('k', limits, 1, null, 2000); // never released: its isolate was cancelled
    let next: string | null = null;
    void grants.acquire('k', limits, 1, null).then((g) => (next = token(g)));
    await vi.advanceTimersByTimeAsync(2000 + HOLD_MARGIN_MS - 10);
    expect(next).toBeNull();
    await vi.advanceTimersByTimeAsync(20);
    expect(next).not.toBeNull();
  });
});
