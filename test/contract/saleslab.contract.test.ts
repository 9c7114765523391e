/**
 * Sales Lab adapter ↔ its simulator, over HTTP through the real gateway. Ground truth comes from
 * the simulator's own data with predicates written here (simgate's decisions: scored → completed,
 * or evaluating while its scorecard 404s; outcome by passScore), not from the adapter's map code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saleslab } from '../../adapters/saleslab/index.js';
import { startSaleslabSimulator, type SaleslabRun, type SaleslabSimulator } from '../../adapters/saleslab/simulator.js';
import { ErrorEnvelope, Run, type RunList } from '../../schemas/run.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/core/log.js';
import type { Adapter } from '../../src/core/types.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { client, isNewestFirst, walk, type Client } from '../helpers.js';

const NOW = Date.parse('2026-05-06T17:00:00Z');
let sim: SaleslabSimulator;
let driftSim: SaleslabSimulator;
let noUsersSim: SaleslabSimulator;
let gw: RunningGateway;
let plainGw: RunningGateway;
let c: Client;
let plain: Client;

// ground truth, from the simulator's data
const t = (r: SaleslabRun): number => Date.parse(r.session.started_at);
function statusOf(r: SaleslabRun): string {
  const s = r.session.status;
  if (s === 'scored') return r.scorecard ? 'completed' : 'evaluating';
  if (s === 'in_progress' || s === 'live') return 'running';
  if (s === 'ended' || s === 'scoring') return 'evaluating';
  if (s === 'abandoned' || s === 'failed') return 'failed';
  return 'unknown';
}
function outcomeOf(r: SaleslabRun, pass = 70): string {
  if (r.session.status !== 'scored' || !r.scorecard) return 'none';
  return Number(r.scorecard.overall_score) >= pass ? 'passed' : 'failed';
}
const repName = (s: SaleslabSimulator, r: SaleslabRun): string => s.users().find((u) => u.id === r.session.user_id)!.full_name;
const scenarioName = (s: SaleslabSimulator, r: SaleslabRun): string => s.scenarios().find((x) => x.id === r.session.scenario_id)!.name;
const ids = (xs: SaleslabRun[]): string[] => xs.map((r) => `saleslab:${r.session.id}`).sort();
const sortedIds = (runs: Run[]): string[] => runs.map((r) => r.id).sort();

function config(): Config {
  const key = (k: string) => [{ key: k, scopes: ['runs:read' as const, 'reports:read' as const] }];
  return {
    tenants: {
      acme: { keys: key('acme-key-0001'), providers: { saleslab: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } },
      strict: { keys: key('strict-key-0001'), providers: { saleslab: { apiKey: sim.apiKey, baseUrl: sim.baseUrl, passScore: 90 } } },
      drift: { keys: key('drift-key-0001'), providers: { saleslab: { apiKey: driftSim.apiKey, baseUrl: driftSim.baseUrl } } },
      nousers: { keys: key('nousers-key-0001'), providers: { saleslab: { apiKey: noUsersSim.apiKey, baseUrl: noUsersSim.baseUrl } } },
      wrong: { keys: key('wrong-key-0001'), providers: { saleslab: { apiKey: 'wrong-vendor-token', baseUrl: sim.baseUrl } } },
    },
    providers: { saleslab: { rateLimit: { perMinute: 100_000, concurrency: 8 }, retries: 1, timeoutMs: 1500 } },
  };
}

/** The adapter with nothing pushed down: the gateway alone filters. */
const noPushdown: Adapter = { ...saleslab, sources: (ctx) => saleslab.sources(ctx, {}) };

beforeAll(async () => {
  const limits = { perWindow: 100_000 };
  sim = await startSaleslabSimulator({ now: NOW, limits });
  driftSim = await startSaleslabSimulator({ now: NOW, limits, drift: true, seed: 3, count: 80 });
  noUsersSim = await startSaleslabSimulator({ now: NOW, limits, count: 20, scopes: ['sessions:read', 'scorecards:read', 'scenarios:read'] });
  gw = await startGateway({ config: config(), adapters: { saleslab }, log: silentLogger, port: 0 });
  plainGw = await startGateway({ config: config(), adapters: { saleslab: noPushdown }, log: silentLogger, port: 0 });
  c = client(gw.url, 'acme-key-0001');
  plain = client(plainGw.url, 'acme-key-0001');
});

