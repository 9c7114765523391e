/**
 * Reports over the run index's rollups.
 *
 * 1. A 30-day summary grouped by `provider,day` over 10,000 and over 100,000 indexed runs (memory store
 *    filled with runs spread over the 30 days: 5 providers × 3 agents × 8 scenarios, each sorted into its
 *    cell by the store as the sync would write it), computed as the route computes it (cells of the
 *    whole days, figures) in process: both stores held at once and timed in turn, round after round, median
 *    of 100. Target: latency at 100k ÷ latency at 10k ≤ 1.2 (the rollups make it flat). Baseline in the same run, for scale: the same figures computed by
 *    reading and parsing every run of the period from the same store (what a report without rollups
 *    costs). Also printed: heap per indexed run, rollup cells held, and the same summary grouped by `agent,day`
 *    (read from the fine cells: one per agent, scenario and day).
 * 2. The same report repeated 20 times with `Cache-Control: no-cache` against the five simulators (warm
 *    index): upstream list calls per source per report. Target: ≤ 1 (one head page each), 0 scorecards.
 * Run: node --expose-gc --import tsx bench/reports.ts   (PART1=1: the first part only)
 */
import type { GroupBy } from '../schemas/report.js';
import type { Run } from '../schemas/run.js';
import type { ProviderId } from '../schemas/run.js';
import { toIndexed } from '../src/index/absorb.js';
import { MemoryIndexStore } from '../src/index/memory.js';
import type { IndexedItem } from '../src/index/types.js';
import { periodCells } from '../src/reports/cells.js';
import { grainFor, summarize, totalsOf } from '../src/reports/figures.js';
import { DAY_MS, addContribution, rollOf, type Cell } from '../src/reports/rollup.js';
import { startGateway } from '../src/server.js';
import { client, untilReady, walk } from '../test/helpers.js';
import { f, header, median, startSimHost, tallyLogger, verdict } from './lib.js';
import { LIST_PATHS, PROVIDERS, SCORECARD_PATH } from './vendors.js';

const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (): number => {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
};

const TO = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const FROM = TO - 30 * DAY_MS;
const STATUSES: Array<[Run['status'], Run['outcome']]> = [
  ['completed', 'passed'],
  ['completed', 'passed'],
  ['completed', 'passed'],
  ['completed', 'failed'],
  ['failed', 'none'],
  ['running', 'none'],
  ['completed', 'none'],
  ['cancelled', 'none'],
];

/** A plausible run: a few agents and scenarios per provider, spread over the 30 days. */
function runAt(i: number, rnd: () => number): Run {
  const provider = PROVIDERS[i % PROVIDERS.length]!;
  const [status, outcome] = STATUSES[Math.floor(rnd() * STATUSES.length)]!;
  const t = FROM + Math.floor(rnd() * (TO - FROM));
  const a = Math.floor(rnd() * 3);
  const s = Math.floor(rnd() * 8);
  const duration = status === 'running' ? null : 20_000 + Math.floor(rnd() * rnd() * 600_000);
  return {
    id: `${provider}:run-${i}`,
    provider,
    native_id: `run-${i}`,
    group_id: null,
    agent: { id: `${provider}-agent-${a}`, name: `Agent ${a}` },
    scenario: { id: `${provider}-scn-${s}`, name: `Scenario ${s}` },
    channel: a === 2 ? 'web' : 'voice',
    target: a === 2 ? 'https://example.com/chat' : '+15550100',
    source: 'api',
    status,
    status_raw: status,
    outcome,
    score: outcome === 'none' ? null : { value: Math.round(rnd() * 100) / 100, raw: 0, max: 100 },
    started_at: new Date(t).toISOString(),
    started_at_precision: 'ms',
    ended_at: duration === null ? null : new Date(t + duration).toISOString(),
    duration_ms: duration,
    summary: 'a run of the benchmark, with a summary of some length to make its JSON realistic',
    recording: null,
    latency_ms: null,
  } as unknown as Run;
}

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

const sourceOf = (p: ProviderId): string => `bench|${p}|fp|runs|main`;

