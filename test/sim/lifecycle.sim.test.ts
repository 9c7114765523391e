/**
 * The run-lifecycle hooks every simulator shares (VendorSimulator: addLate, unfinishedIds, finish), checked over
 * real HTTP against each vendor's own list, detail and group endpoints, and through simgate's adapter maps (so that
 * the ids are the unified `native_id` and the states are what the gateway will read).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startPathsimSimulator, type PathsimSimulator } from '../../adapters/pathsim/simulator.js';
import { startSynthflowSimulator, type SynthflowSimulator } from '../../adapters/synthflow/simulator.js';
import { startSaleslabSimulator, type SaleslabSimulator } from '../../adapters/saleslab/simulator.js';
import { startSigmaMindSimulator, type SigmaMindSimulator } from '../../adapters/sigmamind/simulator.js';
import { startCekuraSimulator, type CekuraSimulator } from '../../adapters/cekura/simulator.js';
import type { VendorSimulator } from '../../adapters/simkit.js';
import { formatTime } from '../../adapters/pathsim/simdata.js';
import * as pathsimMap from '../../adapters/pathsim/map.js';
import * as synthflowMap from '../../adapters/synthflow/map.js';
import * as saleslabMap from '../../adapters/saleslab/map.js';
import * as sigmamindMap from '../../adapters/sigmamind/map.js';
import * as cekuraMap from '../../adapters/cekura/map.js';

type Json = Record<string, any>;
const LATE = 45 * 60_000;
const OPEN = new Set(['queued', 'running', 'evaluating']);
const LIMITS = { limits: { perWindow: 100_000 } };

/** `list` with the ids of `late` taken out. */
const without = (list: string[], late: string[]): string[] => list.filter((id) => !late.includes(id));

/** The checks every simulator passes the same way: finish() of unknown / finished ids, and finishing everything. */
async function expectFinishAll(sim: VendorSimulator<unknown>, servedOpen: () => Promise<string[]>): Promise<void> {
  const open = sim.unfinishedIds();
  expect(sim.finish(['no-such-run'])).toEqual([]);
  expect(sim.finish()).toEqual(open);
  expect(sim.unfinishedIds()).toEqual([]);
  expect(await servedOpen()).toEqual([]);
  expect(sim.finish()).toEqual([]);
}

