/**
 * SigmaMind adapter ↔ the SigmaMind simulator, over HTTP through the real gateway. Ground truth
 * comes from the simulator's own data with predicates written here, not from the adapter's mapping.
 * Lists are read from the run index; filter pushdown to the vendor happens only on the live path, so
 * the pushdown tests run against gateways with `index: { enabled: false }` (and check that the index
 * gives the same runs). Vendor faults map to envelopes on a cold index (a fresh gateway per fault);
 * on a warm index the runs come from the index with `sync_error`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSigmaMindSimulator, type RunTruth, type SigmaMindSimulator } from '../../adapters/sigmamind/simulator.js';
import { sigmamind } from '../../adapters/sigmamind/index.js';
import { encodeKey } from '../../adapters/_shared/parse.js';
import { ErrorEnvelope, Group, GroupList, Run, RunList } from '../../schemas/run.js';
import type { Config } from '../../src/config.js';
import type { Adapter } from '../../src/core/types.js';
import { silentLogger } from '../../src/core/log.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { type Client, client, expectServedFromIndexWhileFailing, isNewestFirst, walk, withFreshGateway } from '../helpers.js';

const NOW = Date.parse('2026-04-01T12:00:00.000Z');
const KEY = 'acme-key-0001';
const PINNED = 'pinned-key-0001';

let sim: SigmaMindSimulator;
let drift: SigmaMindSimulator;
const gws: RunningGateway[] = [];
let c: Client; // the adapter, tenant without agentIds (agents from GET /v1/agents)
let pinned: Client; // same simulator, tenant with agentIds = the first two agents
let pushed: Client; // index off: the live walk, filters pushed down
let plain: Client; // index off, the adapter with nothing pushed down
let dc: Client; // the drift simulator
let agents: string[];

const noPush: Adapter = { ...sigmamind, sources: (ctx) => sigmamind.sources(ctx, {}) };
const tuning = { rateLimit: { perMinute: 100_000, concurrency: 5 }, retries: 1, timeoutMs: 1000 };

function config(s: SigmaMindSimulator, pinnedAgents?: string[]): Config {
  const tenants: Config['tenants'] = {
    acme: { keys: [{ key: KEY, scopes: ['runs:read'] }], providers: { sigmamind: { apiKey: s.apiKey, baseUrl: s.baseUrl } } },
  };
  if (pinnedAgents) {
    tenants['pinned'] = { keys: [{ key: PINNED, scopes: ['runs:read'] }], providers: { sigmamind: { apiKey: s.apiKey, baseUrl: s.baseUrl, agentIds: pinnedAgents } } };
  }
  return { tenants, providers: { sigmamind: tuning } };
}
/** The same config without the run index: every list walks the vendor live. */
const liveConfig = (s: SigmaMindSimulator): Config => ({ ...config(s), index: { enabled: false } });

async function gateway(cfg: Config, adapter: Adapter): Promise<string> {
  const gw = await startGateway({ config: cfg, adapters: { sigmamind: adapter }, log: silentLogger, port: 0 });
  gws.push(gw);
  return gw.url;
}

const idOf = (t: RunTruth): string => `sigmamind:${encodeKey([t.agentId, t.batchId, t.jobId])}`;
const ids = (ts: RunTruth[]): string[] => ts.map(idOf).sort();
const groupIdOf = (agentId: string, batchId: string): string => `sigmamind:${encodeKey([agentId, batchId])}`;
const verdict = (t: RunTruth): boolean | null | undefined => t.run.isSuccessful ?? t.run.isSuccesful;
const statusOf = (t: RunTruth): string => (!t.run.completedDate ? 'running' : verdict(t) == null ? 'evaluating' : 'completed');
const outcomeOf = (t: RunTruth): string => (statusOf(t) !== 'completed' ? 'none' : verdict(t) ? 'passed' : 'failed');

