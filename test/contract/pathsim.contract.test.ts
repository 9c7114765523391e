/**
 * PathSim adapter against its simulator over HTTP: workspaces become sources; on the live path
 * (index off) pushed-down filters give the same runs as the gateway's own filtering, and the run
 * index gives those runs too; the vendor is never asked for more than its limits allow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathsim, pushdown } from '../../adapters/pathsim/index.js';
import { startPathsimSimulator, type PathsimSimulator } from '../../adapters/pathsim/simulator.js';
import type { Adapter } from '../../src/core/types.js';
import { silentLogger } from '../../src/core/log.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { client, walk } from '../helpers.js';

const NOW = Date.UTC(2026, 10, 1, 9, 30);
let sim: PathsimSimulator;
/** Index off: the live walk, filters pushed down. */
let pushed: RunningGateway;
/** Index off, nothing pushed down: the gateway filters everything itself. */
let local: RunningGateway;
/** The run index (the default). */
let indexed: RunningGateway;

/** The same adapter with nothing pushed down: the gateway filters everything itself. */
const noPushdown: Adapter = { ...pathsim, sources: (ctx) => pathsim.sources(ctx, {}) };

beforeAll(async () => {
  sim = await startPathsimSimulator({ seed: 3, now: NOW, drift: true, limits: { perWindow: 100_000 } });
  const config = (key: string, index = true) => ({
    tenants: { t: { keys: [{ key, scopes: ['runs:read' as const] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
    providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 10 } } },
    ...(index ? {} : { index: { enabled: false } }),
  });
  pushed = await startGateway({ config: config('k-pushed', false), log: silentLogger });
  local = await startGateway({ config: config('k-local', false), adapters: { pathsim: noPushdown }, log: silentLogger });
  indexed = await startGateway({ config: config('k-indexed'), log: silentLogger });
});
afterAll(async () => {
  await pushed?.close(100);
  await local?.close(100);
  await indexed?.close(100);
  await sim?.close();
});

describe('PathSim contract', () => {
  it('walks every workspace, the inactive one too, with drift mapped to unknown', async () => {
    const { runs } = await walk(client(indexed.url, 'k-indexed'), 'limit=100');
    expect(runs).toHaveLength(sim.sessions().length);
    const byWs = new Map(sim.sessions().map((s) => [`pathsim:${s.row._id}`, s.workspaceId]));
    expect(new Set(runs.map((r) => byWs.get(r.id)))).toEqual(new Set(sim.workspaces().map((w) => w.id)));
    const drift = runs.filter((r) => r.channel === 'unknown' || r.source === 'unknown' || r.status === 'unknown');
    expect(drift.length).toBeGreaterThan(0);
    for (const r of drift) expect(r.status_raw).toMatch(/\//);
  });

  it('sends the supported filters to the vendor', () => {
    expect(pushdown({ channel: ['web'], outcome: ['passed'], status: ['running'], q: 'weather' })).toEqual({
      sort: '-created_at',
      type: 'web',
      objective: 'achieved',
      connected: 'in_progress',
      search: 'weather',
    });
    // lists the vendor cannot express stay with the gateway
    expect(pushdown({ channel: ['voice', 'web'], outcome: ['none'], status: ['failed'] })).toEqual({ sort: '-created_at' });
    // minute-precision Time: bounds widen to whole minutes
    const q = pushdown({ from: Date.UTC(2026, 0, 1, 10, 0, 17), to: Date.UTC(2026, 0, 1, 11, 0, 20) });
    expect(q['created_from']).toBe('2026-01-01T10:00:00.000Z');
    expect(q['created_to']).toBe('2026-01-01T11:01:00.000Z');
  });

  const queries = [
    'channel=web',
    'channel=voice',
    'outcome=passed',
    'outcome=failed',
    'status=running',
    'status=completed',
    'status=evaluating',
    'q=weather',
    'q=HTTPS',
    'channel=voice&outcome=failed&status=completed',
  ];
  for (const q of queries) {
    it(`${q}: the pushed-down path, the gateway-only path and the run index return the same runs`, async () => {
      const a = await walk(client(pushed.url, 'k-pushed'), `${q}&limit=100`);
      const b = await walk(client(local.url, 'k-local'), `${q}&limit=100`);
      const c = await walk(client(indexed.url, 'k-indexed'), `${q}&limit=100`);
      expect(a.runs.map((r) => r.id)).toEqual(b.runs.map((r) => r.id));
      expect(c.runs.map((r) => r.id)).toEqual(a.runs.map((r) => r.id));
      expect(a.runs.length).toBeGreaterThan(0);
    });
  }

  it('from/to inside minutes: pushed-down and gateway-only agree', async () => {
    const mid = sim.sessions()[120]!.createdAt;
    const q = `from=${new Date(mid - 7_200_000 + 13_000).toISOString()}&to=${new Date(mid + 31_000).toISOString()}&limit=100`;
    const a = await walk(client(pushed.url, 'k-pushed'), q);
    const b = await walk(client(local.url, 'k-local'), q);
    const c = await walk(client(indexed.url, 'k-indexed'), q);
    expect(a.runs.map((r) => r.id)).toEqual(b.runs.map((r) => r.id));
    expect(c.runs.map((r) => r.id)).toEqual(a.runs.map((r) => r.id));
    expect(a.runs.length).toBeGreaterThan(0);
  });

  it('asks for the largest page (100) and stops on hasMore=false, live and in the backfill', async () => {
    sim.server.resetStats();
    await walk(client(pushed.url, 'k-pushed'), 'limit=100&channel=web');
    const lists = sim.server.log.filter((l) => l.path.endsWith('/sessions'));
    expect(lists.length).toBeGreaterThan(0);
    for (const l of lists) expect(new URLSearchParams(l.query).get('limit')).toBe('100');
    // a fresh index backfills at 100 too, each workspace until hasMore is false
    const g = await startGateway({ config: { tenants: { t: { keys: [{ key: 'k-fresh', scopes: ['runs:read'] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } }, providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 10 } } } }, log: silentLogger });
    try {
      sim.server.resetStats();
      await walk(client(g.url, 'k-fresh', { cache: true }), 'limit=100');
      const pages = sim.server.log.filter((l) => l.path.endsWith('/sessions'));
      for (const l of pages) expect(new URLSearchParams(l.query).get('limit')).toBe('100');
      const expected = sim.workspaces().reduce((n, w) => n + Math.max(1, Math.ceil(sim.sessions().filter((x) => x.workspaceId === w.id).length / 100)), 0);
      expect(pages.length).toBe(expected);
    } finally {
      await g.close(100);
    }
    expect(sim.server.stats.violations).toBe(0);
  });

  it('a head sync asks only for about as many runs as the index holds within its overlap, plus room for new ones', async () => {
    const c = client(indexed.url, 'k-indexed');
    await walk(c, 'limit=100');
    sim.server.resetStats();
    expect((await c.json('/v1/runs?limit=5')).status).toBe(200);
    const heads = sim.server.log.filter((l) => l.path.endsWith('/sessions'));
    expect(heads.length).toBe(sim.workspaces().length);
    for (const l of heads) {
      const q = new URLSearchParams(l.query);
      expect(q.get('offset')).toBe('0');
      expect(Number(q.get('limit'))).toBeGreaterThanOrEqual(5);
      expect(Number(q.get('limit'))).toBeLessThan(100);
    }
  });

  it('GET /v1/runs/{id} of a drift row still answers, with unknown fields', async () => {
    const s = sim.sessions().find((x) => (x.row.Connected as string) === 'Voicemail')!;
    const r = await client(pushed.url, 'k-pushed').json<{ data: { status: string; status_raw: string } }>(`/v1/runs/pathsim:${s.row._id}`);
    expect(r.status).toBe(200);
    expect(r.body.data.status).toBe('unknown');
    expect(r.body.data.status_raw.startsWith('Voicemail/')).toBe(true);
  });
});
