/**
 * Sales Lab adapter ↔ its simulator, over HTTP through the real gateway. Ground truth comes from
 * the simulator's own data with predicates written here (simgate's decisions: scored → completed,
 * or evaluating while its scorecard 404s; outcome by passScore), not from the adapter's map code.
 * Lists are read from the run index: each vendor page read once at limit=100, /users and /scenarios
 * through the cache, a scorecard once per scored session, ever. Filter pushdown (and the calls it
 * saves) is the live path's, so those tests run against gateways with `index: { enabled: false }` and
 * check that the index gives the same runs. Vendor faults map to envelopes on a cold index (a fresh
 * gateway per fault); on a warm index the runs come from the index with `sync_error`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saleslab } from '../../adapters/saleslab/index.js';
import { startSaleslabSimulator, type SaleslabRun, type SaleslabSimulator } from '../../adapters/saleslab/simulator.js';
import { ErrorEnvelope, Run, type RunList } from '../../schemas/run.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/core/log.js';
import type { Adapter } from '../../src/core/types.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { type Client, client, expectServedFromIndexWhileFailing, isNewestFirst, walk, withFreshGateway } from '../helpers.js';

const NOW = Date.parse('2026-05-06T17:00:00Z');
let sim: SaleslabSimulator;
let driftSim: SaleslabSimulator;
let noUsersSim: SaleslabSimulator;
let gw: RunningGateway;
let liveGw: RunningGateway;
let plainGw: RunningGateway;
let c: Client;
let live: Client; // index off: the live walk, filters pushed down
let plain: Client; // index off, nothing pushed down

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

/** The same config without the run index: every list walks the vendor live. */
const liveConfig = (): Config => ({ ...config(), index: { enabled: false } });

/** The adapter with nothing pushed down: the gateway alone filters. */
const noPushdown: Adapter = { ...saleslab, sources: (ctx) => saleslab.sources(ctx, {}) };

/** A gateway whose run index is still empty (same config): what the vendor answers decides the answer. */
const cold = <T>(fn: (c: Client) => Promise<T>): Promise<T> => withFreshGateway({ config: config(), adapters: { saleslab } }, 'acme-key-0001', fn);

/**
 * The exact providers entry of an index read that went well under `no-cache`: `oldest` exactly while
 * the backfill is still going on, `skipped_items` only when given.
 */
function indexOk(p: RunList['providers'][string] | undefined, skipped?: number): Record<string, unknown> {
  return {
    status: 'ok', cache: 'bypass', fresh_as_of: expect.any(String), index: p?.index === 'backfilling' ? 'backfilling' : 'ready',
    ...(p?.index === 'backfilling' ? { oldest: expect.any(String) } : {}),
    ...(skipped !== undefined ? { skipped_items: skipped } : {}),
  };
}

beforeAll(async () => {
  const limits = { perWindow: 100_000 };
  sim = await startSaleslabSimulator({ now: NOW, limits });
  driftSim = await startSaleslabSimulator({ now: NOW, limits, drift: true, seed: 3, count: 80 });
  noUsersSim = await startSaleslabSimulator({ now: NOW, limits, count: 20, scopes: ['sessions:read', 'scorecards:read', 'scenarios:read'] });
  gw = await startGateway({ config: config(), adapters: { saleslab }, log: silentLogger, port: 0 });
  liveGw = await startGateway({ config: liveConfig(), adapters: { saleslab }, log: silentLogger, port: 0 });
  plainGw = await startGateway({ config: liveConfig(), adapters: { saleslab: noPushdown }, log: silentLogger, port: 0 });
  c = client(gw.url, 'acme-key-0001');
  live = client(liveGw.url, 'acme-key-0001');
  plain = client(plainGw.url, 'acme-key-0001');
});

afterAll(async () => {
  await gw?.close(100);
  await liveGw?.close(100);
  await plainGw?.close(100);
  await Promise.all([sim?.close(), driftSim?.close(), noUsersSim?.close()]);
});

