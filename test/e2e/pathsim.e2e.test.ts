/**
 * End to end over HTTP: the gateway on loopback in front of the real PathSim simulator.
 * Ground truth comes from the simulator's own data with predicates written here, not from
 * the gateway's mapping code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPathsimSimulator, type PathsimSimulator, type PathsimSession } from '../../adapters/pathsim/simulator.js';
import { ErrorEnvelope, Run, type RunList } from '../../schemas/run.js';
import type { Config } from '../../src/config.js';
import type { RunningGateway } from '../../src/server.js';
import { type Client, client, gatewayFor, isNewestFirst, walk, withFreshGateway } from '../helpers.js';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
let sim: PathsimSimulator;
let gw: RunningGateway;
let c: Client;

/** The start a PathSim session really reports: the exact time for web runs (test_id), the minute otherwise. */
function startOf(s: PathsimSession): number {
  return s.row['Test Type'] === 'Web' ? s.createdAt : s.createdAt - (s.createdAt % 60_000);
}
const ids = (xs: PathsimSession[]): string[] => xs.map((s) => `pathsim:${s.row._id}`).sort();

const config = (): Config => ({
  tenants: {
    acme: {
      keys: [
        { key: 'acme-key-0001', scopes: ['runs:read', 'reports:read'] },
        { key: 'acme-reports-only', scopes: ['reports:read'] },
      ],
      providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } },
    },
    other: {
      keys: [{ key: 'other-key-0001', scopes: ['runs:read'] }],
      providers: { pathsim: { apiKey: 'wrong-vendor-key', baseUrl: sim.baseUrl } },
    },
  },
  providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 10 }, retries: 1, timeoutMs: 1500 } },
});

beforeAll(async () => {
  sim = await startPathsimSimulator({ seed: 7, now: NOW, limits: { perWindow: 100_000 } });
  gw = await gatewayFor(config());
  c = client(gw.url, 'acme-key-0001');
});

afterAll(async () => {
  await gw?.close(100);
  await sim?.close();
});

describe('full walk', () => {
  it('returns every simulator run exactly once, newest first, with limit=37', async () => {
    const { runs, pages } = await walk(c, 'limit=37');
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(ids(sim.sessions()));
    expect(isNewestFirst(runs)).toBe(true);
    expect(pages).toBe(Math.ceil(sim.sessions().length / 37));
    // the data has ties: several runs share a started_at, also across page boundaries
    const starts = runs.map((r) => r.started_at);
    expect(new Set(starts).size).toBeLessThan(starts.length);
    const boundaryTies = [...Array(pages - 1).keys()].filter((i) => starts[i * 37 + 36] === starts[i * 37 + 37]);
    expect(boundaryTies.length).toBeGreaterThan(0);
  });

  it('returns every original run exactly once while the vendor adds runs at the head', async () => {
    const before = ids(sim.sessions());
    const { runs } = await walk(c, 'limit=50', { between: () => void sim.addRuns(3) });
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    const gotSet = new Set(got);
    expect(before.filter((id) => !gotSet.has(id))).toEqual([]);
    expect(isNewestFirst(runs)).toBe(true);
  });
});

