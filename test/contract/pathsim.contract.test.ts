/**
 * PathSim adapter against its simulator over HTTP: workspaces become sources, pushed-down
 * filters give the same runs as the gateway's own filtering, and the vendor is never asked
 * for more than its limits allow.
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
let pushed: RunningGateway;
let local: RunningGateway;

/** The same adapter with nothing pushed down: the gateway filters everything itself. */
const noPushdown: Adapter = { ...pathsim, sources: (ctx) => pathsim.sources(ctx, {}) };

beforeAll(async () => {
  sim = await startPathsimSimulator({ seed: 3, now: NOW, drift: true, limits: { perWindow: 100_000 } });
  const config = (key: string) => ({
    tenants: { t: { keys: [{ key, scopes: ['runs:read' as const] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
    providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 10 } } },
  });
  pushed = await startGateway({ config: config('k-pushed'), log: silentLogger });
  local = await startGateway({ config: config('k-local'), adapters: { pathsim: noPushdown }, log: silentLogger });
});
afterAll(async () => {
  await pushed?.close(100);
  await local?.close(100);
  await sim?.close();
});

describe('PathSim contract', () => {
  it('walks every workspace, the inactive one too, with drift mapped to unknown', async () => {
    const { runs } = await walk(client(pushed.url, 'k-pushed'), 'limit=100');
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
    it(`${q}: the pushed-down path and the gateway-only path return the same runs`, async () => {
      const a = await walk(client(pushed.url, 'k-pushed'), `${q}&limit=100`);
      const b = await walk(client(local.url, 'k-local'), `${q}&limit=100`);
      expect(a.runs.map((r) => r.id)).toEqual(b.runs.map((r) => r.id));
      expect(a.runs.length).toBeGreaterThan(0);
    });
  }

  it('from/to inside minutes: pushed-down and gateway-only agree', async () => {
    const mid = sim.sessions()[120]!.createdAt;
    const q = `from=${new Date(mid - 7_200_000 + 13_000).toISOString()}&to=${new Date(mid + 31_000).toISOString()}&limit=100`;
    const a = await walk(client(pushed.url, 'k-pushed'), q);
    const b = await walk(client(local.url, 'k-local'), q);
    expect(a.runs.map((r) => r.id)).toEqual(b.runs.map((r) => r.id));
    expect(a.runs.length).toBeGreaterThan(0);
  });

  it('asks for the largest page (100) and stops on hasMore=false', async () => {
    sim.server.resetStats();
    await walk(client(pushed.url, 'k-pushed'), 'limit=100&channel=web');
    const lists = sim.server.log.filter((l) => l.path.endsWith('/sessions'));
    expect(lists.length).toBeGreaterThan(0);
    for (const l of lists) expect(new URLSearchParams(l.query).get('limit')).toBe('100');
    expect(sim.server.stats.violations).toBe(0);
  });

  it('GET /v1/runs/{id} of a drift row still answers, with unknown fields', async () => {
    const s = sim.sessions().find((x) => (x.row.Connected as string) === 'Voicemail')!;
    const r = await client(pushed.url, 'k-pushed').json<{ data: { status: string; status_raw: string } }>(`/v1/runs/pathsim:${s.row._id}`);
    expect(r.status).toBe(200);
    expect(r.body.data.status).toBe('unknown');
    expect(r.body.data.status_raw.startsWith('Voicemail/')).toBe(true);
  });
});
