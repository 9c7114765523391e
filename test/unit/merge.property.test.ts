/**
 * Property tests of the merge and cursor: random newest-first streams with many ties, in every
 * pagination style, split over several providers and sources, with runs added at the head while
 * the walk goes on. Every walk returns every original run exactly once, in order — also when
 * providers fail on random requests and catch up on later pages, live and through the run index.
 * The vendors here are in-memory fetch functions (the unit under test is the merge, not HTTP).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gateway } from '../../src/core/gateway.js';
import { LocalLimiter } from '../../src/core/limiter.js';
import { silentLogger } from '../../src/core/log.js';
import { RequestScope } from '../../src/core/scope.js';
import type { Adapter, ListSource, Pagination } from '../../src/core/types.js';
import type { ProviderId, Run } from '../../schemas/run.js';
import type { Config } from '../../src/config.js';
import { cmpKey, keyOf } from '../../src/core/merge.js';
import { GatewayError } from '../../src/core/errors.js';
import { MemoryIndexStore } from '../../src/index/memory.js';

type Style = 'offset' | 'page' | 'cursor';
interface Item {
  id: string;
  ts: number;
  seq: number;
}
interface Stream {
  style: Style;
  size: number;
  items: Item[];
}

/** The vendor's order: newest first; among equal times the later-inserted first. */
const vendorSort = (xs: Item[]): Item[] => [...xs].sort((a, b) => b.ts - a.ts || b.seq - a.seq);

/** `fail(stream)` true: that request answers 500 (a vendor failing for a while). */
function fakeVendor(streams: Map<string, Stream>, fail: (stream: string) => boolean = () => false): typeof fetch {
  return async (input) => {
    const u = new URL(String(input));
    const sid = u.pathname.slice(1);
    if (fail(sid)) return new Response(JSON.stringify({ error: 'down' }), { status: 500, headers: { 'content-type': 'application/json' } });
    const s = streams.get(sid)!;
    const items = vendorSort(s.items);
    const size = Number(u.searchParams.get('size'));
    let page: Item[];
    let extra: Record<string, unknown> = {};
    if (s.style === 'offset') {
      const off = Number(u.searchParams.get('offset'));
      page = items.slice(off, off + size);
      extra = { hasMore: off + page.length < items.length };
    } else if (s.style === 'page') {
      const p = Number(u.searchParams.get('page'));
      page = items.slice((p - 1) * size, p * size);
      extra = { hasNext: p * size < items.length };
    } else {
      const cur = u.searchParams.get('cursor');
      const rest = cur === null ? items : items.filter((x) => x.ts <= Number(cur));
      page = rest.slice(0, size);
      extra = { next: rest.length > size ? String(page.at(-1)!.ts) : null };
    }
    return new Response(JSON.stringify({ items: page, ...extra }), { headers: { 'content-type': 'application/json' } });
  };
}

function runOf(provider: ProviderId, x: Item): Run {
  return {
    id: `${provider}:${x.id}`,
    provider,
    native_id: x.id,
    group_id: null,
    agent: { id: null, name: null },
    scenario: { id: null, name: null },
    channel: 'voice',
    target: null,
    source: 'unknown',
    status: 'completed',
    status_raw: 'x',
    outcome: 'passed',
    score: null,
    started_at: new Date(x.ts).toISOString(),
    started_at_precision: 'ms',
    ended_at: null,
    duration_ms: null,
    summary: null,
    recording: null,
    latency_ms: null,
  };
}

function pagination(style: Style, size: number): Pagination {
  const body = (b: unknown) => b as { hasMore?: boolean; hasNext?: boolean; next?: string | null };
  if (style === 'offset') return { style, offsetParam: 'offset', limitParam: 'size', size, hasMore: (b) => body(b).hasMore === true };
  if (style === 'page') return { style, pageParam: 'page', sizeParam: 'size', firstPage: 1, size, hasMore: (b) => body(b).hasNext === true };
  return { style, cursorParam: 'cursor', limitParam: 'size', size, inclusive: true, next: (b) => body(b).next ?? null };
}

