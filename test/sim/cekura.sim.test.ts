import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startCekuraSimulator, type CekuraResult, type CekuraRun, type CekuraRunSummary, type CekuraSimulator } from '../../adapters/cekura/simulator.js';

const NOW = Date.parse('2026-05-06T18:00:00Z');
const V1 = '/test_framework/v1';
type Page<T> = { count: number; next: string | null; previous: string | null; results: T[] };

const get = (sim: CekuraSimulator, path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(path.startsWith('http') ? path : sim.baseUrl + path, { ...init, headers: { 'X-CEKURA-API-KEY': sim.apiKey, ...(init.headers ?? {}) } });
const json = async <T>(sim: CekuraSimulator, path: string): Promise<T> => {
  const r = await get(sim, path);
  expect(r.status, path).toBe(200);
  return (await r.json()) as T;
};
/** Follows `next` until null; returns every item and the number of pages. */
async function walk<T>(sim: CekuraSimulator, path: string): Promise<{ items: T[]; pages: Page<T>[] }> {
  const pages: Page<T>[] = [];
  let url: string | null = path;
  while (url) {
    const p: Page<T> = await json<Page<T>>(sim, url);
    pages.push(p);
    url = p.next;
    expect(pages.length).toBeLessThan(500);
  }
  return { items: pages.flatMap((p) => p.results), pages };
}
const runsOf = (r: CekuraResult): CekuraRunSummary[] =>
  (Array.isArray(r.runs) ? r.runs : Object.values(r.runs)).sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.id - a.id);