async function filled(n: number): Promise<{ store: MemoryIndexStore; heapPerRun: number }> {
  const before = heapUsed();
  const store = new MemoryIndexStore(10_000_000);
  const rnd = rng(n);
  const per = new Map<ProviderId, IndexedItem[]>();
  for (let i = 0; i < n; i++) {
    const r = runAt(i, rnd);
    const list = per.get(r.provider) ?? [];
    list.push(toIndexed(r, Date.now()));
    per.set(r.provider, list);
  }
  for (const [p, items] of per) await store.put(sourceOf(p), items);
  per.clear();
  return { store, heapPerRun: (heapUsed() - before) / n };
}

/** The report as the route computes it: each source's cells of the period, then the figures. */
async function rollupReport(store: MemoryIndexStore, groupBy: GroupBy[] = ['provider', 'day']): Promise<number> {
  const cells = new Map<ProviderId, Cell[]>();
  const grain = grainFor({}, groupBy);
  for (const p of PROVIDERS) cells.set(p, await periodCells(store, sourceOf(p), { from: FROM, to: TO }, grain));
  return summarize(cells, {}, groupBy, () => {}).groups.length;
}

/** The same figures from every run of the period, read and parsed (no rollups). */
async function scanReport(store: MemoryIndexStore): Promise<number> {
  const groups = new Map<string, { v: Record<string, number> }>();
  for (const p of PROVIDERS) {
    let after: [number, string] = [TO, ''];
    for (;;) {
      const batch = await store.range(sourceOf(p), after, 1000);
      for (const item of batch) {
        const r = JSON.parse(item.json) as Run;
        const roll = rollOf(r, item.final);
        const k = `${p} ${roll.d}`;
        const g = groups.get(k) ?? { v: {} };
        addContribution(g, roll.v);
        groups.set(k, g);
      }
      if (batch.length < 1000) break;
      after = [batch.at(-1)!.t, batch.at(-1)!.id];
    }
  }
  for (const g of groups.values()) totalsOf(g);
  return groups.size;
}

/**
 * Median times of `fns` run in turn, round after round (each round in a fresh order), after 3 warm-up rounds: on a
 * shared machine, drift then weighs on every one alike. Returns each one's median and its last answer.
 */
async function interleaved(fns: Array<() => Promise<number>>, rounds: number): Promise<Array<{ ms: number; groups: number }>> {
  const xs = fns.map(() => [] as number[]);
  const groups = fns.map(() => 0);
  for (let round = -3; round < rounds; round++) {
    const order = fns.map((_, i) => i).sort(() => Math.random() - 0.5);
    for (const i of order) {
      const t0 = performance.now();
      groups[i] = await fns[i]!();
      if (round >= 0) xs[i]!.push(performance.now() - t0);
    }
  }
  return xs.map((x, i) => ({ ms: median(x), groups: groups[i]! }));
}

