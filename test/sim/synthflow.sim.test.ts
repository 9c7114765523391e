import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  startSynthflowSimulator,
  parseSynthflowDate,
  type SynthflowSimulator,
  type SynthflowSimulation,
  type SynthflowSession,
  type SynthflowAssistant,
} from '../../adapters/synthflow/simulator.js';

interface Pagination { total_records: number; limit: number; offset: number }
interface Envelope<T> { status: string; response: T }
interface List<T> { pagination: Pagination; items: T[] }
interface ErrorBody { detail: { status: string; description: string; request_id: string; category: string } }

const NOW = Date.parse('2025-06-01T12:00:00Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECOND_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const FIELDS = [
  'agent_avatar_url', 'agent_name', 'call_success_type', 'created_at', 'custom_variables', 'error_info', 'persona_agent_id',
  'persona_phone_number', 'recording_url', 'simulation_case_id', 'simulation_case_name', 'simulation_case_prompt',
  'simulation_id', 'simulation_session_id', 'status', 'success_criteria', 'success_criteria_analysis', 'target_agent_id',
  'target_call_id', 'target_phone_number', 'timeline', 'updated_at', 'workspace_id',
];

let sim: SynthflowSimulator;
let truth: SynthflowSimulation[];

async function get<T>(path: string, s: SynthflowSimulator = sim, headers: Record<string, string> = { Authorization: `Bearer ${s.apiKey}` }): Promise<{ res: Response; body: T }> {
  const res = await fetch(s.baseUrl + path, { headers });
  return { res, body: (await res.json()) as T };
}

/** Walks every page with the vendor's own end signal (offset + items >= total_records). */
async function walk<T>(path: string, size: number, query = '', s: SynthflowSimulator = sim): Promise<{ items: T[]; requests: number }> {
  const items: T[] = [];
  for (let page = 1; page < 200; page++) {
    const { res, body } = await get<Envelope<List<T>>>(`${path}?page_number=${page}&page_size=${size}${query}`, s);
    expect(res.status).toBe(200);
    items.push(...body.response.items);
    const p = body.response.pagination;
    expect(p).toEqual({ total_records: p.total_records, limit: size, offset: (page - 1) * size });
    if (p.offset + body.response.items.length >= p.total_records) return { items, requests: page };
  }
  throw new Error('walk did not end');
}
const ids = (xs: SynthflowSimulation[]): string[] => xs.map((x) => x.simulation_id);
const startOf = (s: SynthflowSession): string => s.simulations.map((x) => x.created_at).sort()[0]!;

beforeAll(async () => {
  sim = await startSynthflowSimulator({ now: NOW, limits: { perWindow: 100_000 } });
  truth = sim.simulations();
});
afterAll(async () => {
  await sim.close();
});

