/** The in-process limiter: priorities, deadlines, the vendor's rate headers and the share kept from background work. */
import { describe, expect, it } from 'vitest';
import { LimiterTimeout, LocalLimiter, PRIORITY, capOf } from '../../src/core/limiter.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A call that takes `ms` and notes when it started. */
const job = (log: string[], name: string, ms = 5) => async (): Promise<string> => {
  log.push(name);
  await sleep(ms);
  return name;
};

describe('LocalLimiter', () => {
  it('starts waiting calls by priority, first come first within one', async () => {
    const l = new LocalLimiter();
    const limits = { perMinute: 1000, concurrency: 1 };
    const log: string[] = [];
    const first = l.schedule('k', limits, job(log, 'running', 30));
    const queued = [
      l.schedule('k', limits, job(log, 'refresh'), { priority: PRIORITY.refresh }),
      l.schedule('k', limits, job(log, 'backfill-1'), { priority: PRIORITY.backfill }),
      l.schedule('k', limits, job(log, 'request'), { priority: PRIORITY.request }),
      l.schedule('k', limits, job(log, 'backfill-2'), { priority: PRIORITY.backfill }),
      l.schedule('k', limits, job(log, 'head'), { priority: PRIORITY.head }),
    ];
    await Promise.all([first, ...queued]);
    expect(log).toEqual(['running', 'request', 'head', 'backfill-1', 'backfill-2', 'refresh']);
  });

  it('refuses at once a call the window cannot start before its deadline, saying when it could', async () => {
    const l = new LocalLimiter();
    const limits = { perMinute: 2, concurrency: 5, windowMs: 2000 };
    const log: string[] = [];
    await l.schedule('k', limits, job(log, 'a'));
    await l.schedule('k', limits, job(log, 'b'));
    const t0 = Date.now();
    const e = await l.schedule('k', limits, job(log, 'c'), { deadline: Date.now() + 500 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LimiterTimeout);
    expect(Date.now() - t0).toBeLessThan(100);
    expect((e as LimiterTimeout).retryAfterMs).toBeGreaterThan(1500);
    expect((e as LimiterTimeout).retryAfterMs).toBeLessThanOrEqual(2001);
    expect(log).toEqual(['a', 'b']);
    // without a deadline the same call waits for the window and runs
    await l.schedule('k', limits, job(log, 'd'));
    expect(log).toEqual(['a', 'b', 'd']);
  });

  it('gives up on a queued call at its deadline, and the call never runs', async () => {
    const l = new LocalLimiter();
    const limits = { perMinute: 1000, concurrency: 1 };
    const log: string[] = [];
    const slow = l.schedule('k', limits, job(log, 'slow', 300));
    const t0 = Date.now();
    const e = await l.schedule('k', limits, job(log, 'late'), { deadline: Date.now() + 100 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LimiterTimeout);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(Date.now() - t0).toBeLessThan(250);
    await slow;
    await sleep(20);
    expect(log).toEqual(['slow']);
    expect(l.queued('k')).toBe(0);
  });

  it("starts no more calls than the vendor's X-RateLimit-Remaining allows until its reset, counting calls sent after the answered one", async () => {
    const l = new LocalLimiter();
    const limits = { perMinute: 1000, concurrency: 10 };
    const log: string[] = [];
    const sentAt = Date.now();
    await sleep(2);
    const inFlight = l.schedule('k', limits, job(log, 'in-flight', 50));
    await sleep(5);
    // the vendor answered a call sent before the one in flight: 3 left, one of them may go to the call in flight
    l.hint('k', 3, Date.now() + 400, sentAt, limits);
    const t0 = Date.now();
    const starts: number[] = [];
    const calls = Array.from({ length: 4 }, (_, i) =>
      l.schedule('k', limits, async () => {
        starts.push(Date.now() - t0);
        return job(log, `c${i}`)();
      }),
    );
    await Promise.all([inFlight, ...calls]);
    const early = starts.filter((s) => s < 350);
    expect(early.length).toBe(2);
    expect(starts.filter((s) => s >= 350).length).toBe(2);
    // an answer to the latest call: the calls in flight were sent before it and are counted by the vendor already
    const l2 = new LocalLimiter();
    const slow = l2.schedule('k', limits, job(log, 'before', 100));
    await sleep(5);
    l2.hint('k', 2, Date.now() + 400, Date.now(), limits);
    const t1 = Date.now();
    const quick: number[] = [];
    await Promise.all(Array.from({ length: 3 }, () => l2.schedule('k', limits, async () => void quick.push(Date.now() - t1))));
    await slow;
    expect(quick.filter((x) => x < 350).length).toBe(2);
    // a vendor that leaves as many as our own count does adds nothing: its coarse reset holds nothing back
    const l3 = new LocalLimiter();
    const tight = { perMinute: 5, concurrency: 10, windowMs: 60_000 };
    await l3.schedule('k', tight, async () => undefined);
    l3.hint('k', 4, Date.now() + 400, Date.now(), tight);
    const t2 = Date.now();
    await Promise.all(Array.from({ length: 4 }, () => l3.schedule('k', tight, async () => undefined)));
    expect(Date.now() - t2).toBeLessThan(100);
  });

  it('keeps a tenth of each window from background work for requests and the head syncs they wait for', async () => {
    const l = new LocalLimiter();
    const limits = { perMinute: 20, concurrency: 20, windowMs: 60_000 };
    expect(capOf(limits, PRIORITY.backfill)).toBe(18);
    expect(capOf(limits, PRIORITY.head)).toBe(20);
    const log: string[] = [];
    const background = Array.from({ length: 20 }, (_, i) => l.schedule('k', limits, job(log, `bf${i}`, 1), { priority: PRIORITY.backfill }));
    await sleep(50);
    expect(log.length).toBe(18);
    // a request still gets through at once, and so does a head sync's call
    await l.schedule('k', limits, job(log, 'request', 1), { priority: PRIORITY.request, deadline: Date.now() + 100 });
    await l.schedule('k', limits, job(log, 'head', 1), { priority: PRIORITY.head, deadline: Date.now() + 100 });
    expect(log.slice(18)).toEqual(['request', 'head']);
    expect(l.estimate('k', limits, PRIORITY.request)).toBeGreaterThan(Date.now() + 50_000);
    // the two background calls left wait for the window (not awaited here: a minute)
    expect(l.queued('k')).toBe(2);
    void background;
  });
});