afterAll(async () => {
  await gw?.close(100);
  await plainGw?.close(100);
  await Promise.all([sim?.close(), driftSim?.close(), noUsersSim?.close()]);
});

describe('full walk', () => {
  it('returns every simulator session exactly once, newest first, with limit=37', async () => {
    sim.server.resetStats();
    const { runs, pages } = await walk(c, 'limit=37');
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(ids(sim.sessions()));
    expect(isNewestFirst(runs)).toBe(true);
    expect(pages).toBe(Math.ceil(sim.sessions().length / 37));
    // ties of started_at straddle the gateway's page boundaries
    const starts = runs.map((r) => r.started_at);
    expect([...Array(pages - 1).keys()].some((i) => starts[i * 37 + 36] === starts[i * 37 + 37])).toBe(true);
    // each gateway page names reps and scenarios once; the join asks only for scored sessions' scorecards
    expect(sim.server.count('/api/v1/users')).toBe(pages);
    expect(sim.server.count('/api/v1/scorecards/')).toBeGreaterThanOrEqual(sim.sessions().filter((r) => r.session.status === 'scored').length);
  });

  it('maps status, outcome, score, names and times as the simulator holds them', async () => {
    const { runs } = await walk(c, 'limit=100');
    const byId = new Map(runs.map((r) => [r.id, r]));
    for (const s of sim.sessions()) {
      const run = byId.get(`saleslab:${s.session.id}`)!;
      expect(run.status, s.session.status).toBe(statusOf(s));
      expect(run.status_raw).toBe(s.session.status);
      expect(run.outcome).toBe(outcomeOf(s));
      expect(run.score).toEqual(s.scorecard ? { value: Number(s.scorecard.overall_score) / 100, raw: Number(s.scorecard.overall_score), max: 100 } : null);
      expect(run.summary).toBe(s.scorecard ? `${s.scorecard.verdict}: ${s.scorecard.headline}` : null);
      expect(run.agent).toEqual({ id: s.session.user_id, name: repName(sim, s) });
      expect(run.scenario).toEqual({ id: s.session.scenario_id, name: scenarioName(sim, s) });
      expect(Date.parse(run.started_at)).toBe(t(s));
      expect(run.started_at_precision).toBe('s');
      expect(run.duration_ms).toBe(s.session.duration_seconds === null ? null : s.session.duration_seconds * 1000);
      expect(run.ended_at === null ? null : Date.parse(run.ended_at)).toBe(s.session.ended_at === null ? null : Date.parse(s.session.ended_at));
      expect([run.channel, run.source, run.group_id, run.recording, run.transcript, run.raw]).toEqual(['voice', 'unknown', null, null, undefined, undefined]);
    }
  });

  it('with vendor drift every session is still listed once: paused → unknown, "81" → 81, legendary kept', async () => {
    const d = client(gw.url, 'drift-key-0001');
    const first = await d.json<RunList>('/v1/runs?limit=37');
    expect(first.body.providers['saleslab']).toEqual({ status: 'ok', cache: 'bypass' }); // nothing unmappable: skipped_items absent
    const { runs } = await walk(d, 'limit=37');
    expect(sortedIds(runs)).toEqual(ids(driftSim.sessions()));
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(isNewestFirst(runs)).toBe(true);
    const byId = new Map(runs.map((r) => [r.id, r]));
    const paused = driftSim.sessions().find((r) => r.session.status === 'paused')!;
    expect(byId.get(`saleslab:${paused.session.id}`)).toMatchObject({ status: 'unknown', status_raw: 'paused', outcome: 'none' });
    const textScore = driftSim.sessions().find((r) => typeof r.scorecard?.overall_score === 'string')!;
    expect(byId.get(`saleslab:${textScore.session.id}`)).toMatchObject({ outcome: 'passed', score: { value: 0.81, raw: 81, max: 100 } });
    const legendary = driftSim.sessions().find((r) => r.scorecard?.verdict === 'legendary')!;
    expect(byId.get(`saleslab:${legendary.session.id}`)!.summary).toMatch(/^legendary: /);
  });

  it('an unmappable session (no readable id or start) is skipped and counted, the rest listed', async () => {
    const broken = sim.sessions()[7]!.session.id;
    const corrupt: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (new URL(String(input)).pathname !== '/api/v1/sessions') return res;
      const body = (await res.json()) as { data: Array<Record<string, unknown>> };
      body.data = body.data.map((x) => (x['id'] === broken ? { ...x, started_at: 'soon', created_at: null } : x));
      return new Response(JSON.stringify(body), { status: res.status, headers: { 'content-type': 'application/json' } });
    };
    const g = await startGateway({ config: config(), adapters: { saleslab }, log: silentLogger, port: 0, fetch: corrupt });
    try {
      const gc = client(g.url, 'acme-key-0001');
      expect((await gc.json<RunList>('/v1/runs?limit=37')).body.providers['saleslab']).toEqual({ status: 'ok', cache: 'bypass', skipped_items: 1 });
      const { runs } = await walk(gc, 'limit=37');
      expect(sortedIds(runs)).toEqual(ids(sim.sessions().filter((r) => r.session.id !== broken)));
    } finally {
      await g.close(100);
    }
  });

  it('a configured passScore decides the outcome', async () => {
    const { runs } = await walk(client(gw.url, 'strict-key-0001'), 'outcome=passed&limit=100');
    expect(sortedIds(runs)).toEqual(ids(sim.sessions().filter((r) => outcomeOf(r, 90) === 'passed')));
  });

  it('names stay null when /users is out of the token scope, and the walk still succeeds', async () => {
    const { runs } = await walk(client(gw.url, 'nousers-key-0001'), 'limit=100');
    expect(sortedIds(runs)).toEqual(ids(noUsersSim.sessions()));
    expect(runs.every((r) => r.agent.name === null && r.agent.id !== null && r.scenario.name !== null)).toBe(true);
  });
});

