/**
 * What every IndexStore (memory, Redis, later Workers) must do, as one suite each store's test file
 * runs: keyset order equal to `cmpKey` over random data full of ties and ids sharing prefixes, paging
 * that reaches every item once, replacing (a changed `t` moves the item), unfinished items, stats,
 * documents, leases, sources isolated from each other, and items that come back as they were put; the
 * rollup cells always equal the sum of the contributions of the items held, however often items are
 * replaced (a run that changes bucket moves once), and only final marks name a cell's newest run.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cmpKey, type Key } from '../../src/core/cursor.js';
import type { IndexedItem, IndexStore } from '../../src/index/types.js';
import { addCounters, newer, type Cell, type Roll } from '../../src/reports/rollup.js';

export type StoreUnderTest = { store: IndexStore; close: () => Promise<void> };

const keyOf = (i: IndexedItem): Key => [i.t, i.id];
const inOrder = (xs: Iterable<IndexedItem>): IndexedItem[] => [...xs].sort((a, b) => cmpKey(keyOf(a), keyOf(b)));
/** The order `unfinished` promises: least recently seen first; equal `seen` in keyset order. */
const bySeen = (xs: Iterable<IndexedItem>): IndexedItem[] => [...xs].sort((a, b) => a.seen - b.seen || cmpKey(keyOf(a), keyOf(b)));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Around now (epoch ms): small ranges make ties on `t` and `seen` frequent. */
const BASE = 1_751_000_000_000;
const ID_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:-'];
/** Ids that share prefixes and sit on both sides of the separators in byte order. */
const TRICKY_IDS = ['a', 'a:1', 'a-1', 'A', '~', 'a.1', 'a_1', 'a~', 'a:', 'a:1:2', 'a:10', 'a:2', 'aa', '0', '9', 'Z', '-', '.', '_'];

const idArb = fc.oneof(
  { arbitrary: fc.constantFrom(...TRICKY_IDS), weight: 4 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...'aA0:-._~z'), minLength: 1, maxLength: 5 }), weight: 3 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...'a:-'), minLength: 380, maxLength: 400 }), weight: 1 },
);
const tArb = fc.oneof(
  { arbitrary: fc.integer({ min: BASE, max: BASE + 3 }), weight: 5 },
  { arbitrary: fc.constantFrom(0, 1, 2 ** 52, 2 ** 52 + 1, 9e15 - 1, 9e15), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 9e15 }), weight: 1 },
);
/** The item's text: any JSON, any code point, quotes, backslashes and a lone surrogate. */
const jsonArb = fc.oneof(
  fc.json(),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', '"', '\\', '{"t":1,"x":"\\u0000"}', '\ud800 lone', 'ünïcødé ✓ 🐢'),
);
const itemArb: fc.Arbitrary<IndexedItem> = fc.record({
  id: idArb,
  t: tArb,
  final: fc.boolean(),
  seen: fc.integer({ min: BASE, max: BASE + 4 }),
  json: jsonArb,
});
const batchesArb = fc.array(fc.array(itemArb, { maxLength: 12 }), { minLength: 1, maxLength: 5 });
/** A range start: held keys, keys between items (fractional t, absent ids) and keys beyond both ends. */
const afterArb = (held: IndexedItem[]): fc.Arbitrary<Key | null> =>
  fc.oneof(
    fc.constant(null),
    held.length ? fc.constantFrom(...held.map(keyOf)) : fc.constant(null),
    fc.tuple(fc.oneof(tArb, tArb.map((t) => t + 0.5), fc.constantFrom(-1, -0.5, 9e15 + 1)), idArb),
  );

function item(id: string, t: number, o: Partial<IndexedItem> = {}): IndexedItem {
  return { id, t, final: false, seen: BASE, json: JSON.stringify({ id, t }), ...o };
}

/** Puts `batches` into `store` and into a model (id → last item written); checks each put's count of new ids. */
async function fill(store: IndexStore, source: string, batches: IndexedItem[][]): Promise<Map<string, IndexedItem>> {
  const model = new Map<string, IndexedItem>();
  for (const batch of batches) {
    const fresh = new Set(batch.map((i) => i.id).filter((id) => !model.has(id)));
    expect(await store.put(source, batch)).toBe(fresh.size);
    for (const i of batch) model.set(i.id, { ...i });
  }
  return model;
}