async function walkGroups(cl: Client, query: string): Promise<Group[]> {
  const out: Group[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const r = await cl.json<GroupList>(`/v1/groups?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
    const page = GroupList.parse(r.body);
    out.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('group walk did not end');
}

beforeAll(async () => {
  sim = await startSigmaMindSimulator({ seed: 3, now: NOW, limits: { perWindow: 100_000 } });
  drift = await startSigmaMindSimulator({ seed: 5, now: NOW, count: 120, drift: true, limits: { perWindow: 100_000 } });
  agents = sim.agents().map((a) => a.agentId);
  c = client(await gateway(config(sim, agents.slice(0, 2)), sigmamind), KEY);
  pinned = client(c.url, PINNED);
  pushed = client(await gateway(liveConfig(sim), sigmamind), KEY);
  plain = client(await gateway(liveConfig(sim), noPush), KEY);
  dc = client(await gateway(config(drift), sigmamind), KEY);
});

afterAll(async () => {
  await Promise.all(gws.map((g) => g.close(100)));
  await Promise.all([sim?.close(), drift?.close()]);
});

describe('full walk', () => {
  it('returns every simulator run exactly once, newest first, with limit=37', async () => {
    const truth = sim.testRuns();
    const { runs, pages } = await walk(c, 'limit=37');
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(ids(truth));
    expect(isNewestFirst(runs)).toBe(true);
    expect(pages).toBe(Math.ceil(truth.length / 37));
    const starts = runs.map((r) => r.started_at);
    expect(new Set(starts).size).toBeLessThan(starts.length); // the data has ties
    for (const r of runs) expect(r.started_at_precision).toBe('ms');
  });

  it('with drift: the undated run is skipped and counted, the old generation is read', async () => {
    const truth = drift.testRuns();
    const dated = truth.filter((t) => t.run.createdDate !== undefined);
    expect(dated.length).toBe(truth.length - 1);
    const { runs } = await walk(dc, 'limit=37');
    expect(runs.map((r) => r.id).sort()).toEqual(ids(dated));
    expect(isNewestFirst(runs)).toBe(true);
    const typo = dated.filter((t) => 'isSuccesful' in t.run && statusOf(t) === 'completed');
    expect(typo.length).toBeGreaterThan(0);
    const byId = new Map(runs.map((r) => [r.id, r]));
    for (const t of typo) expect(byId.get(idOf(t))?.outcome).toBe(outcomeOf(t));
    // the backfill counted the undated item once, and every answer of the walk (now on a ready index) says so
    const skips: Array<{ index: string | undefined; skipped: number | undefined }> = [];
    let cursor: string | null = null;
    do {
      const r: { body: RunList } = await dc.json<RunList>(`/v1/runs?limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      skips.push({ index: r.body.providers['sigmamind']?.index, skipped: r.body.providers['sigmamind']?.skipped_items });
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(skips).toHaveLength(Math.ceil(dated.length / 37));
    expect(skips.every((x) => x.index === 'ready' && x.skipped === 1)).toBe(true);
  });

  it('the undated run itself is a provider_error, not a 500', async () => {
    const t = drift.testRuns().find((x) => x.run.createdDate === undefined)!;
    const r = await dc.json<ErrorEnvelope>(`/v1/runs/${idOf(t)}`);
    expect(r.status).toBe(502);
    expect(ErrorEnvelope.parse(r.body).error.code).toBe('provider_error');
  });

  it('returns every original run exactly once while the vendor adds runs at the head', async () => {
    const before = ids(sim.testRuns());
    const { runs } = await walk(c, 'limit=37', { between: () => void sim.addRuns(3) });
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    const gotSet = new Set(got);
    expect(before.filter((id) => !gotSet.has(id))).toEqual([]);
    expect(isNewestFirst(runs)).toBe(true);
  });
});

