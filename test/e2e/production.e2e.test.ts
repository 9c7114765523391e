/**
 * Production behaviour over HTTP against real simulators: caching (coalescing, bypass, no cached
 * errors, upstream efficiency of a walk), waiting out vendor 429s, the per-key limit, the circuit
 * breaker, /metrics and logs without secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPathsimSimulator, type PathsimSimulator } from '../../adapters/pathsim/simulator.js';
import { startSimulators } from '../../adapters/simulators.js';
import { startSaleslabSimulator } from '../../adapters/saleslab/simulator.js';
import type { Config } from '../../src/config.js';
import { jsonLogger, silentLogger } from '../../src/core/log.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import type { ErrorEnvelope, RunList } from '../../schemas/run.js';
import { client, untilReady, walk } from '../helpers.js';

let sim: PathsimSimulator;

let gw: RunningGateway;
const logs: string[] = [];

const config = (s: PathsimSimulator): Config => ({
  tenants: {
    t: {
      keys: [
        { key: 'prod-key-0001', scopes: ['runs:read'] },
        { key: 'tiny-budget-key', scopes: ['runs:read'], perMinute: 3 },
      ],
      providers: { pathsim: { apiKey: s.apiKey, baseUrl: s.baseUrl } },
    },
  },
  providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 10 }, retries: 0, timeoutMs: 1500, breaker: { failures: 3, cooldownMs: 400 } } },
});

beforeAll(async () => {
  sim = await startPathsimSimulator({ seed: 21, limits: { perWindow: 100_000 } });
  gw = await startGateway({ config: config(sim), log: jsonLogger((l) => logs.push(l)) });
});
afterAll(async () => {
  await gw?.close(100);
  await sim?.close();
});

describe('cache over HTTP', () => {
  it('identical concurrent requests share one sync: no vendor page is read twice, and a repeat comes from the index', async () => {
    sim.server.resetStats();
    const c = client(gw.url, 'prod-key-0001', { cache: true });
    const rs = await Promise.all(Array.from({ length: 8 }, () => c.json<RunList>('/v1/runs?limit=5&channel=web')));
    expect(rs.every((r) => r.status === 200 && r.body.data.length === 5)).toBe(true);
    expect(new Set(rs.map((r) => JSON.stringify(r.body.data))).size).toBe(1);
    await untilReady(c);
    const urls = sim.server.log.map((l) => l.path + l.query);
    expect(urls.length).toBe(new Set(urls).size);
    const again = await c.json<RunList>('/v1/runs?limit=5&channel=web');
    expect(again.body.providers['pathsim']!.cache).toBe('hit');
    expect(again.body.data).toEqual(rs[0]!.body.data);
    expect(sim.server.log.length).toBe(urls.length);
  });

  it('Cache-Control: no-cache re-syncs the head: one page per source, nothing deeper', async () => {
    const before = sim.server.log.length;
    const r = await client(gw.url, 'prod-key-0001').json<RunList>('/v1/runs?limit=5&channel=web');
    expect(r.body.providers['pathsim']!.cache).toBe('bypass');
    const asked = sim.server.log.slice(before);
    const active = sim.workspaces().length;
    expect(asked.length).toBe(active);
    expect(asked.every((l) => /\/sessions$/.test(l.path) && new URLSearchParams(l.query).get('offset') === '0')).toBe(true);
  });

  it('a finished run is served from the cache; an error is never cached', async () => {
    const c = client(gw.url, 'prod-key-0001', { cache: true });
    const done = sim.sessions().find((s) => s.row.Connected === 'Connected' && s.row.Objective === 'Achieved')!;
    sim.server.injectFault({ status: 500, match: `/sessions/${done.row._id}`, times: 1 });
    expect((await c.json(`/v1/runs/pathsim:${done.row._id}`)).status).toBe(502);
    expect((await c.json(`/v1/runs/pathsim:${done.row._id}`)).status).toBe(200);
    const calls = sim.server.count(`/sessions/${done.row._id}`);
    const hit = await c.json<{ data: { transcript: unknown[]; raw?: unknown } }>(`/v1/runs/pathsim:${done.row._id}`);
    expect(hit.status).toBe(200);
    expect(sim.server.count(`/sessions/${done.row._id}`)).toBe(calls);
    // a hit answers exactly what a fresh fetch answers, and include=raw is its own answer
    const fresh = await client(gw.url, 'prod-key-0001').json(`/v1/runs/pathsim:${done.row._id}`);
    expect(hit.body).toEqual(fresh.body);
    expect(hit.body.data.transcript.length).toBeGreaterThan(0);
    expect(hit.body.data.raw).toBeUndefined();
    const raw = await c.json<{ data: { raw?: unknown } }>(`/v1/runs/pathsim:${done.row._id}?include=raw`);
    expect(raw.body.data.raw).toBeDefined();
  });

  it('a full walk with limit=50 over five vendors costs at most 1.05× the distinct upstream pages', async () => {
    const set = await startSimulators({ seed: 22, limits: { perWindow: 100_000, concurrency: 50 } });
    const g = await startGateway({ config: { tenants: { w: { keys: [{ key: 'walk-key-0001', scopes: ['runs:read'] }], providers: set.providers } }, providers: set.tuning }, log: silentLogger });
    try {
      const { runs } = await walk(client(g.url, 'walk-key-0001', { cache: true }), 'limit=50');
      expect(runs.length).toBeGreaterThan(500);
      let total = 0;
      const distinct = new Set<string>();
      for (const [p, s] of Object.entries(set.sims) as Array<[string, { server: { log: Array<{ path: string; query: string }> } }]>) {
        total += s.server.log.length;
        for (const l of s.server.log) distinct.add(`${p} ${l.path}?${[...new URLSearchParams(l.query)].sort().join('&')}`);
      }
      expect(total / distinct.size).toBeLessThanOrEqual(1.05);
    } finally {
      await g.close(100);
      await set.close();
    }
  });
});

describe('slow vendors', () => {
  it('a vendor that sends its headers and then stalls the body is a provider_timeout, not a hang', async () => {
    sim.server.injectFault({ stallBodyMs: 3000, match: '/workspaces', times: 1 });
    const cold = await startGateway({ config: config(sim), log: silentLogger });
    try {
      const r = await client(cold.url, 'prod-key-0001').json<ErrorEnvelope>('/v1/runs?limit=1');
      expect(r.status).toBe(504);
      expect(r.body.error.code).toBe('provider_timeout');
    } finally {
      await cold.close(100);
    }
  });
});

describe('vendor rate limits', () => {
  it('X-RateLimit-Remaining: 0 holds the gateway until the reset: a walk finishes without a 429', async () => {
    const tight = await startPathsimSimulator({ seed: 23, count: 450, limits: { perWindow: 4, windowMs: 1000 } });
    const cfg = config(tight);
    // the gateway is told a looser limit than the vendor enforces: only the vendor's headers hold it back
    cfg.providers!.pathsim = { rateLimit: { perMinute: 100_000, concurrency: 10 } };
    const g = await startGateway({ config: cfg, log: silentLogger });
    try {
      const { runs } = await walk(client(g.url, 'prod-key-0001', { cache: true }), 'limit=100');
      expect(runs.map((r) => r.native_id).sort()).toEqual(tight.sessions().map((s) => s.row._id).sort());
      expect(tight.server.stats.requests).toBeGreaterThan(4);
      expect(tight.server.stats.violations).toBe(0);
    } finally {
      await g.close(100);
      await tight.close();
    }
  });

  it("on a vendor's bare 429 (Sales Lab sends no headers) the walk backs off and resumes instead of failing", async () => {
    const tight = await startSaleslabSimulator({ seed: 24, count: 40, limits: { perWindow: 6, windowMs: 1000 } });
    const g = await startGateway({
      config: {
        tenants: { s: { keys: [{ key: 'sales-key-001', scopes: ['runs:read'] }], providers: { saleslab: { apiKey: tight.apiKey, baseUrl: tight.baseUrl } } } },
        providers: { saleslab: { rateLimit: { perMinute: 100_000, concurrency: 10 } } },
      },
      log: silentLogger,
    });
    try {
      const { runs } = await walk(client(g.url, 'sales-key-001', { cache: true }), 'limit=15');
      expect(runs.map((r) => r.native_id).sort()).toEqual(tight.sessions().map((s) => s.session.id).sort());
      expect(tight.server.stats.rateViolations).toBeGreaterThan(0);
    } finally {
      await g.close(100);
      await tight.close();
    }
  });
});

describe('gateway limits and breaker', () => {
  it('a key over its own per-minute limit gets the 429 envelope with Retry-After', async () => {
    const c = client(gw.url, 'tiny-budget-key', { cache: true });
    for (let i = 0; i < 3; i++) expect((await c.get('/v1/providers')).status).toBe(200);
    const res = await c.get('/v1/providers');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await res.json()) as ErrorEnvelope;
    expect(body.error).toMatchObject({ code: 'rate_limited', status: 429, retryable: true });
  });

  it('a key without perMinute has no request limit: 700 requests in a burst all answer 200', async () => {
    const c = client(gw.url, 'prod-key-0001', { cache: true });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push(...(await Promise.all(Array.from({ length: 100 }, async () => (await c.get('/v1/providers')).status))));
    expect(statuses.length).toBe(700);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('opens after repeated vendor failures, fails fast, and closes after a good probe', async () => {
    const c = client(gw.url, 'prod-key-0001');
    const run = `/v1/runs/pathsim:${sim.sessions()[5]!.row._id}`;
    sim.server.injectFault({ status: 500, match: '/sessions/' });
    for (let i = 0; i < 3; i++) expect((await c.json(run)).status).toBe(502);
    const before = sim.server.count('/sessions/');
    const fast = await c.json<ErrorEnvelope>(run);
    expect(fast.status).toBe(503);
    expect(fast.body.error.message).toMatch(/circuit open/);
    expect(sim.server.count('/sessions/')).toBe(before);
    const providers = await c.json<{ data: Array<{ health: { breaker: string; state: string } }> }>('/v1/providers');
    expect(providers.body.data[0]!.health).toMatchObject({ breaker: 'open', state: 'down' });
    sim.server.clearFaults();
    await new Promise((r) => setTimeout(r, 450));
    expect((await c.json(run)).status).toBe(200);
    const after = await c.json<{ data: Array<{ health: { breaker: string } }> }>('/v1/providers');
    expect(after.body.data[0]!.health.breaker).toBe('closed');
  });
});

describe('observability', () => {
  it('GET /metrics speaks Prometheus text with requests, upstream calls, cache, limiter and breaker', async () => {
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^simgate_http_requests_total\{route="\/v1\/runs",status="200"\} \d+$/m);
    expect(text).toMatch(/^simgate_upstream_requests_total\{provider="pathsim",status="200"\} \d+$/m);
    expect(text).toMatch(/^simgate_upstream_requests_total\{provider="pathsim",status="500"\} \d+$/m);
    expect(text).toMatch(/^simgate_cache_requests_total\{result="hit"\} \d+$/m);
    expect(text).toMatch(/^simgate_limiter_queued\{provider="pathsim"\} \d+$/m);
    expect(text).toMatch(/^simgate_breaker_state\{origin="http:\/\/127\.0\.0\.1:\d+",provider="pathsim"\} [012]$/m);
    expect(text).toMatch(/^simgate_gateway_rate_limited_total\{tenant="t"\} \d+$/m);
    // the run index: runs held (every PathSim session once the backfill is done) and how old its head is
    expect(Number(/^simgate_index_runs\{provider="pathsim"\} (\d+)$/m.exec(text)?.[1])).toBe(sim.sessions().length);
    expect(Number(/^simgate_index_sync_lag_seconds\{provider="pathsim"\} ([\d.]+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(0);
  });

  it('GET /metrics has latency histograms per route and per provider, cumulative, counting every request and call', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/^# TYPE simgate_http_request_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE simgate_upstream_request_duration_seconds histogram$/m);
    for (const [name, label] of [['simgate_http_request_duration_seconds', 'route="/v1/runs"'], ['simgate_upstream_request_duration_seconds', 'provider="pathsim"']] as const) {
      const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)",${label.replace(/[/]/g, '\\/')}\\} (\\d+)$`, 'gm'))].map((m) => [m[1]!, Number(m[2])] as const);
      expect(buckets.length, name).toBeGreaterThan(5);
      expect(buckets.at(-1)![0]).toBe('+Inf');
      const counts = buckets.map(([, n]) => n);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      const count = Number(new RegExp(`^${name}_count\\{${label.replace(/[/]/g, '\\/')}\\} (\\d+)$`, 'm').exec(text)?.[1]);
      expect(count).toBe(counts.at(-1));
      expect(count).toBeGreaterThan(0);
      expect(Number(new RegExp(`^${name}_sum\\{${label.replace(/[/]/g, '\\/')}\\} ([\\d.e-]+)$`, 'm').exec(text)?.[1])).toBeGreaterThan(0);
    }
    // every answered /v1/runs request is in the histogram: its count equals the sum of the request counters of the route
    const answered = [...text.matchAll(/^simgate_http_requests_total\{route="\/v1\/runs",status="\d+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(Number(/^simgate_http_request_duration_seconds_count\{route="\/v1\/runs"\} (\d+)$/m.exec(text)?.[1])).toBe(answered);
  });

  it('logs are JSON lines with the request id and never a secret', () => {
    expect(logs.length).toBeGreaterThan(10);
    const parsed = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.some((l) => l['msg'] === 'request' && typeof l['request_id'] === 'string')).toBe(true);
    // an upstream failure's log line carries the id of the client request that caused it
    const upstream = parsed.filter((l) => l['msg'] === 'upstream error status' && l['provider'] === 'pathsim');
    expect(upstream.length).toBeGreaterThan(0);
    const requestIds = new Set(parsed.filter((l) => l['msg'] === 'request').map((l) => l['request_id']));
    expect(upstream.every((l) => requestIds.has(l['request_id']))).toBe(true);
    for (const secret of [sim.apiKey, 'prod-key-0001', 'tiny-budget-key']) expect(logs.join('\n')).not.toContain(secret);
  });
});
