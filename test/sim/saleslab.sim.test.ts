import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  MAX_TIE,
  SESSION_STATUSES,
  VERDICTS,
  startSaleslabSimulator,
  type SaleslabRun,
  type SaleslabSimulator,
} from '../../adapters/saleslab/simulator.js';

const NOW = Date.parse('2026-05-06T17:00:00Z');
const DAY = 86_400_000;
const isoS = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Json {
  ok: boolean;
  data?: any;
  next_cursor?: string | null;
  error?: { code: string; message: string };
}

async function call(sim: SaleslabSimulator, path: string, query: Record<string, string | number> = {}, token: string | null = sim.apiKey) {
  const u = new URL(path, sim.baseUrl);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
  const res = await fetch(u, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
  return { res, body: (await res.json()) as Json };
}

/** Walks the list with the inclusive cursor; returns the pages. */
async function walk(sim: SaleslabSimulator, query: Record<string, string | number>) {
  const pages: Json[] = [];
  let cursor: string | null | undefined;
  do {
    const { res, body } = await call(sim, '/api/v1/sessions', cursor ? { ...query, cursor } : query);
    expect(res.status).toBe(200);
    pages.push(body);
    cursor = body.next_cursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor);
  return pages;
}

const dedupe = (pages: Json[]): string[] => [...new Set(pages.flatMap((p) => p.data.map((s: { id: string }) => s.id)))];
const ids = (runs: SaleslabRun[]): string[] => runs.map((r) => r.session.id);
const t = (r: SaleslabRun): number => Date.parse(r.session.started_at);

let sim: SaleslabSimulator;
beforeAll(async () => {
  sim = await startSaleslabSimulator({ now: NOW, limits: { perWindow: 100_000 } });
});
afterAll(async () => {
  await sim.close();
});

describe('saleslab simulator: auth and envelopes', () => {
  it('refuses a missing or wrong bearer token with the vendor error body', async () => {
    for (const token of [null, 'wrong']) {
      const { res, body } = await call(sim, '/api/v1/sessions', {}, token);
      expect(res.status).toBe(401);
      expect(body).toEqual({ ok: false, error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
    expect(sim.server.stats.unauthorized).toBeGreaterThanOrEqual(2);
  });

  it('accepts any token prefix and answers 403 FORBIDDEN for a missing scope', async () => {
    const s = await startSaleslabSimulator({ apiKey: 'slt_abc123', scopes: ['sessions:read'] });
    try {
      expect((await call(s, '/api/v1/sessions')).res.status).toBe(200);
      const { res, body } = await call(s, '/api/v1/users');
      expect(res.status).toBe(403);
      expect(body).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'Missing scope: users:read' } });
    } finally {
      await s.close();
    }
  });

  it('lists sessions in {ok, data, next_cursor} with the documented fields and types', async () => {
    const { res, body } = await call(sim, '/api/v1/sessions');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    expect(body.ok).toBe(true);
    expect(body.data).toHaveLength(50);
    expect(body.next_cursor).toBe(body.data[49].started_at);
    for (const s of body.data) {
      expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(SESSION_STATUSES).toContain(s.status);
      expect(typeof s.user_id).toBe('string');
      expect(typeof s.scenario_id).toBe('string');
      expect(typeof s.created_at).toBe('string');
      const running = s.status === 'live' || s.status === 'in_progress';
      expect(s.ended_at === null).toBe(running);
      expect(s.duration_seconds === null ? running : Number.isInteger(s.duration_seconds)).toBe(true);
      if (s.scorecard_id !== undefined) expect(s.status).toBe('scored');
    }
    expect(body.data.map((s: { id: string }) => s.id)).toEqual(ids(sim.sessions().slice(0, 50)));
  });

  it('serves a session with its transcript, and 404 NOT_FOUND for an unknown id', async () => {
    for (const run of sim.sessions().slice(0, 15)) {
      const { res, body } = await call(sim, `/api/v1/sessions/${run.session.id}`);
      expect(res.status).toBe(200);
      expect(body.data).toEqual({ ...run.session, transcript: run.transcript });
      const times = body.data.transcript.map((x: { time: number }) => x.time);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      for (const turn of body.data.transcript) expect(['agent', 'user']).toContain(turn.role);
    }
    const { res, body } = await call(sim, '/api/v1/sessions/00000000-0000-4000-a000-000000000000');
    expect(res.status).toBe(404);
    expect(body).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('serves scorecards at scorecard_id or the session id, only for scored sessions', async () => {
    const runs = sim.sessions();
    const withId = runs.filter((r) => r.session.scorecard_id);
    expect(withId.length / runs.length).toBeGreaterThan(0.2);
    expect(withId.length / runs.length).toBeLessThan(0.45);
    for (const r of withId.slice(0, 5)) {
      expect((await call(sim, `/api/v1/scorecards/${r.session.scorecard_id}`)).body.data).toEqual(r.scorecard);
      expect((await call(sim, `/api/v1/scorecards/${r.session.id}`)).res.status).toBe(404);
    }
    const plain = runs.filter((r) => r.scorecard && !r.session.scorecard_id).slice(0, 5);
    for (const r of plain) {
      const { body } = await call(sim, `/api/v1/scorecards/${r.session.id}`);
      expect(body.data).toEqual(r.scorecard);
      expect(Number.isInteger(body.data.overall_score)).toBe(true);
      expect(body.data.categories[0]).toEqual({ key: expect.any(String), name: expect.any(String), score: expect.any(Number) });
      expect(body.data.callouts.map((c: { type: string }) => c.type)).toContain('improvement');
    }
    for (const r of runs.filter((x) => x.session.status !== 'scored').slice(0, 5)) {
      expect(r.scorecard).toBeNull();
      const { res, body } = await call(sim, `/api/v1/scorecards/${r.session.id}`);
      expect(res.status).toBe(404);
      expect(body.error?.code).toBe('NOT_FOUND');
    }
    expect(new Set(runs.map((r) => r.session.status))).toEqual(new Set(SESSION_STATUSES));
    expect(new Set(runs.flatMap((r) => (r.scorecard ? [r.scorecard.verdict] : [])))).toEqual(new Set(VERDICTS));
  });

  it('lists scenarios (active first, archived included) and users (no email, last_session_at)', async () => {
    const sc = (await call(sim, '/api/v1/scenarios')).body;
    expect(sc.ok).toBe(true);
    expect(sc.data).toEqual(sim.scenarios());
    const archived = sc.data.map((s: { archived: boolean }) => s.archived);
    expect(archived).toEqual([...archived].sort((a, b) => Number(a) - Number(b)));
    expect(archived).toContain(true);
    expect(new Set(sc.data.map((s: { call_type: string }) => s.call_type))).toEqual(new Set(['cold_call', 'discovery', 'objection_handling']));
    const us = (await call(sim, '/api/v1/users')).body;
    expect(us.data).toEqual(sim.users());
    expect(us.data).toHaveLength(8);
    for (const u of us.data) {
      expect(Object.keys(u).sort()).toEqual(['full_name', 'id', 'last_session_at', 'role']);
      const mine = sim.sessions().filter((r) => r.session.user_id === u.id);
      expect(u.last_session_at).toBe(mine[0]?.session.started_at ?? null);
    }
  });

  it('summarises analytics for the default 30 days and for an explicit period', async () => {
    const runs = sim.sessions();
    const summarise = (from: number, to: number) => {
      const inR = runs.filter((r) => t(r) >= from && t(r) <= to);
      const scored = inR.filter((r) => r.session.status === 'scored');
      const avg = scored.reduce((a, r) => a + Number(r.scorecard!.overall_score), 0) / scored.length;
      return {
        from: isoS(from),
        to: isoS(to),
        sessions: inR.length,
        scored: scored.length,
        avg_score: Math.round(avg),
        unique_reps: new Set(inR.map((r) => r.session.user_id)).size,
      };
    };
    const def = (await call(sim, '/api/v1/analytics/summary')).body.data;
    expect(def).toEqual(summarise(NOW - 30 * DAY, NOW));
    expect(def.sessions).toBeLessThan(runs.length);
    const from = NOW - 7 * DAY;
    const to = NOW - 2 * DAY;
    expect((await call(sim, '/api/v1/analytics/summary', { from: isoS(from), to: isoS(to) })).body.data).toEqual(summarise(from, to));
    const bad = await call(sim, '/api/v1/analytics/summary', { from: isoS(to), to: isoS(from) });
    expect(bad.res.status).toBe(400);
    expect(bad.body.error?.code).toBe('BAD_REQUEST');
  });
});

describe('saleslab simulator: pagination with the inclusive cursor', () => {
  it.each([100, 37, 50])('walks every session exactly once (after dedupe) newest first at limit %i', async (limit) => {
    const runs = sim.sessions();
    const pages = await walk(sim, { limit });
    expect(dedupe(pages)).toEqual(ids(runs));
    expect(pages.at(-1)!.next_cursor).toBeNull();
    for (let p = 0; p < pages.length - 1; p++) {
      const page = pages[p]!;
      const next = pages[p + 1]!;
      const last = page.data.at(-1);
      expect(page.data).toHaveLength(limit);
      expect(page.next_cursor).toBe(last.started_at);
      // the next page starts with the whole tie group of the cursor (repeats), and the group straddles the boundary
      const group = runs.filter((r) => r.session.started_at === last.started_at);
      expect(next.data.slice(0, group.length).map((s: { id: string }) => s.id)).toEqual(ids(group));
      const idx = runs.findIndex((r) => r.session.id === last.id);
      expect(runs[idx + 1]?.session.started_at).toBe(last.started_at);
    }
    const all = pages.flatMap((pg) => pg.data.map((s: { started_at: string }) => Date.parse(s.started_at)));
    for (const page of pages) {
      const ts = page.data.map((s: { started_at: string }) => Date.parse(s.started_at));
      expect([...ts].sort((a, b) => b - a)).toEqual(ts);
    }
    expect(all.length).toBeGreaterThan(runs.length);
  });

  it('has many tie groups of at most 8 sessions at seconds precision', () => {
    const groups = new Map<string, number>();
    for (const r of sim.sessions()) groups.set(r.session.started_at, (groups.get(r.session.started_at) ?? 0) + 1);
    const sizes = [...groups.values()];
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_TIE);
    expect(sizes.filter((s) => s > 1).length).toBeGreaterThanOrEqual(20);
    expect(sim.sessions()).toHaveLength(180);
  });

  it('filters by from/to (inclusive), user_id and cursor exactly like the ground truth', async () => {
    const runs = sim.sessions();
    const from = runs[120]!.session.started_at;
    const to = runs[30]!.session.started_at;
    const user = sim.users()[1]!.id;
    const cases: [Record<string, string>, (r: SaleslabRun) => boolean][] = [
      [{ from }, (r) => t(r) >= Date.parse(from)],
      [{ to }, (r) => t(r) <= Date.parse(to)],
      [{ from, to }, (r) => t(r) >= Date.parse(from) && t(r) <= Date.parse(to)],
      [{ user_id: user }, (r) => r.session.user_id === user],
      [{ user_id: user, from, to: to.replace('Z', '+00:00') }, (r) => r.session.user_id === user && t(r) >= Date.parse(from) && t(r) <= Date.parse(to)],
    ];
    for (const [q, pred] of cases) {
      const expected = runs.filter(pred);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(runs.length);
      expect(dedupe(await walk(sim, { ...q, limit: 37 }))).toEqual(ids(expected));
    }
    const cur = (await call(sim, '/api/v1/sessions', { cursor: to, limit: 100 })).body.data;
    expect(cur.map((s: { id: string }) => s.id)).toEqual(ids(runs.filter((r) => t(r) <= Date.parse(to)).slice(0, 100)));
    expect(cur[0].started_at).toBe(to);
    const unknown = (await call(sim, '/api/v1/sessions', { user_id: '00000000-0000-4000-a000-000000000000' })).body;
    expect(unknown).toEqual({ ok: true, data: [], next_cursor: null });
  });

  it('answers 400 BAD_REQUEST for invalid paging and filter parameters', async () => {
    const bad: Record<string, string>[] = [
      { limit: '0' }, { limit: '101' }, { limit: 'abc' }, { limit: '1.5' }, { cursor: 'yesterday' },
      { from: '2026-13-45T00:00:00Z' }, { to: 'soon' }, { user_id: 'bob' },
    ];
    for (const q of bad) {
      const { res, body } = await call(sim, '/api/v1/sessions', q);
      expect(res.status, JSON.stringify(q)).toBe(400);
      expect(body).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: expect.any(String) } });
    }
    expect((await call(sim, '/api/v1/sessions', { limit: 100 })).body.data).toHaveLength(100);
    expect((await call(sim, '/api/v1/sessions', { limit: 1 })).body.data).toHaveLength(1);
  });
});