describe('full walk', () => {
  it('returns every simulator session exactly once, newest first, with limit=37; the index reads each vendor page and scorecard once', async () => {
    sim.server.resetStats();
    const { runs, pages, log, again } = await cold(async (cl) => {
      const first = await walk(cl, 'limit=37');
      const firstLog = sim.server.log.slice();
      sim.server.resetStats();
      const second = await walk(cl, 'limit=37');
      expect(sortedIds(second.runs)).toEqual(sortedIds(first.runs));
      return { ...first, log: firstLog, again: sim.server.log.slice() };
    });
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(ids(sim.sessions()));
    expect(isNewestFirst(runs)).toBe(true);
    expect(pages).toBe(Math.ceil(sim.sessions().length / 37));
    // ties of started_at straddle the gateway's page boundaries
    const starts = runs.map((r) => r.started_at);
    expect([...Array(pages - 1).keys()].some((i) => starts[i * 37 + 36] === starts[i * 37 + 37])).toBe(true);
    // the cold index read each vendor page once at the largest page (100), reps and scenarios once (cache),
    // and each scored session's scorecard exactly once
    expect(log.filter((l) => l.path === '/api/v1/users')).toHaveLength(1);
    expect(log.filter((l) => l.path === '/api/v1/scenarios')).toHaveLength(1);
    const lists = log.filter((l) => l.path === '/api/v1/sessions');
    expect(lists).toHaveLength(Math.ceil(sim.sessions().length / 100));
    expect(lists.every((l) => new URLSearchParams(l.query).get('limit') === '100')).toBe(true);
    const cards = log.filter((l) => l.path.startsWith('/api/v1/scorecards/')).map((l) => l.path);
    expect(cards).toHaveLength(sim.sessions().filter((r) => r.session.status === 'scored').length);
    expect(new Set(cards).size).toBe(cards.length);
    // a second walk (its first page re-syncs the head) fetches no scorecard again: scored sessions are final
    expect(again.filter((l) => l.path.startsWith('/api/v1/scorecards/'))).toEqual([]);
    expect(again.filter((l) => l.path === '/api/v1/sessions').length).toBeGreaterThan(0);
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
    // nothing unmappable: skipped_items absent (also no sync_error); the cold index may still be filling
    const p = first.body.providers['saleslab'];
    expect(p).toEqual(indexOk(p));
    const { runs } = await walk(d, 'limit=37');
    expect((await d.json<RunList>('/v1/runs?limit=37')).body.providers['saleslab']).toEqual({ status: 'ok', cache: 'bypass', fresh_as_of: expect.any(String), index: 'ready' });
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
      /** A walk by hand: the runs and each page's providers entry. */
      const pagesOf = async (): Promise<{ runs: Run[]; entries: Array<RunList['providers'][string] | undefined> }> => {
        const runs: Run[] = [];
        const entries: Array<RunList['providers'][string] | undefined> = [];
        let cursor: string | null = null;
        do {
          const r: { status: number; body: RunList } = await gc.json<RunList>(`/v1/runs?limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(r.status).toBe(200);
          runs.push(...r.body.data);
          entries.push(r.body.providers['saleslab']);
          cursor = r.body.next_cursor;
        } while (cursor);
        return { runs, entries };
      };
      const want = ids(sim.sessions().filter((r) => r.session.id !== broken));
      // the backfill counts the skipped item once and every list answer reports that count (not per page):
      // never more than 1, never going back, exactly 1 once the index is ready
      const first = await pagesOf();
      expect(sortedIds(first.runs)).toEqual(want);
      const skips = first.entries.map((e) => e?.skipped_items ?? 0);
      for (const e of first.entries) expect(e).toEqual(indexOk(e, e?.skipped_items === undefined ? undefined : 1));
      expect(skips.every((n, i) => i === 0 || n >= skips[i - 1]!)).toBe(true);
      expect(first.entries.filter((e) => e?.index === 'ready').every((e) => e?.skipped_items === 1)).toBe(true);
      expect(first.entries.at(-1)).toEqual(indexOk(first.entries.at(-1), 1));
      // on the ready index, every page of a walk says it
      const second = await pagesOf();
      expect(sortedIds(second.runs)).toEqual(want);
      for (const e of second.entries) expect(e).toEqual({ status: 'ok', cache: 'bypass', fresh_as_of: expect.any(String), index: 'ready', skipped_items: 1 });
    } finally {
      await g.close(100);
    }
  });

  it('each page says how the index stood when it was answered: oldest ≤ every run handed out while backfilling, ready at the end', async () => {
    const entries = await cold(async (cl) => {
      const out: Array<{ p: RunList['providers'][string] | undefined; oldestRun: string | undefined }> = [];
      let cursor: string | null = null;
      do {
        const r: { body: RunList } = await cl.json<RunList>(`/v1/runs?limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        cursor = r.body.next_cursor;
        out.push({ p: r.body.providers['saleslab'], oldestRun: r.body.data.at(-1)?.started_at });
      } while (cursor);
      return out;
    });
    for (const e of entries) {
      expect(e.p).toEqual(indexOk(e.p));
      if (e.p?.oldest) expect(Date.parse(e.p.oldest), `oldest ${e.p.oldest} vs a run of ${e.oldestRun}`).toBeLessThanOrEqual(Date.parse(e.oldestRun!));
    }
    // the last page came after every run was handed out: the backfill had reached the vendor's end
    expect(entries.at(-1)!.p!.index).toBe('ready');
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

  it('agent_id (from the index, and pushed down as user_id on the live path) and q on the rep name', async () => {
    const rep = sim.sessions()[5]!;
    for (const cl of [c, live]) {
      const { runs } = await walk(cl, `agent_id=${rep.session.user_id}&limit=100`);
      expect(sortedIds(runs), cl.url).toEqual(ids(sim.sessions().filter((r) => r.session.user_id === rep.session.user_id)));
    }
    const name = repName(sim, rep).split(' ')[1]!.toUpperCase();
    const byName = await walk(c, `q=${encodeURIComponent(name)}&limit=100`);
    const want = sim.sessions().filter((r) => `${repName(sim, r)}|${scenarioName(sim, r)}`.toLowerCase().includes(name.toLowerCase()));
    expect(want.length).toBeGreaterThan(0);
    expect(sortedIds(byName.runs)).toEqual(ids(want));
  });

  it('from/to select started_at ≥ from and < to (the vendor bounds are inclusive), from the index and on the live path', async () => {
    const all = sim.sessions();
    const to = t(all[20]!); // exactly a session's start: excluded
    const from = t(all[90]!); // exactly a session's start: included
    const want = ids(all.filter((r) => t(r) >= from && t(r) < to));
    expect(want.length).toBeGreaterThan(30);
    for (const cl of [c, live]) {
      const { runs } = await walk(cl, `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=37`);
      expect(sortedIds(runs), cl.url).toEqual(want);
      const mid = await walk(cl, `from=${new Date(from + 500).toISOString()}&to=${new Date(to - 500).toISOString()}&limit=100`);
      expect(sortedIds(mid.runs), cl.url).toEqual(ids(all.filter((r) => t(r) >= from + 500 && t(r) < to - 500)));
    }
  });

  it('a filter no Sales Lab run can match costs no vendor call (live path); the index gives the same empty answer', async () => {
    const queries = ['channel=web', 'group_id=cekura%3A1', 'agent_id=agent_42'];
    sim.server.resetStats();
    for (const q of queries) {
      expect((await walk(live, q)).runs, q).toEqual([]);
    }
    expect(sim.server.stats.requests).toBe(0);
    for (const q of queries) expect((await walk(c, q)).runs, q).toEqual([]);
  });

  it('without status completed/evaluating no scorecard is fetched (live path)', async () => {
    sim.server.resetStats();
    const { runs } = await walk(live, 'status=running,failed&limit=100');
    expect(sim.server.count('/api/v1/scorecards/')).toBe(0);
    expect(sim.server.count('/api/v1/sessions')).toBeGreaterThan(0);
    expect(sortedIds(runs)).toEqual(ids(sim.sessions().filter((r) => ['running', 'failed'].includes(statusOf(r)))));
  });
});

describe('pushed down = gateway only (live path, index off), = the index', () => {
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
      const [a, b, ix] = await Promise.all([walk(live, `${q}&limit=50`), walk(plain, `${q}&limit=50`), walk(c, `${q}&limit=50`)]);
      expect(a.runs, q).toEqual(b.runs);
      expect(ix.runs, q).toEqual(a.runs);
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
  /** The answer to `path` while `f` is injected, from a cold gateway (or from `on`). */
  const fault = async (f: Parameters<SaleslabSimulator['server']['injectFault']>[0], path = '/v1/runs?limit=5', on?: Client) => {
    sim.server.injectFault(f);
    try {
      return on ? await on.json<unknown>(path) : await cold((cl) => cl.json<unknown>(path));
    } finally {
      sim.server.clearFaults();
    }
  };

  it('with a cold index, 500, reset and malformed bodies give the documented envelope, never a 500', async () => {
    const e500 = await fault({ status: 500, match: '/api/v1/sessions', times: 10 });
    expect([e500.status, code(e500.body)]).toEqual([502, 'provider_error']);
    const reset = await fault({ reset: true, match: '/api/v1/sessions', times: 10 });
    expect([reset.status, code(reset.body)]).toEqual([503, 'provider_unavailable']);
    const bad = await fault({ malformed: true, match: '/api/v1/sessions', times: 10 });
    expect([bad.status, code(bad.body)]).toEqual([502, 'provider_error']);
    const badCard = await fault({ malformed: true, match: '/api/v1/scorecards/', times: 10 });
    expect([badCard.status, code(badCard.body)]).toEqual([502, 'provider_error']);
    for (const r of [e500, reset, bad, badCard]) expect(JSON.stringify(r.body)).not.toContain(sim.apiKey);
    // a cold gateway has no cached copy of the run either
    const detail = await fault({ status: 500, match: '/api/v1/sessions/', times: 10 }, `/v1/runs/saleslab:${sim.sessions()[0]!.session.id}`);
    expect([detail.status, code(detail.body)]).toEqual([502, 'provider_error']);
  });

  it('with a warm index, a failing vendor still answers from the index, saying how fresh and why', async () => {
    await expectServedFromIndexWhileFailing(c, 'saleslab', sim.server, { status: 500, match: '/api/v1/sessions', times: 10 }, sim.apiKey);
  });

  it('a transient 500 is retried; /users failing leaves names null but the page whole (cold index)', async () => {
    const retried = await fault({ status: 500, match: '/api/v1/sessions', times: 1 });
    expect(retried.status).toBe(200);
    expect([(retried.body as RunList).data.length, (retried.body as RunList).partial]).toEqual([5, false]);
    const r = await fault({ status: 500, match: '/api/v1/users', times: 10 });
    expect(r.status).toBe(200);
    const page = r.body as RunList;
    expect(page.partial).toBe(false);
    expect(page.data).toHaveLength(5);
    expect(page.data.every((x) => x.agent.name === null && x.scenario.name !== null)).toBe(true);
  });

  it('names /users could not give come back once it answers again (the index reads those runs again)', async () => {
    // a moment without /users must not leave runs without their rep's name for good
    const { first, names } = await cold(async (cl) => {
      sim.server.injectFault({ status: 500, match: '/api/v1/users', times: 10 });
      let first: RunList;
      try {
        const r = await cl.json<RunList>('/v1/runs?limit=5');
        expect(r.status).toBe(200);
        first = r.body;
      } finally {
        sim.server.clearFaults();
      }
      // the runs indexed without names stay open and are read again by the refresh, now with names
      let runs: Run[] = [];
      for (const end = Date.now() + 15_000; Date.now() < end; ) {
        runs = (await walk(cl, 'limit=100')).runs;
        if (runs.every((r) => r.agent.name !== null)) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      return { first, names: runs };
    });
    expect(first.data.every((r) => r.agent.name === null)).toBe(true);
    expect(sortedIds(names)).toEqual(ids(sim.sessions()));
    const nameless = names.filter((r) => r.agent.name === null);
    expect(nameless.length, `runs still without their rep's name after /users recovered, e.g. ${nameless[0]?.id}`).toBe(0);
  });

  it('a 429 (the vendor sends no Retry-After) is backed off and resumed, also with Retry-After (cold index)', async () => {
    const t0 = Date.now();
    const bare = await fault({ status: 429, match: '/api/v1/sessions', times: 1 });
    expect(bare.status).toBe(200);
    expect([(bare.body as RunList).data.length, (bare.body as RunList).partial]).toEqual([5, false]);
    const t1 = Date.now();
    expect(t1 - t0).toBeGreaterThanOrEqual(900);
    const withHeader = await fault({ status: 429, retryAfterS: 1, match: '/api/v1/scorecards/', times: 1 });
    expect(withHeader.status).toBe(200);
    expect([(withHeader.body as RunList).data.length, (withHeader.body as RunList).partial]).toEqual([5, false]);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(900);
  });

  it('a scorecard that 404s (not scored yet) leaves a scored session evaluating (cold index)', async () => {
    sim.server.injectFault({ status: 404, match: '/api/v1/scorecards/' });
    try {
      const { runs } = await cold((cl) => walk(cl, 'status=evaluating&limit=100'));
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
