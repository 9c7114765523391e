/**
 * End to end over the five simulators at once: the merged walk returns every run of every vendor
 * exactly once, newest first; filters compose across vendors; a failing vendor gives partial pages
 * and catches up later; every vendor failing is a 5xx envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import { ErrorEnvelope, type Run, type RunList } from '../../schemas/run.js';
import type { ProviderId } from '../../schemas/run.js';
import type { RunningGateway } from '../../src/server.js';
import { cmpKey, keyOf } from '../../src/core/merge.js';
import { type Client, client, gatewayFor, isNewestFirst, nativeIds, truthOf, walk, withFreshGateway } from '../helpers.js';

const NOW = Date.UTC(2026, 10, 22, 8, 0, 0);
let set: SimulatorSet;
let gw: RunningGateway;
let c: Client;
let tuning: Record<string, object>;

const truth = (): string[] => truthOf(set.sims);
const native = nativeIds;

beforeAll(async () => {
  set = await startSimulators({ seed: 5, now: NOW, limits: { perWindow: 100_000, concurrency: 50 } });
  tuning = Object.fromEntries(Object.entries(set.tuning).map(([p, t]) => [p, { ...t, timeoutMs: 1500, retries: 1 }]));
  gw = await gatewayFor({ tenants: { t: { keys: [{ key: 'all-key-0001', scopes: ['runs:read'] }], providers: set.providers } }, providers: tuning });
  c = client(gw.url, 'all-key-0001');
});
afterAll(async () => {
  await gw?.close(100);
  await set?.close();
});

describe('merged walk over five vendors', () => {
  it('returns every run of every simulator exactly once, newest first (limit=37)', async () => {
    const { runs } = await walk(c, 'limit=37');
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(native(runs)).toEqual(truth());
    expect(isNewestFirst(runs)).toBe(true);
    expect(new Set(runs.map((r) => r.provider))).toEqual(new Set(['pathsim', 'synthflow', 'saleslab', 'sigmamind', 'cekura']));
  });

  it('returns every original run exactly once while every vendor adds runs at the head', async () => {
    const before = truth();
    const sims = Object.values(set.sims) as Array<{ addRuns(n: number): unknown }>;
    const { runs } = await walk(c, 'limit=50', { between: (page) => void sims[page % sims.length]!.addRuns(2) });
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    const got = new Set(native(runs));
    expect(before.filter((id) => !got.has(id))).toEqual([]);
    expect(isNewestFirst(runs)).toBe(true);
  });
});

describe('filters compose across vendors', () => {
  const providers: ProviderId[] = ['pathsim', 'synthflow', 'saleslab', 'sigmamind', 'cekura'];
  const queries = ['status=failed', 'status=running,queued', 'outcome=passed', 'outcome=failed&status=completed', 'channel=chat', 'channel=voice&outcome=none', 'q=a', 'from=2026-11-15&to=2026-11-21'];
  for (const q of queries) {
    it(`${q}: the merged answer is exactly the union of each vendor's answer, in order`, async () => {
      const merged = (await walk(c, `${q}&limit=100`)).runs;
      const each: Run[] = [];
      for (const p of providers) each.push(...(await walk(c, `${q}&provider=${p}&limit=100`)).runs);
      each.sort((a, b) => cmpKey(keyOf(a), keyOf(b)));
      expect(merged.length).toBeGreaterThan(0);
      expect(merged.map((r) => r.id)).toEqual(each.map((r) => r.id));
    });
  }
});

describe('partial results', () => {
  /** A gateway whose run index is empty: what each vendor answers decides each part. */
  const cold = <T>(fn: (c: Client) => Promise<T>): Promise<T> => withFreshGateway({ config: { tenants: { t: { keys: [{ key: 'cold-key-0001', scopes: ['runs:read'] }], providers: set.providers } }, providers: tuning } }, 'cold-key-0001', fn);

  it('a failing vendor leaves the others, flags partial, and its runs catch up once it recovers', async () => {
    const all = truth();
    set.sims.synthflow.server.injectFault({ status: 500, match: '/simulations' });
    await cold(async (cc) => {
      const first = await cc.json<RunList>('/v1/runs?limit=40');
      expect(first.status).toBe(200);
      expect(first.body.partial).toBe(true);
      expect(first.body.providers['synthflow']).toMatchObject({ status: 'error', error: { code: 'provider_error', retryable: false } });
      expect(first.body.providers['pathsim']).toEqual({ status: 'ok', cache: 'bypass', fresh_as_of: expect.any(String), index: expect.any(String), ...(first.body.providers['pathsim']!.oldest ? { oldest: expect.any(String) } : {}) });
      expect(first.body.data.length).toBe(40);
      expect(first.body.data.some((r) => r.provider === 'synthflow')).toBe(false);
      // two more pages while it is down, then it recovers
      const runs = [...first.body.data];
      let cursor = first.body.next_cursor;
      for (let i = 0; i < 2; i++) {
        const r = await cc.json<RunList>(`/v1/runs?limit=40&cursor=${encodeURIComponent(cursor!)}`);
        expect(r.body.partial).toBe(true);
        runs.push(...r.body.data);
        cursor = r.body.next_cursor;
      }
      set.sims.synthflow.server.clearFaults();
      while (cursor) {
        const r = await cc.json<RunList>(`/v1/runs?limit=40&cursor=${encodeURIComponent(cursor)}`);
        expect(r.status).toBe(200);
        expect(r.body.partial, JSON.stringify(r.body.providers)).toBe(false);
        runs.push(...r.body.data);
        cursor = r.body.next_cursor;
      }
      expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
      expect(native(runs)).toEqual(all);
    });
  });

  it('with a warm index a failing vendor keeps its part: its runs come from the index, with sync_error and fresh_as_of', async () => {
    const before = await c.json<RunList>('/v1/runs?limit=60');
    set.sims.synthflow.server.injectFault({ status: 500, match: '/simulations' });
    const r = await c.json<RunList>('/v1/runs?limit=60');
    set.sims.synthflow.server.clearFaults();
    expect(r.status).toBe(200);
    expect(r.body.partial).toBe(false);
    expect(r.body.data.map((x) => x.id)).toEqual(before.body.data.map((x) => x.id));
    expect(r.body.providers['synthflow']).toMatchObject({ status: 'ok', index: 'ready', sync_error: { code: 'provider_error' } });
    expect(r.body.providers['synthflow']!.fresh_as_of).toBe(before.body.providers['synthflow']!.fresh_as_of);
    expect(r.body.providers['pathsim']!.sync_error).toBeUndefined();
  });

  it('retrying a partial page once the vendor is back gives the whole page', async () => {
    set.sims.cekura.server.injectFault({ reset: true, match: '/results' });
    await cold(async (cc) => {
      const partial = await cc.json<RunList>('/v1/runs?limit=30');
      set.sims.cekura.server.clearFaults();
      expect(partial.body.providers['cekura']).toMatchObject({ status: 'error', error: { code: 'provider_unavailable', retryable: true } });
      const whole = await cc.json<RunList>('/v1/runs?limit=30');
      expect(whole.body.partial).toBe(false);
      const expected = (await walk(c, 'limit=100')).runs.slice(0, 30).map((r) => r.id);
      expect(whole.body.data.map((r) => r.id)).toEqual(expected);
    });
  });

  it('every vendor failing is a 5xx envelope, never a 500', async () => {
    const servers = Object.values(set.sims).map((s: { server: { injectFault(f: object): void; clearFaults(): void } }) => s.server);
    for (const s of servers) s.injectFault({ status: 502 });
    const e = await cold((cc) => cc.json<ErrorEnvelope>('/v1/runs'));
    for (const s of servers) s.clearFaults();
    expect(e.status).toBe(502);
    expect(ErrorEnvelope.parse(e.body).error.code).toBe('provider_error');
    expect(e.body.error.message).toMatch(/every provider failed/);

    for (const s of servers) s.injectFault({ delayMs: 2500 });
    const t = await cold((cc) => cc.json<ErrorEnvelope>('/v1/runs'));
    for (const s of servers) s.clearFaults();
    expect(t.status).toBe(504);
    expect(t.body.error.code).toBe('provider_timeout');
  });
});
