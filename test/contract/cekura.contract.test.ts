/**
 * Cekura adapter against its simulator over HTTP, through the real gateway. Ground truth comes from the
 * simulator's own data with predicates written here (not from the adapter's mapping code).
 * Lists are read from the run index; filter pushdown (and which results/agents the vendor is asked for)
 * is the live path's, so those tests run against gateways with `index: { enabled: false }` and check
 * that the index gives the same answer. Vendor faults map to envelopes on a cold index (a fresh gateway
 * per fault); on a warm index the runs come from the index with `sync_error`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cekura } from '../../adapters/cekura/index.js';
import { startCekuraSimulator, type CekuraResult, type CekuraRun, type CekuraSimulator } from '../../adapters/cekura/simulator.js';
import { ErrorEnvelope, Group, GroupList, Run, type RunList } from '../../schemas/run.js';
import type { Config } from '../../src/config.js';
import type { Adapter } from '../../src/core/types.js';
import { silentLogger } from '../../src/core/log.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { type Client, client, expectServedFromIndexWhileFailing, isNewestFirst, walk, withFreshGateway } from '../helpers.js';

const NOW = Date.parse('2026-05-06T18:00:00Z');
let sim: CekuraSimulator;
let drift: CekuraSimulator;
let live: CekuraSimulator;
let gw: RunningGateway;
/** Index off: the live walk, filters pushed down. */
let liveGw: RunningGateway;
/** Index off, nothing pushed down: the gateway filters everything itself. */
let local: RunningGateway;
let c: Client;

/** The same adapter with nothing pushed down: the gateway filters everything itself. */
const noPushdown: Adapter = {
  ...cekura,
  sources: (ctx) => cekura.sources(ctx, {}),
  groups: { ...cekura.groups!, sources: (ctx) => cekura.groups!.sources(ctx, {}) },
};

const tenant = (key: string, s: CekuraSimulator, agentIds?: number[]): Config['tenants'][string] => ({
  keys: [{ key, scopes: ['runs:read'] }],
  providers: { cekura: { apiKey: s.apiKey, baseUrl: s.baseUrl, ...(agentIds ? { agentIds } : {}) } },
});
const tuning: Config['providers'] = { cekura: { rateLimit: { perMinute: 100_000, concurrency: 5 }, retries: 1, timeoutMs: 1500 } };
const config = (): Config => ({
  tenants: {
    acme: tenant('k-acme', sim),
    picked: tenant('k-picked', sim, [101, 103]),
    drift: tenant('k-drift', drift),
    live: tenant('k-live', live),
    wrong: { keys: [{ key: 'k-wrong', scopes: ['runs:read'] }], providers: { cekura: { apiKey: 'not-the-key', baseUrl: sim.baseUrl } } },
  },
  providers: tuning,
});
/** The live path only (the gateway before the index). */
const liveConfig = (): Config => ({ tenants: { acme: tenant('k-acme', sim) }, providers: tuning, index: { enabled: false } });

beforeAll(async () => {
  [sim, drift, live] = await Promise.all([
    startCekuraSimulator({ seed: 7, now: NOW, limits: { perWindow: 100_000 } }),
    startCekuraSimulator({ seed: 9, now: NOW, drift: true, limits: { perWindow: 100_000 } }),
    startCekuraSimulator({ seed: 5, now: NOW, limits: { perWindow: 100_000 } }),
  ]);
  gw = await startGateway({ config: config(), adapters: { cekura }, log: silentLogger, port: 0 });
  liveGw = await startGateway({ config: liveConfig(), adapters: { cekura }, log: silentLogger, port: 0 });
  local = await startGateway({ config: liveConfig(), adapters: { cekura: noPushdown }, log: silentLogger, port: 0 });
  c = client(gw.url, 'k-acme');
});
afterAll(async () => {
  await gw?.close(100);
  await liveGw?.close(100);
  await local?.close(100);
  await Promise.all([sim?.close(), drift?.close(), live?.close()]);
});

