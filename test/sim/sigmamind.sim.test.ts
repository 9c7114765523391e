import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startSigmaMindSimulator, type SigmaMindSimulator, type TestRun } from '../../adapters/sigmamind/simulator.js';

const NOW = Date.parse('2026-04-01T12:00:00.000Z');

interface Page<T> {
  data: T[];
  page: number;
  size: number;
  totalCount: number;
  totalPages: number;
  hasNext: boolean;
  hasPrevious: boolean;
}

let sim: SigmaMindSimulator;
let agentIds: string[];

async function get(path: string, key: string | null = sim.apiKey, s = sim): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(s.baseUrl + path, { headers: key === null ? {} : { 'X-API-Key': key } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

function expectSpring(body: any, status: number, path: string): void {
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'path', 'status', 'timestamp']);
  expect(body.status).toBe(status);
  expect(body.path).toBe(path);
  expect(typeof body.error).toBe('string');
  expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
}

async function walk(agentId: string, size: number, extra = ''): Promise<{ runs: TestRun[]; pages: Page<TestRun>[] }> {
  const runs: TestRun[] = [];
  const pages: Page<TestRun>[] = [];
  for (let page = 0; page < 100; page++) {
    const r = await get(`/v1/test-runs?agentId=${agentId}&page=${page}&size=${size}${extra}`);
    expect(r.status).toBe(200);
    pages.push(r.body);
    runs.push(...r.body.data);
    if (!r.body.hasNext) break;
  }
  return { runs, pages };
}

beforeAll(async () => {
  sim = await startSigmaMindSimulator({ now: NOW });
  agentIds = sim.agents().map((a) => a.agentId);
});
afterAll(async () => {
  // the whole file stays under the default 120/min on the shared simulator
  expect(sim.server.stats.violations).toBe(0);
  await sim.close();
});

