/**
 * The run index over HTTP, in front of the five simulators: exactly-once walks read from the index
 * (ties, runs added at the head during the walk, runs the vendor lists late), a walk that starts
 * while the backfill runs and one after it, each vendor page read once, the refresh of unfinished
 * runs, `no-cache` re-syncing only the head (no scorecard again), groups from the index, and a
 * horizon below which the live path serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import type { Group, GroupList, Run, RunList } from '../../schemas/run.js';
import type { Config } from '../../src/config.js';
import type { RunningGateway } from '../../src/server.js';
import { client, gatewayFor, isNewestFirst, nativeIds, truthOf, untilReady, walk, type Client } from '../helpers.js';

const NOW = Date.UTC(2026, 10, 28, 9, 0, 0);
const KEY = 'index-key-0001';

function configFor(set: SimulatorSet, extra: Partial<Config> = {}): Config {
  const tuning = Object.fromEntries(Object.entries(set.tuning).map(([p, t]) => [p, { ...t, timeoutMs: 2000, retries: 1 }]));
  return { tenants: { t: { keys: [{ key: KEY, scopes: ['runs:read'] }], providers: set.providers } }, providers: tuning, ...extra };
}

/** Vendor list pages read so far, per simulator (reference lists, details and scorecards left out). */
function listPages(set: SimulatorSet): Record<string, number> {
  const lists: Record<string, RegExp> = {
    pathsim: /\/workspaces\/[^/]+\/sessions$/,
    synthflow: /\/simulations$/,
    saleslab: /\/api\/v1\/sessions$/,
    sigmamind: /\/v1\/test-runs$/,
    cekura: /\/results\/$/,
  };
  const out: Record<string, number> = {};
  for (const [p, s] of Object.entries(set.sims) as Array<[string, { server: { log: Array<{ path: string }> } }]>) {
    out[p] = s.server.log.filter((l) => lists[p]!.test(l.path)).length;
  }
  return out;
}

const resetAll = (set: SimulatorSet): void => {
  for (const s of Object.values(set.sims) as Array<{ server: { resetStats(): void } }>) s.server.resetStats();
};

