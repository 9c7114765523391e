/**
 * The Cloudflare Workers build: the bundle `wrangler deploy --dry-run` makes, run inside workerd (Miniflare),
 * in front of the PathSim simulator on loopback. Proves the Worker serves the same app as Node.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import { assetsBinding, bundleWorker, workerBundle } from './worker-harness.js';
import { CacheApiStore, KV_MAX_KEY_BYTES, KvStore, type CacheApi, type KvNamespace } from '../src/workers-cache.js';
import { startPathsimSimulator, type PathsimSimulator, type PathsimSession } from '../adapters/pathsim/simulator.js';

const TENANT_KEY = 'worker-tenant-key';
/** Two more tenants with the same PathSim (same vendor key), for the cache tests: nothing cached is shared between them. */
const CACHE_A_KEY = 'worker-cache-a-key';
const CACHE_B_KEY = 'worker-cache-b-key';
/** A tenant whose index is started in beforeAll, its head stale by the last test (maxStalenessMs 15 s). */
const CACHE_STALE_KEY = 'worker-cache-stale-key';
const LIST = '/v1/runs?limit=5';
/** A key with a tiny per-minute limit (the gateway's own per-key limit). */
const LIMITED_KEY = 'worker-limited-key';
const SECRET_IN_BAD_CONFIG = 'super-secret-value-123';
type Json = Record<string, any>;

let bundle: string;
let sim: PathsimSimulator;
let mf: Miniflare;
/** When the stale-test tenant's list was cached. */
let stalePrimedAt = 0;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A request to one of the Workers (the first, `simgate`, unless named). */
async function get(
  p: string,
  o: { key?: string; worker?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Json; text: string }> {
  const headers: Record<string, string> = { ...o.headers, ...(o.key ? { Authorization: `Bearer ${o.key}` } : {}) };
  const url = `http://simgate.test${p}`;
  const res = o.worker ? await (await mf.getWorker(o.worker)).fetch(url, { headers }) : await mf.dispatchFetch(url, { headers });
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers as unknown as Headers, body, text };
}

function expectEnvelope(body: Json, code: string, status: number): void {
  expect(body.error).toMatchObject({ code, status, retryable: expect.any(Boolean), request_id: expect.any(String) });
  expect(typeof body.error.message).toBe('string');
}

beforeAll(async () => {
  bundle = workerBundle().bundle;
  expect(workerBundle().stdout).toMatch(/--dry-run: exiting now/);

  sim = await startPathsimSimulator({ limits: { perWindow: 100_000, concurrency: 100 } });
  const config = {
    tenants: {
      acme: {
        keys: [
          { key: TENANT_KEY, scopes: ['runs:read', 'reports:read'] },
          { key: LIMITED_KEY, scopes: ['runs:read'], perMinute: 2 },
        ],
        // `${PATHSIM_API_KEY}` is read from another binding of the Worker
        providers: { pathsim: { apiKey: '${PATHSIM_API_KEY}', baseUrl: sim.baseUrl } },
      },
      'cache-a': {
        keys: [{ key: CACHE_A_KEY, scopes: ['runs:read'] }],
        providers: { pathsim: { apiKey: '${PATHSIM_API_KEY}', baseUrl: sim.baseUrl } },
      },
      'cache-b': {
        keys: [{ key: CACHE_B_KEY, scopes: ['runs:read'] }],
        providers: { pathsim: { apiKey: '${PATHSIM_API_KEY}', baseUrl: sim.baseUrl } },
      },
      'cache-stale': {
        keys: [{ key: CACHE_STALE_KEY, scopes: ['runs:read'] }],
        providers: { pathsim: { apiKey: '${PATHSIM_API_KEY}', baseUrl: sim.baseUrl } },
      },
    },
    providers: { pathsim: { rateLimit: { perMinute: 10_000, concurrency: 10 } } },
  };
  const common = bundleWorker();
  mf = new Miniflare({
    workers: [
      {
        ...common,
        name: 'simgate',
        bindings: { SIMGATE_CONFIG: JSON.stringify(config), PATHSIM_API_KEY: sim.apiKey },
        assets: assetsBinding,
      },
      // the same gateway with a KV namespace bound as CACHE: the cache lives in KV instead of the Cache API
      { ...common, name: 'simgate-kv', bindings: { SIMGATE_CONFIG: JSON.stringify(config), PATHSIM_API_KEY: sim.apiKey }, kvNamespaces: ['CACHE'] },
      { ...common, name: 'bad-json', bindings: { SIMGATE_CONFIG: `{"tenants": {"acme": {"keys": [{"key": "${SECRET_IN_BAD_CONFIG}" ` } },
      {
        ...common,
        name: 'bad-schema',
        bindings: { SIMGATE_CONFIG: JSON.stringify({ tenants: { acme: { keys: [{ key: SECRET_IN_BAD_CONFIG, scopes: ['runs:read'] }], providers: { pathsim: {} } } } }) },
      },
      { ...common, name: 'no-config', bindings: {} },
    ],
  });
  await mf.ready;
  // indexed now (its first pages), stale by the time the last test runs (the tests in between shorten its wait)
  const primed = await get(LIST, { key: CACHE_STALE_KEY });
  expect(primed.body.providers?.pathsim?.cache, primed.text).toBe('miss');
  stalePrimedAt = Date.now();
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await sim?.close();
});

