/**
 * Fan-out latency of `GET /v1/runs?limit=50` over all five simulators (40 ms latency each, in their own
 * process) in the steady state where vendor list pages are fetched fresh on every request while
 * discovery (`meta`: workspaces, agents, users, scenarios) and finished scorecards (`long`) stay cached.
 * Baseline: a direct request to the slowest simulator's list endpoint, timed the same way (40
 * sequential requests from the load generator). Target: gateway median ≤ 1.1× the slowest.
 * Run: npx tsx bench/fanout.ts
 */
import { adapters } from '../adapters/index.js';
import type { ProviderId } from '../schemas/run.js';
import { POLICIES } from '../src/core/cache.js';
import { silentLogger } from '../src/core/log.js';
import { startGateway } from '../src/server.js';
import { f, header, loadgen, median, percentile, startSimHost, verdict, type SeqItem } from './lib.js';

const KEY = 'bench-fanout-key';
const N = 40;
const LATENCY_MS = 40;

interface Call {
  provider: ProviderId;
  url: string;
  start: number;
  end: number;
}

/** Dependent rounds among one request's calls to one provider: a call issued after an earlier one answered starts a new round. */
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
  header('fanout: GET /v1/runs?limit=50 over five simulators at 40 ms vs the slowest simulator alone');
  const sims = await startSimHost({ latencyMs: LATENCY_MS, limits: { perWindow: 1_000_000, concurrency: 200 } });
  const byOrigin = new Map(Object.entries(sims.providers).map(([p, t]) => [new URL(t!.baseUrl!).origin, p as ProviderId]));
  const calls: Call[] = [];
  const tracing: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const start = Date.now();
    const res = await fetch(input, init);
    calls.push({ provider: byOrigin.get(new URL(url).origin)!, url, start, end: Date.now() });
    return res;
  };
  const gw = await startGateway({
    config: { tenants: { bench: { keys: [{ key: KEY, scopes: ['runs:read'], perMinute: 1_000_000 }], providers: sims.providers } }, providers: sims.tuning },
    log: silentLogger,
    fetch: tracing,
  });
  // Vendor list pages expire at once (SigmaMind and Cekura push down no filter a client can vary, so a
  // distinct query alone would leave their pages cached); `meta` and `long` keep their policies.
  Object.assign(POLICIES.list, { freshMs: 0, staleMs: 0 });
  const auth = { authorization: `Bearer ${KEY}` };
  // a different `from` each time (long before every run: the same answer), as distinct queries
  const url = (i: number): string => `${gw.url}/v1/runs?limit=50&from=${new Date(Date.UTC(2000, 0, 1, 0, i)).toISOString()}`;
  const warm = await loadgen({ mode: 'seq', requests: [0, 1, 2].map((i) => ({ url: url(i), headers: auth })) });
  if (warm.some((w) => w.status !== 200)) throw new Error(`warm-up: ${warm.map((w) => w.status).join(',')}`);
  calls.length = 0;

  const cpu0 = process.cpuUsage();
  const items = await loadgen({ mode: 'seq', requests: Array.from({ length: N }, (_, i) => ({ url: url(10 + i), headers: auth })), keepHeaders: ['server-timing'], keepBody: true });
  const cpu = process.cpuUsage(cpu0);
  const cpuPerReq = (cpu.user + cpu.system) / 1000 / N;
  const gwCalls = [...calls];
  const bad = items.filter((it) => it.status !== 200);
  const cacheSeen = new Map<string, Set<string>>();
  const timing = new Map<string, number[]>();
  for (const it of items) {
    const body = JSON.parse(it.body ?? '{}') as { data?: unknown[]; providers?: Record<string, { status: string; cache?: string }> };
    for (const [p, s] of Object.entries(body.providers ?? {})) {
      if (!cacheSeen.has(p)) cacheSeen.set(p, new Set());
      cacheSeen.get(p)!.add(s.status === 'ok' ? (s.cache ?? 'none') : `error`);
    }
    for (const m of (it.headers['server-timing'] ?? '').matchAll(/([a-z]+);dur=(\d+(?:\.\d+)?)/g)) {
      timing.set(m[1]!, [...(timing.get(m[1]!) ?? []), Number(m[2])]);
    }
  }

  // baseline: each provider's list URLs as the gateway sent them, directly, 40 times each in sequence (≤ 3 sources)
  const providers = Object.keys(sims.providers) as ProviderId[];
  const vendorHeaders = (p: ProviderId): Record<string, string> => {
    const { header: h, scheme } = adapters[p]!.spec.auth;
    const key = sims.providers[p]!.apiKey;
    return { [h.toLowerCase()]: scheme ? `${scheme} ${key}` : key, accept: 'application/json' };
  };
  const inRequest = (it: SeqItem, p?: ProviderId): Call[] => gwCalls.filter((c) => (!p || c.provider === p) && c.start >= it.startedAt && c.start <= it.endedAt);
  const direct = new Map<ProviderId, { ms: number; path: string }>();
  for (const p of providers) {
    const seen = new Map<string, string>();
    for (const c of gwCalls) if (c.provider === p && !seen.has(new URL(c.url).pathname)) seen.set(new URL(c.url).pathname, c.url);
    for (const u of [...seen.values()].slice(0, 3)) {
      const r: SeqItem[] = await loadgen({ mode: 'seq', requests: Array.from({ length: N }, () => ({ url: u, headers: vendorHeaders(p) })) });
      const ms = median(r.map((x) => x.ms));
      if (!direct.has(p) || direct.get(p)!.ms < ms) direct.set(p, { ms, path: new URL(u).pathname });
    }
  }
  // diagnostic floor: every upstream call of one gateway request, sent directly and all at once
  const last = inRequest(items.at(-1)!);
  const floor = median(await loadgen({ mode: 'fan', rounds: N, requests: last.map((c) => ({ url: c.url, headers: vendorHeaders(c.provider) })) }));

  console.log('provider   direct median  calls/req  rounds/req  span median  Server-Timing median  cache');
  console.log('           (alone)                              (in the gateway)  (sum over calls)');
  for (const p of providers) {
    const per = items.map((it) => inRequest(it, p));
    const spans = per.filter((c) => c.length).map((c) => Math.max(...c.map((x) => x.end)) - Math.min(...c.map((x) => x.start)));
    console.log(
      `${p.padEnd(10)} ${f(direct.get(p)?.ms ?? NaN).padStart(8)} ms  ${f(median(per.map((c) => c.length)), 0).padStart(9)}  ${f(median(per.map(rounds)), 0).padStart(10)}  ` +
        `${f(median(spans)).padStart(8)} ms  ${f(median(timing.get(p) ?? [])).padStart(17)} ms  ${[...(cacheSeen.get(p) ?? [])].join('/')}`,
    );
  }
  const lat = items.map((it) => it.ms);
  const [slowP, slow] = [...direct].sort((a, b) => b[1].ms - a[1].ms)[0]!;
  const gwMed = median(lat);
  console.log(`gateway: median ${f(gwMed)} ms, p90 ${f(percentile(lat, 90))} ms, Server-Timing gateway median ${f(median(timing.get('gateway') ?? []))} ms over ${N} requests`);
  console.log(`slowest simulator alone: ${slowP} ${slow.path} median ${f(slow.ms)} ms`);
  const serial = providers.filter((p) => median(items.map((it) => rounds(inRequest(it, p)))) > 1);
  const phases = items.map((it) => {
    const cs = inRequest(it);
    const [s0, e1] = [Math.min(...cs.map((c) => c.start)), Math.max(...cs.map((c) => c.end))];
    return [s0 - it.startedAt, e1 - s0, it.endedAt - e1] as const;
  });
  console.log(
    `gateway phases (medians): ${f(median(phases.map((x) => x[0])))} ms before the first upstream call, ${f(median(phases.map((x) => x[1])))} ms from it to the last upstream answer handled, ` +
      `${f(median(phases.map((x) => x[2])))} ms after it (reading, mapping, merging, answering); gateway process CPU ${f(cpuPerReq)} ms per request`,
  );
  console.log(`the ${last.length} upstream calls of one gateway request, sent directly all at once: median ${f(floor)} ms (gateway/that floor ${f(gwMed / floor, 2)}×)`);
  const cachedLists = [...cacheSeen].filter(([, s]) => s.has('hit')).map(([p]) => p);
  verdict(
    {
      bench: 'fanout',
      metric: 'gateway/slowest median latency',
      value: gwMed / slow.ms,
      target: '≤ 1.1×',
      note:
        `${f(gwMed)} ms vs ${f(slow.ms)} ms (${slowP}); all its calls at once directly ${f(floor)} ms` +
        (serial.length ? `; serial round trips: ${serial.join(', ')}` : '; one round per provider') +
        `; gateway CPU ${f(cpuPerReq)} ms/request` +
        (bad.length ? `; ${bad.length} NON-200` : '') +
        (cachedLists.length ? `; list pages served from cache: ${cachedLists.join(', ')}` : ''),
    },
    '<=',
    bad.length ? Number.NEGATIVE_INFINITY : 1.1,
  );
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
