/**
 * Cache-hit throughput of `GET /v1/runs/{id}` against a bare node:http server that sends the same
 * bytes (body and header set, captured from the gateway). Same load on both (16 keep-alive
 * connections, 2 s warm-up, 8 s measured), order gateway, bare, bare, gateway. Target: ≥ 0.8×, every
 * answer 200 (the key has no `perMinute`: it is not limited) and a cache hit. The req/s ratio is an
 * upper bound when the load generator saturates on the bare server; server CPU µs per request is
 * printed too (the steadier figure on 2 shared cores).
 * Run: npx tsx bench/cache-hit.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPathsimSimulator } from '../adapters/pathsim/simulator.js';
import { silentLogger } from '../src/core/log.js';
import { startGateway } from '../src/server.js';
import { cpuShare, f, header, loadgen, mean, verdict, type LoadResult } from './lib.js';

const KEY = 'bench-cache-key';
const CONNECTIONS = 16;
const WARMUP_MS = 2000;
const DURATION_MS = 8000;
const IDS = 20;

/** Headers Node's http server writes by itself (the bare server gets them from Node too). */
const NODE_OWN = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

async function main(): Promise<void> {
  header('cache-hit: GET /v1/runs/{id} from the memory cache vs a bare node:http server');
  const sim = await startPathsimSimulator({ limits: { perWindow: 100_000, concurrency: 100 } });
  const gw = await startGateway({
    config: {
      tenants: { bench: { keys: [{ key: KEY, scopes: ['runs:read'] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
      providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 100 } } },
    },
    log: silentLogger,
  });
  const auth = { authorization: `Bearer ${KEY}` };

  // finished runs only: they are cached for a day (unfinished ones would be refreshed during the run)
  const list = (await (await fetch(`${gw.url}/v1/runs?provider=pathsim&status=completed&limit=${IDS}`, { headers: auth })).json()) as { data: Array<{ id: string }> };
  const paths = list.data.map((r) => `/v1/runs/${r.id}`);
  if (paths.length < IDS) throw new Error(`only ${paths.length} runs to warm`);
  const captured = new Map<string, { body: Buffer; headers: Record<string, string> }>();
  const warm0 = sim.server.log.length;
  for (const p of paths) {
    await (await fetch(gw.url + p, { headers: auth })).arrayBuffer(); // miss: fills the cache
    const res = await fetch(gw.url + p, { headers: auth });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!NODE_OWN.has(k)) headers[k] = v;
    });
    captured.set(p, { body, headers });
  }
  // the vendor paths behind the measured runs (their details): the measured requests must never reach them
  const behind = new Set(sim.server.log.slice(warm0).map((l) => l.path));
  const sample = captured.get(paths[0]!)!;
  console.log(`warmed ${paths.length} finished PathSim runs; one answer: ${sample.body.length} B body, headers ${Object.keys(sample.headers).join(', ')}`);

  const bare = http.createServer((req, res) => {
    const c = captured.get(req.url ?? '') ?? sample;
    res.writeHead(200, c.headers);
    res.end(c.body);
  });
  bare.keepAliveTimeout = 5000;
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

  const hits = async (): Promise<number> => {
    const m = /simgate_cache_requests_total\{result="hit"\} (\d+)/.exec(await (await fetch(`${gw.url}/metrics`)).text());
    return Number(m?.[1] ?? 0);
  };
  const results: Record<'gateway' | 'bare', LoadResult[]> = { gateway: [], bare: [] };
  const serverCpu: Record<'gateway' | 'bare', number[]> = { gateway: [], bare: [] };
  let hitsSeen = 0;
  let answered = 0;
  let upstreamDuring = 0;
  let backgroundDuring = 0;
  for (const which of ['gateway', 'bare', 'bare', 'gateway'] as const) {
    const base = which === 'gateway' ? gw.url : bareUrl;
    const h0 = which === 'gateway' ? await hits() : 0;
    const up0 = sim.server.log.length;
    let cpu0 = process.cpuUsage();
    let wall0 = performance.now();
    const r = await loadgen(
      { mode: 'load', targets: paths.map((p) => base + p), headers: auth, connections: CONNECTIONS, warmupMs: WARMUP_MS, durationMs: DURATION_MS },
      () => {
        cpu0 = process.cpuUsage();
        wall0 = performance.now();
      },
    );
    serverCpu[which].push(cpuShare(cpu0, wall0));
    results[which].push(r);
    if (which === 'gateway') {
      hitsSeen += (await hits()) - h0;
      answered += (r.statuses['200'] ?? 0) + r.errors; // warm-up requests hit too: counted below as a lower bound
      const calls = sim.server.log.slice(up0);
      upstreamDuring += calls.filter((l) => behind.has(l.path)).length;
      backgroundDuring += calls.filter((l) => !behind.has(l.path)).length;
    }
    const non200 = Object.entries(r.statuses).filter(([s]) => s !== '200');
    console.log(
      `${which.padEnd(7)} ${f(r.rps, 0).padStart(6)} req/s  p50 ${f(r.p50, 2)} ms  p90 ${f(r.p90, 2)} ms  p99 ${f(r.p99, 2)} ms  ` +
        `${r.requests} answers${non200.length ? ` NON-200 ${JSON.stringify(Object.fromEntries(non200))}` : ''}${r.errors ? ` errors ${r.errors}` : ''}  ` +
        `cpu: server ${f(serverCpu[which].at(-1)!, 2)} (${f((serverCpu[which].at(-1)! / r.rps) * 1e6, 0)} µs/req) load generator ${f(r.cpu, 2)}`,
    );
  }

  const all = [...results.gateway, ...results.bare];
  const ok = all.every((r) => r.errors === 0 && Object.keys(r.statuses).every((s) => s === '200'));
  const g = mean(results.gateway.map((r) => r.rps));
  const b = mean(results.bare.map((r) => r.rps));
  const usPerReq = (w: 'gateway' | 'bare'): number => mean(results[w].map((r, i) => (serverCpu[w][i]! / r.rps) * 1e6));
  const [gUs, bUs] = [usPerReq('gateway'), usPerReq('bare')];
  console.log(`gateway ${f(g, 0)} req/s, bare ${f(b, 0)} req/s (means of 2 runs each); server CPU per request: gateway ${f(gUs, 0)} µs, bare ${f(bUs, 0)} µs (bare/gateway ${f(bUs / gUs, 2)})`);
  console.log(`cache: ${hitsSeen} hits reported by /metrics for ≥ ${answered} measured gateway answers; ${upstreamDuring} upstream calls for the measured runs during the runs (and ${backgroundDuring} others: the index's background refresh of unfinished runs)`);
  const cacheOk = hitsSeen >= answered && upstreamDuring === 0;
  const lgBound = mean(results.bare.map((r) => r.cpu)) > 0.9 ? '; the load generator was saturated on the bare server (ratio is an upper bound)' : '';
  verdict(
    {
      bench: 'cache-hit',
      metric: 'gateway/bare req/s',
      value: g / b,
      target: '≥ 0.8×',
      note: `${f(g, 0)} vs ${f(b, 0)} req/s, server CPU ${f(gUs, 0)} vs ${f(bUs, 0)} µs/req${ok ? ', all 200' : ', NOT ALL 200'}${cacheOk ? ', all cache hits' : ', CACHE NOT HIT'}${lgBound}`,
    },
    '>=',
    ok && cacheOk ? 0.8 : Number.POSITIVE_INFINITY,
  );
  bare.closeAllConnections();
  await new Promise<void>((r) => bare.close(() => r()));
  await gw.close(100);
  await sim.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