describe('walks over the index', () => {
  let set: SimulatorSet;
  let gw: RunningGateway;
  let c: Client;
  beforeAll(async () => {
    set = await startSimulators({ seed: 41, now: NOW, limits: { perWindow: 100_000, concurrency: 50 }, latencyMs: 40 });
    gw = await gatewayFor(configFor(set));
    c = client(gw.url, KEY, { cache: true });
  });
  afterAll(async () => {
    await gw?.close(100);
    await set?.close();
  });

  it('a walk begun while the backfill runs returns every run exactly once, newest first', async () => {
    const truth = truthOf(set.sims);
    let backfilling = 0;
    const runs: Run[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: RunList } = await c.json<RunList>(`/v1/runs?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      if (Object.values(r.body.providers).some((p) => p.index === 'backfilling')) backfilling += 1;
      runs.push(...r.body.data);
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(backfilling).toBeGreaterThan(0);
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(nativeIds(runs)).toEqual(truth);
    expect(isNewestFirst(runs)).toBe(true);
  });

  it('a walk after the backfill reads no vendor page: every answer comes from the index', async () => {
    await untilReady(c);
    resetAll(set);
    const { runs } = await walk(c, 'limit=50');
    expect(nativeIds(runs)).toEqual(truthOf(set.sims));
    expect(Object.values(listPages(set)).every((n) => n === 0)).toBe(true);
  });

  it('each vendor list page was read once by the backfill (at the largest page size)', async () => {
    // a fresh gateway: its whole life is one backfill; the walk above cannot have added anything
    const g = await gatewayFor(configFor(set));
    resetAll(set);
    try {
      const cc = client(g.url, KEY, { cache: true });
      await walk(cc, 'limit=50');
      const pages = listPages(set);
      const s = set.sims;
      const min = {
        pathsim: s.pathsim.workspaces().reduce((n, w) => n + Math.max(1, Math.ceil(s.pathsim.sessions().filter((x) => x.workspaceId === w.id).length / 100)), 0),
        synthflow: Math.ceil(s.synthflow.simulations().length / 100),
        sigmamind: s.sigmamind.agents().reduce((n, a) => n + Math.max(1, Math.ceil(s.sigmamind.testRuns().filter((x) => x.agentId === String(a.agentId)).length / 100)), 0),
        cekura: s.cekura.agents().reduce((n, a) => n + Math.max(1, Math.ceil(s.cekura.results().filter((x) => String(x.agent) === String(a.id)).length / 100)), 0),
      };
      for (const [p, n] of Object.entries(min)) expect(pages[p], p).toBe(n);
      // Sales Lab's cursor is inclusive (pages overlap on the last timestamp): at most one more page than the count needs
      expect(pages['saleslab']).toBeLessThanOrEqual(Math.ceil(s.saleslab.sessions().length / 100) + 1);
      // one scorecard per scored session, none twice
      const cards = s.saleslab.server.log.filter((l) => l.path.startsWith('/api/v1/scorecards/')).map((l) => l.path);
      expect(new Set(cards).size).toBe(cards.length);
      expect(cards.length).toBe(s.saleslab.sessions().filter((x) => x.session.status === 'scored').length);
    } finally {
      await g.close(100);
    }
  });

  it('exactly once with ties, runs added at the head during the walk and runs listed late; a later walk has them all', async () => {
    const before = truthOf(set.sims);
    const sims = Object.values(set.sims) as Array<{ addRuns(n: number): unknown; addLate(n: number, agoMs: number): unknown }>;
    const nc = client(gw.url, KEY);
    const { runs } = await walk(nc, 'limit=37', {
      between: (page) => {
        const s = sims[page % sims.length]!;
        s.addRuns(2); // at the head, the odd calls tie with the newest run
        s.addLate(1, 20 * 60_000); // 20 minutes below the head: found by the next head sync's overlap
      },
    });
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    const got = new Set(nativeIds(runs));
    expect(before.filter((id) => !got.has(id))).toEqual([]);
    expect(isNewestFirst(runs)).toBe(true);
    // a walk begun after the sync that found them returns the late runs and the new head too, exactly once
    const after = await walk(nc, 'limit=50');
    expect(new Set(after.runs.map((r) => r.id)).size).toBe(after.runs.length);
    expect(nativeIds(after.runs)).toEqual(truthOf(set.sims));
    expect(isNewestFirst(after.runs)).toBe(true);
  });

  it('no-cache re-syncs only the heads: one page per source, and never a scorecard again', async () => {
    await untilReady(c);
    resetAll(set);
    const nc = client(gw.url, KEY);
    for (let i = 0; i < 5; i++) {
      const r = await nc.json<RunList>('/v1/runs?limit=50');
      expect(r.status).toBe(200);
      expect(Object.values(r.body.providers).every((p) => p.status === 'ok' && p.cache === 'bypass')).toBe(true);
    }
    const s = set.sims;
    const sources = {
      pathsim: s.pathsim.workspaces().length,
      synthflow: 1,
      saleslab: 1,
      sigmamind: s.sigmamind.agents().length,
      cekura: s.cekura.agents().length,
    };
    const pages = listPages(set);
    for (const [p, n] of Object.entries(sources)) expect(pages[p], p).toBe(5 * n);
    expect(s.saleslab.server.count('/api/v1/scorecards/')).toBe(0);
  });

  it('groups come from the index too: every group exactly once', async () => {
    const groups: Group[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: GroupList } = await c.json<GroupList>(`/v1/groups?limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      groups.push(...r.body.data);
      cursor = r.body.next_cursor;
    } while (cursor);
    const s = set.sims;
    const expected = [
      ...s.synthflow.sessions().map((x) => `synthflow/${x.simulation_session_id}`),
      ...s.sigmamind.batches().map((x) => `sigmamind/${x.batchId}`),
      ...s.cekura.results().map((x) => `cekura/${x.id}`),
    ].sort();
    expect(groups.map((g) => `${g.provider}/${g.native_id}`).sort()).toEqual(expected);
    expect(new Set(groups.map((g) => g.id)).size).toBe(groups.length);
    // a second walk reads no vendor list
    resetAll(set);
    const again = await c.json<GroupList>('/v1/groups?limit=30');
    expect(again.body.data.map((g) => g.id)).toEqual(groups.slice(0, 30).map((g) => g.id));
    expect(s.synthflow.server.count('/simulations/sessions')).toBe(0);
  });
});