describe('SigmaMind simulator', () => {
  it('rejects a missing or wrong X-API-Key with a Spring 401 body', async () => {
    for (const key of [null, 'nope']) {
      const r = await get('/v1/agents', key);
      expect(r.status).toBe(401);
      expectSpring(r.body, 401, '/v1/agents');
    }
    expect((await fetch(`${sim.baseUrl}/v1/agents`, { headers: { Authorization: `Bearer ${sim.apiKey}` } })).status).toBe(401);
  });

  it('lists agents in the page/size envelope', async () => {
    const r = await get('/v1/agents');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ page: 0, size: 20, totalCount: 3, totalPages: 1, hasNext: false, hasPrevious: false });
    expect(r.body.data).toEqual(sim.agents());
    for (const a of r.body.data) {
      expect(a.agentId).toMatch(/^agent_[A-Za-z0-9]{17}$/);
      expect(Object.keys(a)).toEqual(['agentId', 'agentName', 'instructions', 'welcomeMessageType', 'welcomeMessage', 'agentSettings']);
    }
    const p1 = await get('/v1/agents?page=1&size=2');
    expect(p1.body).toMatchObject({ page: 1, size: 2, totalCount: 3, totalPages: 2, hasNext: false, hasPrevious: true });
    expect(p1.body.data).toHaveLength(1);
  });

  it('walks every agent with size 100, 50 and 37: every run once, newest first, hasNext ends it', async () => {
    const truth = sim.testRuns();
    expect(truth).toHaveLength(250);
    for (const agentId of agentIds) {
      const expected = truth.filter((t) => t.agentId === agentId).map((t) => t.jobId);
      for (const size of [100, 50, 37]) {
        const { runs, pages } = await walk(agentId, size);
        expect(runs.map((r) => r.jobId)).toEqual(expected);
        expect(new Set(runs.map((r) => r.jobId)).size).toBe(runs.length);
        pages.forEach((p, i) => {
          expect(p).toMatchObject({ page: i, size, totalCount: expected.length, totalPages: Math.ceil(expected.length / size) });
          expect(p.hasPrevious).toBe(i > 0);
          expect(p.hasNext).toBe(i < pages.length - 1);
        });
        const times = runs.map((r) => Date.parse(r.createdDate!));
        for (let i = 1; i < times.length; i++) expect(times[i]!).toBeLessThanOrEqual(times[i - 1]!);
      }
    }
    const past = await get(`/v1/test-runs?agentId=${agentIds[0]}&page=99&size=100`);
    expect(past.body).toMatchObject({ data: [], hasNext: false, hasPrevious: true });
  });

  it('has many ties, including across page boundaries 37, 50 and 100', async () => {
    const truth = sim.testRuns();
    expect(new Set(truth.map((t) => t.createdMs)).size).toBeLessThan(truth.length / 3);
    const a0 = agentIds[0]!;
    for (const size of [37, 50, 100]) {
      const p0 = (await get(`/v1/test-runs?agentId=${a0}&page=0&size=${size}`)).body as Page<TestRun>;
      const p1 = (await get(`/v1/test-runs?agentId=${a0}&page=1&size=${size}`)).body as Page<TestRun>;
      expect(p0.data.at(-1)!.createdDate).toBe(p1.data[0]!.createdDate);
      expect(p0.data.at(-1)!.jobId).not.toBe(p1.data[0]!.jobId);
    }
    // jobs of a batch share the batch's createdDate or lie a few ms after it
    for (const b of sim.batches()) {
      for (const t of truth.filter((x) => x.batchId === b.batchId)) {
        expect(t.createdMs - Date.parse(b.createdDate!)).toBeGreaterThanOrEqual(0);
        expect(t.createdMs - Date.parse(b.createdDate!)).toBeLessThanOrEqual(3);
      }
    }
  });

  it('serves test runs in the get-test-run shape with every state represented', async () => {
    const runs = sim.runs();
    const keys = ['batchId', 'workspaceId', 'agent', 'testCase', 'jobId', 'chatId', 'createdDate', 'completedDate', 'isSuccessful', 'remarks', 'conversation'];
    for (const r of runs) {
      expect(Object.keys(r)).toEqual(keys);
      expect(r.jobId).toMatch(/^job_[A-Za-z0-9]{16}$/);
      expect(r.chatId).toMatch(/^chat_[A-Za-z0-9]{16}$/);
      expect(r.batchId).toMatch(/^batch_[A-Za-z0-9]{16}$/);
      expect(r.createdDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Object.keys(r.testCase!)).toEqual(['testCaseId', 'label', 'agent', 'workspaceId', 'llmModel', 'mockData', 'userPrompt', 'attempt', 'successCriteria']);
      expect(['Live', 'Testing']).toContain(r.agent!.status);
      for (const m of r.conversation!) expect(['user', 'assistant']).toContain(m.role);
      if (r.completedDate === null) expect(r.isSuccessful).toBeNull();
      if (r.isSuccessful === null) expect(r.remarks).toBeNull();
    }
    expect(runs.some((r) => r.completedDate === null)).toBe(true);
    expect(runs.some((r) => r.completedDate !== null && r.isSuccessful === null)).toBe(true);
    expect(runs.some((r) => r.isSuccessful === true)).toBe(true);
    expect(runs.some((r) => r.isSuccessful === false)).toBe(true);
    expect(new Set(runs.map((r) => r.agent!.status))).toEqual(new Set(['Live', 'Testing']));
  });

  it('filters test runs by batchId and validates agentId and paging', async () => {
    const truth = sim.testRuns();
    const [a0, a1] = agentIds as [string, string];
    for (const b of sim.batches(a0)) {
      const { runs } = await walk(a0, 100, `&batchId=${b.batchId}`);
      expect(runs.map((r) => r.jobId)).toEqual(truth.filter((t) => t.batchId === b.batchId).map((t) => t.jobId));
      expect(runs.length).toBe(b.totalAttempts);
    }
    const foreign = sim.batches(a1)[0]!.batchId;
    expect((await get(`/v1/test-runs?agentId=${a0}&batchId=${foreign}`)).body).toMatchObject({ data: [], totalCount: 0, totalPages: 0, hasNext: false });
    const missing = await get('/v1/test-runs?page=0&size=10');
    expect(missing.status).toBe(400);
    expectSpring(missing.body, 400, '/v1/test-runs');
    expect((await get('/v1/test-runs?agentId=agent_nope')).status).toBe(404);
    for (const q of ['size=101', 'size=0', 'page=-1', 'page=abc', 'size=1.5']) {
      const r = await get(`/v1/test-runs?agentId=${a0}&${q}`);
      expect(r.status).toBe(400);
      expectSpring(r.body, 400, '/v1/test-runs');
    }
    expect((await get(`/v1/test-runs?agentId=${a0}`)).body).toMatchObject({ page: 0, size: 20, totalCount: 130 });
  });

  it('gets one test run by jobId with batchId and agentId required', async () => {
    const t = sim.testRuns()[7]!;
    const other = sim.testRuns().find((x) => x.batchId !== t.batchId && x.agentId === t.agentId)!;
    const ok = await get(`/v1/test-runs/${t.jobId}?batchId=${t.batchId}&agentId=${t.agentId}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(t.run);
    for (const q of [`batchId=${t.batchId}`, `agentId=${t.agentId}`, '']) {
      const r = await get(`/v1/test-runs/${t.jobId}?${q}`);
      expect(r.status).toBe(400);
      expectSpring(r.body, 400, `/v1/test-runs/${t.jobId}`);
    }
    expect((await get(`/v1/test-runs/${t.jobId}?batchId=${other.batchId}&agentId=${t.agentId}`)).status).toBe(404);
    expect((await get(`/v1/test-runs/${t.jobId}?batchId=${t.batchId}&agentId=${agentIds[2]}`)).status).toBe(404);
    const nf = await get(`/v1/test-runs/job_unknown?batchId=${t.batchId}&agentId=${t.agentId}`);
    expect(nf.status).toBe(404);
    expectSpring(nf.body, 404, '/v1/test-runs/job_unknown');
  });

  it('lists batch runs newest first and gets one batch without an envelope', async () => {
    const truth = sim.testRuns();
    for (const agentId of agentIds) {
      const r = await get(`/v1/batch-runs?agentId=${agentId}&page=0&size=100`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ page: 0, size: 100, totalCount: 10, totalPages: 1, hasNext: false, hasPrevious: false });
      expect(r.body.data).toEqual(sim.batches(agentId));
      const times = r.body.data.map((b: any) => Date.parse(b.createdDate));
      expect([...times].sort((x, y) => y - x)).toEqual(times);
      for (const b of r.body.data) {
        const mine = truth.filter((t) => t.batchId === b.batchId).map((t) => t.run.isSuccessful);
        expect(b.totalAttempts).toBe(mine.length);
        expect(b.totalAttempts).toBe(b.testCases.reduce((s: number, tc: any) => s + tc.attempt, 0));
        expect(b.successfulAttempts).toBe(mine.filter((x) => x === true).length);
        expect(b.failedAttempts).toBe(mine.filter((x) => x === false).length);
      }
    }
    const p = await get(`/v1/batch-runs?agentId=${agentIds[0]}&page=1&size=4`);
    expect(p.body).toMatchObject({ page: 1, size: 4, totalCount: 10, totalPages: 3, hasNext: true, hasPrevious: true });
    expect((await get('/v1/batch-runs')).status).toBe(400);
    expect((await get(`/v1/batch-runs?agentId=${agentIds[0]}&size=500`)).status).toBe(400);
    const b = sim.batches(agentIds[1])[3]!;
    const one = await get(`/v1/batch-runs/${b.batchId}?agentId=${agentIds[1]}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(b);
    expect((await get(`/v1/batch-runs/${b.batchId}`)).status).toBe(400);
    const wrong = await get(`/v1/batch-runs/${b.batchId}?agentId=${agentIds[0]}`);
    expect(wrong.status).toBe(404);
    expectSpring(wrong.body, 404, `/v1/batch-runs/${b.batchId}`);
  });

  it('enforces the rate limit with 429, Retry-After and violation counting', async () => {
    const s = await startSigmaMindSimulator({ now: NOW, count: 10, limits: { perWindow: 3, windowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof get>> | undefined;
      for (let i = 0; i < 5; i++) {
        last = await get('/v1/agents', s.apiKey, s);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expectSpring(last!.body, 429, '/v1/agents');
      expect(s.server.stats.rateViolations).toBe(2);
      expect(s.server.stats.violations).toBe(2);
    } finally {
      await s.close();
    }
    const c = await startSigmaMindSimulator({ now: NOW, count: 10, latencyMs: 150 });
    try {
      const res = await Promise.all(Array.from({ length: 8 }, () => get('/v1/agents', c.apiKey, c)));
      const refused = res.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(c.server.stats.concurrencyViolations).toBe(refused.length);
      expect(c.server.stats.rateViolations).toBe(0);
      expect(c.server.stats.maxInFlight).toBeGreaterThan(5);
    } finally {
      await c.close();
    }
  });

  it('injects each fault kind', async () => {
    const a0 = agentIds[0]!;
    sim.server.injectFault({ match: '/v1/test-runs', status: 503, times: 1 });
    const st = await get(`/v1/test-runs?agentId=${a0}`);
    expect(st.status).toBe(503);
    expectSpring(st.body, 503, '/v1/test-runs');
    sim.server.injectFault({ match: '/v1/test-runs', status: 429, retryAfterS: 7, times: 1 });
    const rl = await get(`/v1/test-runs?agentId=${a0}`);
    expect(rl.status).toBe(429);
    expect(rl.headers.get('retry-after')).toBe('7');
    expectSpring(rl.body, 429, '/v1/test-runs');
    sim.server.injectFault({ match: '/v1/batch-runs', reset: true, times: 1 });
    await expect(fetch(`${sim.baseUrl}/v1/batch-runs?agentId=${a0}`, { headers: { 'X-API-Key': sim.apiKey } })).rejects.toThrow();
    sim.server.injectFault({ match: '/v1/agents', malformed: true, times: 1 });
    const bad = await fetch(`${sim.baseUrl}/v1/agents`, { headers: { 'X-API-Key': sim.apiKey } });
    expect(bad.status).toBe(200);
    await expect(bad.json()).rejects.toThrow();
    sim.server.injectFault({ match: '/v1/agents', delayMs: 200, times: 1 });
    const t0 = Date.now();
    expect((await get('/v1/agents')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect((await get(`/v1/test-runs?agentId=${a0}`)).status).toBe(200);
  });

  it('addRuns puts a new batch at the head: first strictly newer, then tying', async () => {
    const s = await startSigmaMindSimulator({ now: NOW, count: 60 });
    try {
      const head = s.testRuns()[0]!;
      const first = s.addRuns(4);
      expect(first).toHaveLength(4);
      const firstMs = Date.parse(first[0]!.createdDate!);
      expect(Date.parse(first.at(-1)!.createdDate!)).toBeGreaterThan(head.createdMs);
      const page = (await get(`/v1/test-runs?agentId=${head.agentId}&size=4`, s.apiKey, s)).body as Page<TestRun>;
      expect(page.data.map((r) => r.jobId)).toEqual(first.map((r) => r.jobId));
      const second = s.addRuns(3);
      for (const r of second) expect(Date.parse(r.createdDate!)).toBe(firstMs);
      const { body } = await get(`/v1/test-runs?agentId=${head.agentId}&size=10`, s.apiKey, s);
      expect(body.data.slice(0, 7).map((r: TestRun) => r.jobId)).toEqual([...second, ...first].map((r) => r.jobId));
      expect(body.totalCount).toBe(s.testRuns().filter((t) => t.agentId === head.agentId).length);
      const batches = (await get(`/v1/batch-runs?agentId=${head.agentId}`, s.apiKey, s)).body.data;
      expect(batches[0].batchId).toBe(second[0]!.batchId);
      expect(batches[0].totalAttempts).toBe(3);
      expect(s.testRuns()).toHaveLength(67);
    } finally {
      await s.close();
    }
  });

  it('is deterministic for a seed, and drift mixes in the old docs generation', async () => {
    const a = await startSigmaMindSimulator({ now: NOW, seed: 9, count: 80, drift: true });
    const b = await startSigmaMindSimulator({ now: NOW, seed: 9, count: 80, drift: true });
    const c = await startSigmaMindSimulator({ now: NOW, seed: 10, count: 80 });
    try {
      expect(a.testRuns()).toEqual(b.testRuns());
      expect(a.batches()).toEqual(b.batches());
      expect(c.runs().map((r) => r.jobId)).not.toEqual(a.runs().map((r) => r.jobId));
      const ar = a.runs();
      const typo = ar.filter((r) => 'isSuccesful' in r);
      expect(typo.length).toBeGreaterThan(0);
      for (const r of typo) {
        expect(r).not.toHaveProperty('isSuccessful');
        expect(r.chatId).toMatch(/^chat-[A-Za-z0-9]{16}$/);
      }
      expect(ar.filter((r) => r.createdDate === undefined)).toHaveLength(1);
      expect(ar.some((r) => r.agent!.status === 'Archived')).toBe(true);
      // the undated run is still served (at its place) and reachable by id
      const undated = a.testRuns().find((t) => t.run.createdDate === undefined)!;
      const d = await get(`/v1/test-runs/${undated.jobId}?batchId=${undated.batchId}&agentId=${undated.agentId}`, a.apiKey, a);
      expect(d.status).toBe(200);
      expect(d.body).not.toHaveProperty('createdDate');
      const cr = c.runs();
      expect(cr.every((r) => 'isSuccessful' in r && r.chatId!.startsWith('chat_') && r.createdDate)).toBe(true);
      expect(cr.some((r) => r.agent!.status === 'Archived')).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});