function adapterFor(provider: ProviderId, sourceIds: string[], streams: Map<string, Stream>): Adapter {
  return {
    id: provider,
    spec: { name: provider, defaultBaseUrl: 'http://vendor.test', auth: { header: 'x-key' }, limits: { perMinute: 1e9, concurrency: 100 }, timeoutMs: 5000, errorMessage: () => undefined },
    capabilities: { filters_pushed_down: [], has_transcripts: false, has_recordings: false, has_scores: false, has_groups: false },
    sources: async () =>
      sourceIds.map((sid): ListSource => {
        const s = streams.get(sid)!;
        return {
          id: sid,
          path: `/${sid}`,
          query: {},
          pagination: pagination(s.style, s.size),
          items: (b) => (b as { items: Item[] }).items,
          map: (x) => [runOf(provider, x as Item)],
        };
      }),
    getRun: async () => null,
  };
}

const PROVIDERS: ProviderId[] = ['pathsim', 'synthflow', 'cekura'];

/** Streams of a scenario (tie groups of an inclusive-cursor vendor kept below its page size) and which provider reads each. */
function build(specs: Array<{ style: Style; size: number; times: number[]; provider: number }>): {
  streams: Map<string, Stream>;
  byProvider: Map<ProviderId, string[]>;
  original: string[];
} {
  const streams = new Map<string, Stream>();
  const byProvider = new Map<ProviderId, string[]>();
  let seq = 0;
  specs.forEach((sp, i) => {
    const sid = `s${i}`;
    const counts = new Map<number, number>();
    const times = sp.times.filter((t) => {
      const n = (counts.get(t) ?? 0) + 1;
      counts.set(t, n);
      return sp.style !== 'cursor' || n < sp.size;
    });
    streams.set(sid, { style: sp.style, size: sp.size, items: times.map((t) => ({ id: `${sid}-${seq}`, ts: 1_000_000 + t * 1000, seq: seq++ })) });
    const p = PROVIDERS[sp.provider]!;
    byProvider.set(p, [...(byProvider.get(p) ?? []), sid]);
  });
  return { streams, byProvider, original: [...streams.values()].flatMap((s) => s.items.map((x) => x.id)) };
}

/** A gateway over the in-memory vendors (with the run index when `indexStore` is given), no retries. */
function gatewayOver(streams: Map<string, Stream>, byProvider: Map<ProviderId, string[]>, fail: (sid: string) => boolean, indexStore?: MemoryIndexStore): Gateway {
  const adapters: Partial<Record<ProviderId, Adapter>> = {};
  const providers: Config['tenants'][string]['providers'] = {};
  const tuning: NonNullable<Config['providers']> = {};
  for (const [p, sids] of byProvider) {
    adapters[p] = adapterFor(p, sids, streams);
    providers[p] = { apiKey: `key-${p}` };
    tuning[p] = { retries: 0, breaker: { failures: 1000 } };
  }
  return new Gateway({
    config: { tenants: { t: { keys: [{ key: 'k', scopes: ['runs:read'] }], providers } }, providers: tuning },
    adapters,
    fetch: fakeVendor(streams, fail),
    limiter: new LocalLimiter(),
    log: silentLogger,
    clock: Date.now,
    cursorSecret: 'prop',
    ...(indexStore ? { indexStore } : {}),
  });
}

/**
 * Walks to the end; a page on which every provider failed (an error) is asked again. Returns the runs and
 * whether any page was partial.
 */
async function walkAll(gw: Gateway, limit: number, scope: () => RequestScope): Promise<{ runs: Run[]; partial: boolean }> {
  const runs: Run[] = [];
  let partial = false;
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    expect(pages).toBeLessThan(2000);
    let page;
    try {
      page = await gw.listRuns('t', {}, { limit, cursor, include: [] }, scope());
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e;
      continue;
    }
    partial ||= page.partial;
    runs.push(...page.data);
    cursor = page.next_cursor ?? undefined;
    if (!cursor) return { runs, partial };
  }
}