describe('filters against the simulator data', () => {
  const cases: Array<[string, (t: RunTruth) => boolean]> = [
    ['status=running', (t) => statusOf(t) === 'running'],
    ['status=evaluating', (t) => statusOf(t) === 'evaluating'],
    ['status=completed', (t) => statusOf(t) === 'completed'],
    ['status=running,evaluating', (t) => statusOf(t) !== 'completed'],
    ['status=failed', () => false],
    ['outcome=passed', (t) => outcomeOf(t) === 'passed'],
    ['outcome=failed', (t) => outcomeOf(t) === 'failed'],
    ['outcome=none', (t) => outcomeOf(t) === 'none'],
    ['channel=chat', () => true],
    ['channel=voice,web', () => false],
    ['q=CLINIC', (t) => (t.run.agent?.name ?? '').toLowerCase().includes('clinic')],
    ['q=roaming', (t) => (t.run.testCase?.label ?? '').toLowerCase().includes('roaming')],
    ['provider=sigmamind', () => true],
    ['provider=pathsim', () => false],
  ];
  for (const [query, pred] of cases) {
    it(`${query} returns exactly the matching runs`, async () => {
      const expected = ids(sim.testRuns().filter(pred));
      // predicates that read the run (not the constant ones) must match something, or the case proves nothing
      if (pred.length > 0) expect(expected.length, 'the data exercises this filter').toBeGreaterThan(0);
      const { runs } = await walk(c, `${query}&limit=100`);
      expect(runs.map((r) => r.id).sort()).toEqual(expected);
      expect(isNewestFirst(runs)).toBe(true);
    });
  }

  it('from/to select started_at ≥ from and < to', async () => {
    const all = sim.testRuns();
    const mid = all[Math.floor(all.length / 2)]!;
    const from = mid.createdMs - 6 * 3600_000 + 17;
    const to = mid.createdMs + 1;
    const expected = ids(all.filter((t) => t.createdMs >= from && t.createdMs < to));
    expect(expected.length).toBeGreaterThan(5);
    const { runs } = await walk(c, `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=100`);
    expect(runs.map((r) => r.id).sort()).toEqual(expected);
  });

  it('agent_id and group_id return exactly the matching runs, from the index and pushed down on the live path', async () => {
    const all = sim.testRuns();
    const a = agents[1]!;
    const b = all[all.length - 1]!;
    const gid = groupIdOf(b.agentId, b.batchId);
    for (const cl of [c, pushed]) {
      expect((await walk(cl, `agent_id=${a}&limit=100`)).runs.map((r) => r.id).sort()).toEqual(ids(all.filter((t) => t.agentId === a)));
      const inBatch = await walk(cl, `group_id=${gid}&limit=100`);
      expect(inBatch.runs.map((r) => r.id).sort()).toEqual(ids(all.filter((t) => t.batchId === b.batchId)));
      expect(inBatch.runs.every((r) => r.group_id === gid)).toBe(true);
      for (const q of ['agent_id=agent_nobody', `group_id=${groupIdOf(agents[0] === b.agentId ? agents[1]! : agents[0]!, b.batchId)}`, 'group_id=sigmamind:zzz', 'group_id=cekura:12']) {
        expect((await walk(cl, `${q}&limit=100`)).runs, q).toEqual([]);
      }
    }
  });

  it('pushed-down and gateway-only filtering give the same runs (live path), and the index gives them too', async () => {
    const all = sim.testRuns();
    const b = all[Math.floor(all.length / 3)]!;
    const gid = groupIdOf(b.agentId, b.batchId);
    const stranger = agents.find((x) => x !== b.agentId)!;
    const empty = ['agent_id=agent_nobody', `group_id=${gid}&agent_id=${stranger}`];
    const some = [`agent_id=${agents[0]}`, `agent_id=${agents[2]}&status=completed`, `group_id=${gid}`, `group_id=${gid}&agent_id=${b.agentId}`];
    for (const q of [...some, ...empty]) {
      const down = await walk(pushed, `${q}&limit=37`);
      const local = await walk(plain, `${q}&limit=37`);
      const indexed = await walk(c, `${q}&limit=37`);
      expect(down.runs.map((r) => r.id), q).toEqual(local.runs.map((r) => r.id));
      expect(indexed.runs.map((r) => r.id), q).toEqual(down.runs.map((r) => r.id));
      expect(down.runs.length > 0, q).toBe(some.includes(q));
    }
    // pushed down means asked of the vendor: only that agent's source, with the batch filter
    sim.server.resetStats();
    await walk(pushed, `group_id=${gid}&limit=100`);
    const lists = sim.server.log.filter((l) => l.path === '/v1/test-runs');
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.every((l) => l.query.includes(`agentId=${b.agentId}`) && l.query.includes(`batchId=${b.batchId}`))).toBe(true);
  });

  it('a tenant with agentIds sees only those agents and never lists agents', async () => {
    sim.server.resetStats();
    const { runs } = await walk(pinned, 'limit=100');
    expect(runs.map((r) => r.id).sort()).toEqual(ids(sim.testRuns().filter((t) => agents.slice(0, 2).includes(t.agentId))));
    expect(sim.server.count('/v1/agents')).toBe(0);
    expect((await walk(pinned, `agent_id=${agents[2]}&limit=100`)).runs).toEqual([]);
    const other = sim.testRuns().find((t) => t.agentId === agents[2])!;
    expect((await pinned.json(`/v1/runs/${idOf(other)}`)).status).toBe(404);
  });
});