describe('filters against the simulator data', () => {
  const cases: Array<[string, (r: SaleslabRun) => boolean]> = [
    ['status=completed', (r) => statusOf(r) === 'completed'],
    ['status=running', (r) => statusOf(r) === 'running'],
    ['status=evaluating', (r) => statusOf(r) === 'evaluating'],
    ['status=failed,running', (r) => ['failed', 'running'].includes(statusOf(r))],
    ['status=unknown', () => false],
    ['outcome=passed', (r) => outcomeOf(r) === 'passed'],
    ['outcome=failed', (r) => outcomeOf(r) === 'failed'],
    ['outcome=none', (r) => outcomeOf(r) === 'none'],
    ['status=completed&outcome=failed', (r) => statusOf(r) === 'completed' && outcomeOf(r) === 'failed'],
    ['channel=voice', () => true],
    ['channel=web,chat', () => false],
    ['group_id=saleslab%3Ax', () => false],
    ['agent_id=not-a-rep', () => false],
    ['q=cold%20call', (r) => scenarioName(sim, r).toLowerCase().includes('cold call')],
    ['provider=saleslab', () => true],
    ['provider=pathsim', () => false],
  ];
  for (const [query, pred] of cases) {
    it(`${query} returns exactly the matching runs`, async () => {
      const { runs } = await walk(c, `${query}&limit=100`);
      expect(sortedIds(runs)).toEqual(ids(sim.sessions().filter(pred)));
      expect(isNewestFirst(runs)).toBe(true);
    });
  }

  it('agent_id (pushed down as user_id) and q on the rep name', async () => {
    const rep = sim.sessions()[5]!;
    const { runs } = await walk(c, `agent_id=${rep.session.user_id}&limit=100`);
    expect(sortedIds(runs)).toEqual(ids(sim.sessions().filter((r) => r.session.user_id === rep.session.user_id)));
    const name = repName(sim, rep).split(' ')[1]!.toUpperCase();
    const byName = await walk(c, `q=${encodeURIComponent(name)}&limit=100`);
    const want = sim.sessions().filter((r) => `${repName(sim, r)}|${scenarioName(sim, r)}`.toLowerCase().includes(name.toLowerCase()));
    expect(want.length).toBeGreaterThan(0);
    expect(sortedIds(byName.runs)).toEqual(ids(want));
  });

  it('from/to select started_at ≥ from and < to (the vendor bounds are inclusive)', async () => {
    const all = sim.sessions();
    const to = t(all[20]!); // exactly a session's start: excluded
    const from = t(all[90]!); // exactly a session's start: included
    const want = ids(all.filter((r) => t(r) >= from && t(r) < to));
    expect(want.length).toBeGreaterThan(30);
    const { runs } = await walk(c, `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=37`);
    expect(sortedIds(runs)).toEqual(want);
    const mid = await walk(c, `from=${new Date(from + 500).toISOString()}&to=${new Date(to - 500).toISOString()}&limit=100`);
    expect(sortedIds(mid.runs)).toEqual(ids(all.filter((r) => t(r) >= from + 500 && t(r) < to - 500)));
  });

  it('a filter no Sales Lab run can match costs no vendor call', async () => {
    sim.server.resetStats();
    for (const q of ['channel=web', 'group_id=cekura%3A1', 'agent_id=agent_42']) {
      expect((await walk(c, q)).runs).toEqual([]);
    }
    expect(sim.server.stats.requests).toBe(0);
  });

  it('without status completed/evaluating no scorecard is fetched', async () => {
    sim.server.resetStats();
    await walk(c, 'status=running,failed&limit=100');
    expect(sim.server.count('/api/v1/scorecards/')).toBe(0);
  });
});

