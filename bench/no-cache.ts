/**
 * 50 sequential `Cache-Control: no-cache` `GET /v1/runs?limit=50` over the five simulators at 40 ms
 * each (in their own process, raised limits), once the run index is warm (one full walk, every
 * index ready). A no-cache list re-syncs the head of every source (one page of 100 each) and then
 * reads the index. Baseline, in the same run: the slowest vendor's round trip, measured the same
 * way — 50 sequential direct requests to one of its list URLs at page size 100 (the head page the
 * gateway asked for). Targets: gateway median ≤ 1.2× that; Sales Lab scorecard calls during the 50
 * requests = 0 (a final run's scorecard is fetched once, by the backfill).
 * Run: npx tsx bench/no-cache.ts
 */
import type { ProviderId, RunList } from '../schemas/run.js';
import { startGateway } from '../src/server.js';
import { client, untilReady, walk } from '../test/helpers.js';
import { f, header, loadgen, median, percentile, startSimHost, tallyLogger, verdict, type SeqItem } from './lib.js';
import { LIST_PATHS, PROVIDERS, SCORECARD_PATH, vendorHeaders } from './vendors.js';

const KEY = 'bench-nocache-key';
const N = 50;
const LATENCY_MS = 40;

interface Call {
  provider: ProviderId;
  url: string;
  path: string;
  start: number;
  end: number;
  status: number;
}

/** Dependent rounds among calls: a call issued after an earlier one answered starts a new round. */
function rounds(calls: Call[]): number {
  const s = [...calls].sort((a, b) => a.start - b.start);
  let n = 0;
  let firstEnd = Number.NEGATIVE_INFINITY;
  for (const c of s) {
    if (c.start >= firstEnd) {
      n += 1;
      firstEnd = c.end;
    } else firstEnd = Math.min(firstEnd, c.end);
  }
  return n;
}

