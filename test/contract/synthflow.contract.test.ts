/**
 * Synthflow adapter ↔ its simulator, over HTTP through the real gateway. Ground truth comes from
 * the simulator's own data with predicates written here, never from the adapter's mapping code.
 * Lists are read from the run index; filter pushdown to the vendor happens only on the live path,
 * so the pushdown tests run against gateways with `index: { enabled: false }` (and check that the
 * index gives the same answer). Vendor faults map to envelopes on a cold index (a fresh gateway per
 * fault); on a warm index the runs come from the index with `sync_error`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthflow } from '../../adapters/synthflow/index.js';
import { startSynthflowSimulator, type SynthflowSession, type SynthflowSimulation, type SynthflowSimulator } from '../../adapters/synthflow/simulator.js';
import { ErrorEnvelope, GroupList, Run, RunList, type Group } from '../../schemas/run.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/core/log.js';
import type { Adapter } from '../../src/core/types.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { type Client, client, expectServedFromIndexWhileFailing, isNewestFirst, walk, withFreshGateway } from '../helpers.js';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
let sim: SynthflowSimulator;
let grow: SynthflowSimulator;
let drift: SynthflowSimulator;
let gw: RunningGateway;
let live: RunningGateway;
let plain: RunningGateway;
let c: Client;
let cLive: Client;
let cPlain: Client;

const TUNING = { rateLimit: { perMinute: 100_000, concurrency: 5 }, retries: 1, timeoutMs: 1500 };
const tenant = (key: string, s: SynthflowSimulator): Config['tenants'][string] => ({
  keys: [{ key, scopes: ['runs:read', 'reports:read'] }],
  providers: { synthflow: { apiKey: s.apiKey, baseUrl: s.baseUrl } },
});
const config = (): Config => ({
  tenants: { acme: tenant('acme-key-0001', sim), grow: tenant('grow-key-0001', grow), drift: tenant('drift-key-0001', drift) },
  providers: { synthflow: TUNING },
});
/** The same config without the run index: every list walks the vendor live (filters pushed down where it can). */
const liveConfig = (): Config => ({ ...config(), index: { enabled: false } });

/** Unified status and outcome of a simulation, by simgate's decisions table. */
function stateOf(s: SynthflowSimulation): string {
  if (s.status === 'in-progress') return 'running';
  if (s.status === 'failed') return 'failed';
  if (s.status === 'completed') return s.success_criteria_analysis ? 'completed' : 'evaluating';
  return 'unknown';
}
function outcomeOf(s: SynthflowSimulation): string {
  return stateOf(s) === 'completed' ? (s.success_criteria_analysis!.success ? 'passed' : 'failed') : 'none';
}
const ids = (xs: SynthflowSimulation[]): string[] => xs.map((s) => `synthflow:${s.simulation_id}`).sort();
const at = (s: SynthflowSimulation): number => Date.parse(s.created_at);

beforeAll(async () => {
  const limits = { perWindow: 100_000 };
  [sim, grow, drift] = await Promise.all([
    startSynthflowSimulator({ seed: 3, now: NOW, limits, apiKey: 'sf-key-main' }),
    startSynthflowSimulator({ seed: 4, now: NOW, limits, apiKey: 'sf-key-grow', count: 150 }),
    startSynthflowSimulator({ seed: 5, now: NOW, limits, apiKey: 'sf-key-drift', drift: true }),
  ]);
  gw = await startGateway({ config: config(), adapters: { synthflow }, log: silentLogger, port: 0 });
  // the same adapter with nothing pushed down: every filter is the gateway's own
  const gatewayOnly: Adapter = {
    ...synthflow,
    sources: (ctx) => synthflow.sources(ctx, {}),
    groups: { ...synthflow.groups!, sources: (ctx) => synthflow.groups!.sources(ctx, {}) },
  };
  live = await startGateway({ config: liveConfig(), adapters: { synthflow }, log: silentLogger, port: 0 });
  plain = await startGateway({ config: liveConfig(), adapters: { synthflow: gatewayOnly }, log: silentLogger, port: 0 });
  c = client(gw.url, 'acme-key-0001');
  cLive = client(live.url, 'acme-key-0001');
  cPlain = client(plain.url, 'acme-key-0001');
});

afterAll(async () => {
  await Promise.all([gw?.close(100), live?.close(100), plain?.close(100)]);
  await Promise.all([sim?.close(), grow?.close(), drift?.close()]);
});