async function walk(store: IndexStore, source: string, page: number): Promise<IndexedItem[]> {
  const out: IndexedItem[] = [];
  let after: Key | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const got = await store.range(source, after, page);
    expect(got.length).toBeLessThanOrEqual(page);
    out.push(...got);
    if (got.length < page) return out;
    after = keyOf(got.at(-1)!);
  }
  throw new Error('range never ended');
}

export function indexStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(name, () => {
    let sut: StoreUnderTest;
    let store: IndexStore;
    let n = 0;
    /** A source of its own for every property run, in the engine's `tenant|provider|fingerprint|kind|source` form. */
    const fresh = (): string => `tenant|pathsim|fp${n}|runs|src:${n++}`;
    beforeEach(async () => {
      sut = await make();
      store = sut.store;
    });
    afterEach(async () => sut.close());

    it('is healthy and has room when new', async () => {
      expect(store.healthy()).toBe(true);
      expect(await store.room('s')).toBe(true);
      expect(typeof store.name).toBe('string');
    });

    it('keeps items in cmpKey order, whatever the ties on t and the ids sharing prefixes', async () => {
      await fc.assert(
        fc.asyncProperty(batchesArb, async (batches) => {
          const source = fresh();
          const model = await fill(store, source, batches);
          expect(await store.range(source, null, 10_000)).toEqual(inOrder(model.values()));
        }),
        { numRuns: 80 },
      );
    });

    it('pages with range reach every item exactly once, in order, for any page size and any start', async () => {
      await fc.assert(
        fc.asyncProperty(
          batchesArb.chain((b) => {
            const held = [...new Map(b.flat().map((i) => [i.id, i])).values()];
            return fc.tuple(fc.constant(b), fc.integer({ min: 1, max: 9 }), afterArb(held), fc.integer({ min: 0, max: 12 }));
          }),
          async ([batches, page, after, limit]) => {
            const source = fresh();
            const all = inOrder((await fill(store, source, batches)).values());
            const walked = await walk(store, source, page);
            expect(walked).toEqual(all);
            expect(new Set(walked.map((i) => i.id)).size).toBe(walked.length);
            const expected = all.filter((i) => after === null || cmpKey(keyOf(i), after) > 0).slice(0, limit);
            expect(await store.range(source, after, limit)).toEqual(expected);
          },
        ),
        { numRuns: 80 },
      );
    });

    it('lists unfinished items least recently seen first, and only those', async () => {
      await fc.assert(
        fc.asyncProperty(batchesArb, fc.integer({ min: 1, max: 40 }), async (batches, limit) => {
          const source = fresh();
          const model = await fill(store, source, batches);
          const open = bySeen([...model.values()].filter((i) => !i.final));
          expect(await store.unfinished(source, limit)).toEqual(open.slice(0, limit));
          const s = await store.stats(source);
          const all = inOrder(model.values());
          expect(s).toEqual({ items: all.length, oldest: all.at(-1)?.t ?? null, newest: all[0]?.t ?? null });
        }),
        { numRuns: 60 },
      );
    });

    it('moves an item whose t changed, without a duplicate', async () => {
      const s = fresh();
      expect(await store.put(s, [item('a', 10), item('b', 5), item('c', 1)])).toBe(3);
      expect(await store.put(s, [item('a', 3, { json: 'moved' })])).toBe(0);
      expect((await store.range(s, null, 10)).map((i) => i.id)).toEqual(['b', 'a', 'c']);
      expect((await store.range(s, [5, 'b'], 10)).map((i) => [i.id, i.t])).toEqual([['a', 3], ['c', 1]]);
      expect(await store.range(s, [10, 'a'], 1)).toEqual([item('b', 5)]);
      expect((await store.get(s, ['a'])).get('a')).toEqual(item('a', 3, { json: 'moved' }));
      expect(await store.stats(s)).toEqual({ items: 3, oldest: 1, newest: 5 });
      // moving to the top and to a tie on t, ordered by id there
      await store.put(s, [item('c', 5)]);
      expect((await store.range(s, null, 10)).map((i) => i.id)).toEqual(['b', 'c', 'a']);
      await store.put(s, [item('a', 5)]);
      expect((await store.range(s, null, 10)).map((i) => i.id)).toEqual(['a', 'b', 'c']);
      expect(await store.stats(s)).toEqual({ items: 3, oldest: 5, newest: 5 });
    });

    it('replaces an item with the same t in place', async () => {
      const s = fresh();
      await store.put(s, [item('x', 7), item('y', 7)]);
      expect(await store.put(s, [item('x', 7, { json: 'v2', final: true, seen: BASE + 9 })])).toBe(0);
      expect(await store.range(s, null, 10)).toEqual([item('x', 7, { json: 'v2', final: true, seen: BASE + 9 }), item('y', 7)]);
    });

    it('put returns the number of new ids; an id repeated in one batch counts once and its last write wins', async () => {
      const s = fresh();
      expect(await store.put(s, [])).toBe(0);
      expect(await store.put(s, [item('a', 1), item('a', 2, { json: 'last' }), item('b', 1)])).toBe(2);
      expect(await store.put(s, [item('b', 1), item('c', 9), item('c', 9)])).toBe(1);
      expect(await store.range(s, null, 10)).toEqual([item('c', 9), item('a', 2, { json: 'last' }), item('b', 1)]);
      expect((await store.stats(s)).items).toBe(3);
    });

    it('gives back items equal to what was put, as copies', async () => {
      const s = fresh();
      const input = item('id:1', 42, { json: '{"raw":{"a":[1,"é"]}}', seen: BASE + 1 });
      const original = { ...input };
      await store.put(s, [input]);
      input.t = 1;
      input.json = 'mutated after put';
      const got = (await store.get(s, ['id:1'])).get('id:1')!;
      expect(got).toEqual(original);
      got.json = 'mutated after get';
      const [ranged] = await store.range(s, null, 1);
      expect(ranged).toEqual(original);
      ranged!.final = true;
      expect(await store.unfinished(s, 5)).toEqual([original]);
      expect((await store.get(s, ['id:1'])).get('id:1')).toEqual(original);
    });

    it('get returns the held items among the ids and leaves absent ones out', async () => {
      const s = fresh();
      await store.put(s, [item('a', 1), item('b', 2)]);
      const got = await store.get(s, ['b', 'nope', 'a', 'b']);
      expect([...got.keys()].sort()).toEqual(['a', 'b']);
      expect(got.get('a')).toEqual(item('a', 1));
      expect((await store.get(s, [])).size).toBe(0);
      expect((await store.get(fresh(), ['a'])).size).toBe(0);
    });

    it('range: limit 0, after the last item, and an empty source give nothing', async () => {
      const s = fresh();
      expect(await store.range(s, null, 5)).toEqual([]);
      expect(await store.stats(s)).toEqual({ items: 0, oldest: null, newest: null });
      expect(await store.unfinished(s, 5)).toEqual([]);
      await store.put(s, [item('a', 2), item('b', 1)]);
      expect(await store.range(s, null, 0)).toEqual([]);
      expect(await store.range(s, [1, 'b'], 5)).toEqual([]);
      expect(await store.range(s, [1, 'a'], 5)).toEqual([item('b', 1)]);
      expect(await store.range(s, [1.5, 'zzz'], 5)).toEqual([item('b', 1)]);
      expect(await store.range(s, [2, 'a0'], 5)).toEqual([item('b', 1)]);
      expect(await store.range(s, [3, 'a'], 1)).toEqual([item('a', 2)]);
    });

    it('unfinished: finishing an item removes it, seeing it again sends it to the back, a move keeps it once', async () => {
      const s = fresh();
      await store.put(s, [item('a', 5, { seen: BASE + 3 }), item('b', 4, { seen: BASE + 1 }), item('c', 3, { seen: BASE + 2 }), item('d', 2, { final: true, seen: 0 })]);
      expect((await store.unfinished(s, 10)).map((i) => i.id)).toEqual(['b', 'c', 'a']);
      expect((await store.unfinished(s, 2)).map((i) => i.id)).toEqual(['b', 'c']);
      await store.put(s, [item('b', 4, { seen: BASE + 9 })]);
      expect((await store.unfinished(s, 10)).map((i) => i.id)).toEqual(['c', 'a', 'b']);
      await store.put(s, [item('c', 3, { final: true, seen: BASE + 10 })]);
      expect((await store.unfinished(s, 10)).map((i) => i.id)).toEqual(['a', 'b']);
      await store.put(s, [item('a', 1, { seen: BASE + 3 })]);
      expect(await store.unfinished(s, 10)).toEqual([item('a', 1, { seen: BASE + 3 }), item('b', 4, { seen: BASE + 9 })]);
      // an item that was final and is seen unfinished again (a vendor re-opened it) comes back
      await store.put(s, [item('d', 2, { seen: BASE })]);
      expect((await store.unfinished(s, 10)).map((i) => i.id)).toEqual(['d', 'a', 'b']);
      expect((await store.stats(s)).items).toBe(4);
    });

    it('keeps small documents per source, and getDocs answers in the order asked with nulls', async () => {
      const [s1, s2] = [fresh(), fresh()];
      expect(await store.getDoc(s1, 'pos')).toBeNull();
      await store.setDoc(s1, 'pos', '{"page":1}');
      await store.setDoc(s1, 'pos', '{"page":2}');
      await store.setDoc(s1, 'fresh', '"é ✓"');
      await store.setDoc(s2, 'pos', '{"page":9}');
      expect(await store.getDoc(s1, 'pos')).toBe('{"page":2}');
      expect(await store.getDoc(s2, 'fresh')).toBeNull();
      const keys: Array<[string, string]> = [[s2, 'pos'], [s1, 'missing'], [s1, 'fresh'], [fresh(), 'pos'], [s1, 'pos'], [s2, 'pos']];
      expect(await store.getDocs(keys)).toEqual(['{"page":9}', null, '"é ✓"', null, '{"page":2}', '{"page":9}']);
      expect(await store.getDocs([])).toEqual([]);
    });

    it('leases: exclusive, renewed by their owner, released only by their owner', async () => {
      const s = fresh();
      expect(await store.lease(s, 'A', 10_000)).toBe(true);
      expect(await store.lease(s, 'B', 10_000)).toBe(false);
      expect(await store.lease(s, 'A', 10_000)).toBe(true);
      await store.release(s, 'B');
      expect(await store.lease(s, 'B', 10_000)).toBe(false);
      await store.release(s, 'A');
      expect(await store.lease(s, 'B', 10_000)).toBe(true);
      expect(await store.lease(s, 'A', 10_000)).toBe(false);
      await store.release(fresh(), 'B');
      // the lease of another source is another lease
      const other = fresh();
      expect(await store.lease(other, 'A', 10_000)).toBe(true);
      expect(await store.lease(s, 'A', 10_000)).toBe(false);
    });

    it('a lease expires after its ttl, and renewing it pushes the expiry back', async () => {
      const s = fresh();
      expect(await store.lease(s, 'A', 150)).toBe(true);
      await sleep(300);
      expect(await store.lease(s, 'B', 400)).toBe(true); // until ~400 ms from here
      await sleep(250);
      expect(await store.lease(s, 'B', 800)).toBe(true); // renewed at ~250 ms, until ~1050 ms
      await sleep(300); // ~550 ms: past the first ttl
      expect(await store.lease(s, 'A', 10_000)).toBe(false);
      await sleep(700); // ~1250 ms: past the renewed one
      expect(await store.lease(s, 'A', 10_000)).toBe(true);
    });

    it('keeps sources apart: the same id in two sources is two items', async () => {
      const [s1, s2] = [fresh(), fresh()];
      await store.put(s1, [item('same', 10, { json: 'one' }), item('only1', 5)]);
      expect(await store.put(s2, [item('same', 20, { json: 'two', final: true })])).toBe(1);
      expect(await store.range(s1, null, 10)).toEqual([item('same', 10, { json: 'one' }), item('only1', 5)]);
      expect(await store.range(s2, null, 10)).toEqual([item('same', 20, { json: 'two', final: true })]);
      expect((await store.get(s2, ['same', 'only1'])).size).toBe(1);
      expect(await store.unfinished(s2, 10)).toEqual([]);
      expect((await store.unfinished(s1, 10)).length).toBe(2);
      expect(await store.stats(s1)).toEqual({ items: 2, oldest: 5, newest: 10 });
      expect(await store.stats(s2)).toEqual({ items: 1, oldest: 20, newest: 20 });
    });

    describe('rollup cells', () => {
      const CELLS = ['["pathsim","a1","Agent 1",null,null,"voice",null]', '["pathsim","a2","Agent \\u0001 two","s","S","web","+1"]', '["cekura",null,null,"s2","Süß ✓","chat",null]'];
      const rollArb: fc.Arbitrary<Roll> = fc
        .record({
          d: fc.integer({ min: 20_000, max: 20_003 }),
          c: fc.constantFrom(...CELLS),
          bucket: fc.constantFrom('p', 'f', 'e', 'w', 'x', 'ne', null),
          score: fc.option(fc.integer({ min: 0, max: 1_000_000 })),
          bin: fc.option(fc.constantFrom('z', '-3', '0', '512', '1401')),
          mark: fc.boolean(),
          g: fc.option(fc.constantFrom('["pathsim"]', '["cekura"]'), { nil: undefined }),
        })
        .map(({ d, c, bucket, score, bin, g }) => {
          const v: Record<string, number> = { n: 1 };
          if (bucket) v[bucket] = 1;
          if (score !== null) Object.assign(v, { sn: 1, ss: score });
          if (bin !== null) Object.assign(v, { dn: 1, [`k${bin}`]: 1 });
          return { d, c, v, ...(g ? { g } : {}) };
        });
      const opArb = fc.record({ id: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5'), roll: fc.option(rollArb, { nil: undefined }), final: fc.boolean(), t: fc.integer({ min: 0, max: 5 }) });

      /** The cells of a grain the held items add up to (marks from final items, in fine cells only). */
      function expected(held: Map<string, IndexedItem>, grain: 0 | 1): Cell[] {
        const cells = new Map<string, Cell>();
        for (const i of held.values()) {
          const r = i.roll;
          const key = grain ? r?.g : r?.c;
          if (!r || key === undefined) continue;
          const k = `${r.d} ${key}`;
          let c = cells.get(k);
          if (!c) cells.set(k, (c = { d: r.d, c: key, v: {} }));
          addCounters(c.v, r.v);
          if (grain === 0 && r.lp) c.lp = newer(c.lp, r.lp);
        }
        return [...cells.values()];
      }
      const sorted = (cs: Cell[]): Cell[] => [...cs].sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0));
      /** A store's cell with its dense duration bins back as `k<bin>` counters (the form the contributions carry). */
      const flat = (c: Cell): Record<string, number> => {
        const v = { ...c.v };
        if (c.b?.z) v['kz'] = c.b.z;
        c.b?.c.forEach((n, i) => n !== 0 && (v[`k${c.b!.lo + i}`] = n));
        return v;
      };

      it('equal the sum of the held items\' contributions after any sequence of puts and replacements', async () => {
        let round = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), async (batches) => {
            const source = `t|p|f|runs|roll-${round++}`;
            const held = new Map<string, IndexedItem>();
            for (const batch of batches) {
              const puts: IndexedItem[] = [];
              for (const op of batch) {
                // a mark only on final items that stay final (as the sync writes them)
                const before = held.get(op.id);
                if (before?.final) continue;
                const roll = op.roll && op.final && op.roll.v['p'] ? { ...op.roll, lp: [BASE + op.t, op.id] as [number, string] } : op.roll;
                const it = item(op.id, BASE + op.t, { final: op.final, ...(roll ? { roll } : {}) });
                puts.push(it);
              }
              // one put per id in a batch (a page maps each id once)
              const once = new Map(puts.map((p) => [p.id, p]));
              await store.put(source, [...once.values()]);
              for (const p of once.values()) held.set(p.id, p);
            }
            for (const grain of [0, 1] as const) {
              const got = sorted(await store.cells(source, 19_000, 21_000, grain));
              const want = sorted(expected(held, grain));
              expect(got.map((c) => ({ d: c.d, c: c.c, v: flat(c), lp: c.lp }))).toEqual(want.map((c) => ({ d: c.d, c: c.c, v: c.v, lp: c.lp })));
              // one form for equal bins: no zero count at either end
              for (const c of got) if (c.b?.c.length) expect([c.b.c[0], c.b.c.at(-1)]).not.toContain(0);
            }
          }),
          { numRuns: 100 },
        );
      });

      it('a run that goes from running to completed moves from pending to passed once, and the days asked for bound the answer', async () => {
        const source = 't|p|f|runs|move';
        const c = CELLS[0]!;
        await store.put(source, [item('r', BASE, { roll: { d: 20_001, c, v: { n: 1, w: 1 } } }), item('q', BASE, { roll: { d: 20_002, c, v: { n: 1, w: 1 } } })]);
        await store.put(source, [item('r', BASE, { final: true, roll: { d: 20_001, c, v: { n: 1, p: 1, sn: 1, ss: 900_000 }, lp: [BASE, 'r'] } })]);
        await store.put(source, [item('r', BASE, { final: true, roll: { d: 20_001, c, v: { n: 1, p: 1, sn: 1, ss: 900_000 }, lp: [BASE, 'r'] } })]);
        expect(await store.cells(source, 20_001, 20_002)).toEqual([{ d: 20_001, c, v: { n: 1, p: 1, sn: 1, ss: 900_000 }, lp: [BASE, 'r'] }]);
        expect((await store.cells(source, 20_000, 20_003)).map((x) => x.d).sort()).toEqual([20_001, 20_002]);
        expect(await store.cells('t|p|f|runs|other', 20_000, 20_003)).toEqual([]);
      });
    });
  });
}