describe('synthflow simulator: auth, envelopes, data shape', () => {
  it('rejects a missing or wrong key with 401 and the detail body', async () => {
    for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: sim.apiKey }] as Array<Record<string, string>>) {
      const { res, body } = await get<ErrorBody>('/simulations', sim, headers);
      expect(res.status).toBe(401);
      expect(body.detail).toMatchObject({ status: 'error', category: 'authentication_error' });
      expect(typeof body.detail.request_id).toBe('string');
      expect(typeof body.detail.description).toBe('string');
    }
    expect(sim.server.stats.unauthorized).toBeGreaterThanOrEqual(3);
  });

  it('lists simulations in the {status, response: {pagination, items}} envelope with page defaults 1/10', async () => {
    const { res, body } = await get<Envelope<List<SynthflowSimulation>>>('/simulations');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    expect(body.status).toBe('ok');
    expect(body.response.pagination).toEqual({ total_records: 220, limit: 10, offset: 0 });
    expect(ids(body.response.items)).toEqual(ids(truth.slice(0, 10)));
    for (const s of body.response.items) expect(Object.keys(s).sort()).toEqual(FIELDS);
    expect(sim.runs()).toEqual(truth);
  });

  it('generates realistic data with every documented enum value and consistent fields', () => {
    expect(new Set(truth.map((s) => s.status))).toEqual(new Set(['in-progress', 'completed', 'failed']));
    expect(new Set(truth.map((s) => s.call_success_type))).toEqual(new Set(['all', 'any']));
    expect(new Set(truth.map((s) => s.target_agent_id)).size).toBe(4);
    expect(truth.some((s) => s.status === 'completed' && s.success_criteria_analysis === null)).toBe(true);
    for (const s of truth) {
      expect(s.simulation_id).toMatch(UUID);
      expect(s.simulation_session_id).toMatch(UUID);
      expect(s.created_at).toMatch(SECOND_ISO);
      expect(s.updated_at >= s.created_at).toBe(true);
      expect(s.recording_url).toBe(s.status === 'completed' ? `${sim.server.origin}/recordings/${s.simulation_id}.wav` : null);
      expect(s.error_info !== null).toBe(s.status === 'failed');
      if (s.status !== 'completed') expect(s.success_criteria_analysis).toBeNull();
      const a = s.success_criteria_analysis;
      if (a) {
        const oks = a.evaluations.map((e) => e.success);
        expect(a.success).toBe(s.call_success_type === 'all' ? oks.every(Boolean) : oks.some(Boolean));
        expect(a.evaluations.length).toBe(s.success_criteria?.length);
      }
      for (const e of s.timeline ?? []) {
        expect(['persona', 'agent']).toContain(e.sender_type);
        expect(e.type).toBe('message');
        expect(typeof e.timestamp).toBe('number');
        expect(e.timestamp_datetime).toMatch(SECOND_ISO);
      }
    }
    const times = truth.map((s) => Date.parse(s.created_at));
    expect(times.every((t, i) => i === 0 || t <= times[i - 1]!)).toBe(true);
    expect(times[0]!).toBeLessThan(NOW);
  });

  it('has many created_at ties, straddling page boundaries of 37, 50 and 100', () => {
    for (const b of [37, 50, 74, 100, 150, 200]) expect(truth[b]!.created_at, `boundary ${b}`).toBe(truth[b - 1]!.created_at);
    const per = new Map<string, number>();
    for (const s of truth) per.set(s.created_at, (per.get(s.created_at) ?? 0) + 1);
    expect(truth.filter((s) => per.get(s.created_at)! > 1).length).toBeGreaterThan(truth.length / 2);
  });
});

describe('synthflow simulator: pagination', () => {
  it('walks every simulation exactly once, newest first, at page sizes 100, 50, 37 and 10', async () => {
    for (const size of [100, 50, 37, 10]) {
      const { items, requests } = await walk<SynthflowSimulation>('/simulations', size);
      expect(ids(items)).toEqual(ids(truth));
      expect(new Set(ids(items)).size).toBe(220);
      expect(requests).toBe(Math.ceil(220 / size));
    }
  });

  it('answers a page past the end with no items and the same total', async () => {
    const { res, body } = await get<Envelope<List<SynthflowSimulation>>>('/simulations?page_number=9&page_size=100');
    expect(res.status).toBe(200);
    expect(body.response).toEqual({ pagination: { total_records: 220, limit: 100, offset: 800 }, items: [] });
  });

  it('rejects bad paging with 422 on /simulations and 400 on /simulations/sessions', async () => {
    for (const q of ['page_number=0', 'page_number=-1', 'page_number=abc', 'page_size=0', 'page_size=101', 'page_size=1.5']) {
      const a = await get<ErrorBody>(`/simulations?${q}`);
      expect(a.res.status, q).toBe(422);
      expect(a.body.detail.category).toBe('validation_error');
      const b = await get<ErrorBody>(`/simulations/sessions?${q}`);
      expect(b.res.status, q).toBe(400);
      expect(b.body.detail.status).toBe('error');
    }
    expect((await get('/simulations?page_size=100')).res.status).toBe(200);
  });
});