describe('filters against the simulator data', () => {
  const cases: Array<[string, (s: PathsimSession) => boolean]> = [
    ['channel=web', (s) => s.row['Test Type'] === 'Web'],
    ['channel=voice,web', (s) => ['Voice', 'Web'].includes(s.row['Test Type'])],
    ['channel=chat', () => false],
    ['outcome=passed', (s) => s.row.Connected === 'Connected' && s.row.Objective === 'Achieved'],
    ['outcome=failed', (s) => s.row.Connected === 'Connected' && s.row.Objective === 'Not Achieved'],
    ['outcome=none', (s) => !(s.row.Connected === 'Connected' && ['Achieved', 'Not Achieved'].includes(s.row.Objective))],
    ['status=running', (s) => s.row.Connected === 'In Progress'],
    ['status=failed', (s) => ['Failed', 'System Error'].includes(s.row.Connected)],
    ['status=evaluating', (s) => s.row.Connected === 'Connected' && s.row.Objective === '--'],
    ['status=completed&outcome=passed&channel=voice', (s) => s.row.Connected === 'Connected' && s.row.Objective === 'Achieved' && s.row['Test Type'] === 'Voice'],
    ['q=WEATHER', (s) => `${s.row['Virtual Customer']}|${s.row.Target}`.toLowerCase().includes('weather')],
    ['q=%2B1', (s) => `${s.row['Virtual Customer']}|${s.row.Target}`.toLowerCase().includes('+1')],
    ['provider=pathsim&channel=web&status=completed', (s) => s.row['Test Type'] === 'Web' && s.row.Connected === 'Connected' && s.row.Objective !== '--'],
    ['provider=synthflow', () => false],
  ];
  for (const [query, pred] of cases) {
    it(`${query} returns exactly the matching runs`, async () => {
      const expected = ids(sim.sessions().filter(pred));
      const { runs } = await walk(c, `${query}&limit=100`);
      expect(runs.map((r) => r.id).sort()).toEqual(expected);
      expect(isNewestFirst(runs)).toBe(true);
    });
  }

  it('from/to select started_at ≥ from and < to, also inside a minute', async () => {
    const all = sim.sessions();
    const mid = all[Math.floor(all.length / 2)]!;
    const from = startOf(mid) - 3 * 3600_000 + 17_000; // not on a minute boundary
    const to = startOf(mid) + 20_500;
    const expected = ids(all.filter((s) => startOf(s) >= from && startOf(s) < to));
    expect(expected.length).toBeGreaterThan(5);
    const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=100`;
    const { runs } = await walk(c, q);
    expect(runs.map((r) => r.id).sort()).toEqual(expected);
  });

  it('a bare date in from is UTC midnight', async () => {
    const day = new Date(sim.sessions()[0]!.createdAt).toISOString().slice(0, 10);
    const expected = ids(sim.sessions().filter((s) => startOf(s) >= Date.parse(`${day}T00:00:00Z`)));
    const { runs } = await walk(c, `from=${day}&limit=100`);
    expect(runs.map((r) => r.id).sort()).toEqual(expected);
  });
});

describe('one run', () => {
  it('GET /v1/runs/{id} maps the detail with transcript and evaluations', async () => {
    const s = sim.sessions().find((x) => x.row['Test Type'] === 'Voice' && x.row.Connected === 'Connected' && x.row.Objective === 'Achieved')!;
    const r = await c.json<{ data: Run }>(`/v1/runs/pathsim:${s.row._id}`);
    expect(r.status).toBe(200);
    const run = Run.parse(r.body.data);
    expect(run).toMatchObject({ provider: 'pathsim', native_id: s.row._id, status: 'completed', outcome: 'passed', channel: 'voice', target: s.row.Target });
    expect(run.transcript!.length).toBeGreaterThan(1);
    expect(run.transcript!.every((t) => t.role === 'tester' || t.role === 'target')).toBe(true);
    expect(run.evaluations!.find((e) => e.name === 'objective_met')?.passed).toBe(s.detail.objective_met);
    expect(run.recording).toEqual({ content_type: 'audio/wav', url: `/v1/runs/pathsim:${s.row._id}/recording` });
    expect(run.duration_ms).toBeGreaterThan(0);
    expect(run.raw).toBeUndefined();
    const withRaw = await c.json<{ data: Run }>(`/v1/runs/pathsim:${s.row._id}?include=raw`);
    expect(withRaw.body.data.raw).toBeDefined();
  });

  it('include=transcript,evaluations fills list items from the detail', async () => {
    const r = await c.json<{ data: Run[] }>('/v1/runs?limit=5&include=transcript,evaluations');
    expect(r.status).toBe(200);
    for (const run of r.body.data) {
      expect(Array.isArray(run.transcript)).toBe(true);
      expect(Array.isArray(run.evaluations)).toBe(true);
    }
  });

  it('streams the recording with content type and honours Range', async () => {
    const s = sim.sessions().find((x) => x.detail.recording_url && x.row['Test Type'] === 'Voice')!;
    const full = await c.get(`/v1/runs/pathsim:${s.row._id}/recording`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    const bytes = new Uint8Array(await full.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe('RIFF');
    const part = await c.get(`/v1/runs/pathsim:${s.row._id}/recording`, undefined, { range: 'bytes=0-99' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
  });

  it('a run without a recording is 404', async () => {
    const s = sim.sessions().find((x) => !x.detail.recording_url)!;
    const r = await c.json<ErrorEnvelope>(`/v1/runs/pathsim:${s.row._id}/recording`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});

describe('errors', () => {
  const expectEnvelope = (body: unknown, code: string, status: number): void => {
    const e = ErrorEnvelope.parse(body);
    expect(e.error.code).toBe(code);
    expect(e.error.status).toBe(status);
    expect(e.error.request_id.length).toBeGreaterThan(0);
  };

  it('401 without a key and with an unknown key; 403 without the scope', async () => {
    const none = await c.json('/v1/runs', null);
    expect(none.status).toBe(401);
    expectEnvelope(none.body, 'unauthorized', 401);
    const bad = await c.json('/v1/runs', 'nope-nope-nope');
    expectEnvelope(bad.body, 'unauthorized', 401);
    const scope = await c.json('/v1/runs', 'acme-reports-only');
    expect(scope.status).toBe(403);
    expectEnvelope(scope.body, 'forbidden', 403);
  });

  it('400 invalid_request names the parameter', async () => {
    for (const [q, path] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['provider=nope', 'provider'],
      ['status=done', 'status'],
      ['outcome=maybe', 'outcome'],
      ['channel=fax', 'channel'],
      ['from=yesterday', 'from'],
      ['include=everything', 'include'],
    ] as const) {
      const r = await c.json<ErrorEnvelope>(`/v1/runs?${q}`);
      expect(r.status, q).toBe(400);
      expectEnvelope(r.body, 'invalid_request', 400);
      expect(r.body.error.details?.map((d) => d.path)).toContain(path);
    }
  });

  it('invalid_cursor for tampered, garbled and foreign cursors', async () => {
    const first = await c.json<{ next_cursor: string }>('/v1/runs?limit=10');
    const cur = first.body.next_cursor;
    const [v, body, mac] = cur.split('.') as [string, string, string];
    const flipped = body.slice(0, 10) + (body[10] === 'A' ? 'B' : 'A') + body.slice(11);
    for (const bad of [`${v}.${flipped}.${mac}`, 'garbage', `2.${body}.${mac}`, `${v}.${body}.${mac.slice(2)}`, '']) {
      const r = await c.json<ErrorEnvelope>(`/v1/runs?limit=10&cursor=${encodeURIComponent(bad)}`);
      if (bad === '') continue; // empty cursor = first page
      expect(r.status, bad).toBe(400);
      expectEnvelope(r.body, 'invalid_cursor', 400);
    }
    const otherQuery = await c.json<ErrorEnvelope>(`/v1/runs?limit=10&channel=web&cursor=${encodeURIComponent(cur)}`);
    expectEnvelope(otherQuery.body, 'invalid_cursor', 400);
    const otherTenant = await c.json<ErrorEnvelope>(`/v1/runs?limit=10&cursor=${encodeURIComponent(cur)}`, 'other-key-0001');
    expectEnvelope(otherTenant.body, 'invalid_cursor', 400);
  });

  it('not_found for malformed ids, unknown providers, unknown runs and unknown routes', async () => {
    for (const id of ['nocolon', 'synthflow:abc', 'pathsim:doesnotexist0000000000', 'pathsim:bad%20id', 'x'.repeat(600)]) {
      const r = await c.json<ErrorEnvelope>(`/v1/runs/${id}`);
      expect(r.status, id).toBe(404);
      expectEnvelope(r.body, 'not_found', 404);
    }
    const route = await c.json('/v2/nothing');
    expectEnvelope(route.body, 'not_found', 404);
  });

  it('405 envelope with Allow for a wrong method', async () => {
    const res = await fetch(`${gw.url}/v1/runs`, { method: 'DELETE', headers: { authorization: 'Bearer acme-key-0001' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expectEnvelope(await res.json(), 'method_not_allowed', 405);
  });

  it('a vendor that rejects the credential is provider_error 502 without leaking the key', async () => {
    const r = await c.json<ErrorEnvelope>('/v1/runs', 'other-key-0001');
    expect(r.status).toBe(502);
    expectEnvelope(r.body, 'provider_error', 502);
    expect(r.body.error.provider).toBe('pathsim');
    expect(JSON.stringify(r.body)).not.toContain('wrong-vendor-key');
  });

  /** A gateway whose run index is still empty: what the vendor answers decides the answer. */
  const cold = <T>(fn: (c: Client) => Promise<T>): Promise<T> => withFreshGateway({ config: config() }, 'acme-key-0001', fn);

  it('with a cold index, vendor failures map to 502 / 503 / 504, never 500', async () => {
    const cases: Array<[Parameters<typeof sim.server.injectFault>[0], string, number]> = [
      [{ status: 500, match: '/workspaces' }, 'provider_error', 502],
      [{ status: 503, match: '/workspaces' }, 'provider_unavailable', 503],
      [{ delayMs: 2500, match: '/workspaces' }, 'provider_timeout', 504],
      [{ malformed: true, match: '/sessions' }, 'provider_error', 502],
      [{ reset: true, match: '/workspaces' }, 'provider_unavailable', 503],
    ];
    for (const [fault, code, status] of cases) {
      sim.server.injectFault({ ...fault, times: 10 });
      const r = await cold((cc) => cc.json<ErrorEnvelope>('/v1/runs'));
      sim.server.clearFaults();
      expect(r.status, JSON.stringify(fault)).toBe(status);
      expectEnvelope(r.body, code, status);
    }
  });

  it('with a warm index, a failing vendor still answers from the index, saying how fresh and why', async () => {
    await walk(c, 'limit=100');
    sim.server.injectFault({ status: 500, match: '/sessions' });
    const r = await c.json<RunList>('/v1/runs?limit=20');
    sim.server.clearFaults();
    expect(r.status).toBe(200);
    expect(r.body.partial).toBe(false);
    expect(r.body.data.length).toBe(20);
    const p = r.body.providers['pathsim']!;
    expect(p).toMatchObject({ status: 'ok', index: 'ready', sync_error: { code: 'provider_error', retryable: false } });
    expect(Date.parse(p.fresh_as_of!)).toBeLessThan(Date.now());
    // once the vendor is back, the same request re-syncs the head: fresh again, no sync error
    const again = await c.json<RunList>('/v1/runs?limit=20');
    expect(again.body.providers['pathsim']!.sync_error).toBeUndefined();
    expect(Date.parse(again.body.providers['pathsim']!.fresh_as_of!)).toBeGreaterThan(Date.parse(p.fresh_as_of!));
  });

  it('a transient vendor 500 is retried and the request succeeds', async () => {
    sim.server.injectFault({ status: 500, match: '/workspaces', times: 1 });
    const r = await cold((cc) => cc.json<RunList>('/v1/runs?limit=3'));
    expect(r.status).toBe(200);
    expect(r.body.data.length).toBe(3);
  });

  it('a vendor 429 with Retry-After is waited out, not failed', async () => {
    sim.server.injectFault({ status: 429, retryAfterS: 1, match: '/sessions', times: 1 });
    const t0 = Date.now();
    const r = await cold((cc) => cc.json<RunList>('/v1/runs?limit=3'));
    expect(r.status).toBe(200);
    expect(r.body.data.length).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });
});

describe('headers', () => {
  it('echoes X-Request-Id, sets one otherwise, and sends Server-Timing on vendor-backed answers', async () => {
    const res = await c.get('/v1/runs?limit=1', undefined, { 'x-request-id': 'abc-123' });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(res.headers.get('server-timing')).toMatch(/gateway;dur=\d+.*pathsim;dur=\d+/);
    const other = await c.get('/healthz', null);
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /v1/providers lists pathsim with capabilities and limits', async () => {
    const r = await c.json<{ data: Array<{ id: string; capabilities: { filters_pushed_down: string[] }; rate_limit: { per_minute: number } }> }>('/v1/providers');
    expect(r.status).toBe(200);
    expect(r.body.data.map((p) => p.id)).toEqual(['pathsim']);
    expect(r.body.data[0]!.capabilities.filters_pushed_down).toContain('channel');
    expect(r.body.data[0]!.rate_limit.per_minute).toBe(100_000);
  });
});
