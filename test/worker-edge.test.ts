/**
 * The edge as one gateway: the bundle in workerd (Miniflare), two Worker instances (two isolates, each with its own
 * app and memory) sharing the SimgateState Durable Object of wrangler.toml. One vendor budget across them (PathSim at
 * its published 100/min and 10 concurrent: no violation while both are hammered, where two Workers without the object
 * do violate it), one count per gateway key with a perMinute, one run index (the second reads the first's without asking
 * the vendor), a failing object degrades
 * to live answers, and a full walk over all five simulators through the Worker returns every run exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Miniflare } from 'miniflare';
import { startPathsimSimulator, type PathsimSimulator } from '../adapters/pathsim/simulator.js';
import { startSimulators, type SimulatorSet } from '../adapters/simulators.js';
import type { Config } from '../src/config.js';
import { drive, isNewestFirst, nativeIds, truthOf, untilReady, walk } from './helpers.js';
import { bundleWorker, stateBinding, workerClient } from './worker-harness.js';

/**
 * One key per tenant: `budget` (the hammered PathSim), `indexed` (a PathSim for the index), `five` (all five vendors),
 * `limited` (a key of its own with a `perMinute`, over the index's PathSim).
 */
const KEYS = { budget: 'edge-budget-key', indexed: 'edge-indexed-key', five: 'edge-five-key', limited: 'edge-limited-key' } as const;
const KEY_PER_MINUTE = 12;
/** A Durable Object whose every call fails, as its storage would (SQLITE_FULL): bound to the `broken` Worker. */
const BROKEN_STATE = `
import { DurableObject } from 'cloudflare:workers';
export class SimgateState extends DurableObject {
  async call() { throw new Error('SQLITE_FULL: database or disk is full'); }
}
export default { fetch() { return new Response('not this one', { status: 404 }); } };
`;

let budget: PathsimSimulator;
let control: PathsimSimulator;
let indexed: PathsimSimulator;
let five: SimulatorSet;
let mf: Miniflare;

const tenant = (key: string, providers: Config['tenants'][string]['providers']): Config['tenants'][string] => ({
  keys: [{ key, scopes: ['runs:read', 'reports:read'] }],
  providers,
});

beforeAll(async () => {
  // PathSim's published limits (100 per minute, 10 concurrent), with a vendor slow enough for the concurrency to bind
  // (each with its own vendor key: the budget is per credential, and the hammer spends this one's minute)
  [budget, control] = await Promise.all([
    startPathsimSimulator({ seed: 31, latencyMs: 80, apiKey: 'edge-budget-vendor-key' }),
    startPathsimSimulator({ seed: 31, latencyMs: 80, apiKey: 'edge-control-vendor-key' }),
  ]);
  indexed = await startPathsimSimulator({ seed: 32, limits: { perWindow: 100_000, concurrency: 100 }, apiKey: 'edge-indexed-vendor-key' });
  five = await startSimulators({ seed: 33, limits: { perWindow: 100_000, concurrency: 100 } });
  const config = (pathsimForBudget: PathsimSimulator): Config => ({
    tenants: {
      budget: tenant(KEYS.budget, { pathsim: { apiKey: pathsimForBudget.apiKey, baseUrl: pathsimForBudget.baseUrl } }),
      indexed: tenant(KEYS.indexed, { pathsim: { apiKey: indexed.apiKey, baseUrl: indexed.baseUrl } }),
      five: tenant(KEYS.five, five.providers),
      limited: { keys: [{ key: KEYS.limited, scopes: ['runs:read'], perMinute: KEY_PER_MINUTE }], providers: { pathsim: { apiKey: indexed.apiKey, baseUrl: indexed.baseUrl } } },
    },
    providers: { ...five.tuning, pathsim: { rateLimit: { perMinute: 100, concurrency: 10 }, timeoutMs: 10_000 } },
    index: { maxStalenessMs: 600_000 },
  });
  const shared = JSON.stringify(config(budget));
  const alone = JSON.stringify(config(control));
  const common = bundleWorker();
  mf = new Miniflare({
    workers: [
      { ...common, name: 'edge-a', bindings: { SIMGATE_CONFIG: shared }, durableObjects: stateBinding() },
      { ...common, name: 'edge-b', bindings: { SIMGATE_CONFIG: shared }, durableObjects: stateBinding('edge-a') },
      // the same two Workers without the object: each isolate counts the vendor's limit alone
      { ...common, name: 'alone-a', bindings: { SIMGATE_CONFIG: alone } },
      { ...common, name: 'alone-b', bindings: { SIMGATE_CONFIG: alone } },
      { ...common, name: 'broken', bindings: { SIMGATE_CONFIG: shared }, durableObjects: stateBinding('broken-state') },
      { name: 'broken-state', modules: true, script: BROKEN_STATE, compatibilityDate: common.compatibilityDate, durableObjects: stateBinding() },
    ],
  });
  await mf.ready;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await Promise.all([budget?.close(), control?.close(), indexed?.close(), five?.close()]);
});

