/**
 * The index store contract against RedisIndexStore on a real redis-server, plus what only Redis
 * does: several instances sharing one index, the documented key layout, loud rejection of `t` out of
 * range, an outage (methods reject quickly, then work again after a restart), 20,000 items in one
 * source, and the global `maxItems` bound.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../src/core/log.js';
import type { IndexedItem } from '../../src/index/types.js';
import { connectRedis } from '../../src/node/redis.js';
import { RedisIndexStore, T_MAX } from '../../src/node/redis-index.js';
import { indexStoreContract } from '../unit/index-store.contract.js';
import { redisServer, type RedisServer } from './harness.js';

let srv: RedisServer;
beforeAll(async () => {
  srv = await redisServer();
});
afterAll(async () => srv?.stop());

/** The project's client (no offline queue, 1 s command timeout), once it is ready. */
async function client(): Promise<Redis> {
  const c = connectRedis(srv.url, silentLogger);
  await until(() => c.status === 'ready', 5000);
  return c;
}

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const prefix = (): string => `test-${randomUUID().slice(0, 8)}:`;
const item = (id: string, t: number, o: Partial<IndexedItem> = {}): IndexedItem => ({ id, t, final: false, seen: 1, json: `{"id":"${id}"}`, ...o });

/** Settles (resolved or rejected) within `ms`, or fails. */
async function settles<T>(p: Promise<T>, ms = 3000): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.allSettled([p]).then(([r]) => r!), late]);
  } finally {
    clearTimeout(timer);
  }
}

indexStoreContract('RedisIndexStore', async () => {
  const c = await client();
  return { store: new RedisIndexStore(c, { prefix: prefix() }), close: async () => c.disconnect() };
});