describe('one run', () => {
  it('GET /v1/runs/{id}: transcript with roles, evaluations, no score', async () => {
    const t = sim.testRuns().find((x) => statusOf(x) === 'completed' && verdict(x) === false && (x.run.conversation?.length ?? 0) >= 4)!;
    const r = await c.json<{ data: Run }>(`/v1/runs/${idOf(t)}`);
    expect(r.status).toBe(200);
    const run = Run.parse(r.body.data);
    expect(run).toMatchObject({
      provider: 'sigmamind', native_id: t.jobId, group_id: groupIdOf(t.agentId, t.batchId), channel: 'chat', status: 'completed', outcome: 'failed',
      score: null, summary: t.run.remarks, agent: { id: t.agentId, name: t.run.agent?.name }, scenario: { id: t.run.testCase?.testCaseId, name: t.run.testCase?.label },
      started_at: t.run.createdDate, ended_at: t.run.completedDate, recording: null,
    });
    expect(run.transcript!.map((x) => x.role)).toEqual(t.run.conversation!.map((m) => (m.role === 'user' ? 'tester' : 'target')));
    expect(run.transcript!.map((x) => x.text)).toEqual(t.run.conversation!.map((m) => m.content));
    expect(run.evaluations).toEqual([{ name: 'success criteria', passed: false, score: null, reasoning: t.run.remarks }]);
    expect(run.raw).toBeUndefined();
    expect((await c.json<{ data: Run }>(`/v1/runs/${idOf(t)}?include=raw`)).body.data.raw).toBeDefined();
  });

  it('a running run has no evaluations yet', async () => {
    const t = sim.testRuns().find((x) => statusOf(x) === 'running')!;
    const run = (await c.json<{ data: Run }>(`/v1/runs/${idOf(t)}`)).body.data;
    expect([run.status, run.outcome, run.ended_at, run.evaluations]).toEqual(['running', 'none', null, []]);
  });

  it('include=transcript,evaluations is served from the list without detail calls', async () => {
    sim.server.resetStats();
    const r = await c.json<RunList>('/v1/runs?limit=20&include=transcript,evaluations');
    expect(r.status).toBe(200);
    for (const run of r.body.data) expect(Array.isArray(run.transcript) && Array.isArray(run.evaluations)).toBe(true);
    expect(sim.server.log.filter((l) => l.path.startsWith('/v1/test-runs/')).length).toBe(0);
  });

  it('404 for malformed and unknown ids; no recordings', async () => {
    const t = sim.testRuns()[0]!;
    for (const id of ['sigmamind:nocolon', 'sigmamind:a:b', 'sigmamind:a:b:c:d', `sigmamind:${encodeKey([t.agentId, t.batchId, 'job_nope'])}`,
      `sigmamind:${encodeKey(['agent_nobody', t.batchId, t.jobId])}`, `sigmamind:${encodeKey([t.agentId, 'batch_other', t.jobId])}`]) {
      const r = await c.json<ErrorEnvelope>(`/v1/runs/${id}`);
      expect(r.status, id).toBe(404);
      expect(ErrorEnvelope.parse(r.body).error.code).toBe('not_found');
    }
    expect((await c.json(`/v1/runs/${idOf(t)}/recording`)).status).toBe(404);
  });
});

