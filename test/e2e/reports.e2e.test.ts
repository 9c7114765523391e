/**
 * Reports against ground truth: the simulators' runs (a full walk, checked against the simulators' own ids)
 * counted here by the contract's rules for every group_by, one level and two; CSV parsed back equals the
 * JSON; filters and partial days; regressions over two periods built with inserted runs; a run that
 * finishes moves buckets once; a tenant sees only its own runs.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import type { GroupBy, Regressions, Summary, Totals } from '../../schemas/report.js';
import type { Run } from '../../schemas/run.js';
import type { RunningGateway } from '../../src/server.js';
import { client, gatewayFor, nativeIds, truthOf, untilReady, walk, type Client } from '../helpers.js';

const KEY = 'reports-key-0001';
const OTHER = 'reports-other-01';
const RUNS_ONLY = 'reports-runs-only';
const DAY = 86_400_000;
const NOW = Date.now();

let set: SimulatorSet;
let gw: RunningGateway;
let c: Client;
let runs: Run[];

beforeAll(async () => {
  set = await startSimulators({ seed: 71, now: NOW, limits: { perWindow: 100_000, concurrency: 50 } });
  // inserted runs: evaluated PathSim sessions in the regressions' baseline week and in the current one
  set.sims.pathsim.addLate(14, 9 * DAY);
  set.sims.pathsim.addLate(10, 2 * DAY);
  gw = await gatewayFor({
    tenants: {
      t: { keys: [{ key: KEY, scopes: ['runs:read', 'reports:read'] }, { key: RUNS_ONLY, scopes: ['runs:read'] }], providers: set.providers },
      // another tenant with two of the same vendors: it sees only its own runs
      u: { keys: [{ key: OTHER, scopes: ['runs:read', 'reports:read'] }], providers: { pathsim: set.providers.pathsim!, cekura: set.providers.cekura! } },
    },
    providers: set.tuning,
    // the index stands still once ready (no refresh, no stale head): the truth walked from it stays the truth;
    // the status-change test re-syncs the head with no-cache
    index: { maxStalenessMs: 3_600_000, refreshMinMs: 3_600_000, refreshMaxMs: 3_600_000 },
  });
  c = client(gw.url, KEY, { cache: true });
  runs = (await walk(c, 'limit=100')).runs;
  await untilReady(c, 60_000);
  runs = (await walk(c, 'limit=100')).runs;
}, 120_000);
afterAll(async () => {
  await gw?.close(100);
  await set?.close();
});

// ---- the contract's rules, counted here run by run ----

function bucket(r: Run): keyof Totals | null {
  if (r.status === 'completed') return r.outcome === 'passed' ? 'passed' : r.outcome === 'failed' ? 'failed' : 'not_evaluated';
  if (r.status === 'failed' || r.status === 'timed_out') return 'errored';
  if (r.status === 'queued' || r.status === 'running' || r.status === 'evaluating') return 'pending';
  if (r.status === 'cancelled') return 'cancelled';
  return null;
}

const exactPercentile = (xs: number[], q: number): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))]!;
};

function truthTotals(rs: Run[]): Totals {
  const t = { runs: rs.length, passed: 0, failed: 0, errored: 0, pending: 0, cancelled: 0, not_evaluated: 0 };
  for (const r of rs) {
    const b = bucket(r);
    if (b) (t as Record<string, number>)[b]! += 1;
  }
  const scored = rs.filter((r) => r.score !== null);
  const durations = rs.map((r) => r.duration_ms).filter((d): d is number => d !== null);
  return {
    ...t,
    pass_rate: t.passed + t.failed ? t.passed / (t.passed + t.failed) : null,
    avg_score: scored.length ? scored.reduce((a, r) => a + r.score!.value, 0) / scored.length : null,
    duration_ms: { p50: exactPercentile(durations, 0.5), p90: exactPercentile(durations, 0.9) },
  };
}

const isoDay = (t: number): string => new Date(Math.floor(t / DAY) * DAY).toISOString().slice(0, 10);
const monday = (t: number): string => {
  const d = Math.floor(t / DAY);
  return new Date((d - ((d + 3) % 7)) * DAY).toISOString().slice(0, 10);
};

function keyOf(r: Run, by: GroupBy): Record<string, unknown> {
  const t = Date.parse(r.started_at);
  switch (by) {
    case 'provider':
      return { provider: r.provider };
    case 'agent':
      return { agent: { id: r.agent.id, name: r.agent.name } };
    case 'scenario':
      return { scenario: { id: r.scenario.id, name: r.scenario.name } };
    case 'channel':
      return { channel: r.channel };
    case 'day':
      return { day: isoDay(t) };
    case 'week':
      return { week: monday(t) };
  }
}

/** Figures equal the truth: counts exactly, rates to float precision, percentiles within 2 %. */
function expectTotals(got: Totals, want: Totals, what: string): void {
  const { duration_ms: gd, pass_rate: gp, avg_score: ga, ...gc } = got;
  const { duration_ms: wd, pass_rate: wp, avg_score: wa, ...wc } = want;
  expect(gc, what).toEqual(wc);
  for (const [g, w] of [[gp, wp], [ga, wa]] as const) {
    if (w === null) expect(g, what).toBeNull();
    else expect(g!, what).toBeCloseTo(w, 6);
  }
  for (const q of ['p50', 'p90'] as const) {
    if (wd[q] === null) expect(gd[q], what).toBeNull();
    else expect(Math.abs(gd[q]! - wd[q]!), `${what} ${q}: ${gd[q]} vs ${wd[q]}`).toBeLessThanOrEqual(Math.max(1, 0.02 * wd[q]!));
  }
}