describe('full walk', () => {
  it('returns every simulation exactly once, newest first, with limit=37', async () => {
    const { runs, pages } = await walk(c, 'limit=37');
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(ids(sim.simulations()));
    expect(isNewestFirst(runs)).toBe(true);
    expect(pages).toBe(Math.ceil(sim.simulations().length / 37));
    const starts = runs.map((r) => r.started_at);
    const boundaryTies = [...Array(pages - 1).keys()].filter((i) => starts[i * 37 + 36] === starts[i * 37 + 37]);
    expect(boundaryTies.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.started_at_precision === 's' && r.channel === 'voice' && r.transcript === undefined && r.raw === undefined)).toBe(true);
  });

  it('with drift: the unmappable item is skipped and counted, unknown statuses kept with their raw value', async () => {
    const d = client(gw.url, 'drift-key-0001');
    const runs: Run[] = [];
    const skips: Array<{ index: string | undefined; skipped: number }> = [];
    let cursor: string | null = null;
    do {
      const r = await d.json<RunList>(`/v1/runs?limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      const page = RunList.parse(r.body);
      runs.push(...page.data);
      skips.push({ index: page.providers['synthflow']?.index, skipped: page.providers['synthflow']?.skipped_items ?? 0 });
      cursor = page.next_cursor;
    } while (cursor);
    const readable = drift.simulations().filter((s) => !Number.isNaN(Date.parse(s.created_at)));
    expect(readable.length).toBe(drift.simulations().length - 1);
    expect(runs.map((r) => r.id).sort()).toEqual(ids(readable));
    expect(isNewestFirst(runs)).toBe(true);
    // the backfill counts the one unmappable item once; every answer reports that count (not per page):
    // never more than 1, never going back, and exactly 1 once the index is ready
    expect(skips.every((x) => x.skipped <= 1)).toBe(true);
    expect(skips.every((x, i) => i === 0 || x.skipped >= skips[i - 1]!.skipped)).toBe(true);
    expect(skips.filter((x) => x.index === 'ready').every((x) => x.skipped === 1)).toBe(true);
    expect(skips.at(-1)).toEqual({ index: 'ready', skipped: 1 });
    const again = await d.json<RunList>('/v1/runs?limit=5');
    expect(again.body.providers['synthflow']!.skipped_items).toBe(1);
    const queued = runs.filter((r) => r.status_raw === 'queued');
    expect(queued.length).toBeGreaterThanOrEqual(2);
    expect(queued.every((r) => r.status === 'unknown' && r.outcome === 'none')).toBe(true);
    const unknown = await walk(d, 'status=unknown&limit=100');
    expect(unknown.runs.map((r) => r.id).sort()).toEqual(ids(readable.filter((s) => stateOf(s) === 'unknown')));
  });

  it('with drift: string timestamps and unknown sender types map to offsets and system turns', async () => {
    const d = client(gw.url, 'drift-key-0001');
    const s = drift.simulations().find((x) => x.timeline?.some((e) => e.sender_type === 'system_note') && x.timeline.some((e) => typeof e.timestamp === 'string'));
    expect(s).toBeDefined();
    const r = await d.json<{ data: Run }>(`/v1/runs/synthflow:${s!.simulation_id}`);
    expect(r.status).toBe(200);
    const turns = r.body.data.transcript!;
    expect(turns.map((t) => t.role)).toEqual(s!.timeline!.map((e) => (e.sender_type === 'agent' ? 'target' : e.sender_type === 'persona' ? 'tester' : 'system')));
    expect(turns.map((t) => t.at_ms)).toEqual(s!.timeline!.map((e) => Math.round(Number(e.timestamp) * 1000)));
  });

  it('returns every original simulation exactly once while the vendor adds simulations at the head', async () => {
    const g = client(gw.url, 'grow-key-0001');
    const before = ids(grow.simulations());
    const { runs } = await walk(g, 'limit=37', { between: () => void grow.addRuns(3) });
    const got = runs.map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    const gotSet = new Set(got);
    expect(before.filter((id) => !gotSet.has(id))).toEqual([]);
    expect(isNewestFirst(runs)).toBe(true);
  });
});

describe('filters against the simulator data', () => {
  let mid: SynthflowSimulation | undefined;
  /** A simulation from the middle of the data (its agent and session are the filter values). */
  const one = (): SynthflowSimulation => (mid ??= sim.simulations()[Math.floor(sim.simulations().length / 2)]!);
  const cases: Array<[string | [string, () => string], (s: SynthflowSimulation) => boolean]> = [
    ['status=running', (s) => stateOf(s) === 'running'],
    ['status=failed', (s) => stateOf(s) === 'failed'],
    ['status=completed', (s) => stateOf(s) === 'completed'],
    ['status=evaluating', (s) => stateOf(s) === 'evaluating'],
    ['status=completed,evaluating', (s) => s.status === 'completed'],
    ['status=running,failed', (s) => ['running', 'failed'].includes(stateOf(s))],
    ['status=queued,unknown', () => false],
    ['outcome=passed', (s) => outcomeOf(s) === 'passed'],
    ['outcome=failed', (s) => outcomeOf(s) === 'failed'],
    ['outcome=none', (s) => outcomeOf(s) === 'none'],
    ['status=completed&outcome=failed', (s) => outcomeOf(s) === 'failed'],
    ['channel=voice', () => true],
    ['channel=web,chat', () => false],
    [['agent_id=<one agent>', () => `agent_id=${one().target_agent_id}`], (s) => s.target_agent_id === one().target_agent_id],
    [['agent_id=<one agent>&status=completed', () => `agent_id=${one().target_agent_id}&status=completed`], (s) => s.target_agent_id === one().target_agent_id && stateOf(s) === 'completed'],
    [['group_id=<one session>', () => `group_id=synthflow:${one().simulation_session_id}`], (s) => s.simulation_session_id === one().simulation_session_id],
    ['group_id=synthflow:00000000-0000-4000-8000-000000000000', () => false],
    ['group_id=cekura:4012', () => false],
    ['q=DENTAL', (s) => [s.agent_name, s.simulation_case_name, s.target_phone_number].some((h) => h?.toLowerCase().includes('dental'))],
    ['q=%2B1206', (s) => (s.target_phone_number ?? '').includes('+1206')],
    ['q=pizzas', (s) => (s.simulation_case_name ?? '').toLowerCase().includes('pizzas')],
    ['provider=synthflow&status=failed', (s) => stateOf(s) === 'failed'],
    ['provider=pathsim', () => false],
  ];
  for (const [query, pred] of cases) {
    const [name, build] = typeof query === 'string' ? [query, () => query] : query;
    it(`${name} returns exactly the matching runs`, async () => {
      const q = build();
      const expected = ids(sim.simulations().filter(pred));
      const { runs } = await walk(c, `${q}&limit=100`);
      expect(runs.map((r) => r.id).sort()).toEqual(expected);
      expect(isNewestFirst(runs)).toBe(true);
    });
  }

  it('from/to select started_at ≥ from and < to, also inside a second', async () => {
    const all = sim.simulations();
    const mid = one();
    const from = at(mid) - 2 * 86_400_000 + 500;
    const to = at(mid) + 1500;
    const expected = ids(all.filter((s) => at(s) >= from && at(s) < to));
    expect(expected.length).toBeGreaterThan(3);
    const { runs } = await walk(c, `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=100`);
    expect(runs.map((r) => r.id).sort()).toEqual(expected);
    // `to` is exclusive even though the vendor's end_date is inclusive
    const exact = await walk(c, `from=${new Date(from).toISOString()}&to=${mid.created_at}&limit=100`);
    expect(exact.runs.map((r) => r.id).sort()).toEqual(ids(all.filter((s) => at(s) >= from && at(s) < at(mid))));
  });

  it('pushes the filters down to the vendor (live path, index off)', async () => {
    sim.server.resetStats();
    const s = one();
    await walk(cLive, `status=running&agent_id=${s.target_agent_id}&group_id=synthflow:${s.simulation_session_id}&from=2026-11-01&to=2026-11-21T00:00:00.5Z`);
    const q = new URLSearchParams(sim.server.log.find((l) => l.path === '/v2/simulations')!.query);
    expect(Object.fromEntries(q)).toMatchObject({
      status: 'in-progress',
      target_agent_id: s.target_agent_id,
      simulation_session_id: s.simulation_session_id,
      start_date: '2026-11-01T00:00:00Z',
      end_date: '2026-11-21T00:00:01Z',
      page_size: '100',
      page_number: '1',
    });
  });

  it('the pushed-down path and the gateway-only path give the same runs (live path), and the index gives them too', async () => {
    const s = one();
    const mid = new Date(at(s)).toISOString();
    for (const q of [
      'status=running',
      'status=failed',
      'status=evaluating',
      'status=completed,evaluating',
      `agent_id=${s.target_agent_id}`,
      `group_id=synthflow:${s.simulation_session_id}`,
      `from=${new Date(at(s) - 86_400_000 + 700).toISOString()}&to=${mid}`,
      `from=${mid}`,
      `to=${mid}&status=completed&agent_id=${s.target_agent_id}`,
    ]) {
      const [pushed, gatewayOnly, indexed] = await Promise.all([walk(cLive, `${q}&limit=37`), walk(cPlain, `${q}&limit=37`), walk(c, `${q}&limit=37`)]);
      expect(pushed.runs.map((r) => r.id), q).toEqual(gatewayOnly.runs.map((r) => r.id));
      expect(indexed.runs.map((r) => r.id), q).toEqual(pushed.runs.map((r) => r.id));
      expect(pushed.runs.length, q).toBeGreaterThan(0);
    }
  });
});

describe('one run', () => {
  it('GET /v1/runs/{id} has transcript with roles, evaluations named by the criteria, no score', async () => {
    const s = sim.simulations().find((x) => stateOf(x) === 'completed' && (x.timeline?.length ?? 0) > 2)!;
    const r = await c.json<{ data: Run }>(`/v1/runs/synthflow:${s.simulation_id}`);
    expect(r.status).toBe(200);
    const run = Run.parse(r.body.data);
    expect(run).toMatchObject({
      provider: 'synthflow', native_id: s.simulation_id, group_id: `synthflow:${s.simulation_session_id}`, status: 'completed', outcome: outcomeOf(s),
      agent: { id: s.target_agent_id, name: s.agent_name }, scenario: { id: s.simulation_case_id, name: s.simulation_case_name },
      target: s.target_phone_number, started_at: new Date(at(s)).toISOString(), score: null,
      recording: { content_type: 'audio/wav', url: `/v1/runs/synthflow:${s.simulation_id}/recording` },
    });
    expect(run.transcript).toEqual(s.timeline!.map((e) => ({ role: e.sender_type === 'agent' ? 'target' : 'tester', text: e.value, at_ms: Math.round(Number(e.timestamp) * 1000) })));
    expect(run.evaluations).toEqual(s.success_criteria_analysis!.evaluations.map((e, i) => ({ name: s.success_criteria![i], passed: e.success, score: null, reasoning: e.reasoning })));
    expect(run.raw).toBeUndefined();
    const withRaw = await c.json<{ data: Run }>(`/v1/runs/synthflow:${s.simulation_id}?include=raw`);
    expect(withRaw.body.data.raw).toEqual({ simulation: s });
  });

  it('a failed run carries the error message as summary; include=transcript,evaluations works on lists', async () => {
    const s = sim.simulations().find((x) => x.status === 'failed')!;
    const r = await c.json<{ data: Run }>(`/v1/runs/synthflow:${s.simulation_id}`);
    expect(r.body.data).toMatchObject({ status: 'failed', outcome: 'none', summary: s.error_info!.message, recording: null });
    const list = await c.json<RunList>('/v1/runs?limit=5&include=transcript,evaluations');
    expect(list.body.data.every((x) => Array.isArray(x.transcript) && Array.isArray(x.evaluations))).toBe(true);
  });

  it('404 not_found for malformed and unknown ids', async () => {
    for (const id of ['synthflow:abc', 'synthflow:~ZZ', 'synthflow:00000000-0000-4000-8000-000000000000', `synthflow:${sim.simulations()[0]!.simulation_id}:x`]) {
      const r = await c.json<ErrorEnvelope>(`/v1/runs/${id}`);
      expect(r.status, id).toBe(404);
      expect(ErrorEnvelope.parse(r.body).error.code).toBe('not_found');
    }
  });

  it('streams the recording with its content type and honours Range; 404 without one', async () => {
    const s = sim.simulations().find((x) => x.recording_url)!;
    const full = await c.get(`/v1/runs/synthflow:${s.simulation_id}/recording`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    const bytes = new Uint8Array(await full.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe('RIFF');
    expect(full.headers.get('content-length')).toBe(String(bytes.length));
    const part = await c.get(`/v1/runs/synthflow:${s.simulation_id}/recording`, undefined, { range: 'bytes=0-99' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    const none = sim.simulations().find((x) => !x.recording_url)!;
    const r = await c.json<ErrorEnvelope>(`/v1/runs/synthflow:${none.simulation_id}/recording`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});

/** Expected group of a session, from the simulator's data. */
function expectedGroup(s: SynthflowSession): Omit<Group, 'raw'> {
  const sims = s.simulations;
  const passed = sims.filter((x) => outcomeOf(x) === 'passed').length;
  const failed = sims.filter((x) => outcomeOf(x) === 'failed').length;
  const evaluating = sims.filter((x) => stateOf(x) === 'evaluating').length;
  return {
    id: `synthflow:${s.simulation_session_id}`, provider: 'synthflow', native_id: s.simulation_session_id,
    name: sims[0]!.simulation_case_name ?? null,
    started_at: new Date(Math.min(...sims.map(at))).toISOString(),
    status: sims.some((x) => x.status === 'in-progress') ? 'running' : evaluating ? 'evaluating' : 'completed',
    counts: { total: sims.length, passed, failed, errored: sims.filter((x) => x.status === 'failed').length, pending: sims.filter((x) => x.status === 'in-progress').length + evaluating },
    pass_rate: passed + failed ? passed / (passed + failed) : null,
  };
}

async function walkGroups(cl: Client, query: string): Promise<Group[]> {
  const out: Group[] = [];
  let cursor: string | null = null;
  do {
    const r = await cl.json<GroupList>(`/v1/groups?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const page = GroupList.parse(r.body);
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

describe('groups (simulation sessions)', () => {
  it('lists every session exactly once, newest first, with counts derived from its simulations', async () => {
    const groups = await walkGroups(c, 'limit=37');
    const sessions = sim.sessions();
    expect(groups.map((g) => g.id).sort()).toEqual(sessions.map((s) => `synthflow:${s.simulation_session_id}`).sort());
    expect(isNewestFirst(groups as unknown as Run[])).toBe(true);
    const byId = new Map(groups.map((g) => [g.id, g]));
    for (const s of sessions) expect(byId.get(`synthflow:${s.simulation_session_id}`)).toEqual(expectedGroup(s));
    expect(groups.some((g) => g.status === 'running')).toBe(true);
  });

  it('filters groups by status, from/to and group_id', async () => {
    const sessions = sim.sessions();
    const running = await walkGroups(c, 'status=running&limit=100');
    expect(running.map((g) => g.id).sort()).toEqual(sessions.filter((s) => expectedGroup(s).status === 'running').map((s) => `synthflow:${s.simulation_session_id}`).sort());
    const mid = expectedGroup(sessions[Math.floor(sessions.length / 2)]!);
    const from = Date.parse(mid.started_at) - 2 * 86_400_000 + 300;
    const to = Date.parse(mid.started_at);
    const windowed = await walkGroups(c, `from=${new Date(from).toISOString()}&to=${mid.started_at}&limit=100`);
    const want = sessions.map(expectedGroup).filter((g) => Date.parse(g.started_at) >= from && Date.parse(g.started_at) < to);
    expect(want.length).toBeGreaterThan(0);
    expect(windowed.map((g) => g.id).sort()).toEqual(want.map((g) => g.id).sort());
    expect((await walkGroups(c, `group_id=${mid.id}`)).map((g) => g.id)).toEqual([mid.id]);
    expect(await walkGroups(c, 'group_id=cekura:4012')).toEqual([]);
  });

  it('the pushed-down from/to on sessions gives the same groups as the gateway alone (live path), and as the index', async () => {
    const starts = sim.sessions().map((s) => expectedGroup(s).started_at);
    for (const q of [`from=${starts[5]}`, `to=${starts[5]}`, `from=${starts[40]}&to=${starts[3]}`, `from=${new Date(Date.parse(starts[9]!) + 400).toISOString()}`]) {
      const [pushed, gatewayOnly, indexed] = await Promise.all([walkGroups(cLive, `${q}&limit=37`), walkGroups(cPlain, `${q}&limit=37`), walkGroups(c, `${q}&limit=37`)]);
      expect(pushed.map((g) => g.id), q).toEqual(gatewayOnly.map((g) => g.id));
      expect(indexed.map((g) => g.id), q).toEqual(pushed.map((g) => g.id));
      expect(pushed.length, q).toBeGreaterThan(0);
    }
  });

  it('GET /v1/groups/{id} answers one session; 404 for unknown or malformed ids', async () => {
    const s = sim.sessions()[0]!;
    const r = await c.json<{ data: Group }>(`/v1/groups/synthflow:${s.simulation_session_id}`);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual(expectedGroup(s));
    for (const id of ['synthflow:nope', 'synthflow:00000000-0000-4000-8000-000000000000']) {
      const e = await c.json<ErrorEnvelope>(`/v1/groups/${id}`);
      expect(e.status, id).toBe(404);
      expect(e.body.error.code).toBe('not_found');
    }
  });
});

describe('vendor faults', () => {
  const expectEnvelope = (body: unknown, code: string, status: number): void => {
    const e = ErrorEnvelope.parse(body);
    expect([e.error.code, e.error.status, e.error.provider]).toEqual([code, status, 'synthflow']);
  };

  /** A gateway whose run index is still empty (same config): what the vendor answers decides the answer. */
  const cold = <T>(fn: (c: Client) => Promise<T>): Promise<T> => withFreshGateway({ config: config(), adapters: { synthflow } }, 'acme-key-0001', fn);

  it('with a cold index, 500, reset and malformed bodies give the documented envelope, never a 500', async () => {
    const cases: Array<[Parameters<SynthflowSimulator['server']['injectFault']>[0], string, number]> = [
      [{ status: 500, match: '/simulations', times: 10 }, 'provider_error', 502],
      [{ status: 503, match: '/simulations', times: 10 }, 'provider_unavailable', 503],
      [{ reset: true, match: '/simulations', times: 10 }, 'provider_unavailable', 503],
      [{ malformed: true, match: '/simulations', times: 10 }, 'provider_error', 502],
    ];
    for (const [fault, code, status] of cases) {
      sim.server.injectFault(fault);
      const r = await cold((cl) => cl.json<ErrorEnvelope>('/v1/runs?limit=5'));
      sim.server.clearFaults();
      expect(r.status, JSON.stringify(fault)).toBe(status);
      expectEnvelope(r.body, code, status);
      expect(JSON.stringify(r.body)).not.toContain(sim.apiKey);
    }
    sim.server.injectFault({ status: 500, match: '/simulations/session/', times: 10 });
    const g = await cold((cl) => cl.json<ErrorEnvelope>(`/v1/groups/synthflow:${sim.sessions()[0]!.simulation_session_id}`)); // no cached copy either
    sim.server.clearFaults();
    expect(g.status).toBe(502);
    expectEnvelope(g.body, 'provider_error', 502);
  });

  it('with a warm index, a failing vendor still answers from the index, saying how fresh and why', async () => {
    await expectServedFromIndexWhileFailing(c, 'synthflow', sim.server, { status: 500, match: '/simulations', times: 10 }, sim.apiKey);
  });

  it('a transient 500 is retried and the request succeeds (cold index)', async () => {
    sim.server.injectFault({ status: 500, match: '/simulations', times: 1 });
    const r = await cold((cl) => cl.json<RunList>('/v1/runs?limit=3'));
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(3);
    expect(r.body.partial).toBe(false);
  });

  it('a 429 with Retry-After is waited out, not failed (cold index)', async () => {
    sim.server.injectFault({ status: 429, retryAfterS: 1, match: '/simulations', times: 1 });
    const t0 = Date.now();
    const r = await cold((cl) => cl.json<RunList>('/v1/runs?limit=3'));
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(3);
    expect(r.body.partial).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('a cold index reads each vendor list page once, at the largest page size (100)', async () => {
    sim.server.resetStats();
    const { runs } = await cold((cl) => walk(cl, 'limit=37'));
    expect(runs).toHaveLength(sim.simulations().length);
    const pages = sim.server.log.filter((l) => l.path === '/v2/simulations').map((l) => new URLSearchParams(l.query));
    expect(pages.every((q) => q.get('page_size') === '100')).toBe(true);
    expect(pages.map((q) => q.get('page_number')).sort()).toEqual(
      Array.from({ length: Math.ceil(sim.simulations().length / 100) }, (_, i) => String(i + 1)).sort(),
    );
    expect(sim.server.stats.violations).toBe(0);
  });

  it('GET /v1/providers lists synthflow with its capabilities', async () => {
    const r = await c.json<{ data: Array<{ id: string; capabilities: Record<string, unknown> }> }>('/v1/providers');
    expect(r.body.data.find((p) => p.id === 'synthflow')?.capabilities).toEqual({
      filters_pushed_down: ['status', 'agent_id', 'group_id', 'from', 'to'],
      has_transcripts: true, has_recordings: true, has_scores: false, has_groups: true,
    });
  });
});
