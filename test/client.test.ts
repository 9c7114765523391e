/** The typed client: client/schema.d.ts is what openapi-typescript makes of today's /openapi.json, and the client reads a real gateway over HTTP. */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { startSimulators, type SimulatorSet } from '../adapters/simulators.js';
import { allRuns, createSimgateClient, runPages, SimgateConnectionError, SimgateError, unwrap, type Provider, type Run, type SimgateClient, type Summary } from '../client/index.js';
import type { Scope } from '../src/config.js';
import { silentLogger } from '../src/core/log.js';
import { startGateway, type RunningGateway } from '../src/server.js';
import { generate, outFile } from '../scripts/gen-client.js';
import { client, isNewestFirst, nativeIds, truthOf, untilReady, walk } from './helpers.js';

const KEY = 'client-test-key-0001';
let set: SimulatorSet;
let gw: RunningGateway;
let api: SimgateClient;

beforeAll(async () => {
  set = await startSimulators({ seed: 11, limits: { perWindow: 100_000, concurrency: 50 } });
  const config = {
    tenants: { t: { keys: [{ key: KEY, scopes: ['runs:read', 'reports:read'] as Scope[] }, { key: 'client-runs-only', scopes: ['runs:read'] as Scope[] }], providers: set.providers } },
    providers: set.tuning,
  };
  // warm: the index backfills at once, as `npm start` does, so the walks below compare whole answers
  gw = await startGateway({ config, port: 0, log: silentLogger, warm: true });
  api = createSimgateClient({ baseUrl: gw.url, key: KEY });
  await untilReady(client(gw.url, KEY));
});
afterAll(async () => {
  await gw?.close(100);
  await set?.close();
});

describe('client/schema.d.ts', () => {
  it('is what scripts/gen-client.ts generates from the current /openapi.json (run npm run gen:client when this fails)', async () => {
    const committed = await readFile(outFile, 'utf8').catch(() => '');
    expect(committed, 'client/schema.d.ts is stale: run npm run gen:client').toBe(await generate());
  });

  it('has every endpoint of the API, the reports included', async () => {
    const text = await readFile(outFile, 'utf8');
    for (const p of ['/v1/runs', '/v1/runs/{id}', '/v1/runs/{id}/recording', '/v1/groups', '/v1/groups/{id}', '/v1/providers', '/v1/reports/summary', '/v1/reports/regressions']) {
      expect(text, p).toContain(`"${p}": {`);
    }
  });
});

describe('the typed client over HTTP', () => {
  it('lists the five providers, typed', async () => {
    const body = unwrap(await api.GET('/v1/providers'));
    expectTypeOf(body.data).toEqualTypeOf<Provider[]>();
    expect(body.data.map((p) => p.id).sort()).toEqual(['cekura', 'pathsim', 'saleslab', 'sigmamind', 'synthflow']);
    for (const p of body.data) expect(p.index.state).toBe('ready');
  });

  it('runPages follows next_cursor to the end: every simulator run once, newest first, as the raw walk gives them', async () => {
    const runs: Run[] = [];
    let pages = 0;
    for await (const page of runPages(api, { limit: 37 })) {
      expectTypeOf(page.next_cursor).toEqualTypeOf<string | null>();
      runs.push(...page.data);
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(runs.length / 37));
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(nativeIds(runs as Parameters<typeof nativeIds>[0])).toEqual(truthOf(set.sims));
    expect(isNewestFirst(runs as Parameters<typeof isNewestFirst>[0])).toBe(true);
    const raw = await walk(client(gw.url, KEY, { cache: true }), 'limit=100');
    expect(runs.map((r) => r.id)).toEqual(raw.runs.map((r) => r.id));
  });

  it('sends typed filters and reads one run with its transcript', async () => {
    const failed: Run[] = [];
    for await (const r of allRuns(api, { provider: 'pathsim,cekura', status: 'completed', outcome: 'failed', limit: 100 })) failed.push(r);
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect([r.provider, r.status, r.outcome]).toEqual([expect.stringMatching(/^(pathsim|cekura)$/), 'completed', 'failed']);
    const one = unwrap(await api.GET('/v1/runs/{id}', { params: { path: { id: failed[0]!.id } } }));
    expect(one.data.id).toBe(failed[0]!.id);
    expect(Array.isArray(one.data.transcript)).toBe(true);
  });

  it('reads the summary report as JSON and as the gateway\'s CSV', async () => {
    const query = { group_by: 'provider', from: '2020-01-01' };
    const s = unwrap(await api.GET('/v1/reports/summary', { params: { query } }));
    expectTypeOf(s).toEqualTypeOf<Summary>();
    expect(s.data.groups.map((g) => g.key.provider)).toEqual(['cekura', 'pathsim', 'saleslab', 'sigmamind', 'synthflow']);
    expect(s.data.groups.reduce((n, g) => n + g.totals.runs, 0)).toBe(s.data.totals.runs);
    const text = unwrap(await api.GET('/v1/reports/summary', { params: { query: { ...query, format: 'csv' } }, parseAs: 'text' }));
    expectTypeOf(text).toEqualTypeOf<string>();
    expect(text.split('\r\n')[0]).toMatch(/^provider,runs,passed,failed,errored,pending,/);
  });

  it('turns the error envelope into a SimgateError with its code, status and details', async () => {
    const bad = createSimgateClient({ baseUrl: gw.url, key: 'not-a-key' });
    const e1 = await bad.GET('/v1/providers').then(unwrap).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(SimgateError);
    expect(e1).toMatchObject({ status: 401, code: 'unauthorized', message: expect.any(String) });
    const e2 = await api.GET('/v1/runs', { params: { query: { status: 'nope' } } }).then(unwrap).catch((e: unknown) => e);
    expect(e2).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((e2 as SimgateError).envelope?.error.details?.[0]?.path).toBe('status');
    const scoped = createSimgateClient({ baseUrl: gw.url, key: 'client-runs-only' });
    const e3 = await scoped.GET('/v1/reports/summary').then(unwrap).catch((e: unknown) => e);
    expect(e3).toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('says which URL it tried when the connection is refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const e = await createSimgateClient({ baseUrl: url, key: KEY }).GET('/v1/providers').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SimgateConnectionError);
    expect((e as Error).message).toBe(`cannot reach simgate at ${url}: connection refused`);
  });
});
