/**
 * A cold full walk of `GET /v1/runs?limit=50` with every vendor at its published limits (PathSim
 * 100/min & 10 concurrent, Synthflow/SigmaMind/Cekura 120/min & 5, Sales Lab 60/min), through a
 * gateway with no tuning and a client that does not send `no-cache`; then the same walk again a
 * minute after the first one ended.
 *
 * Baseline, measured in the same run: the vendor's own minimum of list calls at page size 100 — a
 * bare client walks each vendor's run list directly (bench/vendors.ts) on a second simulator set with
 * the same seed and `now` (the same data) and raised limits, so that it spends none of the first
 * set's budget. Targets: list calls of the cold walk ÷ that minimum ≤ 1.05 per provider; list calls
 * of the second walk ÷ sources ≤ 1 per provider (one head page per source at most).
 * Also printed: time to the first page, partial pages and why, time until GET /v1/providers says
 * every index is ready, the walk's duration, scorecard calls vs scored sessions, the vendors' limit
 * violations (target 0).
 * Run: npx tsx bench/cold-walk.ts    (about 4 minutes: Sales Lab's 60/min sets the pace)
 */
import { startSimulators, type SimulatorSet } from '../adapters/simulators.js';
import type { ProviderId, Run, RunList } from '../schemas/run.js';
import { startGateway } from '../src/server.js';
import { nativeIds, truthOf } from '../test/helpers.js';
import { f, header, sleep, tallyLogger, verdict } from './lib.js';
import { LIST_PATHS, PROVIDERS, SCORECARD_PATH, walkDirect, type DirectWalk } from './vendors.js';

const KEY = 'bench-cold-key';
const SEED = 1;
const LIMIT = 50;
const AGAIN_AFTER_MS = 60_000;

interface Logged {
  path: string;
  status: number;
  at: number;
}
type Sims = Record<ProviderId, { server: { log: Logged[]; stats: { violations: number; rateViolations: number; concurrencyViolations: number; maxInFlight: number } } }>;

interface PageRec {
  at: number;
  ms: number;
  status: number;
  n: number;
  partial: boolean;
  /** provider: code of each provider that answered with an error (or a sync_error) on this page. */
  issues: string[];
}

interface Walked {
  pages: PageRec[];
  runs: Run[];
  t0: number;
  t1: number;
}