async function part1(): Promise<void> {
  // both stores held at once, so that both sizes are timed in the same heap and the same moments
  const sizes = [10_000, 100_000];
  const held: Array<{ n: number; store: MemoryIndexStore; heap: number; cells: number }> = [];
  for (const n of sizes) {
    const { store, heapPerRun } = await filled(n);
    let cells = 0;
    for (const p of PROVIDERS) cells += (await store.cells(sourceOf(p), 0, 1e9, 0)).length + (await store.cells(sourceOf(p), 0, 1e9, 1)).length;
    held.push({ n, store, heap: heapPerRun, cells });
  }
  const coarse = await interleaved(held.map((h) => () => rollupReport(h.store)), 100);
  const fine = await interleaved(held.map((h) => () => rollupReport(h.store, ['agent', 'day'])), 30);
  const scan = await interleaved(held.map((h) => () => scanReport(h.store)), 5);
  const rows = held.map((h, i) => {
    if (coarse[i]!.groups !== scan[i]!.groups) throw new Error(`rollup report has ${coarse[i]!.groups} groups, the scan ${scan[i]!.groups}`);
    return { ...h, rollup: coarse[i]!.ms, groups: coarse[i]!.groups, scan: scan[i]!.ms, fine: fine[i]!.ms, fineGroups: fine[i]!.groups };
  });
  console.log('runs      rollup report   scan of every run   groups   cells held   heap per indexed run   agent,day (fine cells): latency, groups');
  for (const x of rows) console.log(`${String(x.n).padEnd(9)} ${f(x.rollup, 2).padStart(10)} ms   ${f(x.scan, 1).padStart(12)} ms   ${String(x.groups).padStart(6)}   ${String(x.cells).padStart(10)}   ${f(x.heap, 0).padStart(18)} B   ${f(x.fine, 2)} ms, ${x.fineGroups}`);
  const [small, large] = rows as [(typeof rows)[0], (typeof rows)[0]];
  verdict(
    {
      bench: 'reports/30-day-growth',
      metric: 'latency at 100k runs ÷ at 10k runs',
      value: large.rollup / small.rollup,
      target: '≤ 1.2×',
      note: `${f(small.rollup, 2)} → ${f(large.rollup, 2)} ms for provider,day; reading every run instead: ${f(small.scan, 0)} → ${f(large.scan, 0)} ms; agent,day from the fine cells: ${f(small.fine, 1)} → ${f(large.fine, 1)} ms`,
    },
    '<=',
    1.2,
  );
}

async function part2(): Promise<void> {
  const sims = await startSimHost({ limits: { perWindow: 1_000_000, concurrency: 200 } });
  const calls: Array<{ url: URL; start: number }> = [];
  const tracing: typeof fetch = async (input, init) => {
    calls.push({ url: new URL(input instanceof Request ? input.url : String(input)), start: Date.now() });
    return fetch(input, init);
  };
  const key = 'bench-reports-key';
  const gw = await startGateway({
    config: { tenants: { b: { keys: [{ key, scopes: ['runs:read', 'reports:read'] }], providers: sims.providers } }, providers: sims.tuning },
    log: tallyLogger(),
    fetch: tracing,
    warm: true,
  });
  await untilReady(client(gw.url, key, { cache: true }), 120_000);
  await walk(client(gw.url, key, { cache: true }), 'limit=100');
  const byOrigin = new Map(Object.entries(sims.providers).map(([p, t]) => [new URL(t!.baseUrl!).origin, p as ProviderId]));
  const perSource: number[] = [];
  let cards = 0;
  let partial = 0;
  const c = client(gw.url, key);
  for (let i = 0; i < 20; i++) {
    calls.length = 0;
    const r = await c.json<{ partial: boolean }>('/v1/reports/summary?group_by=provider,day');
    if (r.status !== 200) throw new Error(`report answered ${r.status}`);
    if (r.body.partial) partial += 1;
    const counts = new Map<string, number>();
    for (const { url } of calls) {
      const p = byOrigin.get(url.origin);
      if (!p) continue;
      if (url.pathname.startsWith(SCORECARD_PATH)) cards += 1;
      if (!LIST_PATHS[p].test(url.pathname)) continue;
      // a source: the list path with its filters, without its paging parameters
      const q = [...url.searchParams].filter(([k]) => !/^(page|offset|cursor|limit|page_size|size|per_page|starting_after)$/.test(k)).sort();
      const s = `${url.pathname}?${new URLSearchParams(q).toString()}`;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    perSource.push(Math.max(0, ...counts.values()));
  }
  await gw.close(100);
  await sims.close();
  console.log(`20 no-cache reports: list calls per source per report, max ${Math.max(...perSource)}, median ${median(perSource)}; scorecard calls ${cards}; partial answers ${partial}`);
  verdict({ bench: 'reports/no-cache', metric: 'list calls per source per report (max)', value: Math.max(...perSource), target: '≤ 1 head page', note: `scorecards ${cards}, partial ${partial}` }, '<=', 1);
}

async function main(): Promise<void> {
  if (process.env.PART1) return part1();
  header('reports: a 30-day summary over 10,000 and 100,000 indexed runs; repeated no-cache reports', 300);
  if (!gc) console.log('(run with node --expose-gc for the heap figures)');
  await part1();
  await part2();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
