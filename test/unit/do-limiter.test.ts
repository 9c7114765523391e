// The Worker's clients of its counting objects over slow transports: the vendor limiter (src/worker/do-limiter.ts) never holds the caller for a slot's give-back when the runtime can keep it alive; the key limiter (src/worker/do-keys.ts) waits at most ANSWER_MS for a count.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { ANSWER_MS, DurableKeyLimiter } from '../../src/worker/do-keys.js';
import { DurableLimiter } from '../../src/worker/do-limiter.js';
import { Grants } from '../../src/worker/grants.js';
import type { StateNamespace } from '../../src/worker/protocol.js';

const limits = { perMinute: 100, concurrency: 1 };

/**
 * A namespace whose one object keeps its budget in a real Grants (what SimgateState runs) and holds each `lim.release`
 * until `deliver()`: the transport of a Durable Object far away, not its accounting.
 */
function slowObject(): { ns: StateNamespace; deliver: () => void; released: () => number } {
  const grants = new Grants();
  const held: Array<() => void> = [];
  let released = 0;
  const ns: StateNamespace = {
    idFromName: (name) => name,
    get: () => ({
      async call(op, json) {
        const args = JSON.parse(json) as unknown[];
        if (op === 'lim.acquire') {
          const [key, l, priority, deadline, holdMs] = args as [string, typeof limits, number, number | null, number | null];
          return JSON.stringify(await grants.acquire(key, l, priority, deadline, holdMs));
        }
        if (op === 'lim.release') {
          const [token, key, l] = args as [string, string, typeof limits];
          await new Promise<void>((go) => held.push(go));
          grants.release(token);
          released += 1;
          return JSON.stringify(grants.view(key, l));
        }
        return 'null';
      },
    }),
  };
  return { ns, deliver: () => held.splice(0).forEach((go) => go()), released: () => released };
}

describe('DurableLimiter', () => {
  it('answers the caller at once and hands the give-back to the runtime, which delivers it later', async () => {
    const o = slowObject();
    const limiter = new DurableLimiter(o.ns, silentLogger);
    const kept: Array<Promise<unknown>> = [];
    const value = await limiter.schedule('k', limits, async () => 42, { background: (p) => kept.push(p) });
    expect(value).toBe(42);
    expect(kept).toHaveLength(1);
    expect(o.released()).toBe(0);
    // the slot is still held until the give-back arrives: at concurrency 1 the next call waits for it
    let second = false;
    const next = limiter.schedule('k', limits, async () => (second = true), { background: (p) => kept.push(p) });
    await new Promise((r) => setTimeout(r, 50));
    expect(second).toBe(false);
    o.deliver();
    await kept[0];
    expect(o.released()).toBe(1);
    await next;
    expect(second).toBe(true);
    o.deliver();
    await Promise.all(kept);
    expect(o.released()).toBe(2);
  });

  it('without a runtime to hand it to, the caller waits until the slot is given back', async () => {
    const o = slowObject();
    const limiter = new DurableLimiter(o.ns, silentLogger);
    let done = false;
    const call = limiter.schedule('k', limits, async () => 7).then((v) => ((done = true), v));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    o.deliver();
    expect(await call).toBe(7);
    expect(o.released()).toBe(1);
  });
});

describe('DurableKeyLimiter', () => {
  it('counts in the isolate when the object does not answer within ANSWER_MS, and still holds the key to its limit', async () => {
    const asked: string[] = [];
    const silent: StateNamespace = { idFromName: (n) => n, get: () => ({ call: (op) => (asked.push(op), new Promise<string>(() => {})) }) };
    // a clock inside one minute window (the count's window is the fixed UTC minute)
    const keys = new DurableKeyLimiter(silent, silentLogger, () => 1_800_000_010_000);
    const t0 = Date.now();
    const first = await keys.hit('k1', 2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(ANSWER_MS - 50);
    expect(Date.now() - t0).toBeLessThan(ANSWER_MS + 1000);
    expect(first.ok).toBe(true);
    // meanwhile the isolate counts alone without asking again: the key's limit still holds
    const t1 = Date.now();
    expect((await keys.hit('k1', 2)).ok).toBe(true);
    expect((await keys.hit('k1', 2)).ok).toBe(false);
    expect(Date.now() - t1).toBeLessThan(200);
    expect(asked).toEqual(['key.hit']);
  });

  it("waits no longer than the request's deadline when that is nearer than ANSWER_MS", async () => {
    const silent: StateNamespace = { idFromName: (n) => n, get: () => ({ call: () => new Promise<string>(() => {}) }) };
    const keys = new DurableKeyLimiter(silent, silentLogger);
    const t0 = Date.now();
    expect((await keys.hit('k2', 5, t0 + 150)).ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(Date.now() - t0).toBeLessThan(ANSWER_MS - 300);
  });
});
