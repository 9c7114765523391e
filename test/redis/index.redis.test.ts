/**
 * The run index on Redis, end to end: a real redis-server (harness), a real PathSim simulator over HTTP
 * and real gateways. A backfill stopped half-way resumes where its `bf` document stands (no page the
 * index holds is read again), two instances on one Redis sync each source once under the lease (and
 * within the vendor's limits), and a Redis outage mid-backfill serves lists live until Redis is back,
 * after which the index starts over and becomes ready.
 *
 * What the vendor was asked is read from the simulator's request log: every list page of a workspace is
 * `GET /v1/workspaces/{id}/sessions?limit=100&offset=N&sort=-created_at`.
 */
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { mapRow } from '../../adapters/pathsim/map.js';
import { startPathsimSimulator, type PathsimSimulator } from '../../adapters/pathsim/simulator.js';
import type { LoggedRequest } from '../../adapters/simkit.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/core/log.js';
import type { BackfillDoc } from '../../src/index/docs.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { RunList, type ProviderStatus, type Run } from '../../schemas/run.js';
import { client, isNewestFirst, type Client } from '../helpers.js';
import { gatewayProcess, redisServer, type GatewayProcess, type RedisServer } from './harness.js';

const PAGE = 100;
const LIST = /^\/v1\/workspaces\/([^/]+)\/sessions$/;

/** Polls `probe` until it returns something other than null/false, or fails after `ms` with `what`. */
async function until<T>(probe: () => Promise<T | null | false> | T | null | false, ms: number, what: string, everyMs = 20): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function config(sim: PathsimSimulator, tenant: string, key: string, rateLimit: { perMinute: number; concurrency: number }): Config {
  return {
    tenants: { [tenant]: { keys: [{ key, scopes: ['runs:read'] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
    providers: { pathsim: { rateLimit, timeoutMs: 30_000 } },
    cursorSecret: 'index-redis-cursor-secret',
  };
}

interface ListRead {
  ws: string;
  offset: number;
  at: number;
}

/** The list pages of workspaces the simulator answered with 200 (every other list answer is returned in `other`). */
function listReads(log: LoggedRequest[]): { reads: ListRead[]; other: LoggedRequest[] } {
  const reads: ListRead[] = [];
  const other: LoggedRequest[] = [];
  for (const l of log) {
    const m = LIST.exec(l.path);
    if (!m) continue;
    if (l.status !== 200) {
      other.push(l);
      continue;
    }
    const q = new URLSearchParams(l.query);
    expect(q.get('limit'), `list page at the vendor's largest size: ${l.path}${l.query}`).toBe(String(PAGE));
    reads.push({ ws: decodeURIComponent(m[1]!), offset: Number(q.get('offset') ?? 0), at: l.at });
  }
  return { reads, other };
}

const offsetsOf = (reads: ListRead[], ws: string): number[] => reads.filter((r) => r.ws === ws).map((r) => r.offset).sort((a, b) => a - b);
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, Math.ceil((to - from) / PAGE)) }, (_, i) => from + i * PAGE);
const tally = <K,>(xs: K[]): Map<K, number> => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<K, number>());

/** Sessions per workspace (ground truth) and the pages a backfill of each needs at least. */
function sizes(sim: PathsimSimulator): Map<string, { n: number; pages: number }> {
  const out = new Map<string, { n: number; pages: number }>();
  for (const w of sim.workspaces()) {
    const n = sim.sessions().filter((s) => s.workspaceId === w.id).length;
    out.set(w.id, { n, pages: Math.ceil(n / PAGE) });
  }
  return out;
}

/** The `bf` document of each workspace's source of `tenant` in Redis (`simgate:ix:<tenant>|pathsim|<fp>|runs|<ws>:d`). */
async function bfDocs(r: Redis, tenant: string, sim: PathsimSimulator): Promise<Map<string, BackfillDoc>> {
  const keys = await r.keys(`simgate:ix:${tenant}|pathsim|*|runs|*:d`);
  const out = new Map<string, BackfillDoc>();
  for (const w of sim.workspaces()) {
    const key = keys.find((k) => k.endsWith(`|runs|${w.id}:d`));
    if (!key) continue;
    const text = await r.hget(key, 'bf');
    if (text) out.set(w.id, JSON.parse(text) as BackfillDoc);
  }
  return out;
}