/** Failures: for each listed stream, its vendor requests number `from` … `from + count - 1` answer 500. */
const failures = fc.array(fc.record({ stream: fc.nat(), from: fc.integer({ min: 0, max: 6 }), count: fc.integer({ min: 1, max: 4 }) }), { maxLength: 4 });

function failing(streams: Map<string, Stream>, plan: Array<{ stream: number; from: number; count: number }>): (sid: string) => boolean {
  const ids = [...streams.keys()];
  const asked = new Map<string, number>();
  return (sid) => {
    const n = asked.get(sid) ?? 0;
    asked.set(sid, n + 1);
    return plan.some((f) => ids[f.stream % ids.length] === sid && n >= f.from && n < f.from + f.count);
  };
}

const scenario = fc.record({
  streams: fc.array(
    fc.record({
      style: fc.constantFrom<Style>('offset', 'page', 'cursor'),
      size: fc.integer({ min: 3, max: 9 }),
      // few distinct times: many ties, also across page boundaries
      times: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 0, maxLength: 40 }),
      provider: fc.integer({ min: 0, max: PROVIDERS.length - 1 }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  limit: fc.integer({ min: 1, max: 12 }),
  inserts: fc.array(fc.record({ stream: fc.nat(), count: fc.integer({ min: 1, max: 3 }), tie: fc.boolean() }), { maxLength: 6 }),
});

describe('merge + cursor properties', () => {
  it('every walk returns every original run exactly once, newest first, while runs are added at the head', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ streams: specs, limit, inserts }) => {
        const { streams, byProvider, original } = build(specs);
        let seq = [...streams.values()].reduce((n, st) => n + st.items.length, 0);
        const gw = gatewayOver(streams, byProvider, () => false);
        const out: Run[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await gw.listRuns('t', {}, { limit, cursor, include: [] }, new RequestScope());
          out.push(...page.data);
          expect(page.partial).toBe(false);
          cursor = page.next_cursor ?? undefined;
          const ins = inserts[pages];
          if (ins && cursor) {
            const s = [...streams.values()][ins.stream % streams.size]!;
            const max = Math.max(1_000_000, ...s.items.map((x) => x.ts));
            // (a tie must not grow an inclusive-cursor vendor's group to its page size, as above)
            const tieRoom = s.style !== 'cursor' || s.items.filter((x) => x.ts === max).length + ins.count < s.size;
            for (let k = 0; k < ins.count; k++) s.items.push({ id: `new-${seq}`, ts: ins.tie && tieRoom ? max : max + 1000 * (k + 1), seq: seq++ });
          }
          pages += 1;
          expect(pages).toBeLessThan(500);
        } while (cursor);
        const ids = out.map((r) => r.native_id);
        expect(new Set(ids).size).toBe(ids.length);
        const got = new Set(ids);
        expect(original.filter((id) => !got.has(id))).toEqual([]);
        for (let i = 1; i < out.length; i++) expect(cmpKey(keyOf(out[i - 1]!), keyOf(out[i]!))).toBeLessThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('with providers failing on random requests, every run comes exactly once (live walk)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, failures, async ({ streams: specs, limit }, plan) => {
        const { streams, byProvider, original } = build(specs);
        const gw = gatewayOver(streams, byProvider, failing(streams, plan));
        const { runs } = await walkAll(gw, limit, () => new RequestScope());
        const ids = runs.map((r) => r.native_id);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual([...original].sort());
      }),
      { numRuns: 150 },
    );
  });

  it('with providers failing on random requests, every run comes exactly once (through the run index)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, failures, async ({ streams: specs, limit }, plan) => {
        const { streams, byProvider, original } = build(specs);
        const gw = gatewayOver(streams, byProvider, failing(streams, plan), new MemoryIndexStore());
        try {
          // no-cache: a failed sync is tried again at once, not after its backoff
          const { runs } = await walkAll(gw, limit, () => new RequestScope(true, undefined, undefined, Date.now() + 2000));
          const ids = runs.map((r) => r.native_id);
          expect(new Set(ids).size).toBe(ids.length);
          expect([...ids].sort()).toEqual([...original].sort());
        } finally {
          await gw.index?.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