describe('pushed down = gateway only', () => {
  const all = (): SaleslabRun[] => sim.sessions();
  const queries = (): string[] => [
    `from=${new Date(t(all()[40]!)).toISOString()}`,
    `to=${new Date(t(all()[100]!)).toISOString()}`,
    `from=${new Date(t(all()[120]!) - 1).toISOString()}&to=${new Date(t(all()[30]!) + 1).toISOString()}`,
    `agent_id=${all()[2]!.session.user_id}`,
    'status=running,failed',
    'channel=web',
    'agent_id=agent_42',
  ];
  it('gives the same runs for every pushed-down filter', async () => {
    for (const q of queries()) {
      const [a, b] = await Promise.all([walk(c, `${q}&limit=50`), walk(plain, `${q}&limit=50`)]);
      expect(a.runs, q).toEqual(b.runs);
    }
  });
});

describe('one run', () => {
  it('GET /v1/runs/{id} has the transcript with roles, evaluations and the score', async () => {
    for (const s of [sim.sessions().find((r) => r.scorecard && r.session.scorecard_id)!, sim.sessions().find((r) => r.scorecard && !r.session.scorecard_id)!]) {
      const r = await c.json<{ data: Run }>(`/v1/runs/saleslab:${s.session.id}`);
      expect(r.status).toBe(200);
      const run = Run.parse(r.body.data);
      expect(run).toMatchObject({ native_id: s.session.id, status: 'completed', outcome: outcomeOf(s), agent: { name: repName(sim, s) } });
      expect(run.score?.raw).toBe(Number(s.scorecard!.overall_score));
      expect(run.transcript).toEqual(
        s.transcript.map((x) => ({ role: x.role === 'agent' ? 'tester' : 'target', text: x.message, at_ms: x.time * 1000 })),
      );
      expect(run.evaluations).toEqual(s.scorecard!.categories.map((k) => ({ name: k.name, passed: null, score: k.score, reasoning: null })));
      expect(run.raw).toBeUndefined();
    }
  });

  it('a session that is not scored has no evaluations; include=raw shows session and scorecard', async () => {
    const live = sim.sessions().find((r) => r.session.status === 'live')!;
    const r = await c.json<{ data: Run }>(`/v1/runs/saleslab:${live.session.id}`);
    expect(r.body.data).toMatchObject({ status: 'running', outcome: 'none', score: null, evaluations: [] });
    const scored = sim.sessions().find((x) => x.scorecard)!;
    const raw = await c.json<{ data: Run }>(`/v1/runs/saleslab:${scored.session.id}?include=raw`);
    expect(raw.body.data.raw).toEqual({ session: { ...scored.session, transcript: scored.transcript }, scorecard: scored.scorecard });
  });

  it('include=transcript,evaluations fills list items', async () => {
    const r = await c.json<RunList>('/v1/runs?limit=5&include=transcript,evaluations');
    expect(r.status).toBe(200);
    for (const run of r.body.data) expect([Array.isArray(run.transcript), Array.isArray(run.evaluations)]).toEqual([true, true]);
  });

  it('404 for malformed and unknown ids; no recordings', async () => {
    for (const id of ['saleslab:00000000-0000-4000-a000-000000000000', 'saleslab:a:b', 'saleslab:bad~ZZ', 'saleslab:x%20y']) {
      const r = await c.json<ErrorEnvelope>(`/v1/runs/${id}`);
      expect(r.status, id).toBe(404);
      expect(ErrorEnvelope.parse(r.body).error.code).toBe('not_found');
    }
    const rec = await c.json<ErrorEnvelope>(`/v1/runs/saleslab:${sim.sessions()[0]!.session.id}/recording`);
    expect(rec.status).toBe(404);
  });

  it('GET /v1/providers shows the pushed-down filters and the 60/min default', async () => {
    const r = await c.json<{ data: Array<{ id: string; capabilities: { filters_pushed_down: string[]; has_scores: boolean } }> }>('/v1/providers');
    expect(r.body.data[0]).toMatchObject({ id: 'saleslab', capabilities: { filters_pushed_down: ['from', 'to', 'agent_id'], has_scores: true } });
  });
});