describe('one vendor budget across Worker isolates', () => {
  const hammer = async (a: string, b: string, sim: PathsimSimulator, n: number): Promise<number[]> => {
    // run details, one vendor call each, 10 at a time through each Worker: 20 at once
    const paths = sim.sessions().slice(0, n).map((s) => `/v1/runs/pathsim:${s.row._id}`);
    const half = n / 2;
    const [sa, sb] = await Promise.all([drive(workerClient(mf, a, KEYS.budget), paths.slice(0, half), 10), drive(workerClient(mf, b, KEYS.budget), paths.slice(half), 10)]);
    return [...sa, ...sb];
  };

  it('two Workers on one SimgateState never exceed PathSim at 100/min and 10 concurrent', async () => {
    // 130 within the minute: 30 more than the vendor allows
    const statuses = await hammer('edge-a', 'edge-b', budget, 130);
    expect(budget.server.stats.violations).toBe(0);
    expect(budget.server.stats.maxInFlight).toBeLessThanOrEqual(10);
    expect(budget.server.count('/sessions/')).toBeLessThanOrEqual(100);
    // what the budget holds back past the request's deadline is the gateway's 429, never the vendor's
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(90);
  }, 60_000);

  it('without the object, the same two Workers do exceed it (what the shared budget prevents)', async () => {
    await hammer('alone-a', 'alone-b', control, 40);
    expect(control.server.stats.violations).toBeGreaterThan(0);
  }, 60_000);
});

describe("one count of a gateway key's requests across Worker isolates", () => {
  /** 30 requests of the limited key, alternately through `a` and `b`, all inside one minute window: their statuses. */
  const spend = async (a: string, b: string): Promise<Array<{ status: number; retryAfter: string | null }>> => {
    // the window is a fixed UTC minute: start where the 30 requests cannot straddle two of them
    while (Date.now() % 60_000 > 45_000) await new Promise((r) => setTimeout(r, 500));
    const out: Array<{ status: number; retryAfter: string | null }> = [];
    for (let i = 0; i < 30; i++) {
      const res = await workerClient(mf, i % 2 ? b : a, KEYS.limited).get('/v1/providers');
      await res.body?.cancel();
      out.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
    }
    return out;
  };

  it(`two Workers on one SimgateState let the key make ${KEY_PER_MINUTE} requests a minute, then answer 429 with Retry-After`, async () => {
    const got = await spend('edge-a', 'edge-b');
    expect(got.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([]);
    expect(got.filter((r) => r.status === 200)).toHaveLength(KEY_PER_MINUTE);
    // the first ones pass, everything after the limit is refused
    expect(got.slice(0, KEY_PER_MINUTE).every((r) => r.status === 200)).toBe(true);
    for (const r of got.slice(KEY_PER_MINUTE)) expect(Number(r.retryAfter)).toBeGreaterThan(0);
  }, 60_000);

  it('without the object, each of the two Workers counts alone and lets more through', async () => {
    const got = await spend('alone-a', 'alone-b');
    expect(got.filter((r) => r.status === 200).length).toBeGreaterThan(KEY_PER_MINUTE);
  }, 60_000);
});

describe('one run index across Worker isolates', () => {
  it("a second Worker reads the first one's index without asking the vendor", async () => {
    indexed.finish();
    const a = workerClient(mf, 'edge-a', KEYS.indexed);
    await a.get('/v1/runs?limit=10');
    await untilReady(a, 30_000);
    const truth = indexed.sessions().map((s) => `pathsim/${s.row._id}`).sort();
    const listed = indexed.server.count('/sessions');
    const requests = indexed.server.stats.requests;
    // a new isolate: nothing in its memory, everything in the object
    const b = workerClient(mf, 'edge-b', KEYS.indexed, { cache: true });
    const { runs } = await walk(b, 'limit=50');
    expect(nativeIds(runs)).toEqual(truth);
    expect(isNewestFirst(runs)).toBe(true);
    expect(indexed.server.count('/sessions')).toBe(listed);
    expect(indexed.server.stats.requests).toBe(requests);
  }, 60_000);
});

describe('a failing Durable Object', () => {
  it('degrades to live answers from the vendor, never a 500', async () => {
    const c = workerClient(mf, 'broken', KEYS.indexed);
    const before = indexed.server.stats.requests;
    const list = await c.json<{ data: Array<{ id: string }> }>('/v1/runs?limit=5');
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.data).toHaveLength(5);
    const one = await c.json<{ data: { id: string } }>(`/v1/runs/${list.body.data[0]!.id}`);
    expect(one.status).toBe(200);
    expect(one.body.data.id).toBe(list.body.data[0]!.id);
    const providers = await c.get('/v1/providers');
    expect(providers.status).toBe(200);
    await providers.arrayBuffer();
    for (const p of ['/v1/reports/summary', '/v1/reports/regressions']) {
      const r = await c.json<{ error: { code: string; retryable: boolean; message: string } }>(p);
      // reports read nothing but the index (never the vendors): retry later, in the envelope, not an internal error
      expect(r.status, p).toBe(503);
      expect(r.body.error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    }
    // answered by the vendor (the index could not)
    expect(indexed.server.stats.requests).toBeGreaterThan(before);
  }, 60_000);

  it("counts a key's requests per minute in the isolate instead: still the key's limit, never a 500", async () => {
    while (Date.now() % 60_000 > 45_000) await new Promise((r) => setTimeout(r, 500));
    const statuses: number[] = [];
    for (let i = 0; i < KEY_PER_MINUTE + 3; i++) {
      const res = await workerClient(mf, 'broken', KEYS.limited).get('/v1/providers');
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array<number>(KEY_PER_MINUTE).fill(200), 429, 429, 429]);
  }, 60_000);
});

describe('a full walk through the Worker', () => {
  it('returns every run of all five simulators exactly once, newest first (limit=37)', async () => {
    const { runs } = await walk(workerClient(mf, 'edge-a', KEYS.five), 'limit=37');
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(nativeIds(runs)).toEqual(truthOf(five.sims));
    expect(isNewestFirst(runs)).toBe(true);
    // and again through the other isolate, from the index the first walk filled
    const again = await walk(workerClient(mf, 'edge-b', KEYS.five, { cache: true }), 'limit=37');
    expect(nativeIds(again.runs)).toEqual(truthOf(five.sims));
  }, 120_000);
});
