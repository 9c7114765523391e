/** The index store contract against the embedded MemoryIndexStore, plus its bound (`maxItems`, `size`). */
import { describe, expect, it } from 'vitest';
import { MemoryIndexStore } from '../../src/index/memory.js';
import type { IndexedItem } from '../../src/index/types.js';
import { indexStoreContract } from './index-store.contract.js';

indexStoreContract('MemoryIndexStore', async () => ({ store: new MemoryIndexStore(), close: async () => {} }));

const item = (id: string, t: number): IndexedItem => ({ id, t, final: false, seen: 0, json: '{}' });

describe('MemoryIndexStore bound', () => {
  it('has room until maxItems items are held over every source; replacing adds nothing', async () => {
    const store = new MemoryIndexStore(3);
    expect(store.size).toBe(0);
    expect(await store.put('s1', [item('a', 1), item('b', 2)])).toBe(2);
    expect(await store.room()).toBe(true);
    await store.put('s1', [item('a', 5), item('b', 2)]);
    expect(store.size).toBe(2);
    expect(await store.room()).toBe(true);
    await store.put('s2', [item('a', 1)]);
    expect(store.size).toBe(3);
    expect(await store.room()).toBe(false);
    // still takes writes (head syncs and refreshes): the bound only tells backfills to stop
    expect(await store.put('s2', [item('b', 1)])).toBe(1);
    expect(store.size).toBe(4);
    expect((await store.range('s2', null, 10)).map((i) => i.id)).toEqual(['a', 'b']);
  });

  it('defaults to 250,000 items', () => {
    expect(new MemoryIndexStore().maxItems).toBe(250_000);
  });

  it('lease expiry follows the injected clock', async () => {
    let now = 1000;
    const store = new MemoryIndexStore(10, () => now);
    expect(await store.lease('s', 'A', 100)).toBe(true);
    now = 1099;
    expect(await store.lease('s', 'B', 100)).toBe(false);
    now = 1100;
    expect(await store.lease('s', 'B', 100)).toBe(true);
  });
});