describe('vendor faults', () => {
  const code = (body: unknown): string => ErrorEnvelope.parse(body).error.code;
  const fault = async (f: Parameters<SaleslabSimulator['server']['injectFault']>[0], path = '/v1/runs?limit=5') => {
    sim.server.injectFault(f);
    try {
      return await c.json<unknown>(path);
    } finally {
      sim.server.clearFaults();
    }
  };

  it('500, reset and malformed bodies give the documented envelope, never a 500', async () => {
    const e500 = await fault({ status: 500, match: '/api/v1/sessions', times: 10 });
    expect([e500.status, code(e500.body)]).toEqual([502, 'provider_error']);
    const reset = await fault({ reset: true, match: '/api/v1/sessions', times: 10 });
    expect([reset.status, code(reset.body)]).toEqual([503, 'provider_unavailable']);
    const bad = await fault({ malformed: true, match: '/api/v1/sessions', times: 10 });
    expect([bad.status, code(bad.body)]).toEqual([502, 'provider_error']);
    const badCard = await fault({ malformed: true, match: '/api/v1/scorecards/', times: 10 });
    expect([badCard.status, code(badCard.body)]).toEqual([502, 'provider_error']);
    const detail = await fault({ status: 500, match: '/api/v1/sessions/', times: 10 }, `/v1/runs/saleslab:${sim.sessions()[0]!.session.id}`);
    expect([detail.status, code(detail.body)]).toEqual([502, 'provider_error']);
  });

  it('a transient 500 is retried; /users failing leaves names null but the page whole', async () => {
    expect((await fault({ status: 500, match: '/api/v1/sessions', times: 1 })).status).toBe(200);
    const r = await fault({ status: 500, match: '/api/v1/users', times: 10 });
    expect(r.status).toBe(200);
    const page = r.body as RunList;
    expect(page.data).toHaveLength(5);
    expect(page.data.every((x) => x.agent.name === null && x.scenario.name !== null)).toBe(true);
  });

  it('a 429 (the vendor sends no Retry-After) is backed off and resumed, also with Retry-After', async () => {
    const t0 = Date.now();
    const bare = await fault({ status: 429, match: '/api/v1/sessions', times: 1 });
    expect(bare.status).toBe(200);
    const withHeader = await fault({ status: 429, retryAfterS: 1, match: '/api/v1/scorecards/', times: 1 });
    expect(withHeader.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1800);
  });

  it('a scorecard that 404s (not scored yet) leaves a scored session evaluating', async () => {
    sim.server.injectFault({ status: 404, match: '/api/v1/scorecards/' });
    try {
      const { runs } = await walk(c, 'status=evaluating&limit=100');
      expect(sortedIds(runs)).toEqual(ids(sim.sessions().filter((r) => ['scored', 'ended', 'scoring'].includes(r.session.status))));
      expect(runs.filter((r) => r.status_raw === 'scored').every((r) => r.outcome === 'none' && r.score === null)).toBe(true);
    } finally {
      sim.server.clearFaults();
    }
  });

  it('a rejected token is provider_error without leaking it', async () => {
    const r = await c.json<ErrorEnvelope>('/v1/runs', 'wrong-key-0001');
    expect([r.status, r.body.error.code, r.body.error.provider]).toEqual([502, 'provider_error', 'saleslab']);
    expect(JSON.stringify(r.body)).not.toContain('wrong-vendor-token');
  });
});

describe('while the vendor adds sessions at the head', () => {
  it('returns every original session exactly once', async () => {
    const before = ids(sim.sessions());
    const { runs } = await walk(c, 'limit=37', { between: () => void sim.addRuns(3) });
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    const gotSet = new Set(got);
    expect(before.filter((id) => !gotSet.has(id))).toEqual([]);
    expect(isNewestFirst(runs)).toBe(true);
  });
});