describe('groups', () => {
  it('lists every batch run once, newest first, with counts and pass rate', async () => {
    const batches = agents.flatMap((a) => sim.batches(a).map((b) => ({ a, b })));
    const groups = await walkGroups(c, 'limit=7');
    expect(groups.map((g) => g.id).sort()).toEqual(batches.map(({ a, b }) => groupIdOf(a, b.batchId)).sort());
    for (let i = 1; i < groups.length; i++) expect(Date.parse(groups[i - 1]!.started_at)).toBeGreaterThanOrEqual(Date.parse(groups[i]!.started_at));
    const byId = new Map(groups.map((g) => [g.id, g]));
    for (const { a, b } of batches) {
      const g = byId.get(groupIdOf(a, b.batchId))!;
      const pending = b.totalAttempts! - b.successfulAttempts! - b.failedAttempts!;
      expect(g.counts).toEqual({ total: b.totalAttempts, passed: b.successfulAttempts, failed: b.failedAttempts, errored: 0, pending });
      expect(g.status).toBe(pending > 0 ? 'running' : 'completed');
      expect(g.native_id).toBe(b.batchId);
      expect(g.started_at).toBe(b.createdDate);
      expect(g.name).toBe(b.testCases!.map((tc) => tc.label).join(', '));
      const judged = b.successfulAttempts! + b.failedAttempts!;
      expect(g.pass_rate).toBe(judged ? b.successfulAttempts! / judged : null);
    }
    // a group's runs are the runs with its group_id
    const g = groups[groups.length - 1]!;
    const runs = await walk(c, `group_id=${g.id}&limit=100`);
    expect(runs.runs.length).toBe(g.counts.total);
  });

  it('GET /v1/groups/{id}, group_id and status filters, 404s', async () => {
    const a = agents[2]!;
    const b = sim.batches(a)[1]!;
    const id = groupIdOf(a, b.batchId);
    const one = await c.json<{ data: Group }>(`/v1/groups/${id}`);
    expect(one.status).toBe(200);
    expect(Group.parse(one.body.data)).toMatchObject({ id, provider: 'sigmamind', native_id: b.batchId, counts: { total: b.totalAttempts } });
    expect((await walkGroups(c, `group_id=${id}`)).map((g) => g.id)).toEqual([id]);
    const running = await walkGroups(c, 'status=running');
    const expected = agents.flatMap((x) => sim.batches(x).filter((y) => y.totalAttempts! > y.successfulAttempts! + y.failedAttempts!).map((y) => groupIdOf(x, y.batchId)));
    expect(running.map((g) => g.id).sort()).toEqual(expected.sort());
    for (const bad of ['sigmamind:nope', `sigmamind:${encodeKey([a, 'batch_nope'])}`, `sigmamind:${encodeKey(['agent_nobody', b.batchId])}`]) {
      expect((await c.json(`/v1/groups/${bad}`)).status, bad).toBe(404);
    }
  });
});