describe('cekura simulator', () => {
  let sim: CekuraSimulator;
  beforeAll(async () => {
    sim = await startCekuraSimulator({ seed: 7, now: NOW, limits: { perWindow: 100_000 } });
  });
  afterAll(async () => sim.close());

  it('rejects a missing or wrong X-CEKURA-API-KEY with the DRF body', async () => {
    const variants: Record<string, string>[] = [{}, { 'X-CEKURA-API-KEY': 'nope' }, { Authorization: `Bearer ${sim.apiKey}` }];
    for (const headers of variants) {
      const r = await fetch(`${sim.baseUrl}${V1}/results/`, { headers });
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({ detail: 'Invalid API key.' });
    }
    expect(sim.server.stats.unauthorized).toBeGreaterThanOrEqual(3);
  });

  it('lists the three agents as a DRF page, with q and project_id filters', async () => {
    const p = await json<Page<Record<string, unknown>>>(sim, `${V1}/aiagents/`);
    expect(p).toMatchObject({ count: 3, next: null, previous: null });
    expect(p.results.map((a) => a.id)).toEqual([101, 102, 103]);
    expect(p.results).toEqual(sim.agents());
    for (const k of ['agent_name', 'project', 'organization', 'contact_number', 'inbound', 'description', 'language', 'assistant_provider', 'created_at', 'updated_at'])
      expect(p.results[0]).toHaveProperty(k);
    expect((await json<Page<{ id: number }>>(sim, `${V1}/aiagents/?project_id=12`)).results.map((a) => a.id)).toEqual([103]);
    expect((await json<Page<{ id: number }>>(sim, `${V1}/aiagents/?q=billing`)).results.map((a) => a.id)).toEqual([102]);
  });

  it('serves result list items with the documented field types (counts as strings, runs keyed by id string)', async () => {
    const p = await json<Page<CekuraResult>>(sim, `${V1}/results/?page_size=5`);
    expect(p.count).toBe(sim.results().length);
    expect(p.results).toHaveLength(5);
    expect(p.previous).toBeNull();
    expect(p.next).toBe(`${sim.baseUrl}${V1}/results/?page=2&page_size=5`);
    for (const r of p.results) {
      expect(typeof r.id).toBe('number');
      expect(typeof r.is_cronjob).toBe('boolean');
      expect(r.success_rate).toBeGreaterThanOrEqual(0);
      expect(r.success_rate).toBeLessThanOrEqual(1);
      expect(r.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      for (const k of ['met_expected_outcome_count', 'total_expected_outcome_count', 'total_runs_count', 'completed_runs_count', 'success_runs_count', 'failed_runs_count'] as const)
        expect(r[k]).toMatch(/^\d+$/);
      expect(Array.isArray(r.runs)).toBe(false);
      const entries = Object.entries(r.runs as Record<string, CekuraRunSummary>);
      expect(String(entries.length)).toBe(r.total_runs_count);
      for (const [k, run] of entries) {
        expect(k).toBe(String(run.id));
        expect(run.duration).toMatch(/^(\d:)?\d\d:\d\d$/);
        expect(run).not.toHaveProperty('transcript');
      }
    }
    const p2 = await json<Page<CekuraResult>>(sim, p.next!);
    expect(p2.previous).toBe(`${sim.baseUrl}${V1}/results/?page_size=5`);
  });

  it('answers bad paging with the DRF errors', async () => {
    const cases: [string, number, string | RegExp][] = [
      ['page_size=101', 400, /page_size/], ['page_size=0', 400, /page_size/], ['page_size=x', 400, /page_size/],
      ['page=0', 404, 'Invalid page.'], ['page=abc', 404, 'Invalid page.'], ['page=999&page_size=100', 404, 'Invalid page.'],
    ];
    for (const [q, status, detail] of cases) {
      const r = await get(sim, `${V1}/results/?${q}`);
      expect(r.status, q).toBe(status);
      const body = (await r.json()) as { detail: string };
      if (typeof detail === 'string') expect(body).toEqual({ detail });
      else expect(body.detail).toMatch(detail);
    }
    const last = await json<Page<CekuraResult>>(sim, `${V1}/results/?page=last&page_size=10`);
    expect(last.next).toBeNull();
    const empty = await json<Page<CekuraResult>>(sim, `${V1}/results/?agent_id=999`);
    expect(empty).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('walks every run exactly once, newest first, per agent and unfiltered, ending on next=null', async () => {
    const truth = sim.allRuns();
    const seen: number[] = [];
    for (const a of sim.agents()) {
      const { items, pages } = await walk<CekuraResult>(sim, `${V1}/results/?agent_id=${a.id}&page=1&page_size=7`);
      expect(pages.at(-1)!.next).toBeNull();
      expect(items.every((r) => r.agent === a.id)).toBe(true);
      const runs = items.flatMap(runsOf);
      expect(runs.map((x) => x.id)).toEqual(truth.filter((x) => x.agent === a.id).map((x) => x.id));
      seen.push(...runs.map((x) => x.id));
    }
    expect(seen.sort()).toEqual(truth.map((x) => x.id).sort());
    expect(new Set(seen).size).toBe(truth.length);
    const all = await walk<CekuraResult>(sim, `${V1}/results/?page_size=37`);
    expect(all.items).toEqual(sim.results());
    const flat = all.items.flatMap(runsOf);
    expect(flat.map((x) => x.id)).toEqual(truth.map((x) => x.id));
    for (let i = 1; i < flat.length; i++) {
      const [p, c] = [flat[i - 1]!, flat[i]!];
      expect(p.timestamp > c.timestamp || (p.timestamp === c.timestamp && p.id > c.id)).toBe(true);
    }
  });

  it('applies search, project_id and scenarios exactly as documented', async () => {
    const truth = sim.results();
    const check = async (q: string, pred: (r: CekuraResult) => boolean): Promise<void> => {
      const { items } = await walk<CekuraResult>(sim, `${V1}/results/?page_size=100&${q}`);
      const want = truth.filter(pred).map((r) => r.id);
      expect(want.length, q).toBeGreaterThan(0);
      expect(items.map((r) => r.id), q).toEqual(want);
    };
    await check('search=NIGHTLY', (r) => r.name.toLowerCase().includes('nightly'));
    await check('search=nightly%20renewals', (r) => /nightly/i.test(r.name) && /renewals/i.test(r.name));
    await check('project_id=11', (r) => r.agent === 101 || r.agent === 102);
    await check('scenarios=1101,1201', (r) => r.scenarios.some((s) => s.id === 1101 || s.id === 1201));
    await check('agent_id=102&search=smoke', (r) => r.agent === 102 && /smoke/i.test(r.name));
    for (const q of ['agent_id=abc', 'scenarios=%5B1101%5D', 'project_id=1.5']) {
      const r = await get(sim, `${V1}/results/?${q}`);
      expect(r.status, q).toBe(400);
      expect(Object.keys((await r.json()) as object)).toEqual(['detail']);
    }
  });

  it('serves the result detail, 404s and the APPEND_SLASH redirect', async () => {
    const head = sim.results()[0]!;
    const d = await json<Record<string, unknown> & CekuraResult>(sim, `${V1}/results/${head.id}/`);
    expect(d.runs).toEqual(head.runs);
    expect(d.total_runs_count).toBe(head.total_runs_count);
    expect(d.total_duration).toMatch(/^(\d+:)?\d\d:\d\d$/);
    for (const k of ['overall_evaluation', 'failed_reasons', 'critical_categories', 'metrics', 'runs_by_tags', 'latency_data']) expect(d).toHaveProperty(k);
    const failing = sim.results().find((r) => r.status === 'failed')!;
    const fd = await json<{ failed_reasons: { issues: { rank: number; run_ids: number[]; affected_count: number }[] } }>(sim, `${V1}/results/${failing.id}/`);
    expect(fd.failed_reasons.issues.reduce((a, i) => a + i.affected_count, 0)).toBe(Number(failing.total_runs_count));
    for (const p of [`${V1}/results/1/`, `${V1}/runs/1/`, `${V1}/nothing/`]) {
      const r = await get(sim, p);
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ detail: 'Not found.' });
    }
    const redir = await get(sim, `${V1}/results?page_size=2`, { redirect: 'manual' });
    expect(redir.status).toBe(301);
    expect(redir.headers.get('location')).toBe(`${V1}/results/?page_size=2`);
  });

  it('returns full runs from runs/bulk (bare array, newest first) and runs/{id}', async () => {
    const truth = sim.allRuns();
    const ids = [truth[30]!.id, truth[2]!.id, truth[11]!.id];
    const arr = await json<CekuraRun[]>(sim, `${V1}/runs/bulk/?run_ids=${ids.join(',')},1`);
    expect(arr.map((x) => x.id)).toEqual([truth[2]!.id, truth[11]!.id, truth[30]!.id]);
    expect(arr[0]).toEqual(truth[2]);
    expect(await json<CekuraRun>(sim, `${V1}/runs/${ids[0]}/`)).toEqual(truth[30]);
    const talk = truth.find((x) => x.status === 'completed' && x.voice_recording_url)!;
    expect(talk.transcript).toMatch(/^\[00:01\] (Testing|Main) Agent: /);
    expect(new Set(talk.transcript_object.map((t) => t.role))).toEqual(new Set(['Testing Agent', 'Main Agent']));
    expect(talk.voice_recording_url).toBe(`${sim.baseUrl}/recordings/${talk.id}.wav`);
    for (const q of ['', '?run_ids=', `?run_ids=[${ids.join(',')}]`, '?run_ids=1,a']) {
      const r = await get(sim, `${V1}/runs/bulk/${q}`);
      expect(r.status, q).toBe(400);
      expect(typeof ((await r.json()) as { detail: unknown }).detail).toBe('string');
    }
  });

  it('serves recordings with Range (no key needed) and none for failed or pending runs', async () => {
    const run = sim.allRuns().find((x) => x.voice_recording_url)!;
    const full = await fetch(run.voice_recording_url!);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    const part = await fetch(run.voice_recording_url!, { headers: { Range: 'bytes=0-3' } });
    expect(part.status).toBe(206);
    expect(new TextDecoder().decode(await part.arrayBuffer())).toBe('RIFF');
    const silent = sim.allRuns().filter((x) => ['failed', 'pending', 'in_queue'].includes(x.status));
    expect(silent.length).toBeGreaterThan(0);
    expect(silent.every((x) => x.voice_recording_url === null)).toBe(true);
    expect((await fetch(`${sim.baseUrl}/recordings/${silent[0]!.id}.wav`)).status).toBe(404);
  });

  it('represents every enum value, long durations and connection errors', () => {
    const runs = sim.allRuns();
    const results = sim.results();
    const all9 = ['pending', 'in_queue', 'running', 'in_progress', 'evaluating', 'completed', 'failed', 'timeout', 'cancelled'];
    expect(new Set(runs.map((x) => x.status))).toEqual(new Set(all9));
    expect(new Set(results.map((x) => x.status))).toEqual(new Set(all9));
    expect(new Set(runs.flatMap((x) => x.evaluation.metrics.map((m) => m.type))))
      .toEqual(new Set(['binary_workflow_adherence', 'binary_qualitative', 'continuous_qualitative', 'numeric', 'enum']));
    expect(runs.some((x) => /^\d:\d\d:\d\d$/.test(x.duration))).toBe(true);
    expect(runs.every((x) => (x.error_message !== '') === (x.status === 'failed'))).toBe(true);
    expect(runs.every((x) => /Z$/.test(x.timestamp))).toBe(true);
    expect(results.length).toBeGreaterThanOrEqual(40);
    expect(results.length).toBeLessThanOrEqual(50);
    expect(results.every((r) => runsOf(r).length >= 2 && runsOf(r).length <= 8)).toBe(true);
  });

  it('has ties at the 37/50/100 boundaries and across small upstream pages', async () => {
    const runs = sim.allRuns();
    for (const b of [37, 50, 100]) expect(runs[b - 1]!.timestamp, `run ${b}`).toBe(runs[b]!.timestamp);
    const results = sim.results();
    expect(results[36]!.created_at).toBe(results[37]!.created_at);
    const { pages } = await walk<CekuraResult>(sim, `${V1}/results/?agent_id=101&page_size=3`);
    const straddles = pages.slice(1).filter((p, i) => p.results[0]!.created_at === pages[i]!.results.at(-1)!.created_at);
    expect(straddles.length).toBeGreaterThan(0);
    const big = await startCekuraSimulator({ seed: 3, now: NOW, count: 2000, limits: { perWindow: 100_000 } });
    try {
      for (const a of [101, 102, 103]) {
        const p1 = await json<Page<CekuraResult>>(big, `${V1}/results/?agent_id=${a}&page_size=100`);
        const p2 = await json<Page<CekuraResult>>(big, p1.next!);
        expect(p1.results[99]!.created_at, `agent ${a}`).toBe(p2.results[0]!.created_at);
      }
      const all = big.allRuns();
      for (const b of [37, 50, 100]) expect(all[b - 1]!.timestamp).toBe(all[b]!.timestamp);
    } finally {
      await big.close();
    }
  });

  it('addRuns puts a new result at the head: strictly newer, then tying', async () => {
    const before = sim.allRuns();
    const count0 = (await json<Page<CekuraResult>>(sim, `${V1}/results/?page_size=1`)).count;
    const a = sim.addRuns(3);
    expect(a).toHaveLength(3);
    expect(a.every((x) => x.timestamp > before[0]!.timestamp)).toBe(true);
    const p = await json<Page<CekuraResult>>(sim, `${V1}/results/?page_size=1`);
    expect(p.count).toBe(count0 + 1);
    expect(p.results[0]!.id).toBe(a[0]!.result_id);
    expect(runsOf(p.results[0]!).map((x) => x.id)).toEqual(a.map((x) => x.id));
    const headCreated = p.results[0]!.created_at;
    const b = sim.addRuns(2);
    expect(b.every((x) => x.timestamp === a[0]!.timestamp)).toBe(true);
    const p2 = await json<Page<CekuraResult>>(sim, `${V1}/results/?page_size=2`);
    expect(p2.results.map((r) => r.id)).toEqual([b[0]!.result_id, a[0]!.result_id]);
    expect(p2.results[0]!.created_at).toBe(headCreated);
    expect(sim.allRuns().slice(0, 5).map((x) => x.id)).toEqual([...b, ...a].map((x) => x.id));
    const bulk = await json<CekuraRun[]>(sim, `${V1}/runs/bulk/?run_ids=${b.map((x) => x.id).join(',')}`);
    expect(bulk).toEqual(b);
  });

  it('is deterministic for a seed', async () => {
    const [x, y, z] = await Promise.all([1, 1, 2].map((seed) => startCekuraSimulator({ seed, now: NOW })));
    const norm = (s: CekuraSimulator): string => JSON.stringify([s.results(), s.allRuns()]).replaceAll(s.baseUrl, 'ORIGIN');
    expect(norm(x!)).toBe(norm(y!));
    expect(norm(x!)).not.toBe(norm(z!));
    await Promise.all([x!, y!, z!].map((s) => s.close()));
  });
});

describe('cekura simulator limits and faults', () => {
  it('enforces 120/min by default and counts violations, with Retry-After', async () => {
    const sim = await startCekuraSimulator({ now: NOW });
    try {
      for (let i = 0; i < 120; i++) expect((await get(sim, `${V1}/aiagents/`)).status).toBe(200);
      const r = await get(sim, `${V1}/aiagents/`);
      expect(r.status).toBe(429);
      expect(await r.json()).toEqual({ detail: 'Request was throttled.' });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(sim.server.stats).toMatchObject({ violations: 1, rateViolations: 1 });
    } finally {
      await sim.close();
    }
  });

  it('honours a small limits override and the 5-request concurrency cap', async () => {
    const sim = await startCekuraSimulator({ now: NOW, limits: { perWindow: 3 } });
    const slow = await startCekuraSimulator({ now: NOW, latencyMs: 150 });
    try {
      const st = [];
      for (let i = 0; i < 5; i++) st.push((await get(sim, `${V1}/results/`)).status);
      expect(st).toEqual([200, 200, 200, 429, 429]);
      expect(sim.server.stats.rateViolations).toBe(2);
      const par = await Promise.all(Array.from({ length: 8 }, () => get(slow, `${V1}/aiagents/`)));
      const refused = par.filter((r) => r.status === 429).length;
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(par.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5);
      expect(slow.server.stats.concurrencyViolations).toBe(refused);
      expect(slow.server.stats.maxInFlight).toBeGreaterThan(5);
    } finally {
      await Promise.all([sim.close(), slow.close()]);
    }
  });

  it('injects status, reset, delay, malformed and 429 faults', async () => {
    const sim = await startCekuraSimulator({ now: NOW });
    try {
      sim.server.injectFault({ match: '/results/', status: 503, times: 1 });
      const a = await get(sim, `${V1}/results/`);
      expect(a.status).toBe(503);
      expect(await a.json()).toEqual({ detail: 'Service temporarily unavailable, try again later.' });
      expect((await get(sim, `${V1}/results/`)).status).toBe(200);
      sim.server.injectFault({ reset: true, times: 1 });
      await expect(get(sim, `${V1}/aiagents/`)).rejects.toThrow();
      sim.server.injectFault({ delayMs: 200, times: 1 });
      const t0 = Date.now();
      expect((await get(sim, `${V1}/aiagents/`)).status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
      sim.server.injectFault({ malformed: true, times: 1 });
      await expect((await get(sim, `${V1}/aiagents/`)).json()).rejects.toThrow();
      sim.server.injectFault({ status: 429, retryAfterS: 7, times: 1 });
      const t = await get(sim, `${V1}/runs/bulk/?run_ids=1`);
      expect(t.status).toBe(429);
      expect(t.headers.get('retry-after')).toBe('7');
      expect(await t.json()).toEqual({ detail: 'Request was throttled.' });
    } finally {
      await sim.close();
    }
  });
});

describe('cekura simulator drift', () => {
  it('mixes percent success_rate, zone-less created_at, runs arrays, scaling_up and string is_cronjob', async () => {
    const sim = await startCekuraSimulator({ now: NOW, drift: true, limits: { perWindow: 100_000 } });
    try {
      const { items } = await walk<CekuraResult>(sim, `${V1}/results/?page_size=100`);
      expect(items.some((r) => r.success_rate > 1)).toBe(true);
      expect(items.every((r) => /T\d\d:\d\d:\d\d$/.test(r.created_at))).toBe(true);
      expect(items.some((r) => Array.isArray(r.runs))).toBe(true);
      expect(items.some((r) => !Array.isArray(r.runs))).toBe(true);
      expect(items.every((r) => typeof r.is_cronjob === 'string')).toBe(true);
      expect(items.flatMap(runsOf).some((x) => (x.status as string) === 'scaling_up')).toBe(true);
      expect(items.flatMap(runsOf)).toHaveLength(sim.allRuns().length);
    } finally {
      await sim.close();
    }
  });
});