describe('synthflow simulator: filters', () => {
  it('filters by status, target_agent_id and simulation_session_id', async () => {
    for (const status of ['in-progress', 'completed', 'failed']) {
      const { items } = await walk<SynthflowSimulation>('/simulations', 100, `&status=${status}`);
      expect(ids(items)).toEqual(ids(truth.filter((s) => s.status === status)));
    }
    for (const agent of new Set(truth.map((s) => s.target_agent_id))) {
      const { items } = await walk<SynthflowSimulation>('/simulations', 100, `&target_agent_id=${agent}`);
      expect(ids(items)).toEqual(ids(truth.filter((s) => s.target_agent_id === agent)));
    }
    const sid = truth[100]!.simulation_session_id;
    const bySession = await walk<SynthflowSimulation>('/simulations', 100, `&simulation_session_id=${sid.toUpperCase()}`);
    expect(ids(bySession.items)).toEqual(ids(truth.filter((s) => s.simulation_session_id === sid)));
    const agent = truth[0]!.target_agent_id;
    const both = await walk<SynthflowSimulation>('/simulations', 50, `&status=completed&target_agent_id=${agent}`);
    expect(ids(both.items)).toEqual(ids(truth.filter((s) => s.status === 'completed' && s.target_agent_id === agent)));
    const none = await get<Envelope<List<SynthflowSimulation>>>('/simulations?simulation_session_id=00000000-0000-4000-a000-000000000000');
    expect(none.body.response.pagination.total_records).toBe(0);
  });

  it('filters start_date/end_date inclusively on created_at (ISO date-time or date)', async () => {
    const from = truth[120]!.created_at;
    const to = truth[37]!.created_at;
    const { items } = await walk<SynthflowSimulation>('/simulations', 100, `&start_date=${from}&end_date=${to}`);
    const expected = truth.filter((s) => s.created_at >= from && s.created_at <= to);
    expect(ids(items)).toEqual(ids(expected));
    expect(items.filter((s) => s.created_at === to).length).toBeGreaterThan(1); // the whole tie group at the bound
    const day = truth[150]!.created_at.slice(0, 10);
    const since = await walk<SynthflowSimulation>('/simulations', 100, `&start_date=${day}`);
    expect(ids(since.items)).toEqual(ids(truth.filter((s) => s.created_at >= `${day}T00:00:00Z`)));
    const offset = await walk<SynthflowSimulation>('/simulations', 100, `&end_date=${encodeURIComponent(to.replace('Z', '.999+00:00'))}`);
    expect(ids(offset.items)).toEqual(ids(truth.filter((s) => s.created_at <= to)));
    const empty = await get<Envelope<List<SynthflowSimulation>>>(`/simulations?start_date=${to}&end_date=${from}`);
    expect(empty.body.response.items).toEqual([]);
  });

  it('rejects an invalid status, date or session id with 422', async () => {
    for (const q of ['status=queued', 'status=COMPLETED', 'start_date=yesterday', 'end_date=2025-13-01', 'start_date=2025-02-30', 'simulation_session_id=abc']) {
      const { res, body } = await get<ErrorBody>(`/simulations?${q}`);
      expect(res.status, q).toBe(422);
      expect(body.detail.category).toBe('validation_error');
    }
    expect((await get('/simulations/sessions?start_date=nope')).res.status).toBe(422);
    expect(parseSynthflowDate('2025-06-01T10:00:00+0200')).toBe(Date.parse('2025-06-01T08:00:00Z'));
  });
});

