/** Test helpers: a gateway over real HTTP on loopback in front of real simulators. */
import { expect } from 'vitest';
import type { Config } from '../src/config.js';
import { startGateway, type RunningGateway, type StartOptions } from '../src/server.js';
import type { Fault } from '../adapters/simkit.js';
import { silentLogger } from '../src/core/log.js';
import { RunList, type Run } from '../schemas/run.js';
import type { Simulators } from '../adapters/simulators.js';

export interface Client {
  url: string;
  get(path: string, key?: string | null, headers?: Record<string, string>): Promise<Response>;
  json<T = unknown>(path: string, key?: string | null): Promise<{ status: number; body: T; res: Response }>;
}

/**
 * A client of the gateway. By default it sends `Cache-Control: no-cache`, so that tests about vendor
 * behaviour (faults, runs added between pages) see the vendor; tests of the cache pass `{ cache: true }`.
 */
export function client(url: string, defaultKey: string, o: { cache?: boolean } = {}): Client {
  const base: Record<string, string> = o.cache ? {} : { 'cache-control': 'no-cache' };
  const get = (path: string, key: string | null = defaultKey, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url + path, { headers: { ...base, ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });
  return {
    url,
    get,
    async json<T>(path: string, key: string | null = defaultKey) {
      const res = await get(path, key);
      return { status: res.status, body: (await res.json()) as T, res };
    },
  };
}

export async function gatewayFor(config: Config): Promise<RunningGateway> {
  return startGateway({ config, port: 0, log: silentLogger });
}

/**
 * Runs `fn` against a gateway started afresh (its run index empty: what the vendors answer decides the answer),
 * as `key`, and closes it afterwards.
 */
export async function withFreshGateway<T>(o: Omit<StartOptions, 'log'>, key: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const g = await startGateway({ port: 0, log: silentLogger, ...o });
  try {
    return await fn(client(g.url, key));
  } finally {
    await g.close(100);
  }
}

/**
 * With the index filled, a vendor failing on `fault` still answers from the index: 200, nothing partial, the same
 * runs, `sync_error` saying why, `fresh_as_of` unchanged, no secret in the body; once the vendor is back the same
 * request re-syncs the head (fresher, no sync_error). `c` sends no-cache.
 */
export async function expectServedFromIndexWhileFailing(
  c: Client,
  provider: string,
  server: { injectFault(f: Fault): void; clearFaults(): void },
  fault: Fault,
  secret: string,
  code = 'provider_error',
): Promise<void> {
  await walk(c, 'limit=100');
  const before = await c.json<RunList>('/v1/runs?limit=20');
  expect(before.status).toBe(200);
  const fresh = before.body.providers[provider]!;
  expect(fresh).toEqual({ status: 'ok', cache: 'bypass', fresh_as_of: expect.any(String), index: 'ready' });
  server.injectFault(fault);
  const r = await c.json<RunList>('/v1/runs?limit=20');
  server.clearFaults();
  expect(r.status).toBe(200);
  expect(r.body.partial).toBe(false);
  expect(r.body.data).toEqual(before.body.data);
  expect(r.body.providers[provider]).toEqual({
    status: 'ok',
    cache: 'bypass',
    fresh_as_of: fresh.fresh_as_of,
    index: 'ready',
    sync_error: { code, message: expect.any(String), retryable: code !== 'provider_error' },
  });
  expect(JSON.stringify(r.body)).not.toContain(secret);
  const again = await c.json<RunList>('/v1/runs?limit=20');
  expect(again.body.providers[provider]!.sync_error).toBeUndefined();
  expect(Date.parse(again.body.providers[provider]!.fresh_as_of!)).toBeGreaterThan(Date.parse(fresh.fresh_as_of!));
}

/** Follows next_cursor to the end; every page is validated against the RunList schema. */
export async function walk(c: Client, query: string, o: { between?: (page: number) => void | Promise<void>; maxPages?: number } = {}): Promise<{ runs: Run[]; pages: number }> {
  const runs: Run[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = query ? '&' : '';
    const r = await c.json<RunList>(`/v1/runs?${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`page ${pages}: ${r.status} ${JSON.stringify(r.body)}`);
    const page = RunList.parse(r.body);
    runs.push(...page.data);
    cursor = page.next_cursor;
    pages += 1;
    if (pages > (o.maxPages ?? 1000)) throw new Error('walk did not end');
    await o.between?.(pages);
  } while (cursor);
  return { runs, pages };
}

/** Newest first, then id ascending: the gateway's documented order. */
export function isNewestFirst(runs: Run[]): boolean {
  for (let i = 1; i < runs.length; i++) {
    const a = Date.parse(runs[i - 1]!.started_at);
    const b = Date.parse(runs[i]!.started_at);
    if (a < b || (a === b && runs[i - 1]!.id >= runs[i]!.id)) return false;
  }
  return true;
}

/** Every run the five simulators hold, as `provider/native id`, from their own data. */
export function truthOf(s: Simulators): string[] {
  return [
    ...s.pathsim.sessions().map((x) => `pathsim/${x.row._id}`),
    ...s.synthflow.simulations().map((x) => `synthflow/${x.simulation_id}`),
    ...s.saleslab.sessions().map((x) => `saleslab/${x.session.id}`),
    ...s.sigmamind.testRuns().map((x) => `sigmamind/${x.jobId}`),
    ...s.cekura.allRuns().map((x) => `cekura/${x.id}`),
  ].sort();
}

/** Runs as `provider/native id`, sorted (to compare with truthOf). */
export const nativeIds = (runs: Run[]): string[] => runs.map((r) => `${r.provider}/${r.native_id}`).sort();

/** Waits until the run index of every provider of the key's tenant is backfilled (GET /v1/providers). */
export async function untilReady(c: Client, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const r = await c.json<{ data: Array<{ index: { state: string } }> }>('/v1/providers');
    if (r.status === 200 && r.body.data.every((p) => p.index.state === 'ready')) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the run index did not get ready');
}

/** Sends `paths` through `c`, `concurrency` at a time (each answer read to its end); returns the statuses. */
export async function drive(c: Client, paths: string[], concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) {
        const res = await c.get(paths[next++]!);
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    }),
  );
  return statuses;
}
