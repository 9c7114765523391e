/** The cache: freshness, stale-while-revalidate, coalescing, no cached errors, bypass, LRU bounds. */
import { describe, expect, it } from 'vitest';
import { Cache, MemoryStore, type CacheStore } from '../../src/core/cache.js';
import { Metrics } from '../../src/core/metrics.js';

const policy = { freshMs: 1000, staleMs: 5000 };

function setup() {
  let now = 1_000_000;
  const clock = () => now;
  const metrics = new Metrics();
  const cache = new Cache(new MemoryStore(100, 1 << 20, clock), clock, metrics);
  let loads = 0;
  const load = (v: string) => async () => {
    loads += 1;
    await new Promise((r) => setTimeout(r, 5));
    return v;
  };
  return { cache, metrics, load, loads: () => loads, advance: (ms: number) => (now += ms) };
}

describe('cache', () => {
  it('serves a fresh value without loading again', async () => {
    const t = setup();
    expect(await t.cache.get('k', t.load('a'), () => policy)).toEqual({ value: 'a', result: 'miss' });
    expect(await t.cache.get('k', t.load('b'), () => policy)).toEqual({ value: 'a', result: 'hit' });
    expect(t.loads()).toBe(1);
  });

  it('serves a stale value at once and refreshes it behind', async () => {
    const t = setup();
    await t.cache.get('k', t.load('a'), () => policy);
    t.advance(2000);
    expect(await t.cache.get('k', t.load('b'), () => policy)).toEqual({ value: 'a', result: 'stale' });
    await new Promise((r) => setTimeout(r, 20));
    expect(await t.cache.get('k', t.load('c'), () => policy)).toEqual({ value: 'b', result: 'hit' });
    t.advance(10_000);
    expect(await t.cache.get('k', t.load('d'), () => policy)).toEqual({ value: 'd', result: 'miss' });
  });

  it('hands the refresh and the store write to the background hook (Workers waitUntil)', async () => {
    const t = setup();
    const handed: Array<Promise<unknown>> = [];
    const background = (p: Promise<unknown>): void => void handed.push(p);
    await t.cache.get('k', t.load('a'), () => policy, { background });
    expect(handed.length).toBe(1); // the write of the miss
    t.advance(2000);
    expect((await t.cache.get('k', t.load('b'), () => policy, { background })).result).toBe('stale');
    expect(handed.length).toBe(2); // the refresh
    await Promise.all(handed);
    await Promise.all(handed); // the refresh's own write was handed over too
    expect(handed.length).toBe(3);
    expect(await t.cache.get('k', t.load('c'), () => policy)).toEqual({ value: 'b', result: 'hit' });
  });

  it('coalesces identical concurrent loads into one', async () => {
    const t = setup();
    const all = await Promise.all(Array.from({ length: 10 }, () => t.cache.get('k', t.load('a'), () => policy)));
    expect(all.every((r) => r.value === 'a')).toBe(true);
    expect(t.loads()).toBe(1);
  });

  it('never stores a failed load, and every waiter sees the failure', async () => {
    const t = setup();
    const boom = async (): Promise<string> => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('vendor down');
    };
    const rs = await Promise.allSettled([t.cache.get('k', boom, () => policy), t.cache.get('k', boom, () => policy)]);
    expect(rs.every((r) => r.status === 'rejected')).toBe(true);
    expect(await t.cache.get('k', t.load('ok'), () => policy)).toEqual({ value: 'ok', result: 'miss' });
  });

  it('keeps null and values the policy refuses out of the cache', async () => {
    const t = setup();
    await t.cache.get('n', async () => null, () => policy);
    expect((await t.cache.get('n', t.load('x'), () => policy)).result).toBe('miss');
    await t.cache.get('r', t.load('no'), () => null);
    expect((await t.cache.get('r', t.load('yes'), () => policy)).value).toBe('yes');
  });

  it('bypass loads afresh and stores the new value', async () => {
    const t = setup();
    await t.cache.get('k', t.load('old'), () => policy);
    expect(await t.cache.get('k', t.load('new'), () => policy, { bypass: true })).toEqual({ value: 'new', result: 'bypass' });
    expect(await t.cache.get('k', t.load('x'), () => policy)).toEqual({ value: 'new', result: 'hit' });
    expect(t.metrics.value('simgate_cache_requests_total', { result: 'bypass' })).toBe(1);
  });

  it('a failing store degrades to loading, never to an error', async () => {
    const broken: CacheStore = {
      name: 'broken',
      get: async () => {
        throw new Error('ECONNREFUSED');
      },
      set: async () => {
        throw new Error('ECONNREFUSED');
      },
    };
    let errors = 0;
    const cache = new Cache(broken, Date.now, undefined, () => errors++);
    expect(await cache.get('k', async () => 'v', () => policy)).toEqual({ value: 'v', result: 'miss' });
    expect(errors).toBe(2);
  });

  it('the memory store is bounded by entries and bytes, least recently used first out', async () => {
    const s = new MemoryStore(3, 1 << 20);
    for (const k of ['a', 'b', 'c']) await s.set(k, k, 60_000);
    await s.get('a');
    await s.set('d', 'd', 60_000);
    expect(await s.get('b')).toBeNull();
    expect(await s.get('a')).toBe('a');
    expect(s.size).toBe(3);
    const small = new MemoryStore(100, 40);
    await small.set('x', 'x'.repeat(15), 60_000);
    await small.set('y', 'y'.repeat(15), 60_000);
    expect(await small.get('x')).toBeNull();
    expect(await small.get('y')).toBe('y'.repeat(15));
  });
});