describe('the wrangler bundle', () => {
  it('imports no node:* module and stays small', async () => {
    const code = await readFile(bundle);
    expect(code.toString('utf8')).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
    // Workers limits: 3 MiB gzipped (free plan)
    expect(gzipSync(code).length).toBeLessThan(3 * 1024 * 1024);
  });
});

describe('the Worker in workerd', () => {
  it('answers /healthz with 200 and a request id', async () => {
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: { status: 'ok' } });
    expect(r.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves PathSim runs in the unified model, matching the simulator ground truth, and walks every page once', async () => {
    const truth = new Map<string, PathsimSession>(sim.sessions().map((s) => [s.row._id, s]));
    const seen: string[] = [];
    let cursor: string | null = null;
    let lastStart = Infinity;
    let pages = 0;
    do {
      const r = await get(`/v1/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: TENANT_KEY });
      expect(r.status, r.text).toBe(200);
      expect(r.body.partial).toBe(false);
      expect(r.body.providers.pathsim.status).toBe('ok');
      // the vendor's time when it was asked (a later page may come wholly from the cache: the upstream pages are cached)
      expect(r.headers.get('server-timing')).toMatch(r.body.providers.pathsim.cache === 'hit' ? /^gateway;dur=\d+$/ : /gateway;dur=\d+.*pathsim;dur=\d+/);
      const runs = r.body.data as Json[];
      expect(runs.length).toBeGreaterThan(0);
      for (const x of runs) {
        const s = truth.get(x.native_id);
        expect(s, `unknown run ${x.id}`).toBeDefined();
        const row = s!.row;
        expect(x).toMatchObject({
          id: `pathsim:${row._id}`,
          provider: 'pathsim',
          channel: row['Test Type'] === 'Voice' ? 'voice' : 'web',
          target: row.Target,
          scenario: { name: row['Virtual Customer'] },
          source: row.Source === 'Campaign' ? 'campaign' : 'ad_hoc',
          status_raw: `${row.Connected}/${row.Objective}`,
        });
        const started = Date.parse(x.started_at);
        expect(started).toBe(x.started_at_precision === 'ms' ? s!.createdAt : s!.createdAt - (s!.createdAt % 60_000));
        if (row.Connected === 'Connected' && row.Objective === 'Achieved') expect([x.status, x.outcome]).toEqual(['completed', 'passed']);
        if (row.Connected === 'Failed') expect([x.status, x.outcome]).toEqual(['failed', 'none']);
        // lists leave the heavy fields out
        expect(x).not.toHaveProperty('transcript');
        expect(x).not.toHaveProperty('raw');
        // newest first, also across the page boundary
        expect(started).toBeLessThanOrEqual(lastStart);
        lastStart = started;
        seen.push(x.id);
      }
      if (pages === 0) expect(r.body.next_cursor).toEqual(expect.any(String));
      cursor = r.body.next_cursor as string | null;
      pages += 1;
    } while (cursor && pages < 20);
    expect(cursor).toBeNull();
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size).toBe(seen.length); // no repeats
    expect(new Set(seen)).toEqual(new Set([...truth.keys()].map((id) => `pathsim:${id}`))); // none skipped
  });

  it('answers reports in workerd from the same rollups: the summary counts every run the walk returns, and its CSV', async () => {
    const walked: Json[] = [];
    let cursor: string | null = null;
    do {
      const r = await get(`/v1/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: TENANT_KEY });
      walked.push(...(r.body.data as Json[]));
      cursor = r.body.next_cursor as string | null;
    } while (cursor);
    const r = await get('/v1/reports/summary?from=2000-01-01&group_by=provider', { key: TENANT_KEY });
    expect(r.status, r.text).toBe(200);
    expect(r.body.partial).toBe(false);
    expect(r.body.data.totals.runs).toBe(walked.length);
    expect(r.body.data.totals.passed).toBe(walked.filter((x) => x.status === 'completed' && x.outcome === 'passed').length);
    const csv = await get('/v1/reports/summary?from=2000-01-01&group_by=provider&format=csv', { key: TENANT_KEY });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('provider,runs,passed,failed,errored,pending,cancelled,not_evaluated,pass_rate,avg_score,duration_ms_p50,duration_ms_p90');
    expect(csv.text.split('\r\n')[1]).toMatch(new RegExp(`^pathsim,${walked.length},`));
  });

  it('answers without a key with the 401 envelope', async () => {
    const r = await get('/v1/runs');
    expect(r.status).toBe(401);
    expectEnvelope(r.body, 'unauthorized', 401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers an unknown route with the 404 envelope', async () => {
    const r = await get('/v1/nope', { key: TENANT_KEY });
    expect(r.status).toBe(404);
    expectEnvelope(r.body, 'not_found', 404);
  });

  it('serves an OpenAPI 3.1 document', async () => {
    const r = await get('/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\.1\./);
    expect(r.body.paths).toHaveProperty('/v1/runs');
  });

  it('serves the docs page and its swagger-ui assets through the ASSETS binding', async () => {
    const page = await get('/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    const css = await get('/docs/assets/swagger-ui.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.text.length).toBeGreaterThan(1000);
    const missing = await get('/docs/assets/nope.js');
    expect(missing.status).toBe(404);
    expectEnvelope(missing.body, 'not_found', 404);
  });

  it('serves the dashboard page and its files (uPlot included) through the ASSETS binding', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    expect(page.text).toContain('/dashboard/assets/dashboard.js');
    for (const [name, type] of [['dashboard.js', /^text\/javascript/], ['uPlot.iife.min.js', /^text\/javascript/], ['uPlot.min.css', /^text\/css/]] as const) {
      const r = await get(`/dashboard/assets/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.headers.get('content-type')).toMatch(type);
      expect(r.text.length).toBeGreaterThan(100);
    }
    const missing = await get('/dashboard/assets/index.html');
    expect(missing.status).toBe(404);
    expectEnvelope(missing.body, 'not_found', 404);
  });

  it('answers every request with the 500 envelope when SIMGATE_CONFIG is not JSON, without echoing it', async () => {
    for (const p of ['/healthz', '/v1/runs']) {
      const r = await get(p, { worker: 'bad-json' });
      expect(r.status).toBe(500);
      expectEnvelope(r.body, 'internal', 500);
      expect(r.body.error.message).toMatch(/SIMGATE_CONFIG.*not valid JSON/);
      expect(r.text).not.toContain(SECRET_IN_BAD_CONFIG);
    }
  });

  it('answers with the 500 envelope naming the invalid config path, without the config content', async () => {
    const r = await get('/healthz', { worker: 'bad-schema' });
    expect(r.status).toBe(500);
    expectEnvelope(r.body, 'internal', 500);
    expect(r.body.error.message).toContain('tenants.acme.providers.pathsim.apiKey: required');
    expect(r.text).not.toContain(SECRET_IN_BAD_CONFIG);
  });

  it('answers with the 500 envelope when SIMGATE_CONFIG is not set', async () => {
    const r = await get('/healthz', { worker: 'no-config' });
    expect(r.status).toBe(500);
    expectEnvelope(r.body, 'internal', 500);
    expect(r.body.error.message).toMatch(/SIMGATE_CONFIG is not set/);
  });
});

describe('the Worker cache', () => {
  /** One request, with how many calls the PathSim simulator answered meanwhile. */
  async function counted(p: string, o: Parameters<typeof get>[1]): Promise<Awaited<ReturnType<typeof get>> & { simCalls: number }> {
    const before = sim.server.log.length;
    const r = await get(p, o);
    expect(r.status, r.text).toBe(200);
    return { ...r, simCalls: sim.server.log.length - before };
  }
  const finished = (): PathsimSession => sim.sessions().find((x) => x.row.Connected === 'Connected' && x.row.Objective !== '--')!;
  const detail = (s: PathsimSession): string => `/v1/runs/pathsim:${s.row._id}`;

  it('answers a repeated run from the Cache API without calling the vendor', async () => {
    const run = finished();
    const first = await counted(detail(run), { key: CACHE_A_KEY });
    expect(first.simCalls).toBeGreaterThan(0);
    expect(first.headers.get('server-timing')).toMatch(/pathsim;dur=\d+/);
    const second = await counted(detail(run), { key: CACHE_A_KEY });
    expect(second.simCalls).toBe(0);
    expect(second.body).toEqual(first.body);
    expect(second.body.data.transcript.length).toBeGreaterThan(0);
  });

  it('Cache-Control: no-cache asks the vendor again for a run that can still change, not for a finished one', async () => {
    const open = sim.sessions().find((x) => sim.unfinishedIds().includes(x.row._id))!;
    await counted(detail(open), { key: CACHE_A_KEY });
    const again = await counted(detail(open), { key: CACHE_A_KEY, headers: { 'Cache-Control': 'no-cache' } });
    expect(again.simCalls).toBeGreaterThan(0);
    const done = await counted(detail(finished()), { key: CACHE_A_KEY, headers: { 'Cache-Control': 'no-cache' } });
    expect(done.simCalls).toBe(0);
  });

  it('keeps tenants apart: another tenant with the same vendor key misses on its first request', async () => {
    // cache-a has just cached exactly this run, with the same vendor key
    const first = await counted(detail(finished()), { key: CACHE_B_KEY });
    expect(first.simCalls).toBeGreaterThan(0);
    const second = await counted(detail(finished()), { key: CACHE_B_KEY });
    expect(second.simCalls).toBe(0);
  });

  it('serves hits from a KV namespace bound as CACHE', async () => {
    const first = await counted(detail(finished()), { key: TENANT_KEY, worker: 'simgate-kv' });
    expect(first.simCalls).toBeGreaterThan(0);
    const second = await counted(detail(finished()), { key: TENANT_KEY, worker: 'simgate-kv' });
    expect(second.simCalls).toBe(0);
    expect(second.body).toEqual(first.body);
    // the entries are in KV, under the tenant's prefix
    const kv = await mf.getKVNamespace('CACHE', 'simgate-kv');
    const { keys } = await kv.list();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.name).toMatch(/^v1\|acme\|pathsim\|[0-9a-f]{16}\|/);
    expect(keys.every((k) => k.expiration === undefined || k.expiration * 1000 > Date.now())).toBe(true);
  });

  it('counts cache results in /metrics', async () => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^simgate_cache_requests_total\{result="hit"\} [1-9]/m);
    expect(r.text).toMatch(/^simgate_cache_requests_total\{result="bypass"\} [1-9]/m);
  });

  it('limits requests per gateway key (in the isolate)', async () => {
    // perMinute 2 in fixed one-minute windows: of 5 quick requests at least 3 fall in one window
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof get>> | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await get('/v1/providers', { key: LIMITED_KEY });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(limited, statuses.join(',')).toBeDefined();
    expectEnvelope(limited!.body, 'rate_limited', 429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('the Workers cache stores', () => {
  it('KvStore: keys within 512 bytes as they are, longer ones hashed behind a readable head; ttl at least 60 s', async () => {
    const puts: Array<{ key: string; ttl: number | undefined }> = [];
    const map = new Map<string, string>();
    const kv: KvNamespace = {
      get: async (k) => map.get(k) ?? null,
      put: async (k, v, o) => {
        puts.push({ key: k, ttl: o?.expirationTtl });
        map.set(k, v);
      },
    };
    const store = new KvStore(kv);
    await store.set('v1|acme|pathsim|0123456789abcdef|https://x/short', 'a', 15_000);
    await store.set('v1|acme|pathsim|0123456789abcdef|https://x/long', 'b', 135_001);
    expect(puts.map((p) => p.ttl)).toEqual([60, 136]);
    expect(puts[0]!.key).toBe('v1|acme|pathsim|0123456789abcdef|https://x/short');
    const long = `v1|acme|pathsim|0123456789abcdef|https://x/?q=${'é'.repeat(400)}`;
    const longer = `${long}z`;
    await store.set(long, 'c', 1000);
    await store.set(longer, 'd', 1000);
    const [k1, k2] = [await store.kvKey(long), await store.kvKey(longer)];
    expect(k1).not.toBe(k2);
    for (const k of [k1, k2]) {
      expect(new TextEncoder().encode(k).length).toBeLessThanOrEqual(KV_MAX_KEY_BYTES);
      expect(k).toMatch(/^v1\|acme\|pathsim\|.*#[0-9a-f]{64}$/);
    }
    expect([await store.get(long), await store.get(longer), await store.get('absent')]).toEqual(['c', 'd', null]);
  });

  it('KvStore works against the KV of workerd (its key and ttl limits)', async () => {
    const store = new KvStore((await mf.getKVNamespace('CACHE', 'simgate-kv')) as unknown as KvNamespace);
    const long = `v1|t|pathsim|fp|https://x/?q=${'x'.repeat(2000)}`;
    await store.set(long, 'long value', 5_000); // a 5 s ttl: KV alone would refuse it
    expect(await store.get(long)).toBe('long value');
  });

  it('CacheApiStore: a synthetic GET per key (SHA-256), the ttl as max-age, the text back', async () => {
    const put: Array<[Request, Response]> = [];
    const cache: CacheApi = {
      match: async (req) => put.find(([r]) => r.url === req.url)?.[1].clone(),
      put: async (req, res) => {
        put.push([req, res]);
      },
    };
    const store = new CacheApiStore(cache);
    await store.set('v1|acme|pathsim|fp|https://x/a', '{"v":1}', 135_001);
    const [req, res] = put[0]!;
    expect(req.method).toBe('GET');
    expect(req.url).toMatch(/^https:\/\/simgate-cache\.internal\/[0-9a-f]{64}$/);
    expect(res.headers.get('cache-control')).toBe('max-age=136');
    expect(await store.get('v1|acme|pathsim|fp|https://x/a')).toBe('{"v":1}');
    expect(await store.get('v1|other|pathsim|fp|https://x/a')).toBeNull();
  });
});

describe('the run index in the Worker', () => {
  /** The request, or a failure when it has not answered within `ms`. */
  async function within(ms: number, r: ReturnType<typeof get>): ReturnType<typeof get> {
    return Promise.race([r, sleep(ms).then(() => Promise.reject(new Error(`no answer within ${ms} ms`)))]);
  }

  it('its sync goes on after the answer that started it (waitUntil), and a stale head is re-synced', async () => {
    // the tenant primed in beforeAll: its first list answered from the first pages; the backfill went on after it
    const deadline = Date.now() + 10_000;
    let state = '';
    while (Date.now() < deadline && state !== 'ready') {
      state = (await get('/v1/providers', { key: CACHE_STALE_KEY })).body.data[0].index.state;
      if (state !== 'ready') await sleep(100);
    }
    expect(state).toBe('ready');
    const walked = await get('/v1/providers', { key: CACHE_STALE_KEY });
    expect(walked.body.data[0].index.runs).toBe(sim.sessions().length);
    // older than maxStalenessMs: the next list re-syncs the head before answering, even from a slow vendor
    await sleep(Math.max(0, stalePrimedAt + 15_000 + 200 - Date.now()));
    sim.server.latencyMs = 300;
    try {
      const before = sim.server.log.length;
      const r = await within(5_000, get(LIST, { key: CACHE_STALE_KEY }));
      expect(r.status, r.text).toBe(200);
      expect(r.body.providers.pathsim).toMatchObject({ status: 'ok', cache: 'miss', index: 'ready' });
      expect(Date.parse(r.body.providers.pathsim.fresh_as_of)).toBeGreaterThan(stalePrimedAt);
      // one head page per workspace, nothing deeper
      const asked = sim.server.log.slice(before).map((l) => `${l.path}${l.query}`);
      expect(asked.every((q) => !/[?&]offset=(?!0(&|$))/.test(q)), asked.join('\n')).toBe(true);
      const again = await within(5_000, get(LIST, { key: CACHE_STALE_KEY }));
      expect(again.body.providers.pathsim.cache).toBe('hit');
    } finally {
      sim.server.latencyMs = 0;
    }
  }, 30_000);
});