/** Follows next_cursor to the end like a client: a non-200 answer is noted and the same page asked again a second later. */
async function walkAll(base: string): Promise<Walked> {
  const pages: PageRec[] = [];
  const runs: Run[] = [];
  let cursor: string | null = null;
  const t0 = Date.now();
  let failures = 0;
  do {
    const started = Date.now();
    const res = await fetch(`${base}/v1/runs?limit=${LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { authorization: `Bearer ${KEY}` } });
    const text = await res.text();
    const ms = Date.now() - started;
    if (res.status !== 200) {
      pages.push({ at: started - t0, ms, status: res.status, n: 0, partial: true, issues: [`HTTP ${res.status}: ${text.slice(0, 200)}`] });
      if (++failures > 30) throw new Error(`walk: too many failed pages (${text.slice(0, 300)})`);
      await sleep(1000);
      continue;
    }
    const body = JSON.parse(text) as RunList;
    const issues = Object.entries(body.providers).flatMap(([p, s]) => [
      ...(s.status === 'error' ? [`${p}: ${s.error?.code ?? 'error'}`] : []),
      ...(s.sync_error ? [`${p}: sync_error ${s.sync_error.code}`] : []),
    ]);
    pages.push({ at: started - t0, ms, status: 200, n: body.data.length, partial: body.partial, issues });
    if (pages.length === 1) {
      const first = Object.entries(body.providers).map(([p, s]) => `${p} ${s.status}${s.cache ? `/${s.cache}` : ''}${s.index ? ` ${s.index}` : ''}${s.error ? ` (${s.error.code}: ${s.error.message})` : ''}`);
      console.log(`first page: ${body.data.length} runs in ${ms} ms, partial ${body.partial}; ${first.join('; ')}`);
    }
    runs.push(...body.data);
    cursor = body.next_cursor;
    if (pages.length > 2000) throw new Error('walk did not end');
  } while (cursor);
  return { pages, runs, t0, t1: Date.now() };
}

/** Polls GET /v1/providers until every index is ready; when each provider first said `ready` (ms after `t0`). */
function watchReady(base: string, t0: number, stop: () => boolean): Promise<Partial<Record<ProviderId, number>>> {
  return (async () => {
    const at: Partial<Record<ProviderId, number>> = {};
    while (!stop()) {
      const r = await fetch(`${base}/v1/providers`, { headers: { authorization: `Bearer ${KEY}` } });
      if (r.status === 200) {
        const body = (await r.json()) as { data: Array<{ id: ProviderId; index: { state: string } }> };
        for (const p of body.data) if (p.index.state === 'ready' && at[p.id] === undefined) at[p.id] = Date.now() - t0;
        if (body.data.length && body.data.every((p) => at[p.id] !== undefined)) return at;
      }
      await sleep(250);
    }
    return at;
  })();
}

const listCalls = (sims: Sims, p: ProviderId, from: number, to = Number.POSITIVE_INFINITY): Logged[] =>
  sims[p].server.log.filter((l, i) => i >= from && i < to && LIST_PATHS[p].test(l.path));

function completeness(w: Walked, truth: string[]): string {
  const ids = nativeIds(w.runs);
  const dup = w.runs.length - new Set(w.runs.map((r) => r.id)).size;
  const got = new Set(ids);
  const missing = truth.filter((id) => !got.has(id)).length;
  return `${w.runs.length} runs (truth ${truth.length}), ${dup} duplicates, ${missing} missing`;
}

/** Calls by path, ids folded to {id} (diagnostics). */
function byPath(log: Logged[]): string {
  const m = new Map<string, number>();
  for (const l of log) {
    const k = l.path.replace(/\/[0-9a-f-]{16,}|\/(?:agent|job)_[A-Za-z0-9]+|\/\d+(?=\/|$)/gi, '/{id}') + (l.status === 200 ? '' : ` ${l.status}`);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m.size ? ` (${[...m].map(([k, n]) => `${n}× ${k}`).join(', ')})` : '';
}

/** The partial pages: when each was asked (s after the walk began), how long it took, how many runs it had. */
function timeline(pages: PageRec[]): string {
  return pages
    .map((p, i) => ({ ...p, i }))
    .filter((p) => p.partial)
    .map((p) => `#${p.i + 1} @${f(p.at / 1000, 1)} s ${p.ms} ms ${p.n} runs`)
    .join('; ');
}

function summarisePages(pages: PageRec[]): string {
  const partial = pages.filter((p) => p.partial);
  const why = new Map<string, number>();
  for (const p of pages) for (const i of p.issues) why.set(i, (why.get(i) ?? 0) + 1);
  const ms = pages.map((p) => p.ms).sort((a, b) => a - b);
  return (
    `${pages.length} pages (${pages.filter((p) => p.status !== 200).length} non-200), ${partial.length} partial` +
    (why.size ? ` — ${[...why].map(([k, n]) => `${n}× ${k}`).join(', ')}` : '') +
    `; page latency median ${ms[Math.floor(ms.length / 2)] ?? NaN} ms, max ${ms.at(-1) ?? NaN} ms`
  );
}

async function main(): Promise<void> {
  header('cold-walk: a cold full walk (limit=50) at the vendors\' published limits, then again a minute later', 480);
  const now = Date.now();

  // --- baseline: the vendors' own minimum at page size 100, same data, its own budget ---
  const ref: SimulatorSet = await startSimulators({ seed: SEED, now, limits: { perWindow: 1_000_000, concurrency: 200 } });
  const direct = {} as Record<ProviderId, DirectWalk>;
  for (const p of PROVIDERS) direct[p] = await walkDirect(p, ref.providers[p]!);
  await ref.close();

  // --- the cold gateway in front of simulators at their published limits ---
  const set = await startSimulators({ seed: SEED, now });
  const sims = set.sims as unknown as Sims;
  const truth = truthOf(set.sims);
  const scored = set.sims.saleslab.sessions().filter((s) => s.session.status === 'scored').length;
  const log = tallyLogger();
  const gw = await startGateway({
    config: { tenants: { bench: { keys: [{ key: KEY, scopes: ['runs:read'] }], providers: set.providers } } },
    log,
  });
  console.log(`data: ${truth.length} runs (${PROVIDERS.map((p) => `${p} ${direct[p].items} listed in ${direct[p].sources} source(s)`).join(', ')}); Sales Lab ${scored} scored sessions`);

  const t0 = Date.now();
  let giveUp = false;
  const readyP = watchReady(gw.url, t0, () => giveUp);
  const first = await walkAll(gw.url);
  const timer = setTimeout(() => (giveUp = true), 120_000);
  const readyAt = await readyP;
  clearTimeout(timer);
  const allReady = PROVIDERS.every((p) => readyAt[p] !== undefined) ? Math.max(...PROVIDERS.map((p) => readyAt[p]!)) : Number.NaN;
  // the cold phase: from the first request until the walk ended and every index said ready
  const coldEnd = Object.fromEntries(PROVIDERS.map((p) => [p, sims[p].server.log.length])) as Record<ProviderId, number>;

  const pf = first.pages[0]!;
  console.log(`cold walk: ${completeness(first, truth)}; ${f((first.t1 - first.t0) / 1000, 1)} s; ${summarisePages(first.pages)}`);
  if (first.pages.some((p) => p.partial)) console.log(`partial pages: ${timeline(first.pages)}`);
  console.log(
    `cold start as a user sees it: first page after ${pf.ms} ms (${pf.n} runs${pf.partial ? ', partial' : ''}); every index ready after ${f(allReady / 1000, 1)} s ` +
      `(${PROVIDERS.map((p) => `${p} ${f((readyAt[p] ?? NaN) / 1000, 1)} s`).join(', ')}); the walk took ${f((first.t1 - first.t0) / 1000, 1)} s`,
  );
  const cards = sims.saleslab.server.log.filter((l) => l.path.startsWith(SCORECARD_PATH));
  const cardsDistinct = new Set(cards.map((l) => l.path)).size;
  console.log(`Sales Lab scorecards: ${cards.length} calls (${cardsDistinct} distinct, ${cards.filter((c) => c.status !== 200).length} non-200) for ${scored} scored sessions`);

  console.log('provider    list calls  minimum@100  ratio  (429s)  other calls (reference, details, scorecards)  violations  max in flight');
  const ratios = {} as Record<ProviderId, number>;
  const others: string[] = [];
  for (const p of PROVIDERS) {
    const lists = listCalls(sims, p, 0, coldEnd[p]);
    const other = coldEnd[p] - lists.length;
    others.push(`${p}${byPath(sims[p].server.log.slice(0, coldEnd[p]).filter((l) => !LIST_PATHS[p].test(l.path)))}`);
    ratios[p] = lists.length / direct[p].lists;
    const st = sims[p].server.stats;
    console.log(
      `${p.padEnd(10)} ${String(lists.length).padStart(11)} ${String(direct[p].lists).padStart(12)}  ${f(ratios[p], 2).padStart(5)}  ${String(lists.filter((l) => l.status === 429).length).padStart(6)}  ${String(other).padStart(44)}  ${String(st.violations).padStart(10)}  ${String(st.maxInFlight).padStart(13)}`,
    );
  }
  console.log(`other calls of the cold phase: ${others.join('; ')}`);
  const violations = (): number => PROVIDERS.reduce((n, p) => n + sims[p].server.stats.violations, 0);
  const v1 = violations();

  // --- the same walk a minute after the first one ended ---
  const wait = first.t1 + AGAIN_AFTER_MS - Date.now();
  console.log(`waiting ${f(wait / 1000, 1)} s (until 60 s after the first walk ended)…`);
  const duringSleep = Object.fromEntries(PROVIDERS.map((p) => [p, sims[p].server.log.length])) as Record<ProviderId, number>;
  await sleep(Math.max(0, wait));
  const before = Object.fromEntries(PROVIDERS.map((p) => [p, sims[p].server.log.length])) as Record<ProviderId, number>;
  const idle = PROVIDERS.map((p) => `${p} ${before[p] - duringSleep[p]}${byPath(sims[p].server.log.slice(duringSleep[p], before[p]))}`).join(', ');
  const second = await walkAll(gw.url);
  console.log(`calls while idle between the walks (background refresh of unfinished runs; no list calls expected): ${idle}`);
  console.log(`second walk: ${completeness(second, truth)}; ${f((second.t1 - second.t0) / 1000, 2)} s; ${summarisePages(second.pages)}`);
  const sources: Record<ProviderId, number> = Object.fromEntries(PROVIDERS.map((p) => [p, direct[p].sources])) as Record<ProviderId, number>;
  console.log('provider    list calls  sources  per source  other calls');
  const again = {} as Record<ProviderId, number>;
  for (const p of PROVIDERS) {
    const lists = listCalls(sims, p, before[p]);
    again[p] = lists.length / sources[p];
    console.log(`${p.padEnd(10)} ${String(lists.length).padStart(11)} ${String(sources[p]).padStart(8)}  ${f(again[p], 2).padStart(10)}  ${sims[p].server.log.length - before[p] - lists.length}`);
  }
  if (log.tally.size) console.log(`gateway warnings: ${[...log.tally].map(([k, n]) => `${n}× ${k}`).join('; ')}`);
  const v2 = violations();
  const firstOk = first.runs.length === truth.length && new Set(nativeIds(first.runs)).size === truth.length;
  const secondOk = second.runs.length === truth.length && new Set(nativeIds(second.runs)).size === truth.length;

  for (const p of PROVIDERS) {
    verdict(
      {
        bench: `cold-walk/${p}`,
        metric: 'cold list calls/vendor minimum@100',
        value: ratios[p],
        target: '≤ 1.05×, 0 violations',
        note: `${listCalls(sims, p, 0, coldEnd[p]).length} vs ${direct[p].lists}; violations ${sims[p].server.stats.violations}${firstOk ? '' : '; WALK INCOMPLETE'}`,
      },
      '<=',
      v1 === 0 && firstOk ? 1.05 : Number.NEGATIVE_INFINITY,
    );
  }
  for (const p of PROVIDERS) {
    verdict(
      {
        bench: `cold-walk/again/${p}`,
        metric: 'list calls a minute later/sources',
        value: again[p],
        target: '≤ 1 per source',
        note: `${listCalls(sims, p, before[p]).length} for ${sources[p]} source(s)${secondOk ? '' : '; WALK INCOMPLETE'}`,
      },
      '<=',
      secondOk && v2 === 0 ? 1 : Number.NEGATIVE_INFINITY,
    );
  }
  verdict(
    {
      bench: 'cold-walk/violations',
      metric: 'vendor limit violations',
      value: v2,
      target: '= 0',
      note: PROVIDERS.map((p) => `${p} ${sims[p].server.stats.violations}`).join(', '),
    },
    '<=',
    0,
  );
  console.log(
    `cold start: first page ${pf.ms} ms; ${first.pages.filter((p) => p.partial).length} of ${first.pages.length} pages partial; all indexes ready ${f(allReady / 1000, 1)} s; walk ${f((first.t1 - first.t0) / 1000, 1)} s; ` +
      `scorecards ${cards.length} for ${scored} scored; violations ${v2}`,
  );
  await gw.close(100);
  await set.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