describe('vendor faults', () => {
  const expectEnvelope = (r: { status: number; body: unknown }, code: string, status: number): void => {
    expect(r.status).toBe(status);
    expect(ErrorEnvelope.parse(r.body).error.code).toBe(code);
  };

  /** A gateway whose run index is still empty (same config): what the vendor answers decides the answer. */
  const cold = <T>(fn: (c: Client) => Promise<T>): Promise<T> => withFreshGateway({ config: config(sim, agents.slice(0, 2)), adapters: { sigmamind } }, KEY, fn);

  it('with a cold index, 500, reset, malformed and slow answers map to 502 / 503 / 504, never 500', async () => {
    const cases: Array<[Parameters<typeof sim.server.injectFault>[0], string, number]> = [
      [{ status: 500, match: '/v1/test-runs' }, 'provider_error', 502],
      [{ status: 500, match: '/v1/agents' }, 'provider_error', 502],
      [{ reset: true, match: '/v1/test-runs' }, 'provider_unavailable', 503],
      [{ malformed: true, match: '/v1/test-runs' }, 'provider_error', 502],
      [{ malformed: true, match: '/v1/agents' }, 'provider_error', 502],
      [{ delayMs: 1500, match: '/v1/agents' }, 'provider_timeout', 504],
    ];
    for (const [fault, code, status] of cases) {
      sim.server.injectFault({ ...fault, times: 10 });
      const r = await cold((cl) => cl.json<ErrorEnvelope>('/v1/runs?limit=5'));
      sim.server.clearFaults();
      expect(r.status, JSON.stringify(fault)).toBe(status);
      expectEnvelope(r, code, status);
      expect(JSON.stringify(r.body)).not.toContain(sim.apiKey);
    }
    const t = sim.testRuns()[0]!;
    sim.server.injectFault({ malformed: true, match: '/v1/test-runs/', times: 10 });
    const detail = await cold((cl) => cl.json<ErrorEnvelope>(`/v1/runs/${idOf(t)}`)); // no cached copy either
    sim.server.clearFaults();
    expectEnvelope(detail, 'provider_error', 502);
    sim.server.injectFault({ status: 500, match: '/v1/batch-runs', times: 10 });
    const groups = await cold((cl) => cl.json<ErrorEnvelope>('/v1/groups'));
    sim.server.clearFaults();
    expectEnvelope(groups, 'provider_error', 502);
  });

  it('with a warm index, a failing vendor still answers from the index, saying how fresh and why', async () => {
    await expectServedFromIndexWhileFailing(c, 'sigmamind', sim.server, { status: 500, match: '/v1/test-runs', times: 10 }, sim.apiKey);
  });

  it('a transient 500 is retried and a 429 with Retry-After is waited out (cold index)', async () => {
    sim.server.injectFault({ status: 500, match: '/v1/test-runs', times: 1 });
    const retried = await cold((cl) => cl.json<RunList>('/v1/runs?limit=3'));
    expect(retried.status).toBe(200);
    expect([retried.body.data.length, retried.body.partial]).toEqual([3, false]);
    sim.server.injectFault({ status: 429, retryAfterS: 1, match: '/v1/test-runs', times: 1 });
    const t0 = Date.now();
    const r = await cold((cl) => cl.json<RunList>('/v1/runs?limit=3'));
    expect(r.status).toBe(200);
    expect([r.body.data.length, r.body.partial]).toEqual([3, false]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('GET /v1/providers lists sigmamind with its pushed-down filters and groups', async () => {
    const r = await c.json<{ data: Array<{ id: string; capabilities: Record<string, unknown> }> }>('/v1/providers');
    expect(r.status).toBe(200);
    expect(r.body.data[0]).toMatchObject({ id: 'sigmamind', capabilities: { filters_pushed_down: ['agent_id', 'group_id'], has_groups: true, has_recordings: false } });
  });
});