describe('saleslab simulator: limits and faults', () => {
  it('enforces 60/min by default with a 429 that carries no headers', async () => {
    const s = await startSaleslabSimulator({ count: 5 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 61; i++) statuses.push((await call(s, '/api/v1/scenarios')).res.status);
      expect(statuses.slice(0, 60).every((x) => x === 200)).toBe(true);
      const { res, body } = await call(s, '/api/v1/scenarios');
      expect(res.status).toBe(429);
      expect(body).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: expect.any(String) } });
      expect(res.headers.get('retry-after')).toBeNull();
      expect(res.headers.get('x-ratelimit-remaining')).toBeNull();
      expect(s.server.stats.rateViolations).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('counts violations with a small limits override', async () => {
    const s = await startSaleslabSimulator({ count: 5, limits: { perWindow: 3, windowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(s, '/api/v1/users')).res.status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(s.server.stats.violations).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('injects status, reset, delay, malformed and 429 Retry-After faults', async () => {
    const path = '/api/v1/sessions';
    sim.server.injectFault({ match: path, status: 503, times: 1 });
    const st = await call(sim, path);
    expect(st.res.status).toBe(503);
    expect(st.body.ok).toBe(false);
    sim.server.injectFault({ match: path, reset: true, times: 1 });
    await expect(fetch(new URL(path, sim.baseUrl), { headers: { Authorization: `Bearer ${sim.apiKey}` } })).rejects.toThrow();
    sim.server.injectFault({ match: path, delayMs: 150, times: 1 });
    const t0 = Date.now();
    expect((await call(sim, path)).res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    sim.server.injectFault({ match: path, malformed: true, times: 1 });
    const mal = await fetch(new URL(path, sim.baseUrl), { headers: { Authorization: `Bearer ${sim.apiKey}` } });
    expect(mal.status).toBe(200);
    await expect(mal.json()).rejects.toThrow();
    sim.server.injectFault({ match: path, status: 429, retryAfterS: 7, times: 1 });
    const rl = await call(sim, path);
    expect(rl.res.status).toBe(429);
    expect(rl.res.headers.get('retry-after')).toBe('7');
    expect(rl.body.error?.code).toBe('RATE_LIMITED');
    expect((await call(sim, path)).res.status).toBe(200);
  });
});

describe('saleslab simulator: addRuns, determinism, drift', () => {
  it('adds sessions at the head, strictly newer or tying, visible to the next requests', async () => {
    const s = await startSaleslabSimulator({ now: NOW, count: 40, limits: { perWindow: 10_000 } });
    try {
      const head1 = s.sessions()[0]!.session.started_at;
      const a = s.addRuns(3);
      expect(a).toHaveLength(3);
      expect(Date.parse(a.at(-1)!.session.started_at)).toBeGreaterThan(Date.parse(head1));
      const head2 = s.sessions()[0]!.session.started_at;
      const b = s.addRuns(2);
      expect(b.at(-1)!.session.started_at).toBe(head2);
      expect(s.sessions()).toHaveLength(45);
      expect(ids(s.sessions().slice(0, 5))).toEqual(ids([...b, ...a]));
      const page = (await call(s, '/api/v1/sessions', { limit: 5 })).body.data;
      expect(page.map((x: { id: string }) => x.id)).toEqual(ids([...b, ...a]));
      expect(dedupe(await walk(s, { limit: 37 }))).toEqual(ids(s.sessions()));
      expect((await call(s, `/api/v1/sessions/${b[0]!.session.id}`)).res.status).toBe(200);
      const newest = (await call(s, '/api/v1/users')).body.data.map((u: { last_session_at: string }) => u.last_session_at);
      expect(newest).toContain(s.sessions()[0]!.session.started_at);
      expect((await call(s, '/api/v1/analytics/summary')).body.data.sessions).toBeGreaterThanOrEqual(45 - 10);
    } finally {
      await s.close();
    }
  });

  it('generates the same data for the same seed and different data for another seed', async () => {
    const [a, b, c] = await Promise.all([
      startSaleslabSimulator({ seed: 7, now: NOW, count: 60 }),
      startSaleslabSimulator({ seed: 7, now: NOW, count: 60 }),
      startSaleslabSimulator({ seed: 8, now: NOW, count: 60 }),
    ]);
    try {
      expect(a.sessions()).toEqual(b.sessions());
      expect(a.users()).toEqual(b.users());
      expect(a.addRuns(4)).toEqual(b.addRuns(4));
      expect(ids(a.sessions())).not.toEqual(ids(c.sessions()));
      expect((await call(a, '/api/v1/sessions', { limit: 20 })).body).toEqual((await call(b, '/api/v1/sessions', { limit: 20 })).body);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('mixes in drift: status "paused", verdict "legendary", overall_score "81"', async () => {
    const s = await startSaleslabSimulator({ now: NOW, drift: true, limits: { perWindow: 10_000 } });
    try {
      const page = (await call(s, '/api/v1/sessions', { limit: 100 })).body.data;
      expect(page.map((x: { status: string }) => x.status)).toContain('paused');
      const cards = [];
      for (const r of s.sessions().slice(0, 100).filter((x) => x.scorecard)) {
        cards.push((await call(s, `/api/v1/scorecards/${s.scorecardIdOf(r)}`)).body.data);
      }
      expect(cards.map((c) => c.verdict)).toContain('legendary');
      expect(cards.map((c) => c.overall_score)).toContain('81');
      const plain = await startSaleslabSimulator({ now: NOW });
      expect(ids(plain.sessions())).toEqual(ids(s.sessions()));
      await plain.close();
    } finally {
      await s.close();
    }
  });
});
