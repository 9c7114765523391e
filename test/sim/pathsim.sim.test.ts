import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startPathsimSimulator, type PathsimSimulator, type PathsimSession } from '../../adapters/pathsim/simulator.js';
import { generatePathsimData, formatTime } from '../../adapters/pathsim/simdata.js';

const NOW = Date.UTC(2025, 7, 8, 18, 5, 0);
const ROW_KEYS = ['Time', 'Test Type', 'Objective', 'Connected', 'Virtual Customer', 'Target', 'Source', '_id', 'test_id'];
type Json = Record<string, any>;

let sim: PathsimSimulator;
const extra: PathsimSimulator[] = [];

async function call(path: string, s: PathsimSimulator = sim, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Json }> {
  const res = await fetch(`${s.baseUrl}${path}`, { headers: { Authorization: `Bearer ${s.apiKey}`, ...headers } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

/** Walks every page of a workspace's sessions; checks pagination and the hasMore signal on the way. */
async function walk(wsId: string, query = '', limit = 100, s: PathsimSimulator = sim): Promise<Json[]> {
  const rows: Json[] = [];
  for (let offset = 0; ; offset += limit) {
    const { status, body } = await call(`/workspaces/${wsId}/sessions?limit=${limit}&offset=${offset}${query ? `&${query}` : ''}`, s);
    expect(status).toBe(200);
    const p = body.pagination as Json;
    expect(p).toMatchObject({ limit, offset });
    rows.push(...(body.data as Json[]));
    expect(p.hasMore).toBe(rows.length < p.total);
    if (!p.hasMore) {
      expect(rows.length).toBe(p.total);
      return rows;
    }
    expect(body.data).toHaveLength(limit);
  }
}

const truthOf = (wsId: string, s: PathsimSimulator = sim): PathsimSession[] => s.sessions().filter((x) => x.workspaceId === wsId);
const ids = (xs: { _id?: string; row?: { _id: string } }[]): string[] => xs.map((x) => x._id ?? x.row!._id);

beforeAll(async () => {
  sim = await startPathsimSimulator({ now: NOW, limits: { perWindow: 100_000 } });
});
afterAll(async () => {
  await Promise.all([sim, ...extra].map((s) => s.close()));
});

describe('pathsim simulator: auth and envelopes', () => {
  it('rejects a missing or wrong key with the vendor error body', async () => {
    const none = await fetch(`${sim.baseUrl}/workspaces`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ success: false, error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    const wrong = await call('/workspaces', sim, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
  });

  it('lists 3 workspaces, one inactive, whose sessions are still served', async () => {
    const { status, body } = await call('/workspaces');
    expect(status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.data).toEqual(sim.workspaces());
    expect(body.data).toHaveLength(3);
    for (const w of body.data as Json[]) {
      expect(Object.keys(w).sort()).toEqual(['createdAt', 'description', 'id', 'isActive', 'isDefault', 'name', 'organizationId']);
      expect(typeof w.isActive).toBe('boolean');
      expect(new Date(w.createdAt).toISOString()).toBe(w.createdAt);
    }
    const inactive = (body.data as Json[]).filter((w) => !w.isActive);
    expect(inactive).toHaveLength(1);
    const page = await call(`/workspaces/${inactive[0]!.id}/sessions`);
    expect(page.body.pagination.total).toBeGreaterThan(0);
  });

  it('answers a session page in Test History format with default limit 50', async () => {
    const ws = sim.workspaces()[0]!.id;
    const { body } = await call(`/workspaces/${ws}/sessions`);
    const truth = truthOf(ws);
    expect(body.success).toBe(true);
    expect(body.pagination).toEqual({ total: truth.length, limit: 50, offset: 0, hasMore: true });
    expect(body.data).toEqual(truth.slice(0, 50).map((s) => s.row));
    for (const r of body.data as Json[]) expect(Object.keys(r)).toEqual(ROW_KEYS);
    expect((await call('/workspaces/nope/sessions')).body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('generates consistent rows with every documented enum value', () => {
    const all = sim.sessions();
    expect(all).toHaveLength(475);
    for (let i = 0; i < all.length; i++) {
      const { row, createdAt, detail } = all[i]!;
      if (i > 0) expect(createdAt).toBeLessThan(all[i - 1]!.createdAt);
      expect(row.Time).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
      expect(row.Time).toBe(formatTime(Math.floor(createdAt / 60_000) * 60_000));
      expect(row._id).toMatch(/^[0-9a-f]{24}$/);
      if (row['Test Type'] === 'Voice') {
        expect(row.test_id).toMatch(/^call_[0-9a-f]{27}$/);
        expect(row.Target).toMatch(/^\+1\d{10}$/);
      } else {
        const m = /^test_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_(\d{6})$/.exec(row.test_id)!;
        const [, y, mo, d, h, mi, s, us] = m.map(Number) as number[];
        expect(Date.UTC(y!, mo! - 1, d!, h, mi, s) + Math.floor(us! / 1000)).toBe(createdAt);
        expect(row.Target).toMatch(/^https:\/\//);
      }
      if (row.Connected !== 'Connected') expect(row.Objective).toBe('--');
      expect(detail.recording_url === null).toBe(row.Connected !== 'Connected');
      expect(detail.duration).toMatch(/^(\d+h \d+m \d+s|\d+m \d+s|\d+s)$/);
    }
    const values = (f: keyof PathsimSession['row']): string[] => [...new Set(all.map((s) => s.row[f]))].sort();
    expect(values('Test Type')).toEqual(['Voice', 'Web']);
    expect(values('Objective')).toEqual(['--', 'Achieved', 'Not Achieved']);
    expect(values('Connected')).toEqual(['Connected', 'Failed', 'In Progress', 'System Error']);
    expect(values('Source')).toEqual(['Ad-hoc', 'Campaign']);
    expect(all.some((s) => s.row.Connected === 'Connected' && s.row.Objective === '--')).toBe(true);
    for (const form of [/^\d+h /, /^\d+m /, /^\d+s$/]) expect(all.some((s) => form.test(s.detail.duration))).toBe(true);
  });
});

describe('pathsim simulator: paging and ties', () => {
  it('walks every workspace returning every session exactly once, newest first', async () => {
    const seen: string[] = [];
    for (const w of sim.workspaces()) {
      const rows = await walk(w.id);
      expect(ids(rows)).toEqual(ids(truthOf(w.id)));
      seen.push(...ids(rows));
    }
    expect(new Set(seen).size).toBe(475);
    expect(seen.length).toBe(475);
    const ws = sim.workspaces()[0]!.id;
    for (const size of [37, 50]) expect(ids(await walk(ws, 'sort=-created_at', size))).toEqual(ids(truthOf(ws)));
    const past = await call(`/workspaces/${ws}/sessions?offset=5000`);
    expect(past.body.data).toEqual([]);
    expect(past.body.pagination.hasMore).toBe(false);
  });

  it('has minute ties straddling offsets 37k, 50k and 100k of every workspace', async () => {
    const lens = sim.workspaces().map((w) => truthOf(w.id).length);
    expect(lens[0]).toBeGreaterThan(300);
    expect(lens[1]).toBeGreaterThan(100);
    for (const w of sim.workspaces()) {
      const t = truthOf(w.id);
      for (let b = 1; b < t.length; b++) if (b % 37 === 0 || b % 50 === 0) expect(t[b - 1]!.row.Time).toBe(t[b]!.row.Time);
    }
    const ws = sim.workspaces()[0]!.id;
    for (const off of [100, 200, 300]) {
      const prev = await call(`/workspaces/${ws}/sessions?limit=100&offset=${off - 100}`);
      const next = await call(`/workspaces/${ws}/sessions?limit=100&offset=${off}`);
      expect(next.body.data[0].Time).toBe(prev.body.data[99].Time);
    }
  });

  it('clusters many runs in one minute, within and across workspaces', () => {
    const byMinute = new Map<string, PathsimSession[]>();
    for (const s of sim.sessions()) byMinute.set(s.row.Time, [...(byMinute.get(s.row.Time) ?? []), s]);
    const groups = [...byMinute.values()];
    expect(groups.filter((g) => g.length >= 2).length).toBeGreaterThan(60);
    expect(Math.max(...groups.map((g) => g.length))).toBeGreaterThanOrEqual(7);
    expect(groups.some((g) => new Set(g.map((s) => s.workspaceId)).size >= 2)).toBe(true);
    expect(groups.some((g) => g.length >= 3 && new Set(g.map((s) => s.workspaceId)).size === 1)).toBe(true);
  });
});

describe('pathsim simulator: filters, sort and validation', () => {
  const ws = (): string => sim.workspaces()[0]!.id;
  const check = async (query: string, pred: (s: PathsimSession) => boolean): Promise<void> => {
    const want = ids(truthOf(ws()).filter(pred));
    expect(want.length).toBeGreaterThan(0);
    expect(ids(await walk(ws(), query))).toEqual(want);
  };

  it('filters by type, source, objective and connected (case-insensitive)', async () => {
    await check('type=voice', (s) => s.row['Test Type'] === 'Voice');
    await check('type=WEB', (s) => s.row['Test Type'] === 'Web');
    await check('source=Campaign', (s) => s.row.Source === 'Campaign');
    await check('source=ad-hoc', (s) => s.row.Source === 'Ad-hoc');
    await check('objective=achieved', (s) => s.row.Objective === 'Achieved');
    await check('objective=not_achieved', (s) => s.row.Objective === 'Not Achieved');
    await check('connected=connected', (s) => s.row.Connected === 'Connected');
    await check('connected=failed', (s) => s.row.Connected === 'Failed');
    await check('connected=system_error', (s) => s.row.Connected === 'System Error');
    const inProg = sim.sessions().find((s) => s.row.Connected === 'In Progress')!;
    const got = await walk(inProg.workspaceId, 'connected=in_progress');
    expect(ids(got)).toEqual(ids(truthOf(inProg.workspaceId).filter((s) => s.row.Connected === 'In Progress')));
    await check('type=web&objective=achieved&source=Campaign', (s) => s.row['Test Type'] === 'Web' && s.row.Objective === 'Achieved' && s.row.Source === 'Campaign');
  });

  it('searches Virtual Customer and Target, case-insensitively', async () => {
    const has = (s: PathsimSession, t: string): boolean => `${s.row['Virtual Customer']}\n${s.row.Target}`.toLowerCase().includes(t);
    await check('search=weather', (s) => has(s, 'weather'));
    await check('search=CHATBOT.COM', (s) => has(s, 'chatbot.com'));
    await check('search=%2B1831', (s) => s.row.Target.startsWith('+1831'));
    expect(truthOf(ws()).some((s) => s.row.Target.includes('weather')) && truthOf(ws()).some((s) => s.row['Virtual Customer'].includes('Weather'))).toBe(true);
  });

  it('bounds created_from / created_to inclusively on the exact start time', async () => {
    const t = truthOf(ws());
    const a = t[40]!.createdAt;
    const b = t[120]!.createdAt;
    await check(`created_from=${new Date(a).toISOString()}`, (s) => s.createdAt >= a);
    await check(`created_to=${new Date(b).toISOString()}`, (s) => s.createdAt <= b);
    await check(`created_from=${new Date(b).toISOString()}&created_to=${new Date(a).toISOString()}`, (s) => s.createdAt >= b && s.createdAt <= a);
    const day = new Date(b).toISOString().slice(0, 10);
    await check(`created_from=${day}`, (s) => s.createdAt >= Date.parse(`${day}T00:00:00.000Z`));
    await check(`created_to=${day}`, (s) => s.createdAt <= Date.parse(`${day}T00:00:00.000Z`));
    const plus2 = new Date(a + 7_200_000).toISOString().replace('Z', '+02:00');
    await check(`created_to=${encodeURIComponent(plus2)}`, (s) => s.createdAt <= a);
    const none = await call(`/workspaces/${ws()}/sessions?created_from=2099-01-01`);
    expect(none.body.pagination).toEqual({ total: 0, limit: 50, offset: 0, hasMore: false });
  });

  it('sorts by created_at / start_timestamp in both directions', async () => {
    const desc = ids(truthOf(ws()));
    expect(ids(await walk(ws(), 'sort=created_at'))).toEqual([...desc].reverse());
    expect(ids(await walk(ws(), 'sort=start_timestamp'))).toEqual([...desc].reverse());
    expect(ids(await walk(ws(), 'sort=-start_timestamp'))).toEqual(desc);
  });

  it('answers 400 INVALID_PARAMETER for bad parameters', async () => {
    for (const q of ['limit=101', 'limit=0', 'limit=abc', 'offset=-1', 'offset=1.5', 'sort=name', 'sort=-Time', 'created_from=2025-13-01',
      'created_to=2025-02-30', 'created_from=yesterday', 'type=sms', 'connected=voicemail', 'objective=partial', 'source=API']) {
      const { status, body } = await call(`/workspaces/${ws()}/sessions?${q}`);
      expect({ q, status, body }).toEqual({ q, status: 400, body: { success: false, error: { code: 'INVALID_PARAMETER', message: expect.any(String) } } });
    }
    expect((await call(`/workspaces/${ws()}/sessions?limit=100`)).body.data).toHaveLength(100);
  });
});

describe('pathsim simulator: detail and recordings', () => {
  const find = (p: (s: PathsimSession) => boolean): PathsimSession => sim.sessions().find(p)!;

  it('serves voice and web details with their own fields', async () => {
    const v = find((s) => s.row['Test Type'] === 'Voice' && s.row.Connected === 'Connected');
    const { body } = await call(`/sessions/${v.row._id}`);
    expect(body).toEqual({ success: true, data: v.detail });
    const d = body.data as Json;
    for (const k of ROW_KEYS) expect(d[k]).toBe((v.row as Json)[k]);
    for (const line of (d.transcript as string).split('\n')) expect(line).toMatch(/^(user|agent): \S/);
    expect(d.transcript).toMatch(/^user: /);
    expect(d.to_number).toBe(v.row.Target);
    expect(Object.keys(d.far_end_latency_stats).sort()).toEqual(['average_ms', 'max_ms', 'min_ms', 'valid_measurements']);
    expect(d.recording_url).toBe(`${sim.baseUrl}/sessions/${v.row._id}/recording`);
    expect(d.steps).toBeUndefined();
    const w = find((s) => s.row['Test Type'] === 'Web' && s.row.Connected === 'Connected');
    const web = (await call(`/sessions/${w.row._id}`)).body.data as Json;
    expect(web).toEqual(w.detail);
    expect(web.target_url).toBe(w.row.Target);
    expect(typeof web.reached_target_website).toBe('boolean');
    expect(web.transcript).toBeUndefined();
    expect(web.steps.length).toBeGreaterThan(0);
    for (const [i, st] of (web.steps as Json[]).entries()) {
      expect(st).toMatchObject({ step_number: i + 1, action: expect.any(String), status: expect.any(String) });
      expect(st.timestamp).toBeGreaterThan(w.createdAt);
    }
    expect((await call('/sessions/000000000000000000000000')).status).toBe(404);
  });

  it('gives recording info and bytes with Range, and 404 without a recording', async () => {
    const v = find((s) => s.row['Test Type'] === 'Voice' && s.row.Connected === 'Connected');
    const info = await call(`/sessions/${v.row._id}/recording`);
    expect(info.body).toEqual({
      success: true,
      data: { message: expect.any(String), download_url: `${v.detail.recording_url}?download=true`, session_id: v.row._id, file_type: 'audio/wav', instructions: expect.any(String) },
    });
    const auth = { Authorization: `Bearer ${sim.apiKey}` };
    const full = await fetch(info.body.data.download_url, { headers: auth });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await full.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
    const part = await fetch(info.body.data.download_url, { headers: { ...auth, Range: 'bytes=8-11' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toMatch(/^bytes 8-11\/\d+$/);
    expect(Buffer.from(await part.arrayBuffer()).toString()).toBe('WAVE');
    const w = find((s) => s.row['Test Type'] === 'Web' && s.row.Connected === 'Connected');
    expect((await call(`/sessions/${w.row._id}/recording`)).body.data.file_type).toBe('video/mp4');
    const mp4 = await fetch(`${sim.baseUrl}/sessions/${w.row._id}/recording?download=true`, { headers: auth });
    expect(mp4.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await mp4.arrayBuffer()).subarray(4, 8).toString()).toBe('ftyp');
    for (const c of ['Failed', 'System Error', 'In Progress']) {
      const s = find((x) => x.row.Connected === c);
      expect(s.detail.recording_url).toBeNull();
      const r = await call(`/sessions/${s.row._id}/recording?download=true`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
  });
});

describe('pathsim simulator: limits and faults', () => {
  it('publishes 100/min and counts rate-limit violations with Retry-After', async () => {
    const def = await startPathsimSimulator({ count: 10 });
    extra.push(def);
    const h = (await call('/workspaces', def)).headers;
    expect(h.get('x-ratelimit-limit')).toBe('100');
    expect(h.get('x-ratelimit-remaining')).toBe('99');
    const rl = await startPathsimSimulator({ count: 10, limits: { perWindow: 3 } });
    extra.push(rl);
    for (let i = 0; i < 3; i++) expect((await call('/workspaces', rl)).status).toBe(200);
    const over = await call('/workspaces', rl);
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ success: false, error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(rl.server.stats.violations).toBe(1);
    await call('/workspaces', rl);
    expect(rl.server.stats.rateViolations).toBe(2);
  });

  it('refuses requests over the concurrency limit', async () => {
    const c = await startPathsimSimulator({ count: 10, latencyMs: 150, limits: { concurrency: 2 } });
    extra.push(c);
    const statuses = await Promise.all(Array.from({ length: 5 }, async () => (await call('/workspaces', c)).status));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(c.server.stats.concurrencyViolations).toBeGreaterThan(0);
  });

  it('injects status, reset, delay, malformed and 429 faults', async () => {
    sim.server.injectFault({ match: '/workspaces', status: 503, times: 1 });
    const st = await call('/workspaces');
    expect(st.status).toBe(503);
    expect(st.body.success).toBe(false);
    expect((await call('/workspaces')).status).toBe(200);
    sim.server.injectFault({ reset: true, times: 1 });
    await expect(fetch(`${sim.baseUrl}/workspaces`, { headers: { Authorization: `Bearer ${sim.apiKey}` } })).rejects.toThrow();
    sim.server.injectFault({ delayMs: 200, times: 1 });
    const t0 = Date.now();
    expect((await call('/workspaces')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    sim.server.injectFault({ malformed: true, times: 1 });
    const bad = await fetch(`${sim.baseUrl}/workspaces`, { headers: { Authorization: `Bearer ${sim.apiKey}` } });
    await expect(bad.json()).rejects.toThrow();
    sim.server.injectFault({ status: 429, retryAfterS: 7, times: 1 });
    const lim = await call('/workspaces');
    expect(lim.status).toBe(429);
    expect(lim.headers.get('retry-after')).toBe('7');
    expect(lim.body.error.code).toBe('RATE_LIMITED');
    sim.server.clearFaults();
  });
});

describe('pathsim simulator: drift, addRuns, determinism', () => {
  it('mixes in drift values only when asked', async () => {
    const d = await startPathsimSimulator({ now: NOW, count: 120, drift: true, limits: { perWindow: 1000 } });
    extra.push(d);
    const rows = (await Promise.all(d.workspaces().map((w) => walk(w.id, '', 100, d)))).flat();
    expect(rows).toHaveLength(120);
    expect(rows.some((r) => r.Connected === 'Voicemail')).toBe(true);
    expect(rows.some((r) => r['Test Type'] === 'SMS')).toBe(true);
    expect(rows.some((r) => r.Objective === 'Partially Achieved')).toBe(true);
    expect(rows.some((r) => r.Source === 'API')).toBe(true);
    const known = new Set(['Voice', 'Web', 'Connected', 'Failed', 'System Error', 'In Progress', 'Campaign', 'Ad-hoc']);
    expect(sim.sessions().every((s) => known.has(s.row['Test Type']) && known.has(s.row.Connected) && known.has(s.row.Source))).toBe(true);
  });

  it('adds runs at the head, tying with and then newer than the newest minute', async () => {
    const a = await startPathsimSimulator({ now: NOW, count: 60, limits: { perWindow: 1000 } });
    extra.push(a);
    const ws = a.workspaces()[0]!.id;
    const head = a.sessions()[0]!;
    const before = (await call(`/workspaces/${ws}/sessions`, a)).body.pagination.total as number;
    const first = a.addRuns(3, ws);
    expect(first).toHaveLength(3);
    expect(first.every((s) => s.createdAt > head.createdAt)).toBe(true);
    expect(first[0]!.createdAt).toBeGreaterThan(first[2]!.createdAt);
    expect(first[2]!.row.Time).toBe(head.row.Time);
    const page = await call(`/workspaces/${ws}/sessions`, a);
    expect(page.body.pagination.total).toBe(before + 3);
    expect(ids(page.body.data.slice(0, 3))).toEqual(ids(first));
    const second = a.addRuns(2, ws);
    expect(Math.floor(second[1]!.createdAt / 60_000)).toBeGreaterThan(Math.floor(first[0]!.createdAt / 60_000));
    expect(ids((await call(`/workspaces/${ws}/sessions?limit=5`, a)).body.data)).toEqual(ids([...second, ...first]));
    expect((await call(`/sessions/${second[0]!.row._id}`, a)).body.data).toEqual(second[0]!.detail);
    const any = a.addRuns(4);
    const active = new Set(a.workspaces().filter((w) => w.isActive).map((w) => w.id));
    expect(any.every((s) => active.has(s.workspaceId))).toBe(true);
    expect(a.runs().slice(0, 4)).toEqual(any);
    expect(() => a.addRuns(1, 'nope')).toThrow();
  });

  it('is deterministic per seed and fast', async () => {
    const gen = (seed: number): ReturnType<typeof generatePathsimData> => generatePathsimData({ seed, count: 475, now: NOW, drift: false, baseUrl: 'http://x/v1' });
    expect(JSON.stringify(gen(1).sessions)).toBe(JSON.stringify(gen(1).sessions));
    expect(JSON.stringify(gen(2).sessions)).not.toBe(JSON.stringify(gen(1).sessions));
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      gen(7);
      best = Math.min(best, performance.now() - t0);
    }
    expect(best).toBeLessThan(50);
    const twin = await startPathsimSimulator({ now: NOW, limits: { perWindow: 1000 } });
    extra.push(twin);
    expect(twin.sessions().map((s) => s.row)).toEqual(sim.sessions().map((s) => s.row));
    expect(twin.workspaces()).toEqual(sim.workspaces());
  });
});