/** Items held per workspace's source in Redis (ZCARD of `:z`). */
async function heldPerSource(r: Redis, tenant: string, sim: PathsimSimulator): Promise<Map<string, number>> {
  const keys = await r.keys(`simgate:ix:${tenant}|pathsim|*|runs|*:z`);
  const out = new Map<string, number>();
  for (const w of sim.workspaces()) {
    const key = keys.find((k) => k.endsWith(`|runs|${w.id}:z`));
    out.set(w.id, key ? await r.zcard(key) : 0);
  }
  return out;
}

/** Follows next_cursor to the end; each page is validated against RunList; returns the runs and each page's pathsim entry. */
async function walkRuns(c: Client, query: string, maxPages = 200): Promise<{ runs: Run[]; entries: ProviderStatus[] }> {
  const runs: Run[] = [];
  const entries: ProviderStatus[] = [];
  let cursor: string | null = null;
  do {
    const r = await c.json<unknown>(`/v1/runs?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`page ${entries.length + 1} of ${query}: ${r.status} ${JSON.stringify(r.body)}`);
    const page = RunList.parse(r.body);
    runs.push(...page.data);
    entries.push(page.providers['pathsim']!);
    cursor = page.next_cursor;
    if (entries.length > maxPages) throw new Error('walk did not end');
  } while (cursor);
  return { runs, entries };
}

/** Ground truth in the gateway's order: every session as PathSim's list maps it, by (started_at desc, id asc). */
function truthIds(sim: PathsimSimulator): string[] {
  const runs = sim.sessions().map((s) => ({ id: mapRow(s.row).id, t: Date.parse(mapRow(s.row).started_at) }));
  runs.sort((x, y) => y.t - x.t || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return runs.map((r) => r.id);
}

/** Waits until the gateway reaches Redis (the index is used only while its client is ready; before, lists go live). */
async function redisReady(url: string, what: string): Promise<void> {
  await until(async () => (await fetch(`${url}/readyz`)).status === 200, 15_000, `/readyz 200 (${what})`, 50);
}

/** Every session exactly once, newest first. */
function expectEverySessionOnce(runs: Run[], sim: PathsimSimulator, who: string): void {
  const ids = runs.map((r) => r.id);
  const dupes = [...tally(ids)].filter(([, n]) => n > 1).map(([id]) => id);
  expect(dupes, `${who}: runs listed more than once`).toEqual([]);
  const want = new Set(truthIds(sim));
  const missing = [...want].filter((id) => !ids.includes(id));
  expect(missing.length, `${who}: ${missing.length} sessions missing, e.g. ${missing.slice(0, 3).join(', ')}`).toBe(0);
  expect(ids.length, `${who}: runs the vendor does not list`).toBe(want.size);
  expect(isNewestFirst(runs), `${who}: newest first`).toBe(true);
}

describe('run index on Redis', () => {
  it('a restart in the middle of a Redis-backed backfill resumes without re-reading what the index holds', { timeout: 60_000 }, async () => {
    const srv: RedisServer = await redisServer();
    const r = srv.client();
    // 5000 sessions: 3300 / 1100 / 600 in the three workspaces, 33 / 11 / 6 pages; 150 ms a page keeps every
    // backfill mid-way for a while (the smallest for ~0.9 s)
    const sim = await startPathsimSimulator({ seed: 21, count: 5000, limits: { perWindow: 100_000, concurrency: 10 }, latencyMs: 150 });
    const tenant = 'resume';
    const key = 'index-resume-key-01';
    const cfg = config(sim, tenant, key, { perMinute: 100_000, concurrency: 10 });
    const size = sizes(sim);
    for (const [ws, s] of size) expect(s.pages, `workspace ${ws} needs several pages`).toBeGreaterThanOrEqual(5);
    let a: RunningGateway | null = await startGateway({ config: cfg, redisUrl: srv.url, log: silentLogger });
    let b: RunningGateway | null = null;
    try {
      await redisReady(a.url, 'gateway A');
      const first = await client(a.url, key, { cache: true }).json<RunList>('/v1/runs?limit=10');
      expect(first.status).toBe(200);
      expect(first.body.data.map((x) => x.id)).toEqual(truthIds(sim).slice(0, 10));
      expect(first.body.providers['pathsim']).toMatchObject({ status: 'ok', index: 'backfilling' });

      // every workspace's backfill has read and stored some pages, none is done: stop A there
      await until(
        async () => {
          const d = await bfDocs(r, tenant, sim);
          return d.size === size.size && [...d.values()].every((x) => x.pages >= 2 && x.done === false);
        },
        20_000,
        'every bf document to show >= 2 pages and not done',
      );
      await a.close(1000);
      a = null;
      const stored = await bfDocs(r, tenant, sim);
      const bStart = Date.now();
      const aLog = sim.server.log.filter((l) => l.at < bStart);
      const { reads: aReads, other: aOther } = listReads(aLog);
      expect(aOther, 'A: every list call answered 200').toEqual([]);
      expect(await r.keys('simgate:ix:*:l'), 'A gave its leases up on close').toEqual([]);
      for (const [ws, s] of size) {
        const doc = stored.get(ws)!;
        // the precondition of the test: A stopped mid-way through every workspace
        expect(doc, `bf of ${ws} after A stopped`).toMatchObject({ started: true, done: false });
        expect(typeof doc.next).toBe('number');
        expect(doc.next as number).toBeLessThan(s.n);
        // what A stored is what it read: each offset below `next` once
        expect(offsetsOf(aReads, ws).filter((o) => o < (doc.next as number)), `A's reads of ${ws} below bf.next`).toEqual(range(0, doc.next as number));
        expect(doc.pages).toBe((doc.next as number) / PAGE);
      }

      b = await startGateway({ config: cfg, redisUrl: srv.url, log: silentLogger });
      await redisReady(b.url, 'gateway B');
      // no `no-cache`: B must not be asked to sync the head again, it just reads the index (and resumes it)
      const { runs, entries } = await walkRuns(client(b.url, key, { cache: true }), 'limit=100');
      expectEverySessionOnce(runs, sim, 'B walk');
      expect(entries.every((e) => e.status === 'ok' && e.index !== undefined), 'B served every page from the index').toBe(true);

      const { reads: bReads, other: bOther } = listReads(sim.server.log.filter((l) => l.at >= bStart));
      expect(bOther, 'B: every list call answered 200').toEqual([]);
      const done = await bfDocs(r, tenant, sim);
      let total = 0;
      let minimum = 0;
      for (const [ws, s] of size) {
        const next = stored.get(ws)!.next as number;
        const aOff = offsetsOf(aReads, ws);
        const bOff = offsetsOf(bReads, ws);
        const detail = `${ws} (${s.n} sessions, A stored up to offset ${next}): A read [${aOff.join(',')}], B read [${bOff.join(',')}]`;
        // Allowed for B in this workspace:
        // - no offset below A's stored `bf.next` (A read and stored those pages: the index holds them), except
        //   offset 0 at most once: a head sync, if B finds A's head older than maxStalenessMs (it is not here,
        //   the test runs well within 15 s, but a slow machine may get there);
        // - the page that was in flight when A stopped (A read it, but did not store it: its offset is >= next),
        //   at most once; close() lets a running step finish and save, so normally there is none;
        // - every page from `next` on, once each.
        // Hence A + B read at most ceil(n/100) + 2 pages of the workspace.
        const reread = bOff.filter((o) => o < next);
        expect(reread.filter((o) => o !== 0), `B re-read pages A stored: ${detail}`).toEqual([]);
        expect(reread.length, `B read offset 0 more than once: ${detail}`).toBeLessThanOrEqual(1);
        expect(aOff.filter((o) => o >= next).length, `A read more than one page it did not store: ${detail}`).toBeLessThanOrEqual(1);
        expect([...tally(bOff)].filter(([o, n]) => o >= next && n > 1), `B read a page twice: ${detail}`).toEqual([]);
        expect([...new Set([...aOff, ...bOff])].sort((x, y) => x - y), `every page read: ${detail}`).toEqual(range(0, s.n));
        expect(aOff.length + bOff.length, `pages read: ${detail}`).toBeLessThanOrEqual(s.pages + 2);
        // B's backfill went on from A's position to the end
        expect(done.get(ws), `bf of ${ws} after B`).toMatchObject({ done: 'end', pages: s.pages });
        total += aOff.length + bOff.length;
        minimum += s.pages;
      }
      expect(total).toBeLessThanOrEqual(minimum + 2 * size.size);
    } finally {
      await a?.close(100);
      await b?.close(100);
      r.disconnect();
      await sim.close();
      await srv.stop();
    }
  });

  it('two instances on one Redis sync each source once, within the vendor limits', { timeout: 60_000 }, async () => {
    const srv = await redisServer();
    // 1000 sessions: 660 / 220 / 120, 7 / 3 / 2 pages; PathSim's limits scaled down (300 per 10 s, 4 at once),
    // and the gateways told the same (1800 a minute, 4 at once), shared through Redis
    const sim = await startPathsimSimulator({ seed: 22, count: 1000, limits: { perWindow: 300, windowMs: 10_000, concurrency: 4 }, latencyMs: 50 });
    const tenant = 'pair';
    const key = 'index-pair-key-0001';
    const cfg = config(sim, tenant, key, { perMinute: 1800, concurrency: 4 });
    const size = sizes(sim);
    let gws: GatewayProcess[] = [];
    try {
      // two processes (`npm start`); their warm-up finds Redis not connected yet and does nothing, so the two walks,
      // started together, start the syncs and race for the leases
      gws = await Promise.all([gatewayProcess(cfg, { REDIS_URL: srv.url }), gatewayProcess(cfg, { REDIS_URL: srv.url })]);
      await Promise.all(gws.map((g, i) => redisReady(g.url, `instance ${i + 1}`)));
      const [wa, wb] = await Promise.all(gws.map((g) => walkRuns(client(g.url, key, { cache: true }), 'limit=50')));
      expectEverySessionOnce(wa!.runs, sim, 'walk on instance 1');
      expectEverySessionOnce(wb!.runs, sim, 'walk on instance 2');

      const { reads, other } = listReads(sim.server.log);
      expect(other, 'every list call answered 200').toEqual([]);
      for (const [ws, s] of size) {
        const off = offsetsOf(reads, ws);
        const counts = tally(off);
        const detail = `${ws} (${s.n} sessions): read [${off.join(',')}]`;
        // each backfill page (offset > 0) exactly once by the two instances together
        for (const o of range(PAGE, s.n)) expect(counts.get(o) ?? 0, `offset ${o} of ${detail}`).toBe(1);
        // offset 0: the first page, and at most one head sync
        expect(counts.get(0) ?? 0, `offset 0 of ${detail}`).toBeGreaterThanOrEqual(1);
        expect(counts.get(0) ?? 0, `offset 0 of ${detail}`).toBeLessThanOrEqual(2);
        expect(off.filter((o) => o % PAGE !== 0 || o >= s.n), `offsets off the pages: ${detail}`).toEqual([]);
      }
      expect(sim.server.stats.violations, `vendor limits violated: ${JSON.stringify(sim.server.stats)}`).toBe(0);
      expect(sim.server.stats.maxInFlight).toBeLessThanOrEqual(4);
    } finally {
      await Promise.all(gws.map((g) => g.stop()));
      await sim.close();
      await srv.stop();
    }
  });

  it('a Redis outage mid-backfill degrades to the live path, and the index starts over and gets ready afterwards', { timeout: 60_000 }, async () => {
    const srv = await redisServer();
    const r = srv.client();
    // 2000 sessions: 1320 / 440 / 240, 14 / 5 / 3 pages at 150 ms a page
    const sim = await startPathsimSimulator({ seed: 23, count: 2000, limits: { perWindow: 100_000, concurrency: 10 }, latencyMs: 150 });
    const tenant = 'outage';
    const key = 'index-outage-key-01';
    const size = sizes(sim);
    const big = [...size].sort((x, y) => y[1].n - x[1].n)[0]![0];
    const gw = await startGateway({ config: config(sim, tenant, key, { perMinute: 100_000, concurrency: 10 }), redisUrl: srv.url, log: silentLogger });
    const c = client(gw.url, key, { cache: true });
    const truth = truthIds(sim);
    try {
      await redisReady(gw.url, 'gateway');
      const first = await c.json<RunList>('/v1/runs?limit=10');
      expect(first.status).toBe(200);
      expect(first.body.providers['pathsim']).toMatchObject({ status: 'ok', index: 'backfilling' });
      await until(
        async () => {
          const d = (await bfDocs(r, tenant, sim)).get(big);
          return !!d && d.pages >= 2 && d.done === false;
        },
        20_000,
        `the backfill of ${big} under way`,
      );
      await srv.stop();

      // Redis is down: every page answers from the vendors, complete, fresh as of the request, no index state
      let cursor: string | null = null;
      for (let i = 0; i < 3; i++) {
        const before = Date.now();
        const res = await c.json<unknown>(`/v1/runs?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status, `live page ${i + 1}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
        const page = RunList.parse(res.body);
        expect(page.data.map((x) => x.id), `live page ${i + 1}`).toEqual(truth.slice(20 * i, 20 * i + 20));
        expect(page.partial).toBe(false);
        const p = page.providers['pathsim']!;
        expect(p.status).toBe('ok');
        expect(p.index, `live page ${i + 1} has no index state`).toBeUndefined();
        const fresh = Date.parse(p.fresh_as_of!);
        expect(fresh).toBeGreaterThanOrEqual(before - 1000);
        expect(fresh).toBeLessThanOrEqual(Date.now() + 1000);
        cursor = page.next_cursor;
        expect(cursor).not.toBeNull();
      }

      // Redis is back, empty (no persistence): the index starts over
      await srv.start();
      await redisReady(gw.url, 'after Redis is back');
      const { runs, entries } = await walkRuns(c, 'limit=100');
      expectEverySessionOnce(runs, sim, 'walk after the outage');
      expect(entries.some((e) => e.index !== undefined), 'the index serves again after the outage').toBe(true);

      const info = await until(
        async () => {
          const res = await c.json<{ data: Array<{ id: string; index: { state: string; runs: number } }> }>('/v1/providers');
          const ix = res.body.data.find((p) => p.id === 'pathsim')?.index;
          return ix?.state === 'ready' ? ix : null;
        },
        30_000,
        "GET /v1/providers to show pathsim's index ready",
        200,
      );
      expect(info.runs).toBe(truth.length);
      const held = await heldPerSource(r, tenant, sim);
      const docs = await bfDocs(r, tenant, sim);
      for (const [ws, s] of size) {
        expect(held.get(ws), `items held for ${ws}`).toBe(s.n);
        // the position started over with the data: a full backfill of the workspace since Redis came back
        expect(docs.get(ws), `bf of ${ws}`).toMatchObject({ started: true, done: 'end', pages: s.pages });
      }
      const last = await c.json<RunList>('/v1/runs?limit=10');
      expect(last.status).toBe(200);
      expect(last.body.data.map((x) => x.id)).toEqual(truth.slice(0, 10));
      expect(last.body.providers['pathsim']).toMatchObject({ status: 'ok', index: 'ready' });
    } finally {
      await gw.close(100);
      r.disconnect();
      await sim.close();
      await srv.stop();
    }
  });
});