describe('synthflow simulator: sessions, details, assistants, recordings', () => {
  it('lists sessions newest first, each embedding its full simulations with consistent counts', async () => {
    const sessions = sim.sessions();
    const { items } = await walk<SynthflowSession>('/simulations/sessions', 7);
    expect(items).toEqual(sessions);
    expect(new Set(sessions.flatMap((s) => ids(s.simulations)))).toEqual(new Set(ids(truth)));
    const starts = sessions.map(startOf);
    expect(starts.every((t, i) => i === 0 || t <= starts[i - 1]!)).toBe(true);
    const suites = sessions.filter((s) => s.total_simulations > 1);
    expect(suites.length).toBeGreaterThanOrEqual(10);
    for (const s of suites) expect(s.total_simulations).toBeGreaterThanOrEqual(3);
    for (const s of sessions) {
      expect(s.total_simulations).toBeLessThanOrEqual(15);
      expect(s.total_simulations).toBe(s.simulations.length);
      expect(s.completed_simulations).toBe(s.simulations.filter((x) => x.status === 'completed').length);
      expect(s.failed_simulations).toBe(s.simulations.filter((x) => x.status === 'failed').length);
      expect(s.completed_simulations + s.failed_simulations + s.pending_simulations).toBe(s.total_simulations);
      expect(ids(s.simulations)).toEqual(ids(truth.filter((x) => x.simulation_session_id === s.simulation_session_id)));
      expect(new Set(s.simulations.map((x) => x.target_agent_id)).size).toBe(1);
    }
    expect(sessions.filter((s) => s.total_simulations === 1).length).toBeGreaterThan(20); // ~20 % of simulations started alone
    expect(sessions.some((s) => s.pending_simulations > 0)).toBe(true);
  });

  it('filters sessions by target_agent_id and by the session created_at (its earliest simulation)', async () => {
    const sessions = sim.sessions();
    const agent = truth[0]!.target_agent_id;
    const byAgent = await walk<SynthflowSession>('/simulations/sessions', 100, `&target_agent_id=${agent}`);
    expect(byAgent.items.map((s) => s.simulation_session_id)).toEqual(
      sessions.filter((s) => s.simulations[0]!.target_agent_id === agent).map((s) => s.simulation_session_id),
    );
    const from = startOf(sessions[10]!);
    const to = startOf(sessions[3]!);
    const byDate = await walk<SynthflowSession>('/simulations/sessions', 100, `&start_date=${from}&end_date=${to}`);
    const expected = sessions.filter((s) => startOf(s) >= from && startOf(s) <= to);
    expect(byDate.items.map((s) => s.simulation_session_id)).toEqual(expected.map((s) => s.simulation_session_id));
    expect(expected.length).toBeGreaterThanOrEqual(8);
  });

  it('gets one simulation and one session (singular path); 404 unknown, 422 malformed', async () => {
    const s = truth[42]!;
    const one = await get<Envelope<SynthflowSimulation>>(`/simulations/${s.simulation_id}`);
    expect(one.body).toEqual({ status: 'ok', response: s });
    const session = sim.sessions().find((x) => x.simulation_session_id === s.simulation_session_id)!;
    const g = await get<Envelope<SynthflowSession>>(`/simulations/session/${session.simulation_session_id}`);
    expect(g.body).toEqual({ status: 'ok', response: session });
    const missing = '3f0e7c1a-1111-4222-a333-444455556666';
    for (const [path, status] of [
      [`/simulations/${missing}`, 404], [`/simulations/session/${missing}`, 404], ['/simulations/not-a-uuid', 422],
      ['/simulations/session/not-a-uuid', 422], [`/simulations/sessions/${session.simulation_session_id}`, 404],
    ] as const) {
      const { res, body } = await get<ErrorBody>(path);
      expect(res.status, path).toBe(status);
      expect(body.detail.status).toBe('error');
    }
  });

  it('lists assistants with limit/offset', async () => {
    const all = await get<Envelope<{ pagination: Pagination; assistants: SynthflowAssistant[] }>>('/assistants/');
    expect(all.body.response.pagination).toEqual({ total_records: 5, limit: 20, offset: 0 });
    const agents = all.body.response.assistants.map((a) => a.model_id);
    for (const t of new Set(truth.map((s) => s.target_agent_id))) expect(agents).toContain(t);
    const part = await get<Envelope<{ pagination: Pagination; assistants: SynthflowAssistant[] }>>('/assistants/?limit=2&offset=2');
    expect(part.body.response.assistants.map((a) => a.model_id)).toEqual(agents.slice(2, 4));
    expect((await get('/assistants/?limit=x')).res.status).toBe(400);
  });

  it('serves recordings at recording_url with Range, and none for unfinished simulations', async () => {
    const done = truth.find((s) => s.status === 'completed')!;
    const full = await fetch(done.recording_url!);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    const bytes = new Uint8Array(await full.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe('RIFF');
    const part = await fetch(done.recording_url!, { headers: { Range: 'bytes=8-11' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 8-11/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).toString()).toBe('WAVE');
    const running = truth.find((s) => s.status === 'in-progress')!;
    expect((await fetch(`${sim.server.origin}/recordings/${running.simulation_id}.wav`)).status).toBe(404);
  });
});

describe('synthflow simulator: limits and faults', () => {
  it('answers 429 with Retry-After and the detail body over the rate, counting violations', async () => {
    const s = await startSynthflowSimulator({ count: 20, now: NOW, limits: { perWindow: 3 } });
    try {
      for (let i = 0; i < 3; i++) expect((await get('/simulations', s)).res.status).toBe(200);
      const { res, body } = await get<ErrorBody>('/simulations', s);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.headers.get('x-ratelimit-remaining')).toBeNull();
      expect(body.detail.category).toBe('rate_limit_error');
      expect(s.server.stats.violations).toBe(1);
      expect(s.server.stats.rateViolations).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('answers 429 over the concurrency limit', async () => {
    const s = await startSynthflowSimulator({ count: 20, now: NOW, latencyMs: 100, limits: { concurrency: 1 } });
    try {
      const statuses = (await Promise.all([0, 1, 2].map(() => get('/simulations', s)))).map((r) => r.res.status).sort();
      expect(statuses[0]).toBe(200);
      expect(statuses).toContain(429);
      expect(s.server.stats.concurrencyViolations).toBeGreaterThanOrEqual(1);
    } finally {
      await s.close();
    }
  });

  it('injects status, reset, delay, malformed and 429 faults', async () => {
    const violations = sim.server.stats.violations;
    sim.server.injectFault({ match: '/v2/simulations', status: 503, times: 1 });
    const e = await get<ErrorBody>('/simulations');
    expect(e.res.status).toBe(503);
    expect(e.body.detail.category).toBe('internal_server_error');
    expect((await get('/simulations')).res.status).toBe(200);

    sim.server.injectFault({ reset: true, times: 1 });
    await expect(fetch(`${sim.baseUrl}/simulations`, { headers: { Authorization: `Bearer ${sim.apiKey}` } })).rejects.toThrow();

    sim.server.injectFault({ delayMs: 150, times: 1 });
    const t0 = Date.now();
    expect((await get('/simulations')).res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    sim.server.injectFault({ malformed: true, times: 1 });
    const bad = await fetch(`${sim.baseUrl}/simulations`, { headers: { Authorization: `Bearer ${sim.apiKey}` } });
    expect(bad.status).toBe(200);
    await expect(bad.json()).rejects.toThrow();

    sim.server.injectFault({ status: 429, retryAfterS: 7, times: 1 });
    const rl = await get<ErrorBody>('/simulations');
    expect(rl.res.status).toBe(429);
    expect(rl.res.headers.get('retry-after')).toBe('7');
    expect(rl.body.detail.category).toBe('rate_limit_error');
    expect(sim.server.stats.violations).toBe(violations); // injected faults are not the client's violations
  });
});

describe('synthflow simulator: addRuns, determinism, drift', () => {
  it('addRuns inserts at the head: first tying with the newest created_at, then strictly newer in a new session', async () => {
    const s = await startSynthflowSimulator({ count: 60, now: NOW });
    try {
      const head = s.simulations()[0]!;
      const first = s.addRuns(3);
      expect(first).toHaveLength(3);
      for (const x of first) {
        expect(x.created_at).toBe(head.created_at);
        expect(x.simulation_session_id).toBe(head.simulation_session_id);
        expect(x.status).toBe('in-progress');
      }
      const page1 = await get<Envelope<List<SynthflowSimulation>>>('/simulations?page_size=100', s);
      expect(page1.body.response.pagination.total_records).toBe(63);
      expect(ids(page1.body.response.items.slice(0, 3))).toEqual(ids(first));
      expect(page1.body.response.items[3]!.simulation_id).toBe(head.simulation_id);

      const second = s.addRuns(2);
      expect(Date.parse(second[0]!.created_at)).toBeGreaterThan(Date.parse(head.created_at));
      expect(s.simulations().filter((x) => x.simulation_session_id === second[0]!.simulation_session_id)).toHaveLength(2);
      const page2 = await get<Envelope<List<SynthflowSimulation>>>('/simulations?page_size=5', s);
      expect(ids(page2.body.response.items)).toEqual([...ids(second), ...ids(first)]);
      const sess = await get<Envelope<SynthflowSession>>(`/simulations/session/${second[0]!.simulation_session_id}`, s);
      expect(sess.body.response).toMatchObject({ total_simulations: 2, pending_simulations: 2 });
      const groups = await get<Envelope<List<SynthflowSession>>>('/simulations/sessions?page_size=1', s);
      expect(groups.body.response.items[0]!.simulation_session_id).toBe(second[0]!.simulation_session_id);
      expect(ids(s.simulations())).toEqual(ids((await walk<SynthflowSimulation>('/simulations', 37, '', s)).items));
    } finally {
      await s.close();
    }
  });

  it('is deterministic for a seed and now', async () => {
    const [a, b, c] = await Promise.all([
      startSynthflowSimulator({ seed: 7, now: NOW }),
      startSynthflowSimulator({ seed: 7, now: NOW }),
      startSynthflowSimulator({ seed: 8, now: NOW }),
    ]);
    try {
      const norm = (s: SynthflowSimulator): string => JSON.stringify(s.simulations()).split(s.server.origin).join('ORIGIN');
      expect(norm(a)).toBe(norm(b));
      expect(norm(a)).not.toBe(norm(c));
      expect(JSON.stringify(a.addRuns(4))).toBe(JSON.stringify(b.addRuns(4)));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('mixes in drift only when asked: string timestamps, unknown status and sender_type, one garbage created_at', async () => {
    const d = await startSynthflowSimulator({ now: NOW, drift: true });
    try {
      const all = d.simulations();
      const stamps = all.flatMap((s) => s.timeline ?? []).map((e) => e.timestamp);
      expect(stamps.some((t) => typeof t === 'string' && /^\d+(\.\d+)?$/.test(t))).toBe(true);
      expect(stamps.some((t) => typeof t === 'number')).toBe(true);
      expect(all.filter((s) => (s.status as string) === 'queued').length).toBeGreaterThanOrEqual(2);
      expect(all.flatMap((s) => s.timeline ?? []).some((e) => e.sender_type === 'system_note')).toBe(true);
      expect(all.filter((s) => s.created_at === 'not-a-date')).toHaveLength(1);
      const { items } = await walk<SynthflowSimulation>('/simulations', 100, '', d);
      expect(ids(items)).toEqual(ids(all));
      expect((await get('/simulations?status=queued', d)).res.status).toBe(422);
      const queued = d.sessions().find((s) => s.simulations.some((x) => (x.status as string) === 'queued'))!;
      expect(queued.pending_simulations).toBeGreaterThanOrEqual(1);
    } finally {
      await d.close();
    }
    const plain = truth.flatMap((s) => s.timeline ?? []);
    expect(plain.every((e) => typeof e.timestamp === 'number' && e.sender_type !== 'system_note')).toBe(true);
    expect(truth.every((s) => s.created_at !== 'not-a-date' && (s.status as string) !== 'queued')).toBe(true);
  });
});