describe('unfinished runs', () => {
  let set: SimulatorSet;
  let gw: RunningGateway;
  beforeAll(async () => {
    set = await startSimulators({ seed: 43, now: Date.now(), limits: { perWindow: 100_000, concurrency: 50 } });
    gw = await gatewayFor(configFor(set, { index: { refreshMinMs: 200, refreshMaxMs: 1000 } }));
  });
  afterAll(async () => {
    await gw?.close(100);
    await set?.close();
  });

  it('a run stuck unfinished deep in the list does not make a head sync read deeper than the head', async () => {
    const c = client(gw.url, KEY);
    await walk(c, 'limit=100');
    await untilReady(c);
    // precondition: PathSim has an unfinished run below the first page (100) of its workspace
    const s = set.sims.pathsim;
    const open = new Set(s.unfinishedIds());
    const deep = s.workspaces().filter((w) => s.sessions().filter((x) => x.workspaceId === w.id).slice(100).some((x) => open.has(x.row._id)));
    expect(deep.length).toBeGreaterThan(0);
    resetAll(set);
    for (let i = 0; i < 3; i++) expect((await c.json('/v1/runs?limit=10')).status).toBe(200);
    const lists = s.server.log.filter((l) => /\/sessions$/.test(l.path));
    expect(lists.length).toBe(3 * s.workspaces().length);
    expect(lists.filter((l) => new URLSearchParams(l.query).get('offset') !== '0')).toEqual([]);
  });

  it('are refreshed in the background until final, without a client asking the vendor again', async () => {
    const c = client(gw.url, KEY, { cache: true });
    await walk(c, 'limit=100');
    const s = set.sims;
    const finished: string[] = [
      ...s.pathsim.finish().map((id) => `pathsim/${id}`),
      ...s.synthflow.finish().map((id) => `synthflow/${id}`),
      ...s.saleslab.finish().map((id) => `saleslab/${id}`),
      ...s.sigmamind.finish().map((id) => `sigmamind/${id}`),
      ...s.cekura.finish().map((id) => `cekura/${id}`),
    ];
    expect(finished.length).toBeGreaterThan(10);
    const final = new Set(['completed', 'failed', 'timed_out', 'cancelled']);
    let open: string[] = finished;
    for (const end = Date.now() + 15_000; Date.now() < end && open.length; ) {
      await new Promise((r) => setTimeout(r, 100));
      const { runs } = await walk(c, 'limit=100');
      const byId = new Map(runs.map((r) => [`${r.provider}/${r.native_id}`, r]));
      open = finished.filter((id) => !final.has(byId.get(id)?.status ?? ''));
    }
    expect(open, JSON.stringify(open.slice(0, 40))).toEqual([]);
  });
});