describe('pathsim: addLate, unfinishedIds, finish', () => {
  const NOW = Date.UTC(2025, 7, 8, 18, 5, 0);
  let sim: PathsimSimulator;
  const get = async (path: string): Promise<Json> => {
    const res = await fetch(`${sim.baseUrl}${path}`, { headers: { Authorization: `Bearer ${sim.apiKey}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Json;
  };
  /** Every row of a workspace, at the largest page size. */
  const walk = async (ws: string): Promise<Json[]> => {
    const rows: Json[] = [];
    for (let offset = 0; ; offset += 100) {
      const body = await get(`/workspaces/${ws}/sessions?limit=100&offset=${offset}`);
      rows.push(...(body.data as Json[]));
      if (!body.pagination.hasMore) return rows;
    }
  };
  const walkAll = async (): Promise<Map<string, Json[]>> =>
    new Map(await Promise.all(sim.workspaces().map(async (w) => [w.id, await walk(w.id)] as const)));
  const exact = (): Map<string, number> => new Map(sim.sessions().map((s) => [s.row._id, s.createdAt]));
  const servedOpen = async (): Promise<string[]> => {
    const at = exact();
    return [...(await walkAll()).values()].flat().map(pathsimMap.mapRow).filter((r) => OPEN.has(r.status))
      .sort((a, b) => at.get(b.native_id)! - at.get(a.native_id)!).map((r) => r.native_id);
  };

  beforeAll(async () => {
    sim = await startPathsimSimulator({ now: NOW, ...LIMITS });
  });
  afterAll(() => sim.close());

  it('unfinishedIds: the In Progress and not yet evaluated sessions, newest first, as the adapter maps them', async () => {
    const ids = sim.unfinishedIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(await servedOpen()).toEqual(ids);
    const rows = new Map([...(await walkAll()).values()].flat().map((r) => [r._id as string, r]));
    const kinds = new Set(ids.map((id) => rows.get(id)!.Connected));
    expect(kinds).toEqual(new Set(['In Progress', 'Connected']));
  });

  it('addLate: finished sessions listed at their exact start below an unchanged head', async () => {
    const before = await walkAll();
    const head = sim.sessions()[0]!;
    const late = sim.addLate(4, LATE);
    expect(late).toHaveLength(4);
    expect(late[0]!.createdAt).toBe(head.createdAt - LATE);
    for (let i = 1; i < late.length; i++) expect(late[i]!.createdAt).toBeLessThan(late[i - 1]!.createdAt);
    const lateIds = late.map((s) => s.row._id);
    const after = await walkAll();
    expect(sim.sessions()[0]).toBe(head);
    expect(after.get(head.workspaceId)![0]).toEqual(head.row);
    const at = exact();
    let seen = 0;
    for (const [ws, rows] of after) {
      const ids = rows.map((r) => r._id as string);
      expect(without(ids, lateIds)).toEqual(before.get(ws)!.map((r) => r._id));
      for (let i = 1; i < ids.length; i++) expect(at.get(ids[i]!)!).toBeLessThan(at.get(ids[i - 1]!)!);
      seen += ids.filter((id) => lateIds.includes(id)).length;
    }
    expect(seen).toBe(4);
    for (const s of late) {
      expect(sim.workspaces().find((w) => w.id === s.workspaceId)!.isActive).toBe(true);
      const row = after.get(s.workspaceId)!.find((r) => r._id === s.row._id)!;
      expect(row.Time).toBe(formatTime(s.createdAt));
      expect(row.Connected).toBe('Connected');
      expect(['Achieved', 'Not Achieved']).toContain(row.Objective);
      const run = pathsimMap.mapDetail((await get(`/sessions/${s.row._id}`)).data);
      expect(run).toMatchObject({ native_id: s.row._id, status: 'completed', outcome: row.Objective === 'Achieved' ? 'passed' : 'failed' });
      // a long call: it lasted until after the head started
      if (row['Test Type'] === 'Voice') expect(run.duration_ms!).toBeGreaterThanOrEqual(head.createdAt - s.createdAt);
    }
  });

  it('addLate: a start another session has already moves back to a free millisecond', async () => {
    const head = sim.sessions()[0]!;
    const taken = sim.sessions()[40]!;
    const [s] = sim.addLate(1, head.createdAt - taken.createdAt);
    expect(s!.createdAt).toBe(taken.createdAt - 1);
    const at = sim.sessions().map((x) => x.createdAt);
    expect(new Set(at).size).toBe(at.length);
    const rows = await walk(s!.workspaceId);
    const i = rows.findIndex((r) => r._id === s!.row._id);
    const exactAt = exact();
    if (i > 0) expect(exactAt.get(rows[i - 1]!._id)!).toBeGreaterThan(s!.createdAt);
    if (rows[i + 1]) expect(exactAt.get(rows[i + 1]!._id)!).toBeLessThan(s!.createdAt);
    expect(sim.sessions()[0]).toBe(head);
  });

  it('finish: the row and the detail become Connected and evaluated; unfinishedIds drops them', async () => {
    const open = sim.unfinishedIds();
    const byId = new Map(sim.sessions().map((s) => [s.row._id, s]));
    const running = open.find((id) => byId.get(id)!.row.Connected === 'In Progress')!;
    const evaluating = open.find((id) => byId.get(id)!.row.Connected === 'Connected')!;
    expect(running && evaluating).toBeTruthy();
    const was = (await get(`/sessions/${evaluating}`)).data as Json;
    expect(sim.finish([running, 'no-such-session', evaluating, running])).toEqual([running, evaluating]);
    expect(sim.unfinishedIds()).toEqual(without(open, [running, evaluating]));
    const rows = new Map([...(await walkAll()).values()].flat().map((r) => [r._id as string, r]));
    for (const id of [running, evaluating]) {
      const row = rows.get(id)!;
      expect(row.Connected).toBe('Connected');
      expect(['Achieved', 'Not Achieved']).toContain(row.Objective);
      const d = (await get(`/sessions/${id}`)).data as Json;
      for (const k of Object.keys(row)) expect(d[k], k).toEqual(row[k]);
      expect(d.call_successful).toBe(true);
      expect(d.objective_met).toBe(row.Objective === 'Achieved');
      expect(String(d.summary)).not.toMatch(/in progress|pending|Browsing/);
      if (row['Test Type'] === 'Voice') expect(d.recording_url).toBeTruthy();
      const run = pathsimMap.mapDetail(d);
      expect(run.status).toBe('completed');
      expect(['passed', 'failed']).toContain(run.outcome);
    }
    // the call that only waited for its evaluation keeps its call
    const now = (await get(`/sessions/${evaluating}`)).data as Json;
    expect(now.duration).toBe(was.duration);
    if (was['Test Type'] === 'Voice') expect(now.transcript).toBe(was.transcript);
    expect(sim.finish([running])).toEqual([]);
    await expectFinishAll(sim, servedOpen);
  });
});

describe('synthflow: addLate, unfinishedIds, finish', () => {
  const NOW = Date.parse('2025-06-01T12:00:00Z');
  let sim: SynthflowSimulator;
  const get = async (path: string): Promise<Json> => {
    const res = await fetch(sim.baseUrl + path, { headers: { Authorization: `Bearer ${sim.apiKey}` } });
    expect(res.status, path).toBe(200);
    return ((await res.json()) as Json).response as Json;
  };
  const walk = async (path: string): Promise<Json[]> => {
    const items: Json[] = [];
    for (let page = 1; ; page++) {
      const r = await get(`${path}?page_number=${page}&page_size=100`);
      items.push(...(r.items as Json[]));
      if (r.pagination.offset + r.items.length >= r.pagination.total_records) return items;
    }
  };
  const sessionStart = (s: Json): number => Math.min(...(s.simulations as Json[]).map((x) => Date.parse(x.created_at)));
  const servedOpen = async (): Promise<string[]> =>
    (await walk('/simulations')).map(synthflowMap.mapSimulation).filter((r) => OPEN.has(r.status)).map((r) => r.native_id);

  beforeAll(async () => {
    sim = await startSynthflowSimulator({ now: NOW, ...LIMITS });
  });
  afterAll(() => sim.close());

  it('unfinishedIds: in-progress simulations and completed ones without their analysis, in served order', async () => {
    const ids = sim.unfinishedIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(await servedOpen()).toEqual(ids);
    const states = new Set((await walk('/simulations')).filter((s) => ids.includes(s.simulation_id)).map((s) => s.status));
    expect(states).toEqual(new Set(['in-progress', 'completed']));
  });

  it('addLate: a new session of completed, evaluated simulations at its created_at below an unchanged head', async () => {
    const before = await walk('/simulations');
    const beforeSessions = await walk('/simulations/sessions');
    const late = sim.addLate(3, LATE);
    const lateIds = late.map((s) => s.simulation_id);
    const L = Math.floor((Date.parse(before[0]!.created_at) - LATE) / 1000) * 1000;
    expect(late.map((s) => Date.parse(s.created_at))).toEqual([L, L, L]);
    const after = await walk('/simulations');
    expect(after[0]).toEqual(before[0]);
    expect(without(after.map((s) => s.simulation_id), lateIds)).toEqual(before.map((s) => s.simulation_id));
    expect(after.map((s) => s.simulation_id)).toEqual(sim.simulations().map((s) => s.simulation_id));
    const t = after.map((s) => Date.parse(s.created_at));
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeLessThanOrEqual(t[i - 1]!);
    // inserted last, so first among the simulations of their second
    const first = after.findIndex((s) => lateIds.includes(s.simulation_id));
    expect(after.slice(first, first + 3).map((s) => s.simulation_id).sort()).toEqual([...lateIds].sort());
    expect(t.slice(0, first).every((x) => x > L)).toBe(true);
    for (const s of after.slice(first, first + 3)) {
      expect(s.status).toBe('completed');
      expect(s.success_criteria_analysis).not.toBeNull();
      expect(Date.parse(s.updated_at)).toBeGreaterThan(t[0]!);
      expect(await get(`/simulations/${s.simulation_id}`)).toEqual(s);
      expect(synthflowMap.mapSimulation(s)).toMatchObject({ status: 'completed', outcome: expect.stringMatching(/^(passed|failed)$/) });
    }
    const sid = late[0]!.simulation_session_id;
    expect(late.every((s) => s.simulation_session_id === sid)).toBe(true);
    expect(beforeSessions.some((s) => s.simulation_session_id === sid)).toBe(false);
    const sessions = await walk('/simulations/sessions');
    const st = sessions.map(sessionStart);
    for (let i = 1; i < st.length; i++) expect(st[i]!).toBeLessThanOrEqual(st[i - 1]!);
    const k = sessions.findIndex((s) => s.simulation_session_id === sid);
    expect(st[k]).toBe(L);
    expect(st.slice(0, k).every((x) => x > L)).toBe(true);
    expect(sessions[k]).toMatchObject({ total_simulations: 3, completed_simulations: 3, failed_simulations: 0, pending_simulations: 0 });
    expect(await get(`/simulations/session/${sid}`)).toEqual(sessions[k]);
    expect(synthflowMap.mapSession(sessions[k]).status).toBe('completed');
  });

  it('finish: the simulation (list and detail) is completed with its analysis; its session counts follow', async () => {
    const open = sim.unfinishedIds();
    const truth = new Map(sim.simulations().map((s) => [s.simulation_id, s]));
    const running = open.find((id) => truth.get(id)!.status === 'in-progress')!;
    const evaluating = open.find((id) => truth.get(id)!.status === 'completed')!;
    expect(running && evaluating).toBeTruthy();
    const sids = [...new Set([running, evaluating].map((id) => truth.get(id)!.simulation_session_id))];
    const groupsBefore = await Promise.all(sids.map(async (sid) => await get(`/simulations/session/${sid}`)));
    expect(sim.finish([evaluating, running, 'no-such-simulation'])).toEqual([evaluating, running]);
    expect(sim.unfinishedIds()).toEqual(without(open, [running, evaluating]));
    const list = await walk('/simulations');
    for (const id of [running, evaluating]) {
      const d = await get(`/simulations/${id}`);
      expect(list.find((s) => s.simulation_id === id)).toEqual(d);
      expect(d.status).toBe('completed');
      expect(d.success_criteria_analysis.evaluations).toHaveLength(d.success_criteria.length);
      expect(d.recording_url).toBeTruthy();
      expect(d.created_at).toBe(truth.get(id)!.created_at);
      expect(synthflowMap.mapSimulation(d)).toMatchObject({ status: 'completed', outcome: expect.stringMatching(/^(passed|failed)$/) });
    }
    expect(truth.get(evaluating)!.timeline).toEqual((await get(`/simulations/${evaluating}`)).timeline);
    for (const [i, sid] of sids.entries()) {
      const was = groupsBefore[i]!;
      const now = await get(`/simulations/session/${sid}`);
      const mine = [running, evaluating].filter((id) => truth.get(id)!.simulation_session_id === sid);
      const ranBefore = mine.filter((id) => id === running).length;
      expect(now.total_simulations).toBe(was.total_simulations);
      expect(now.completed_simulations).toBe(was.completed_simulations + ranBefore);
      expect(now.pending_simulations).toBe(was.pending_simulations - ranBefore);
      const [g0, g1] = [synthflowMap.mapSession(was), synthflowMap.mapSession(now)];
      expect(g1.counts.pending).toBe(g0.counts.pending - mine.length);
      expect(g1.counts.passed + g1.counts.failed).toBe(g0.counts.passed + g0.counts.failed + mine.length);
    }
    await expectFinishAll(sim, servedOpen);
    for (const s of await walk('/simulations/sessions')) expect(s.pending_simulations).toBe(0);
  });
});

describe('saleslab: addLate, unfinishedIds, finish', () => {
  const NOW = Date.parse('2026-05-06T17:00:00Z');
  let sim: SaleslabSimulator;
  const call = async (path: string, query: Record<string, string> = {}): Promise<{ status: number; body: Json }> => {
    const u = new URL(path, sim.baseUrl);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    const res = await fetch(u, { headers: { Authorization: `Bearer ${sim.apiKey}` } });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const get = async (path: string): Promise<Json> => {
    const { status, body } = await call(path);
    expect(status, path).toBe(200);
    return body.data as Json;
  };
  /** The whole list at the largest page, following the inclusive cursor (repeated sessions dropped). */
  const walk = async (): Promise<Json[]> => {
    const out = new Map<string, Json>();
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const { status, body } = await call('/api/v1/sessions', cursor ? { limit: '100', cursor } : { limit: '100' });
      expect(status).toBe(200);
      for (const s of body.data as Json[]) if (!out.has(s.id)) out.set(s.id, s);
      cursor = body.next_cursor ?? null;
      if (!cursor) return [...out.values()];
    }
    throw new Error('walk did not end');
  };
  const servedOpen = async (): Promise<string[]> =>
    (await walk()).map((s) => saleslabMap.mapSession(s)).filter((r) => OPEN.has(r.status)).map((r) => r.native_id);
  const cardOf = (id: string): string => sim.scorecardIdOf(sim.sessions().find((x) => x.session.id === id)!);

  beforeAll(async () => {
    sim = await startSaleslabSimulator({ now: NOW, ...LIMITS });
  });
  afterAll(() => sim.close());

  it('unfinishedIds: live, in_progress, ended and scoring sessions, newest first', async () => {
    const ids = sim.unfinishedIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(await servedOpen()).toEqual(ids);
    const states = new Set((await walk()).filter((s) => ids.includes(s.id)).map((s) => s.status));
    expect(states).toEqual(new Set(['live', 'in_progress', 'ended', 'scoring']));
  });

  it('addLate: scored sessions with their scorecard, at their started_at below an unchanged head', async () => {
    const before = await walk();
    const headMs = Date.parse(before[0]!.started_at);
    const late = sim.addLate(3, LATE);
    const lateIds = late.map((x) => x.session.id);
    const L = Math.floor((headMs - LATE) / 1000) * 1000;
    expect(Date.parse(late[0]!.session.started_at)).toBe(L);
    const after = await walk();
    expect(after[0]).toEqual(before[0]);
    expect(without(after.map((s) => s.id), lateIds)).toEqual(before.map((s) => s.id));
    expect(after.map((s) => s.id)).toEqual(sim.sessions().map((x) => x.session.id));
    const t = after.map((s) => Date.parse(s.started_at));
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeLessThanOrEqual(t[i - 1]!);
    for (const id of lateIds) {
      const i = after.findIndex((s) => s.id === id);
      // first among the sessions of its second (it was listed last)
      for (let j = i - 1; j >= 0 && t[j] === t[i]; j--) expect(lateIds).toContain(after[j]!.id);
      const s = after[i]!;
      expect(t[i]!).toBeLessThanOrEqual(L);
      expect(s.status).toBe('scored');
      expect(Date.parse(s.ended_at)).toBeGreaterThan(headMs);
      const card = await get(`/api/v1/scorecards/${cardOf(id)}`);
      const run = saleslabMap.mapDetail(await get(`/api/v1/sessions/${id}`), card);
      expect(run).toMatchObject({ native_id: id, status: 'completed', outcome: expect.stringMatching(/^(passed|failed)$/) });
      expect(run.score).not.toBeNull();
    }
  });

  it('finish: the session is scored (list and detail) and its scorecard is served', async () => {
    const open = sim.unfinishedIds();
    const truth = new Map(sim.sessions().map((x) => [x.session.id, x]));
    const running = open.find((id) => ['live', 'in_progress'].includes(truth.get(id)!.session.status))!;
    const ended = open.find((id) => ['ended', 'scoring'].includes(truth.get(id)!.session.status))!;
    expect(running && ended).toBeTruthy();
    const was = new Map(await Promise.all([running, ended].map(async (id) => [id, await get(`/api/v1/sessions/${id}`)] as const)));
    for (const id of [running, ended]) expect((await call(`/api/v1/scorecards/${id}`)).status).toBe(404);
    const summary0 = await get('/api/v1/analytics/summary');
    expect(sim.finish([running, ended, 'no-such-session'])).toEqual([running, ended]);
    expect(sim.unfinishedIds()).toEqual(without(open, [running, ended]));
    const list = await walk();
    for (const id of [running, ended]) {
      const d = await get(`/api/v1/sessions/${id}`);
      const { transcript, ...item } = d;
      expect(list.find((s) => s.id === id)).toEqual(item);
      expect(d.status).toBe('scored');
      expect(d.ended_at).toBeTruthy();
      expect(d.duration_seconds).toBeGreaterThan(0);
      expect(d.started_at).toBe(was.get(id)!.started_at);
      expect((transcript as Json[]).length).toBeGreaterThanOrEqual((was.get(id)!.transcript as Json[]).length);
      const card = await get(`/api/v1/scorecards/${cardOf(id)}`);
      expect(card.categories.length).toBeGreaterThan(0);
      expect(saleslabMap.mapDetail(d, card)).toMatchObject({ status: 'completed', outcome: expect.stringMatching(/^(passed|failed)$/) });
    }
    expect((await get(`/api/v1/sessions/${ended}`)).ended_at).toBe(was.get(ended)!.ended_at);
    expect((await get('/api/v1/analytics/summary')).scored).toBe(summary0.scored + 2);
    await expectFinishAll(sim, servedOpen);
  });
});

describe('sigmamind: addLate, unfinishedIds, finish', () => {
  const NOW = Date.parse('2026-04-01T12:00:00.000Z');
  let sim: SigmaMindSimulator;
  const get = async (path: string): Promise<Json> => {
    const res = await fetch(sim.baseUrl + path, { headers: { 'X-API-Key': sim.apiKey } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Json;
  };
  const walk = async (coll: 'test-runs' | 'batch-runs', agentId: string): Promise<Json[]> => {
    const out: Json[] = [];
    for (let page = 0; ; page++) {
      const p = await get(`/v1/${coll}?agentId=${agentId}&page=${page}&size=100`);
      out.push(...(p.data as Json[]));
      if (!p.hasNext) return out;
    }
  };
  const agents = (): string[] => sim.agents().map((a) => a.agentId);
  const servedOpen = async (): Promise<string[]> => {
    const open = new Set<string>();
    for (const a of agents()) for (const x of await walk('test-runs', a)) if (OPEN.has(sigmamindMap.mapTestRun(x, a).status)) open.add(x.jobId);
    return sim.testRuns().map((t) => t.jobId).filter((id) => open.has(id));
  };

  beforeAll(async () => {
    sim = await startSigmaMindSimulator({ now: NOW, ...LIMITS });
  });
  afterAll(() => sim.close());

  it('unfinishedIds: runs without completedDate and runs still waiting for their verdict, newest first', async () => {
    const ids = sim.unfinishedIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(await servedOpen()).toEqual(ids);
    const truth = sim.testRuns().filter((t) => ids.includes(t.jobId));
    expect(new Set(truth.map((t) => sigmamindMap.mapTestRun(t.run, t.agentId).status))).toEqual(new Set(['running', 'evaluating']));
  });

  it('addLate: a new batch of finished runs at its createdDate below an unchanged head', async () => {
    const head = sim.testRuns()[0]!;
    const before = await walk('test-runs', head.agentId);
    const late = sim.addLate(3, LATE);
    const lateIds = late.map((x) => x.jobId!);
    expect(late.map((x) => Date.parse(x.createdDate!))).toEqual(Array(3).fill(head.createdMs - LATE));
    const after = await walk('test-runs', head.agentId);
    expect(after[0]).toEqual(before[0]);
    expect(without(after.map((x) => x.jobId), lateIds)).toEqual(before.map((x) => x.jobId));
    expect(after.map((x) => x.jobId)).toEqual(sim.testRuns().filter((t) => t.agentId === head.agentId).map((t) => t.jobId));
    const t = after.map((x) => Date.parse(x.createdDate));
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeLessThanOrEqual(t[i - 1]!);
    const first = after.findIndex((x) => lateIds.includes(x.jobId));
    expect(after.slice(first, first + 3).map((x) => x.jobId)).toEqual(lateIds);
    expect(t.slice(0, first).every((x) => x > head.createdMs - LATE)).toBe(true);
    for (const x of after.slice(first, first + 3)) {
      expect(Date.parse(x.completedDate)).toBeGreaterThan(head.createdMs);
      expect(typeof x.isSuccessful).toBe('boolean');
      expect(sigmamindMap.mapTestRun(x, head.agentId)).toMatchObject({ status: 'completed', outcome: expect.stringMatching(/^(passed|failed)$/) });
    }
    const batchId = late[0]!.batchId!;
    const batches = await walk('batch-runs', head.agentId);
    const bt = batches.map((b) => Date.parse(b.createdDate));
    for (let i = 1; i < bt.length; i++) expect(bt[i]!).toBeLessThanOrEqual(bt[i - 1]!);
    const b = batches.find((x) => x.batchId === batchId)!;
    expect(b).toMatchObject({ createdDate: late[0]!.createdDate, totalAttempts: 3 });
    expect(b.successfulAttempts + b.failedAttempts).toBe(3);
    expect(await get(`/v1/batch-runs/${batchId}?agentId=${head.agentId}`)).toEqual(b);
    expect(sigmamindMap.mapBatch(b, head.agentId).status).toBe('completed');
  });

  it('finish: the run (list and detail) completes with a verdict; its batch counts follow', async () => {
    const open = sim.unfinishedIds();
    const truth = new Map(sim.testRuns().map((t) => [t.jobId, t]));
    const running = open.find((id) => !truth.get(id)!.run.completedDate)!;
    const evaluating = open.find((id) => truth.get(id)!.run.completedDate)!;
    expect(running && evaluating).toBeTruthy();
    const picked = [running, evaluating].map((id) => truth.get(id)!);
    const batchOf = async (x: (typeof picked)[number]): Promise<Json> => await get(`/v1/batch-runs/${x.batchId}?agentId=${x.agentId}`);
    const batchesBefore = await Promise.all(picked.map(batchOf));
    expect(sim.finish(['no-such-job', running, evaluating])).toEqual([running, evaluating]);
    expect(sim.unfinishedIds()).toEqual(without(open, [running, evaluating]));
    for (const [i, x] of picked.entries()) {
      const d = await get(`/v1/test-runs/${x.jobId}?batchId=${x.batchId}&agentId=${x.agentId}`);
      expect((await walk('test-runs', x.agentId)).find((y) => y.jobId === x.jobId)).toEqual(d);
      expect(Date.parse(d.completedDate)).toBeGreaterThanOrEqual(x.createdMs);
      expect(typeof d.isSuccessful).toBe('boolean');
      expect(d.remarks).toBeTruthy();
      expect(sigmamindMap.mapTestRun(d, x.agentId)).toMatchObject({ status: 'completed', outcome: d.isSuccessful ? 'passed' : 'failed' });
      const was = batchesBefore[i]!;
      const now = await batchOf(x);
      const inBatch = picked.filter((y) => y.batchId === x.batchId).length;
      expect(now.successfulAttempts + now.failedAttempts).toBe(was.successfulAttempts + was.failedAttempts + inBatch);
      expect(sigmamindMap.mapBatch(now, x.agentId).counts.pending).toBe(sigmamindMap.mapBatch(was, x.agentId).counts.pending - inBatch);
    }
    // the evaluated run keeps its completion and conversation
    const ev = picked[1]!;
    const d = await get(`/v1/test-runs/${ev.jobId}?batchId=${ev.batchId}&agentId=${ev.agentId}`);
    expect(d.completedDate).toBe(ev.run.completedDate);
    expect(d.conversation).toEqual(ev.run.conversation);
    await expectFinishAll(sim, servedOpen);
    for (const a of agents()) for (const b of await walk('batch-runs', a)) expect(sigmamindMap.mapBatch(b, a).status).toBe('completed');
  });
});

describe('cekura: addLate, unfinishedIds, finish', () => {
  const NOW = Date.parse('2026-05-06T18:00:00Z');
  const V1 = '/test_framework/v1';
  let sim: CekuraSimulator;
  const get = async (path: string): Promise<Json> => {
    const res = await fetch(path.startsWith('http') ? path : sim.baseUrl + path, { headers: { 'X-CEKURA-API-KEY': sim.apiKey } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Json;
  };
  const walk = async (): Promise<Json[]> => {
    const out: Json[] = [];
    let url: string | null = `${V1}/results/?page_size=100`;
    while (url) {
      const p = await get(url);
      out.push(...(p.results as Json[]));
      url = p.next;
    }
    return out;
  };
  /** A result's runs in the vendor's order: newest timestamp first, ties by id descending. */
  const runsOf = (r: Json): Json[] =>
    (Array.isArray(r.runs) ? (r.runs as Json[]) : Object.values(r.runs as Record<string, Json>)).sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.id - a.id);
  const servedOpen = async (): Promise<string[]> =>
    (await walk()).flatMap((r) => cekuraMap.mapResult(r)).filter((r) => OPEN.has(r.status)).map((r) => r.native_id);
  /** Results (created_at desc, id desc) and the walk of their runs (timestamp desc, id desc) are in order. */
  const expectOrdered = (results: Json[]): void => {
    for (let i = 1; i < results.length; i++) {
      const [a, b] = [results[i - 1]!, results[i]!];
      expect(b.created_at < a.created_at || (b.created_at === a.created_at && b.id < a.id), `${a.id} before ${b.id}`).toBe(true);
    }
    const flat = results.flatMap(runsOf);
    for (let i = 1; i < flat.length; i++) {
      const [a, b] = [flat[i - 1]!, flat[i]!];
      expect(b.timestamp < a.timestamp || (b.timestamp === a.timestamp && b.id < a.id), `run ${a.id} before ${b.id}`).toBe(true);
    }
  };

  beforeAll(async () => {
    sim = await startCekuraSimulator({ seed: 7, now: NOW, ...LIMITS });
  });
  afterAll(() => sim.close());

  it('unfinishedIds: pending, queued, running, in progress and evaluating runs (ids as strings), newest first', async () => {
    const ids = sim.unfinishedIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => /^\d+$/.test(id))).toBe(true);
    expect(await servedOpen()).toEqual(ids);
    const states = new Set((await walk()).flatMap(runsOf).filter((x) => ids.includes(String(x.id))).map((x) => x.status));
    expect(states).toEqual(new Set(['pending', 'in_queue', 'running', 'in_progress', 'evaluating']));
  });

  it('addLate: a new completed result at its created_at below an unchanged head, runs in the global order', async () => {
    const before = await walk();
    const newest = runsOf(before[0]!)[0]!;
    const late = sim.addLate(3, LATE);
    const lateIds = late.map((x) => x.id);
    const resultId = late[0]!.result_id;
    const after = await walk();
    expect(after[0]).toEqual(before[0]);
    expect(without(after.map((r) => String(r.id)), [String(resultId)])).toEqual(before.map((r) => String(r.id)));
    expectOrdered(after);
    const res = after.find((r) => r.id === resultId)!;
    const L = Math.floor((Date.parse(newest.timestamp) - LATE) / 1000) * 1000;
    const created = Date.parse(res.created_at);
    expect(created).toBeLessThanOrEqual(L);
    expect(created).toBeGreaterThan(L - 120_000);
    expect(runsOf(res).map((x) => x.id)).toEqual(lateIds);
    expect(runsOf(res).every((x) => Date.parse(x.timestamp) === created)).toBe(true);
    expect(res).toMatchObject({ status: 'completed', total_runs_count: '3', completed_runs_count: '3' });
    for (const run of cekuraMap.mapResult(res)) expect(run).toMatchObject({ status: 'completed', outcome: expect.stringMatching(/^(passed|failed)$/) });
    expect(cekuraMap.mapGroup(await get(`${V1}/results/${resultId}/`))).toMatchObject({ status: 'completed', counts: { total: 3, pending: 0 } });
    for (const id of lateIds) {
      const full = await get(`${V1}/runs/${id}/`);
      expect(full.evaluation.metrics.length).toBeGreaterThan(0);
      expect(full.expected_outcome.score).not.toBeNull();
      expect(Date.parse(full.timestamp) + cekuraMap.mapFull(res, null, full).duration_ms!).toBeGreaterThan(Date.parse(newest.timestamp));
    }
  });

  it('addLate: a start inside an older result\'s launch moves back until no older run is launched after it', async () => {
    const results = sim.results();
    const newestMs = Date.parse(runsOf(results[0]!)[0]!.timestamp);
    // a result (below the head) whose runs were launched over several seconds after its created_at
    const spread = results.slice(3).find((r) => runsOf(r).some((x) => Date.parse(x.timestamp) > Date.parse(r.created_at) + 1000))!;
    expect(spread).toBeDefined();
    const inside = Date.parse(spread.created_at) + 1000;
    const late = sim.addLate(2, newestMs - inside);
    const created = Date.parse(late[0]!.timestamp);
    expect(created).toBeLessThan(inside);
    const after = await walk();
    expectOrdered(after);
    const lastOfSpread = Math.max(...runsOf(after.find((r) => r.id === spread.id)!).map((x) => Date.parse(x.timestamp)));
    expect(created >= lastOfSpread || created < Date.parse(spread.created_at)).toBe(true);
  });

  it('finish: the run (result item and run detail) completes with its evaluation; result counts and status follow', async () => {
    const open = sim.unfinishedIds();
    const truth = new Map(sim.allRuns().map((x) => [String(x.id), x]));
    // one run of each in-flight state
    const picked = [...new Map(open.map((id) => [truth.get(id)!.status, id])).values()];
    expect(picked.length).toBeGreaterThanOrEqual(4);
    const resultIds = [...new Set(picked.map((id) => truth.get(id)!.result_id))];
    const before = new Map(await Promise.all(resultIds.map(async (rid) => [rid, await get(`${V1}/results/${rid}/`)] as const)));
    expect(sim.finish([...picked, '1'])).toEqual(picked);
    expect(sim.unfinishedIds()).toEqual(without(open, picked));
    const list = await walk();
    for (const id of picked) {
      const full = await get(`${V1}/runs/${id}/`);
      expect(full.status).toBe('completed');
      expect(typeof full.success).toBe('boolean');
      expect(full.expected_outcome.score).not.toBeNull();
      expect(full.evaluation.metrics.length).toBeGreaterThan(0);
      expect(full.evaluation_status).toMatch(/(success|failure)$/);
      expect(full.executed_at).toBeTruthy();
      const item = list.find((r) => r.id === full.result_id)!;
      const summary = runsOf(item).find((x) => String(x.id) === id)!;
      for (const k of Object.keys(summary)) expect(full[k], k).toEqual(summary[k]);
      expect(cekuraMap.mapFull(item, summary, full)).toMatchObject({ status: 'completed', outcome: full.success ? 'passed' : 'failed' });
    }
    for (const rid of resultIds) {
      const was = before.get(rid)!;
      const now = await get(`${V1}/results/${rid}/`);
      const k = picked.filter((id) => truth.get(id)!.result_id === rid).length;
      expect(Number(now.completed_runs_count)).toBe(Number(was.completed_runs_count) + k);
      const [g0, g1] = [cekuraMap.mapGroup(was), cekuraMap.mapGroup(now)];
      expect(g1.counts.pending).toBe(g0.counts.pending - k);
      expect(g1.counts.passed + g1.counts.failed).toBe(g0.counts.passed + g0.counts.failed + k);
      const stillOpen = runsOf(now).some((x) => ['pending', 'in_queue', 'running', 'in_progress', 'evaluating'].includes(x.status));
      if (!stillOpen) expect(now.status).toBe('completed');
    }
    await expectFinishAll(sim, servedOpen);
    for (const r of await walk()) expect(['completed', 'failed', 'timeout', 'cancelled']).toContain(r.status);
  });
});

describe('lifecycle hooks are deterministic', () => {
  const NOW = Date.parse('2026-03-02T10:00:00Z');
  const starts: Array<[string, (o: { seed: number; now: number; limits: { perWindow: number } }) => Promise<VendorSimulator<unknown>>]> = [
    ['pathsim', startPathsimSimulator], ['synthflow', startSynthflowSimulator], ['saleslab', startSaleslabSimulator],
    ['sigmamind', startSigmaMindSimulator], ['cekura', startCekuraSimulator],
  ];
  it.each(starts)('%s: the same seed and the same calls give the same runs', async (_name, start) => {
    const story = async (): Promise<string> => {
      const sim = await start({ seed: 3, now: NOW, ...LIMITS });
      try {
        const open = sim.unfinishedIds();
        sim.addLate(3, LATE);
        sim.finish(open.slice(0, 2));
        sim.addRuns(2);
        sim.addLate(2, 2 * LATE);
        sim.finish();
        // the data names the simulator's own origin (recording URLs): compare without it
        return JSON.stringify(sim.runs()).replaceAll(new URL(sim.baseUrl).origin, 'ORIGIN');
      } finally {
        await sim.close();
      }
    };
    const [a, b] = [await story(), await story()];
    expect(a).toBe(b);
  });
});

describe('pathsim at 100 000 sessions', () => {
  it('starts in seconds and serves correct pages', { timeout: 60_000 }, async () => {
    const t0 = performance.now();
    const sim = await startPathsimSimulator({ count: 100_000, now: Date.UTC(2025, 7, 8, 18, 5, 0), ...LIMITS });
    const ms = performance.now() - t0;
    try {
      expect(ms).toBeLessThan(15_000);
      const all = sim.sessions();
      expect(all).toHaveLength(100_000);
      for (let i = 1; i < all.length; i++) if (all[i]!.createdAt >= all[i - 1]!.createdAt) throw new Error(`order broken at ${i}`);
      for (const w of sim.workspaces()) {
        const truth = all.filter((s) => s.workspaceId === w.id);
        for (const offset of [0, Math.floor(truth.length / 2), truth.length - 7]) {
          const res = await fetch(`${sim.baseUrl}/workspaces/${w.id}/sessions?limit=100&offset=${offset}`, { headers: { Authorization: `Bearer ${sim.apiKey}` } });
          const body = (await res.json()) as Json;
          expect(body.pagination).toEqual({ total: truth.length, limit: 100, offset, hasMore: offset + 100 < truth.length });
          expect(body.data).toEqual(truth.slice(offset, offset + 100).map((s) => s.row));
        }
      }
      const late = sim.addLate(5, 3_600_000);
      expect(sim.sessions()).toHaveLength(100_005);
      const id = late[2]!.row._id;
      const res = await fetch(`${sim.baseUrl}/sessions/${id}`, { headers: { Authorization: `Bearer ${sim.apiKey}` } });
      expect(((await res.json()) as Json).data._id).toBe(id);
      expect(sim.finish().length).toBeGreaterThan(0);
      expect(sim.unfinishedIds()).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