// ---- ground truth, written from the vendor's documented semantics ----
const resultOf = (s: CekuraSimulator): Map<number, CekuraResult> => new Map(s.results().map((r) => [r.id, r]));
const uid = (x: CekuraRun): string => `cekura:${x.result_id}:${x.id}`;
const ids = (xs: CekuraRun[]): string[] => xs.map(uid).sort();
const STATUS: Record<string, string> = { pending: 'queued', in_queue: 'queued', running: 'running', in_progress: 'running', evaluating: 'evaluating', completed: 'completed', failed: 'failed', timeout: 'timed_out', cancelled: 'cancelled' };
const status = (x: CekuraRun): string => (x.error_message ? 'failed' : STATUS[x.status] ?? 'unknown');
const outcome = (x: CekuraRun): string => (status(x) === 'completed' ? (x.success ? 'passed' : 'failed') : 'none');
const target = (x: CekuraRun, res: CekuraResult): string => (res.agent_inbound ? x.inbound_number : x.outbound_number);
const startMs = (x: CekuraRun): number => Date.parse(x.timestamp);

async function walkGroups(cl: Client, query: string): Promise<Group[]> {
  const out: Group[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 200; i++) {
    const r = await cl.json<GroupList>(`/v1/groups?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
    const page = GroupList.parse(r.body);
    out.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('group walk did not end');
}

describe('runs walk', () => {
  it('returns every simulator run exactly once, newest first, with limit=37 (ties across pages)', async () => {
    const { runs, pages } = await walk(c, 'limit=37');
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(ids(sim.allRuns()));
    expect(isNewestFirst(runs)).toBe(true);
    expect(pages).toBe(Math.ceil(sim.allRuns().length / 37));
    const starts = runs.map((r) => r.started_at);
    expect(starts[36]).toBe(starts[37]);
  });

  it('with vendor drift (percent success_rate, zone-less times, runs arrays, scaling_up, string is_cronjob) loses no run', async () => {
    const dc = client(gw.url, 'k-drift');
    const first = await dc.json<{ providers: { cekura: { status: string; skipped_items?: number } } }>('/v1/runs?limit=37');
    // the simulator's drift has nothing unmappable (unit tests cover MapError): nothing skipped
    expect(first.body.providers.cekura.status).toBe('ok');
    expect(first.body.providers.cekura.skipped_items ?? 0).toBe(0);
    const { runs } = await walk(dc, 'limit=37');
    expect(runs.map((r) => r.id).sort()).toEqual(ids(drift.allRuns()));
    expect(isNewestFirst(runs)).toBe(true);
    const scaling = runs.filter((r) => r.status_raw === 'scaling_up');
    expect(scaling.length).toBeGreaterThan(0);
    expect(scaling.every((r) => r.status === 'unknown')).toBe(true);
    const res = resultOf(drift);
    expect(runs.filter((r) => r.source === 'scheduled').map((r) => r.group_id).sort())
      .toEqual(drift.allRuns().filter((x) => res.get(x.result_id)!.is_cronjob === 'true').map((x) => `cekura:${x.result_id}`).sort());
  });

  it('returns every original run exactly once while the vendor adds results at the head', async () => {
    const lc = client(gw.url, 'k-live');
    const before = ids(live.allRuns());
    const { runs } = await walk(lc, 'limit=30', { between: () => void live.addRuns(3) });
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    const gotSet = new Set(got);
    expect(before.filter((id) => !gotSet.has(id))).toEqual([]);
    expect(isNewestFirst(runs)).toBe(true);
  });

  it('config agentIds decide the sources (no agent listing)', async () => {
    sim.server.resetStats();
    const { runs } = await walk(client(gw.url, 'k-picked'), 'limit=100');
    expect(runs.map((r) => r.id).sort()).toEqual(ids(sim.allRuns().filter((x) => x.agent === 101 || x.agent === 103)));
    expect(sim.server.count('/aiagents/')).toBe(0);
  });
});

describe('filters against the simulator data', () => {
  const cases: Array<[string, (x: CekuraRun, r: CekuraResult) => boolean]> = [
    ['status=queued', (x) => status(x) === 'queued'],
    ['status=running,evaluating', (x) => ['running', 'evaluating'].includes(status(x))],
    ['status=failed', (x) => status(x) === 'failed'],
    ['status=timed_out', (x) => status(x) === 'timed_out'],
    ['status=cancelled', (x) => status(x) === 'cancelled'],
    ['status=unknown', () => false],
    ['outcome=passed', (x) => outcome(x) === 'passed'],
    ['outcome=failed', (x) => outcome(x) === 'failed'],
    ['outcome=none', (x) => outcome(x) === 'none'],
    ['channel=chat', (_x, r) => r.run_as_text],
    ['channel=voice', (_x, r) => !r.run_as_text],
    ['channel=web', () => false],
    ['agent_id=102', (x) => x.agent === 102],
    ['agent_id=999', () => false],
    ['agent_id=0102', () => false],
    ['q=billing', (x, r) => `${x.agent_name}|${x.scenario_name}|${target(x, r)}`.toLowerCase().includes('billing')],
    ['q=CANCEL', (x, r) => `${x.agent_name}|${x.scenario_name}|${target(x, r)}`.toLowerCase().includes('cancel')],
    ['q=%2B1415555010', (x, r) => target(x, r).includes('+1415555010')],
    ['provider=cekura&status=completed&outcome=passed&channel=voice', (x, r) => outcome(x) === 'passed' && !r.run_as_text],
    ['provider=pathsim', () => false],
  ];
  const EMPTY = new Set(['status=unknown', 'channel=web', 'agent_id=999', 'agent_id=0102', 'provider=pathsim']);
  for (const [query, pred] of cases) {
    it(`${query} returns exactly the matching runs`, async () => {
      const res = resultOf(sim);
      const want = ids(sim.allRuns().filter((x) => pred(x, res.get(x.result_id)!)));
      if (!EMPTY.has(query)) expect(want.length, 'the data covers this filter').toBeGreaterThan(0);
      const { runs } = await walk(c, `${query}&limit=100`);
      expect(runs.map((r) => r.id).sort()).toEqual(want);
      expect(isNewestFirst(runs)).toBe(true);
    });
  }

  it('group_id selects one result; unknown, foreign and malformed group ids select nothing', async () => {
    const r = sim.results()[5]!;
    const { runs } = await walk(c, `group_id=cekura:${r.id}&limit=100`);
    expect(runs.map((x) => x.id).sort()).toEqual(ids(sim.allRuns().filter((x) => x.result_id === r.id)));
    for (const g of ['cekura:1', 'pathsim:123', 'cekura:abc', `cekura:${r.id}:1`]) expect((await walk(c, `group_id=${g}`)).runs, g).toEqual([]);
    const other = r.agent === 101 ? 102 : 101;
    expect((await walk(c, `group_id=cekura:${r.id}&agent_id=${other}`)).runs).toEqual([]);
  });

  it('from/to select started_at ≥ from and < to', async () => {
    const all = sim.allRuns();
    const from = startMs(all[Math.floor(all.length * 0.7)]!);
    const to = startMs(all[Math.floor(all.length * 0.2)]!);
    const want = ids(all.filter((x) => startMs(x) >= from && startMs(x) < to));
    expect(want.length).toBeGreaterThan(20);
    const { runs } = await walk(c, `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=100`);
    expect(runs.map((r) => r.id).sort()).toEqual(want);
  });
});

describe('pushed-down and gateway-only paths agree (live path, index off), and the index agrees with them', () => {
  const pc = (): Client => client(liveGw.url, 'k-acme');
  const lc = (): Client => client(local.url, 'k-acme');
  for (const q of ['agent_id=101', 'agent_id=103&status=completed', 'group_id=cekura:4030', 'group_id=cekura:4012&outcome=passed', 'agent_id=103&group_id=cekura:4030']) {
    it(`runs ${q}`, async () => {
      const a = await walk(pc(), `${q}&limit=50`);
      const b = await walk(lc(), `${q}&limit=50`);
      const ix = await walk(c, `${q}&limit=50`);
      expect(a.runs.map((r) => r.id)).toEqual(b.runs.map((r) => r.id));
      expect(ix.runs.map((r) => r.id)).toEqual(a.runs.map((r) => r.id));
      expect(a.runs.length).toBeGreaterThan(0);
    });
  }
  for (const q of ['q=nightly', 'q=Release%202', 'q=prompt%20v', 'group_id=cekura:4030', 'q=%23', 'q=%E2%80%94%20northwind']) {
    it(`groups ${q}`, async () => {
      const a = await walkGroups(pc(), `${q}&limit=20`);
      const b = await walkGroups(lc(), `${q}&limit=20`);
      const ix = await walkGroups(c, `${q}&limit=20`);
      expect(a.map((g) => g.id)).toEqual(b.map((g) => g.id));
      expect(ix.map((g) => g.id)).toEqual(a.map((g) => g.id));
      expect(a.length).toBeGreaterThan(0);
    });
  }
  it('group_id reads only that result, agent_id only that agent (live path)', async () => {
    sim.server.resetStats();
    await walk(pc(), 'group_id=cekura:4030&limit=100');
    expect(sim.server.log.map((l) => l.path)).toEqual(['/test_framework/v1/results/4030/', '/test_framework/v1/results/4030/']);
    sim.server.resetStats();
    await walk(pc(), 'agent_id=102&limit=100');
    expect(sim.server.log.filter((l) => l.path.endsWith('/results/')).every((l) => l.query.includes('agent_id=102'))).toBe(true);
  });
});

describe('one run', () => {
  it('GET /v1/runs/{id}: transcript with roles, evaluations, score, recording, fields of its result', async () => {
    const res = resultOf(sim);
    const x = sim.allRuns().find((y) => y.status === 'completed' && y.success && y.voice_recording_url)!;
    const r = await c.json<{ data: Run }>(`/v1/runs/${uid(x)}`);
    expect(r.status).toBe(200);
    const run = Run.parse(r.body.data);
    expect(run).toMatchObject({
      provider: 'cekura', native_id: String(x.id), group_id: `cekura:${x.result_id}`, status: 'completed', outcome: 'passed',
      agent: { id: String(x.agent), name: x.agent_name }, scenario: { id: String(x.scenario), name: x.scenario_name },
      target: target(x, res.get(x.result_id)!), channel: 'voice', started_at: new Date(startMs(x)).toISOString(), started_at_precision: 's',
      score: { value: x.expected_outcome.score! / 100, raw: x.expected_outcome.score, max: 100 },
      recording: { content_type: 'audio/wav', url: `/v1/runs/${uid(x)}/recording` },
    });
    expect(run.transcript!.map((t) => t.role)).toEqual(x.transcript_object.map((t) => (t.role === 'Testing Agent' ? 'tester' : 'target')));
    expect(run.transcript![0]!.at_ms).toBe(Math.round(x.transcript_object[0]!.timestamp * 1000));
    expect(run.evaluations!.map((e) => e.name)).toEqual(x.evaluation.metrics.map((m) => m.name));
    expect(run.evaluations!.find((e) => e.name === 'Instruction Follow')!.passed).toBe(x.evaluation.metrics[0]!.score! > 0);
    const [mm, ss] = x.duration.split(':').map(Number) as [number, number];
    expect(run.duration_ms).toBe((mm * 60 + ss) * 1000);
    expect(run.raw).toBeUndefined();
  });

  it('include=transcript,evaluations fills list items', async () => {
    const r = await c.json<{ data: Run[] }>('/v1/runs?limit=4&include=transcript,evaluations');
    expect(r.status).toBe(200);
    for (const run of r.body.data) {
      expect(Array.isArray(run.transcript)).toBe(true);
      expect(Array.isArray(run.evaluations)).toBe(true);
    }
  });

  it('404 for malformed, unknown and mismatched ids', async () => {
    const [a, b] = sim.allRuns().filter((x, i, xs) => xs.findIndex((y) => y.result_id === x.result_id) === i);
    for (const id of ['cekura:abc', 'cekura:1:2', `cekura:${a!.result_id}`, `cekura:${b!.result_id}:${a!.id}`, 'cekura:1:2:3', `cekura:${a!.result_id}:0${a!.id}`]) {
      const r = await c.json<ErrorEnvelope>(`/v1/runs/${id}`);
      expect(r.status, id).toBe(404);
      expect(ErrorEnvelope.parse(r.body).error.code).toBe('not_found');
    }
  });

  it('streams the recording with content type and honours Range; none for a failed run', async () => {
    const x = sim.allRuns().find((y) => y.voice_recording_url)!;
    const full = await c.get(`/v1/runs/${uid(x)}/recording`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    const bytes = new Uint8Array(await full.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe('RIFF');
    const part = await c.get(`/v1/runs/${uid(x)}/recording`, undefined, { range: 'bytes=0-99' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    const silent = sim.allRuns().find((y) => y.status === 'failed')!;
    expect((await c.get(`/v1/runs/${uid(silent)}/recording`)).status).toBe(404);
  });
});

describe('groups', () => {
  const expected = (r: CekuraResult): Group['counts'] => {
    const runs = sim.allRuns().filter((x) => x.result_id === r.id);
    return {
      total: runs.length,
      passed: runs.filter((x) => outcome(x) === 'passed').length,
      failed: runs.filter((x) => outcome(x) === 'failed').length,
      errored: runs.filter((x) => ['failed', 'timed_out'].includes(status(x))).length,
      pending: runs.filter((x) => ['queued', 'running', 'evaluating'].includes(status(x))).length,
    };
  };

  it('lists every result once, newest first, with counts and pass rate', async () => {
    const groups = await walkGroups(c, 'limit=13');
    expect(groups.map((g) => g.id).sort()).toEqual(sim.results().map((r) => `cekura:${r.id}`).sort());
    for (let i = 1; i < groups.length; i++) expect(Date.parse(groups[i - 1]!.started_at)).toBeGreaterThanOrEqual(Date.parse(groups[i]!.started_at));
    const res = resultOf(sim);
    for (const g of groups) {
      const r = res.get(Number(g.native_id))!;
      expect(g.counts).toEqual(expected(r));
      expect(g.name).toBe(r.name);
      expect(g.started_at).toBe(new Date(r.created_at).toISOString());
      expect(g.pass_rate).toBe(g.counts.passed + g.counts.failed ? g.counts.passed / (g.counts.passed + g.counts.failed) : null);
      expect(g.counts.passed).toBe(Number(r.success_runs_count)); // agrees with the vendor's counts
      expect(Math.abs(r.success_rate * g.counts.total - g.counts.passed)).toBeLessThan(0.1);
      expect(g.status).toBe(STATUS[r.status]);
    }
  });

  it('filters groups by status, q (name) and from', async () => {
    const failed = await walkGroups(c, 'status=timed_out');
    expect(failed.map((g) => g.native_id).sort()).toEqual(sim.results().filter((r) => r.status === 'timeout').map((r) => String(r.id)).sort());
    const named = await walkGroups(c, 'q=NIGHTLY');
    expect(named.map((g) => g.native_id).sort()).toEqual(sim.results().filter((r) => /nightly/i.test(r.name)).map((r) => String(r.id)).sort());
    const mid = sim.results()[10]!;
    const since = await walkGroups(c, `from=${new Date(mid.created_at).toISOString()}`);
    expect(since.map((g) => g.native_id).sort()).toEqual(sim.results().filter((r) => r.created_at >= mid.created_at).map((r) => String(r.id)).sort());
  });

  it('with drift: zone-less created_at is UTC, percent success_rate and runs arrays give the same counts', async () => {
    const groups = await walkGroups(client(gw.url, 'k-drift'), 'limit=50');
    expect(groups).toHaveLength(drift.results().length);
    const res = resultOf(drift);
    for (const g of groups) {
      const r = res.get(Number(g.native_id))!;
      expect(g.started_at).toBe(new Date(`${r.created_at}Z`).toISOString());
      expect(g.counts.passed).toBe(Number(r.success_runs_count));
      expect(Math.abs((r.success_rate / 100) * g.counts.total - g.counts.passed)).toBeLessThan(0.1);
    }
  });

  it('GET /v1/groups/{id} and 404s', async () => {
    const r = sim.results()[3]!;
    const one = await c.json<{ data: Group }>(`/v1/groups/cekura:${r.id}`);
    expect(one.status).toBe(200);
    expect(Group.parse(one.body.data)).toMatchObject({ id: `cekura:${r.id}`, native_id: String(r.id), counts: expected(r) });
    for (const id of ['cekura:1', 'cekura:abc', 'cekura:1:2']) expect((await c.json(`/v1/groups/${id}`)).status, id).toBe(404);
  });
});

describe('vendor faults', () => {
  const envelope = (body: unknown, code: string): void => expect(ErrorEnvelope.parse(body).error.code).toBe(code);
  afterAll(() => sim.server.clearFaults());

  /** A gateway whose run index is still empty (same config): what the vendor answers decides the answer. */
  const cold = <T>(fn: (c: Client) => Promise<T>): Promise<T> => withFreshGateway({ config: config(), adapters: { cekura } }, 'k-acme', fn);

  it('with a cold index, 500, reset and malformed give the documented envelope, never a 500', async () => {
    const cases: Array<[Parameters<CekuraSimulator['server']['injectFault']>[0], string, number]> = [
      [{ status: 500, match: '/aiagents/', times: 10 }, 'provider_error', 502],
      [{ reset: true, match: '/aiagents/', times: 10 }, 'provider_unavailable', 503],
      [{ malformed: true, match: '/results/', times: 10 }, 'provider_error', 502],
    ];
    for (const [fault, code, status] of cases) {
      sim.server.injectFault(fault);
      const r = await cold((cl) => cl.json('/v1/runs'));
      sim.server.clearFaults();
      expect(r.status, JSON.stringify(fault)).toBe(status);
      envelope(r.body, code);
      expect(JSON.stringify(r.body)).not.toContain(sim.apiKey);
    }
    sim.server.injectFault({ malformed: true, match: '/runs/bulk/', times: 10 });
    const detail = await cold((cl) => cl.json(`/v1/runs/${uid(sim.allRuns()[0]!)}`)); // no cached copy either
    sim.server.clearFaults();
    expect(detail.status).toBe(502);
    envelope(detail.body, 'provider_error');
  });

  it('with a warm index, a failing vendor still answers from the index, saying how fresh and why', async () => {
    await expectServedFromIndexWhileFailing(c, 'cekura', sim.server, { status: 500, match: '/results/', times: 10 }, sim.apiKey);
  });

  it('a rejected credential is provider_error without the key', async () => {
    const r = await client(gw.url, 'k-wrong').json<ErrorEnvelope>('/v1/runs');
    expect(r.status).toBe(502);
    envelope(r.body, 'provider_error');
    expect(JSON.stringify(r.body)).not.toContain('not-the-key');
  });

  it('a transient 500 is retried and a 429 with Retry-After is waited out (cold index)', async () => {
    sim.server.injectFault({ status: 500, match: '/results/', times: 1 });
    const retried = await cold((cl) => cl.json<RunList>('/v1/runs?limit=3'));
    expect(retried.status).toBe(200);
    expect([retried.body.data.length, retried.body.partial]).toEqual([3, false]);
    sim.server.injectFault({ status: 429, retryAfterS: 1, match: '/results/', times: 1 });
    const t0 = Date.now();
    const waited = await cold((cl) => cl.json<RunList>('/v1/runs?limit=3'));
    expect(waited.status).toBe(200);
    expect([waited.body.data.length, waited.body.partial]).toEqual([3, false]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });
});
