/**
 * Upstream rate while the vendor limit binds: PathSim allows 30 requests per 6 s window and 10 in
 * flight; the gateway is told the same. Many distinct `GET /v1/runs/{id}` with `Cache-Control:
 * no-cache` for 26 s (the first window is not counted), (a) one gateway with the in-process limiter, (b) when `redis-server` is on the
 * PATH, two gateways sharing a Redis. Reports accepted upstream requests per window vs the limit
 * (target ≥ 0.9×) and the simulator's violations (target 0).
 * Run: npx tsx bench/rate.ts
 */
import { encodeKey } from '../adapters/_shared/parse.js';
import { startPathsimSimulator } from '../adapters/pathsim/simulator.js';
import type { Config } from '../src/config.js';
import { silentLogger } from '../src/core/log.js';
import { startGateway } from '../src/server.js';
import { f, header, loadgen, mean, sleep, startRedis, verdict } from './lib.js';

const KEY = 'bench-rate-key';
const LIMIT = 30;
const WINDOW_MS = 6000;
const CONCURRENCY = 10;
const DURATION_MS = 26_000;

async function scenario(name: string, instances: number, redisUrl?: string): Promise<void> {
  const sim = await startPathsimSimulator({ limits: { perWindow: LIMIT, windowMs: WINDOW_MS, concurrency: CONCURRENCY } });
  const config: Config = {
    tenants: { bench: { keys: [{ key: KEY, scopes: ['runs:read'], perMinute: 1_000_000 }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
    providers: { pathsim: { rateLimit: { perMinute: LIMIT, windowMs: WINDOW_MS, concurrency: CONCURRENCY } } },
  };
  const gws = await Promise.all(Array.from({ length: instances }, () => startGateway({ config, log: silentLogger, ...(redisUrl ? { redisUrl } : {}) })));
  for (const g of gws) {
    for (let i = 0; (await fetch(`${g.url}/readyz`)).status !== 200; i++) {
      if (i > 50) throw new Error('gateway not ready (redis)');
      await sleep(100);
    }
  }
  const ids = sim.sessions().map((s) => `pathsim:${encodeKey([s.row._id])}`);
  const targets = ids.map((id, i) => `${gws[i % gws.length]!.url}/v1/runs/${id}`);
  const t0 = Date.now();
  const r = await loadgen({
    mode: 'load',
    targets,
    headers: { authorization: `Bearer ${KEY}`, 'cache-control': 'no-cache' },
    connections: 20,
    warmupMs: 0,
    durationMs: DURATION_MS,
    timeoutMs: 60_000,
  });
  const t1 = Date.now();
  const accepted = sim.server.log.filter((l) => l.status !== 429 && l.at >= t0 && l.at <= t1).map((l) => l.at).sort((a, b) => a - b);
  // Sustained rate while the demand is saturated (starts before the load stops), after the first window
  // (an idle limiter may start with a burst): a request and the one LIMIT starts later are ≥ one window
  // apart under the limit; achieved = LIMIT × window / their mean spacing.
  const busy = accepted.filter((a) => a <= t0 + DURATION_MS);
  const spacing = busy.slice(2 * LIMIT).map((a, i) => a - busy[i + LIMIT]!);
  const perWindow = spacing.length ? (LIMIT * WINDOW_MS) / mean(spacing) : Number.NaN;
  let maxSliding = 0;
  for (let i = 0, j = 0; i < accepted.length; i++) {
    while (j < accepted.length && accepted[j]! < accepted[i]! + WINDOW_MS) j++;
    maxSliding = Math.max(maxSliding, j - i);
  }
  const st = sim.server.stats;
  console.log(
    `${name}: ${r.requests} client answers ${JSON.stringify(r.statuses)}${r.errors ? ` errors ${r.errors}` : ''}, p50 ${f(r.p50 / 1000, 2)} s; ` +
      `upstream: ${accepted.length} accepted, ${busy.length} started under load in ${f(DURATION_MS / 1000, 0)} s; after the first window, requests ${LIMIT} apart are ${f(mean(spacing), 0)} ms apart ` +
      `(min ${Math.min(...spacing)}) = ${f(perWindow, 1)}/window ` +
      `(max in any sliding window ${maxSliding}, limit ${LIMIT}); violations ${st.violations} (rate ${st.rateViolations}, concurrency ${st.concurrencyViolations}), max in flight ${st.maxInFlight}`,
  );
  const gaps = busy.slice(1).map((a, i) => a - accepted[i]!).filter((g) => g > 300);
  if (gaps.length) console.log(`${name}: idle gaps > 300 ms between upstream starts: ${gaps.map((g) => `${g} ms`).join(', ')}`);
  const non200 = Object.keys(r.statuses).filter((s) => s !== '200');
  verdict(
    {
      bench: `rate/${name}`,
      metric: 'upstream per window/limit',
      value: perWindow / LIMIT,
      target: '≥ 0.9×, 0 violations',
      note: `${f(perWindow, 1)} of ${LIMIT} per ${WINDOW_MS / 1000} s, violations ${st.violations}${non200.length || r.errors ? `, client NON-200 ${JSON.stringify(r.statuses)} errors ${r.errors}` : ''}`,
    },
    '>=',
    st.violations === 0 ? 0.9 : Number.POSITIVE_INFINITY,
  );
  await Promise.all(gws.map((g) => g.close(100)));
  await sim.close();
}

async function main(): Promise<void> {
  header('rate: upstream requests while PathSim allows 30 per 6 s (10 in flight)');
  await scenario('in-process', 1);
  const redis = await startRedis();
  if (!redis) {
    console.log('redis-server is not on the PATH: the shared-limiter case is skipped');
    return;
  }
  try {
    await scenario('redis-2x', 2, redis.url);
  } finally {
    redis.proc.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