describe('a time window on a cold index', () => {
  let set: SimulatorSet;
  let gw: RunningGateway;
  beforeAll(async () => {
    // Sales Lab slow enough that its backfill (a scorecard per scored session) takes seconds
    set = await startSimulators({ seed: 45, now: NOW, limits: { perWindow: 100_000, concurrency: 50 }, latencyMs: 60 });
    gw = await gatewayFor(configFor(set));
  });
  afterAll(async () => {
    await gw?.close(100);
    await set?.close();
  });

  it('is answered whole once the index reaches its start, without waiting for older runs', async () => {
    const c = client(gw.url, KEY, { cache: true });
    const from = new Date(NOW - 86_400_000).toISOString();
    const { runs } = await walk(c, `provider=saleslab&from=${from}&limit=100`);
    const p = await c.json<{ data: Array<{ id: string; index: { state: string } }> }>('/v1/providers');
    expect(p.body.data.find((x) => x.id === 'saleslab')!.index.state).toBe('backfilling');
    const expected = set.sims.saleslab.sessions().filter((x) => Date.parse(x.session.started_at) >= NOW - 86_400_000).map((x) => `saleslab/${x.session.id}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(nativeIds(runs)).toEqual(expected.sort());
  });
});

describe('a full memory store', () => {
  it('stops backfilling at index.maxRuns; the older runs are served live, every run still exactly once', async () => {
    const set = await startSimulators({ seed: 46, now: NOW, limits: { perWindow: 100_000, concurrency: 50 } });
    const gw = await gatewayFor(configFor(set, { index: { maxRuns: 400 } }));
    try {
      const c = client(gw.url, KEY, { cache: true });
      const first = await walk(c, 'limit=50');
      expect(new Set(first.runs.map((r) => r.id)).size).toBe(first.runs.length);
      expect(nativeIds(first.runs)).toEqual(truthOf(set.sims));
      expect(isNewestFirst(first.runs)).toBe(true);
      await untilReady(c);
      const p = await c.json<{ data: Array<{ index: { runs: number } }> }>('/v1/providers');
      const held = p.body.data.reduce((n, x) => n + x.index.runs, 0);
      // backfills stop once the store holds 400 runs (a page under way is still stored)
      expect(held).toBeGreaterThanOrEqual(400);
      expect(held).toBeLessThan(first.runs.length);
      const second = await walk(client(gw.url, KEY), 'limit=50');
      expect(nativeIds(second.runs)).toEqual(truthOf(set.sims));
    } finally {
      await gw.close(100);
      await set.close();
    }
  });
});

describe('a horizon', () => {
  let set: SimulatorSet;
  let gw: RunningGateway;
  beforeAll(async () => {
    set = await startSimulators({ seed: 44, now: NOW, limits: { perWindow: 100_000, concurrency: 50 } });
    gw = await gatewayFor(configFor(set, { index: { horizonDays: 7 } }));
  });
  afterAll(async () => {
    await gw?.close(100);
    await set?.close();
  });

  it('the index holds what is inside it; a walk still returns every run exactly once, the older ones live', async () => {
    const c = client(gw.url, KEY, { cache: true });
    const first = await walk(c, 'limit=50');
    expect(new Set(first.runs.map((r) => r.id)).size).toBe(first.runs.length);
    expect(nativeIds(first.runs)).toEqual(truthOf(set.sims));
    expect(isNewestFirst(first.runs)).toBe(true);
    await untilReady(c);
    const p = await c.json<{ data: Array<{ id: string; index: { runs: number; oldest: string | null } }> }>('/v1/providers');
    const held = p.body.data.reduce((n, x) => n + x.index.runs, 0);
    expect(held).toBeLessThan(first.runs.length);
    const older = first.runs.filter((r) => Date.parse(r.started_at) < Date.now() - 8 * 86_400_000);
    expect(older.length).toBeGreaterThan(0);
    // below the horizon the live path serves: asked afresh, it sends the index's floor down as the vendor's own time bound
    resetAll(set);
    const second = await walk(client(gw.url, KEY), 'limit=50');
    expect(nativeIds(second.runs)).toEqual(truthOf(set.sims));
    const asked = (s: { server: { log: Array<{ query: string }> } }, param: string): boolean => s.server.log.some((l) => new URLSearchParams(l.query).has(param));
    expect(asked(set.sims.synthflow, 'end_date')).toBe(true);
    expect(asked(set.sims.pathsim, 'created_to')).toBe(true);
    expect(asked(set.sims.saleslab, 'to')).toBe(true);
  });
});