describe('RedisIndexStore on a shared Redis', () => {
  it('two instances on one Redis see the same items, documents and leases', async () => {
    const [ca, cb] = await Promise.all([client(), client()]);
    const p = prefix();
    const a = new RedisIndexStore(ca, { prefix: p });
    const b = new RedisIndexStore(cb, { prefix: p });
    try {
      expect(await a.put('s', [item('x', 10), item('y', 20)])).toBe(2);
      expect(await b.put('s', [item('x', 30, { final: true }), item('z', 5)])).toBe(1);
      expect((await a.range('s', null, 10)).map((i) => [i.id, i.t])).toEqual([['x', 30], ['y', 20], ['z', 5]]);
      expect((await a.unfinished('s', 10)).map((i) => i.id)).toEqual(['y', 'z']);
      await a.setDoc('s', 'pos', '{"p":1}');
      expect(await b.getDocs([['s', 'pos']])).toEqual(['{"p":1}']);
      expect(await a.lease('s', 'instance-a', 10_000)).toBe(true);
      expect(await b.lease('s', 'instance-b', 10_000)).toBe(false);
      await b.release('s', 'instance-b');
      expect(await a.lease('s', 'instance-a', 10_000)).toBe(true);
      await a.release('s', 'instance-a');
      expect(await b.lease('s', 'instance-b', 10_000)).toBe(true);
      // another prefix is another index
      expect(await new RedisIndexStore(ca, { prefix: prefix() }).range('s', null, 10)).toEqual([]);
    } finally {
      ca.disconnect();
      cb.disconnect();
    }
  });

  it('keeps the documented key layout under its prefix', async () => {
    const c = await client();
    const p = prefix();
    const store = new RedisIndexStore(c, { prefix: p });
    try {
      await store.put('t|pathsim|fp|runs|s', [item('b', 5), item('a', 5, { final: true }), item('c', 0, { seen: 7 })]);
      await store.setDoc('t|pathsim|fp|runs|s', 'pos', '1');
      await store.lease('t|pathsim|fp|runs|s', 'me', 10_000);
      const base = `${p}ix:t|pathsim|fp|runs|s:`;
      expect((await c.keys(`${p}*`)).sort()).toEqual([`${p}ix:count`, ...['d', 'h', 'l', 'u', 'z'].map((k) => base + k)]);
      expect(await c.zrange(base + 'z', 0, -1, 'WITHSCORES')).toEqual(['8999999999999995|a', '0', '8999999999999995|b', '0', '9000000000000000|c', '0']);
      expect(await c.zrange(base + 'u', 0, -1, 'WITHSCORES')).toEqual(['8999999999999995|b', '1', '9000000000000000|c', '7']);
      expect(JSON.parse((await c.hget(base + 'h', 'c'))!)).toEqual(item('c', 0, { seen: 7 }));
      expect(await c.get(`${p}ix:count`)).toBe('3');
    } finally {
      c.disconnect();
    }
  });

  it('takes t from 0 to T_MAX, moves items at both ends, and rejects t it cannot order without writing anything', async () => {
    const c = await client();
    const store = new RedisIndexStore(c, { prefix: prefix() });
    try {
      await store.put('s', [item('max', T_MAX), item('zero', 0), item('big', T_MAX - 1)]);
      await store.put('s', [item('max', 0), item('zero', T_MAX)]);
      expect((await store.range('s', null, 10)).map((i) => [i.id, i.t])).toEqual([['zero', T_MAX], ['big', T_MAX - 1], ['max', 0]]);
      expect(await store.stats('s')).toEqual({ items: 3, oldest: 0, newest: T_MAX });
      for (const t of [-1, 1.5, T_MAX + 1, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER]) {
        await expect(store.put('s', [item('fine', 7), item('bad', t)])).rejects.toThrow(RangeError);
      }
      await expect(store.put('s', [item('bad-seen', 7, { seen: Number.NaN })])).rejects.toThrow(RangeError);
      expect((await store.get('s', ['fine', 'bad', 'bad-seen'])).size).toBe(0);
      expect((await store.stats('s')).items).toBe(3);
      await expect(store.range('s', [Number.NaN, 'x'], 5)).rejects.toThrow(RangeError);
      expect((await store.range('s', [Infinity, ''], 1)).map((i) => i.id)).toEqual(['zero']);
      expect(await store.range('s', [-Infinity, ''], 5)).toEqual([]);
    } finally {
      c.disconnect();
    }
  });

  it('reloads its scripts when Redis has forgotten them', async () => {
    const c = await client();
    const store = new RedisIndexStore(c, { prefix: prefix() });
    try {
      await store.put('s', [item('a', 1)]);
      await c.script('FLUSH');
      expect(await store.range('s', null, 5)).toEqual([item('a', 1)]);
      await c.script('FLUSH');
      expect(await store.put('s', [item('a', 2)])).toBe(0);
      await c.script('FLUSH');
      expect(await store.lease('s', 'me', 1000)).toBe(true);
    } finally {
      c.disconnect();
    }
  });

  it('pages 20,000 items of one source correctly', async () => {
    const c = await client();
    const store = new RedisIndexStore(c, { prefix: prefix() });
    try {
      const base = 1_751_000_000_000;
      // 2,000 distinct t, ten ids each: ties everywhere, ids sharing prefixes
      const all = Array.from({ length: 20_000 }, (_, i) => item(`run:${i % 10}${i % 3 ? '-x' : ''}:${i}`, base - Math.floor(i / 10) * 1000, { final: i % 7 !== 0, seen: i % 50 }));
      expect(await store.put('big', all.slice(0, 3000))).toBe(3000);
      for (let at = 3000; at < all.length; at += 500) await store.put('big', all.slice(at, at + 500));
      const expected = [...all].sort((a, b) => b.t - a.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const seen: IndexedItem[] = [];
      let after: [number, string] | null = null;
      for (;;) {
        const page = await store.range('big', after, 997);
        seen.push(...page);
        if (page.length < 997) break;
        after = [page.at(-1)!.t, page.at(-1)!.id];
      }
      expect(seen.length).toBe(20_000);
      expect(seen.map((i) => i.id)).toEqual(expected.map((i) => i.id));
      expect((await store.range('big', null, 20_000)).map((i) => i.id)).toEqual(expected.map((i) => i.id));
      expect((await store.range('big', null, Infinity)).length).toBe(20_000);
      const open = await store.unfinished('big', 5000);
      expect(open.length).toBe(all.filter((i) => !i.final).length);
      expect(open.every((i, k) => k === 0 || open[k - 1]!.seen <= i.seen)).toBe(true);
      expect(await store.stats('big')).toEqual({ items: 20_000, oldest: base - 1999 * 1000, newest: base });
    } finally {
      c.disconnect();
    }
  });

  it('maxItems counts new items over every source and every instance', async () => {
    const c = await client();
    const p = prefix();
    const unbounded = new RedisIndexStore(c, { prefix: p });
    const store = new RedisIndexStore(c, { prefix: p, maxItems: 4 });
    try {
      expect(await store.room()).toBe(true);
      await store.put('s1', [item('a', 1), item('b', 1)]);
      await unbounded.put('s2', [item('a', 1)]);
      await store.put('s1', [item('a', 9), item('b', 9)]);
      expect(await store.room()).toBe(true);
      await store.put('s2', [item('c', 1)]);
      expect(await store.room()).toBe(false);
      expect(await new RedisIndexStore(c, { prefix: p, maxItems: 5 }).room()).toBe(true);
      expect(await unbounded.room()).toBe(true);
      // the bound stops backfills, not writes
      expect(await store.put('s2', [item('d', 1)])).toBe(1);
    } finally {
      c.disconnect();
    }
  });

  // last: it stops the server the other tests share
  it('while Redis is down it is unhealthy and every method rejects quickly; after a restart it works again', async () => {
    const c = await client();
    const store = new RedisIndexStore(c, { prefix: prefix() });
    try {
      await store.put('s', [item('a', 1)]);
      expect(store.healthy()).toBe(true);
      await srv.stop();
      await until(() => !store.healthy(), 3000);
      const calls: Array<() => Promise<unknown>> = [
        () => store.get('s', ['a']),
        () => store.put('s', [item('b', 2)]),
        () => store.range('s', null, 10),
        () => store.unfinished('s', 10),
        () => store.stats('s'),
        () => store.room(),
        () => store.getDoc('s', 'pos'),
        () => store.setDoc('s', 'pos', '1'),
        () => store.getDocs([['s', 'pos'], ['t', 'pos']]),
        () => store.lease('s', 'me', 1000),
        () => store.release('s', 'me'),
      ];
      for (const call of calls) expect((await settles(call())).status).toBe('rejected');
      await srv.start();
      await until(() => store.healthy(), 10_000);
      // a fresh server: no data, no scripts loaded
      expect(await store.range('s', null, 10)).toEqual([]);
      expect(await store.put('s', [item('b', 2), item('a', 1)])).toBe(2);
      expect((await store.range('s', null, 10)).map((i) => i.id)).toEqual(['b', 'a']);
      expect(await store.lease('s', 'me', 1000)).toBe(true);
      expect(await store.getDocs([['s', 'pos']])).toEqual([null]);
    } finally {
      c.disconnect();
    }
  });
});