async function main(): Promise<void> {
  header('no-cache: 50 sequential Cache-Control: no-cache GET /v1/runs?limit=50, five vendors at 40 ms, warm index', 240);
  const sims = await startSimHost({ latencyMs: LATENCY_MS, limits: { perWindow: 1_000_000, concurrency: 200 } });
  const byOrigin = new Map(Object.entries(sims.providers).map(([p, t]) => [new URL(t!.baseUrl!).origin, p as ProviderId]));
  const calls: Call[] = [];
  const tracing: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const start = Date.now();
    const res = await fetch(input, init);
    const u = new URL(url);
    calls.push({ provider: byOrigin.get(u.origin)!, url, path: u.pathname, start, end: Date.now(), status: res.status });
    return res;
  };
  const log = tallyLogger();
  const gw = await startGateway({
    config: { tenants: { bench: { keys: [{ key: KEY, scopes: ['runs:read'] }], providers: sims.providers } }, providers: sims.tuning },
    log,
    fetch: tracing,
  });
  const auth = { authorization: `Bearer ${KEY}` };

  // warm: one full walk through the index, then wait until every index says ready
  const tw = Date.now();
  const warm = await walk(client(gw.url, KEY, { cache: true }), 'limit=50');
  await untilReady(client(gw.url, KEY, { cache: true }), 60_000);
  console.log(`warm-up: ${warm.runs.length} runs in ${warm.pages} pages, every index ready after ${f((Date.now() - tw) / 1000, 1)} s; ${calls.length} upstream calls`);
  calls.length = 0;

  const cpu0 = process.cpuUsage();
  const items = await loadgen({
    mode: 'seq',
    requests: Array.from({ length: N }, () => ({ url: `${gw.url}/v1/runs?limit=50`, headers: { ...auth, 'cache-control': 'no-cache' } })),
    keepHeaders: ['server-timing'],
    keepBody: true,
  });
  const cpu = process.cpuUsage(cpu0);
  const cpuPerReq = (cpu.user + cpu.system) / 1000 / N;
  // the last request's background work (refresh) may still be under way: count what the 50 requests started
  const during = calls.filter((c) => c.start >= items[0]!.startedAt && c.start <= items.at(-1)!.endedAt);
  const bad = items.filter((it) => it.status !== 200);
  const cacheSeen = new Map<string, Set<string>>();
  const syncErrors = new Map<string, number>();
  let partial = 0;
  let counted = 0;
  for (const it of items) {
    const body = JSON.parse(it.body ?? '{}') as RunList;
    if (body.partial) partial += 1;
    counted += body.data?.length ?? 0;
    for (const [p, s] of Object.entries(body.providers ?? {})) {
      if (!cacheSeen.has(p)) cacheSeen.set(p, new Set());
      cacheSeen.get(p)!.add(s.status === 'ok' ? (s.cache ?? 'none') : `error ${s.error?.code}`);
      if (s.sync_error) syncErrors.set(`${p}: ${s.sync_error.code}`, (syncErrors.get(`${p}: ${s.sync_error.code}`) ?? 0) + 1);
    }
  }
  const inRequest = (it: SeqItem, p?: ProviderId): Call[] => during.filter((c) => (!p || c.provider === p) && c.start >= it.startedAt && c.start <= it.endedAt);

  // baseline: per vendor, one of the list URLs the gateway asked for (a head page at size 100), 50 times in sequence, directly
  const direct = new Map<ProviderId, { ms: number; path: string }>();
  for (const p of PROVIDERS) {
    const u = during.find((c) => c.provider === p && LIST_PATHS[p].test(c.path))?.url;
    if (!u) continue;
    const r = await loadgen({ mode: 'seq', requests: Array.from({ length: N }, () => ({ url: u, headers: vendorHeaders(p, sims.providers[p]!) })) });
    if (r.some((x) => x.status !== 200)) throw new Error(`direct ${p}: ${r.map((x) => x.status).join(',')}`);
    direct.set(p, { ms: median(r.map((x) => x.ms)), path: `${new URL(u).pathname}${new URL(u).search}` });
  }

  // diagnostic floor: every upstream call of one gateway request, sent directly and all at once
  const last = inRequest(items.at(-1)!);
  const floor = median(await loadgen({ mode: 'fan', rounds: N, requests: last.map((c) => ({ url: c.url, headers: vendorHeaders(c.provider, sims.providers[c.provider]!) })) }));

  let bytes = 0;
  let listed = 0;
  for (const c of last) {
    const text = await (await fetch(c.url, { headers: vendorHeaders(c.provider, sims.providers[c.provider]!) })).text();
    bytes += Buffer.byteLength(text);
    const b = JSON.parse(text) as Record<string, unknown>;
    const arr = (b['data'] ?? b['results'] ?? (b['response'] as Record<string, unknown> | undefined)?.['items']) as unknown[] | undefined;
    listed += arr?.length ?? 0;
  }

  console.log('provider   direct median  list calls/req  other calls/req  rounds/req  span median   cache');
  for (const p of PROVIDERS) {
    const per = items.map((it) => inRequest(it, p));
    const lists = per.map((c) => c.filter((x) => LIST_PATHS[p].test(x.path)).length);
    const others = per.map((c) => c.filter((x) => !LIST_PATHS[p].test(x.path)).length);
    const spans = per.filter((c) => c.length).map((c) => Math.max(...c.map((x) => x.end)) - Math.min(...c.map((x) => x.start)));
    console.log(
      `${p.padEnd(10)} ${f(direct.get(p)?.ms ?? NaN).padStart(8)} ms  ${f(median(lists), 0).padStart(14)}  ${f(median(others), 0).padStart(15)}  ${f(median(per.map(rounds)), 0).padStart(10)}  ` +
        `${f(median(spans)).padStart(8)} ms   ${[...(cacheSeen.get(p) ?? [])].join('/')}`,
    );
  }
  const lat = items.map((it) => it.ms);
  const gwMed = median(lat);
  const [slowP, slow] = [...direct].sort((a, b) => b[1].ms - a[1].ms)[0]!;
  const cards = during.filter((c) => c.provider === 'saleslab' && c.path.startsWith(SCORECARD_PATH)).length;
  const phases = items.map((it) => {
    const cs = inRequest(it);
    if (!cs.length) return [NaN, NaN, NaN] as const;
    const [s0, e1] = [Math.min(...cs.map((c) => c.start)), Math.max(...cs.map((c) => c.end))];
    return [s0 - it.startedAt, e1 - s0, it.endedAt - e1] as const;
  });
  const timing = new Map<string, number[]>();
  for (const it of items) for (const m of (it.headers['server-timing'] ?? '').matchAll(/([a-z]+);dur=(\d+(?:\.\d+)?)/g)) timing.set(m[1]!, [...(timing.get(m[1]!) ?? []), Number(m[2])]);
  console.log(
    `gateway: median ${f(gwMed)} ms, p90 ${f(percentile(lat, 90))} ms, min ${f(Math.min(...lat))} ms over ${N} no-cache requests (${counted / N} runs each, ${partial} partial` +
      `${syncErrors.size ? `, sync errors ${[...syncErrors].map(([k, n]) => `${n}× ${k}`).join(', ')}` : ''}); gateway process CPU ${f(cpuPerReq)} ms per request` +
      `${timing.size ? `; Server-Timing medians ${[...timing].map(([k, v]) => `${k} ${f(median(v))} ms`).join(', ')}` : ''}`,
  );
  console.log(
    `gateway phases (medians, wall ms, ±1 ms clocks): ${f(median(phases.map((x) => x[0])))} before the first upstream call, ${f(median(phases.map((x) => x[1])))} from it to the last upstream answer, ` +
      `${f(median(phases.map((x) => x[2])))} after it (store, read, merge, answer)`,
  );
  console.log(`upstream calls during the ${N} requests: ${during.length} (${during.filter((c) => c.status !== 200).length} non-200); Sales Lab scorecards ${cards}`);
  console.log(`slowest vendor alone: ${slowP} ${slow.path} median ${f(slow.ms)} ms`);
  console.log(`the ${last.length} upstream calls of one gateway request, sent directly all at once: median ${f(floor)} ms (gateway/that floor ${f(gwMed / floor, 2)}×); together they carry ${listed} vendor items, ${f(bytes / 1024, 0)} KiB`);
  if (log.tally.size) console.log(`gateway warnings: ${[...log.tally].map(([k, n]) => `${n}× ${k}`).join('; ')}`);
  verdict(
    {
      bench: 'no-cache',
      metric: 'gateway/slowest vendor median latency',
      value: gwMed / slow.ms,
      target: '≤ 1.2×',
      note: `${f(gwMed)} ms vs ${f(slow.ms)} ms (${slowP}); its ${last.length} calls at once directly ${f(floor)} ms; gateway CPU ${f(cpuPerReq)} ms/request${bad.length ? `; ${bad.length} NON-200` : ''}${partial ? `; ${partial} partial` : ''}`,
    },
    '<=',
    bad.length ? Number.NEGATIVE_INFINITY : 1.2,
  );
  verdict({ bench: 'no-cache/scorecards', metric: 'scorecard calls during the 50', value: cards, target: '= 0', note: `${during.length} upstream calls in all` }, '<=', 0);
  await gw.close(100);
  await sims.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