/** The period that holds every run (whole UTC days). */
const everything = (): string => {
  const ts = runs.map((r) => Date.parse(r.started_at));
  return `from=${isoDay(Math.min(...ts))}&to=${isoDay(Math.max(...ts) + DAY)}`;
};

const summary = async (query: string, key = KEY): Promise<Summary> => {
  const r = await client(gw.url, key, { cache: true }).json<Summary>(`/v1/reports/summary?${query}`);
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
  expect(r.body.partial).toBe(false);
  return r.body;
};

describe('GET /v1/reports/summary', () => {
  it('reads the simulators\' runs: the walk it is checked against holds every simulated run once', () => {
    expect(nativeIds(runs)).toEqual(truthOf(set.sims));
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
  });

  it('totals and every group_by alone equal the truth counted run by run', async () => {
    const all = await summary(everything());
    expectTotals(all.data.totals, truthTotals(runs), 'totals');
    expect(Object.values(all.providers).reduce((n, p) => n + p.runs_seen, 0)).toBe(runs.length);
    for (const by of ['provider', 'agent', 'scenario', 'channel', 'day', 'week'] as const) {
      const s = await summary(`${everything()}&group_by=${by}`);
      const want = new Map<string, Run[]>();
      for (const r of runs) {
        const k = JSON.stringify(keyOf(r, by));
        want.set(k, [...(want.get(k) ?? []), r]);
      }
      expect(s.data.groups.length, by).toBe(want.size);
      for (const g of s.data.groups) expectTotals(g.totals, truthTotals(want.get(JSON.stringify(g.key)) ?? []), `${by} ${JSON.stringify(g.key)}`);
      if (by === 'day' || by === 'week') {
        const keys = s.data.groups.map((g) => g.key[by]!);
        expect(keys).toEqual([...keys].sort());
      }
    }
  });

  it('two levels sum to one level, and to the totals', async () => {
    for (const [a, b] of [['provider', 'day'], ['agent', 'week'], ['channel', 'scenario']] as const) {
      const two = await summary(`${everything()}&group_by=${a},${b}`);
      const one = await summary(`${everything()}&group_by=${a}`);
      for (const g of one.data.groups) {
        const parts = two.data.groups.filter((x) => JSON.stringify(x.key[a]) === JSON.stringify(g.key[a]));
        for (const f of ['runs', 'passed', 'failed', 'errored', 'pending', 'cancelled', 'not_evaluated'] as const) {
          expect(parts.reduce((n, x) => n + x.totals[f], 0), `${a},${b} ${f}`).toBe(g.totals[f]);
        }
      }
      expect(two.data.groups.reduce((n, x) => n + x.totals.runs, 0)).toBe(two.data.totals.runs);
    }
  });

  it('every group of two levels (time levels first, last or both) equals the truth counted run by run', async () => {
    for (const [a, b] of [['week', 'day'], ['day', 'provider'], ['scenario', 'week'], ['agent', 'channel']] as const) {
      const s = await summary(`${everything()}&group_by=${a},${b}`);
      const want = new Map<string, Run[]>();
      for (const r of runs) {
        const k = JSON.stringify({ ...keyOf(r, a), ...keyOf(r, b) });
        want.set(k, [...(want.get(k) ?? []), r]);
      }
      expect(s.data.groups.length, `${a},${b}`).toBe(want.size);
      for (const g of s.data.groups) expectTotals(g.totals, truthTotals(want.get(JSON.stringify({ [a]: g.key[a], [b]: g.key[b] })) ?? []), `${a},${b} ${JSON.stringify(g.key)}`);
    }
  });

  it('CSV (format=csv and Accept: text/csv) parses back to the JSON figures, with a header row', async () => {
    const json = await summary(`${everything()}&group_by=provider,agent`);
    const res = await c.get(`/v1/reports/summary?${everything()}&group_by=provider,agent&format=csv`);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(new URLSearchParams(res.headers.get('x-report-filters') ?? '').get('group_by')).toBe('provider,agent');
    const text = await res.text();
    const rows = parseCsv(text, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual(['provider', 'agent_id', 'agent_name', 'runs', 'passed', 'failed', 'errored', 'pending', 'cancelled', 'not_evaluated', 'pass_rate', 'avg_score', 'duration_ms_p50', 'duration_ms_p90']);
    expect(rows.length).toBe(json.data.groups.length);
    const num = (s: string): number | null => (s === '' ? null : Number(s));
    json.data.groups.forEach((g, i) => {
      const r = rows[i]!;
      expect([r['provider'], r['agent_id'] || null, r['agent_name'] || null]).toEqual([g.key.provider, g.key.agent!.id, g.key.agent!.name]);
      expect(num(r['runs']!)).toBe(g.totals.runs);
      expect(num(r['pass_rate']!)).toBe(g.totals.pass_rate);
      expect(num(r['avg_score']!)).toBe(g.totals.avg_score);
      expect(num(r['duration_ms_p90']!)).toBe(g.totals.duration_ms.p90);
    });
    const viaAccept = await c.get(`/v1/reports/summary?${everything()}&group_by=provider,agent`, KEY, { accept: 'text/csv' });
    expect(await viaAccept.text()).toBe(text);
  });

  it('filters and a period cut inside days count exactly the matching runs', async () => {
    const ts = runs.map((r) => Date.parse(r.started_at)).sort((a, b) => a - b);
    const from = ts[Math.floor(ts.length * 0.3)]! + 1;
    const to = ts[Math.floor(ts.length * 0.8)]! - 1;
    const inside = runs.filter((r) => Date.parse(r.started_at) >= from && Date.parse(r.started_at) < to);
    const period = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    expectTotals((await summary(period)).data.totals, truthTotals(inside), 'cut period');
    const agent = runs.find((r) => r.agent.id !== null)!.agent;
    const text = (agent.name ?? 'a').slice(0, 3).toLowerCase();
    const cases: Array<[string, (r: Run) => boolean]> = [
      ['provider=pathsim,cekura', (r) => r.provider === 'pathsim' || r.provider === 'cekura'],
      ['channel=voice', (r) => r.channel === 'voice'],
      [`agent_id=${encodeURIComponent(agent.id!)}`, (r) => r.agent.id === agent.id],
      [`q=${encodeURIComponent(text)}`, (r) => [r.agent.name, r.scenario.name, r.target].some((x) => x?.toLowerCase().includes(text))],
    ];
    for (const [q, keep] of cases) expectTotals((await summary(`${period}&${q}`)).data.totals, truthTotals(inside.filter(keep)), q);
  });

  it('needs reports:read, validates its parameters, and a tenant sees only its own runs', async () => {
    expect((await client(gw.url, RUNS_ONLY).json('/v1/reports/summary')).status).toBe(403);
    expect((await client(gw.url, 'no-such-key').json('/v1/reports/summary')).status).toBe(401);
    for (const bad of ['group_by=month', 'group_by=day,day', 'group_by=provider,day,week', 'from=yesterday', 'from=2026-02-01&to=2026-01-01', 'format=xml', 'provider=nope']) {
      const r = await c.json<{ error: { code: string; status: number } }>(`/v1/reports/summary?${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
    await walk(client(gw.url, OTHER, { cache: true }), 'limit=100');
    await untilReady(client(gw.url, OTHER, { cache: true }), 60_000);
    const other = await summary(`${everything()}&group_by=provider`, OTHER);
    expect(other.data.groups.map((g) => g.key.provider)).toEqual(['cekura', 'pathsim']);
    expect(Object.keys(other.providers).sort()).toEqual(['cekura', 'pathsim']);
    expectTotals(other.data.totals, truthTotals(runs.filter((r) => r.provider === 'pathsim' || r.provider === 'cekura')), 'tenant u');
  }, 90_000);
});

describe('GET /v1/reports/regressions', () => {
  it('verdicts, counts and the newest run ids of each (provider, agent, scenario) equal the truth over two periods', async () => {
    const all = runs;
    const today = Math.floor(NOW / DAY) * DAY;
    const cur = { from: today - 6 * DAY, to: today + DAY };
    const base = { from: cur.from - 7 * DAY, to: cur.from };
    const r = await c.json<Regressions>('/v1/reports/regressions');
    expect(r.status).toBe(200);
    expect([r.body.data.from, r.body.data.to, r.body.data.baseline_from, r.body.data.baseline_to]).toEqual([cur.from, cur.to, base.from, base.to].map((t) => new Date(t).toISOString()));
    const evaluated = (p: { from: number; to: number }): Run[] =>
      all.filter((x) => x.status === 'completed' && x.outcome !== 'none' && Date.parse(x.started_at) >= p.from && Date.parse(x.started_at) < p.to);
    const k = (x: Run): string => JSON.stringify([x.provider, x.agent.id, x.agent.name, x.scenario.id, x.scenario.name]);
    const tally = (xs: Run[]): Map<string, { passed: number; failed: number; newest: { passed?: Run; failed?: Run } }> => {
      const m = new Map<string, { passed: number; failed: number; newest: { passed?: Run; failed?: Run } }>();
      for (const x of xs) {
        const e = m.get(k(x)) ?? { passed: 0, failed: 0, newest: {} };
        const o = x.outcome as 'passed' | 'failed';
        e[o] += 1;
        const prev = e.newest[o];
        if (!prev || Date.parse(x.started_at) > Date.parse(prev.started_at) || (x.started_at === prev.started_at && x.id < prev.id)) e.newest[o] = x;
        m.set(k(x), e);
      }
      return m;
    };
    const now = tally(evaluated(cur));
    const before = tally(evaluated(base));
    const verdict = (bp: number, bf: number, cp: number, cf: number): string =>
      bp + bf === 0 ? 'new' : bf === 0 && cf > 0 ? 'newly_failing' : cp > 0 && cf > 0 ? 'flaky' : cf > 0 ? 'still_failing' : bf > 0 ? 'fixed' : 'stable_passing';
    expect(r.body.data.items.length).toBe(now.size);
    const verdicts = new Set<string>();
    for (const item of r.body.data.items) {
      const key = JSON.stringify([item.key.provider, item.key.agent.id, item.key.agent.name, item.key.scenario.id, item.key.scenario.name]);
      const n = now.get(key)!;
      const b = before.get(key) ?? { passed: 0, failed: 0 };
      expect(item.current).toEqual({ passed: n.passed, failed: n.failed });
      expect(item.baseline).toEqual({ passed: b.passed, failed: b.failed });
      expect(item.verdict).toBe(verdict(b.passed, b.failed, n.passed, n.failed));
      expect(item.last_failed_run_id).toBe(n.newest.failed?.id ?? null);
      expect(item.last_passed_run_id).toBe(n.newest.passed?.id ?? null);
      verdicts.add(item.verdict);
    }
    expect(verdicts.size, [...verdicts].join(',')).toBeGreaterThanOrEqual(3);
    const order = ['newly_failing', 'flaky', 'still_failing', 'fixed', 'new', 'stable_passing'];
    const ranks = r.body.data.items.map((i) => order.indexOf(i.verdict));
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    const csv = parseCsv(await (await c.get('/v1/reports/regressions?format=csv')).text(), { columns: true }) as Array<Record<string, string>>;
    expect(csv.map((x) => x['verdict'])).toEqual(r.body.data.items.map((i) => i.verdict));
  });
});

describe('rollups follow status changes', () => {
  it('a run that finishes moves from pending to its bucket once: runs stay the same', async () => {
    const period = everything();
    const before = (await summary(`${period}&provider=pathsim`)).data.totals;
    // the newest unfinished sessions: on the head page a no-cache report re-syncs
    const done = set.sims.pathsim.finish(set.sims.pathsim.unfinishedIds().slice(0, 3));
    expect(done.length).toBe(3);
    expect(before.pending).toBeGreaterThanOrEqual(3);
    const fresh = await client(gw.url, KEY).json<Summary>(`/v1/reports/summary?${period}&provider=pathsim`);
    expect(fresh.status).toBe(200);
    const after = fresh.body.data.totals;
    expect(after.pending).toBe(before.pending - 3);
    expect(after.runs).toBe(before.runs);
    expect(after.passed + after.failed - (before.passed + before.failed)).toBe(3);
    // and again: nothing moves twice
    expect((await summary(`${period}&provider=pathsim`)).data.totals).toEqual(after);
    const again = (await walk(c, 'limit=100&provider=pathsim')).runs;
    expectTotals(after, truthTotals(again), 'after finishing');
  });
});

describe('a provider whose index cannot be brought up to date in time', () => {
  it('is left out with provider_timeout (not half counted), the report is partial, and it answers within the deadline', async () => {
    // Sales Lab at its published 60 calls a minute, a scorecard per scored session: its backfill takes minutes
    const slow = await startSimulators({ seed: 73, now: Date.now(), counts: { saleslab: 120 } });
    const fast = await startSimulators({ seed: 74, now: Date.now(), limits: { perWindow: 100_000, concurrency: 50 } });
    const g = await gatewayFor({
      tenants: { t: { keys: [{ key: KEY, scopes: ['reports:read', 'runs:read'] }], providers: { saleslab: slow.providers.saleslab!, pathsim: fast.providers.pathsim! } } },
      providers: { pathsim: fast.tuning.pathsim! },
      requestTimeoutMs: 2000,
    });
    try {
      const t0 = Date.now();
      const r = await client(g.url, KEY, { cache: true }).json<Summary>('/v1/reports/summary?from=2000-01-01&group_by=provider');
      expect(Date.now() - t0).toBeLessThanOrEqual(3000);
      expect(r.status).toBe(200);
      expect(r.body.partial).toBe(true);
      expect(r.body.providers['saleslab']).toMatchObject({ status: 'error', error: { code: 'provider_timeout', retryable: true } });
      expect(r.body.providers['pathsim']).toMatchObject({ status: 'ok' });
      // the figures are PathSim's alone: Sales Lab is left out, not half counted
      expect(r.body.data.groups.map((x) => x.key.provider)).toEqual(['pathsim']);
      expect(r.body.data.totals.runs).toBe(fast.sims.pathsim.sessions().length);
    } finally {
      await g.close(100);
      await slow.close();
      await fast.close();
    }
  });
});
