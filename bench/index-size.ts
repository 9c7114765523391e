/**
 * The run index at 100,000 runs: a PathSim simulator with `count: 100_000` (raised limits, in its own
 * process) and a gateway with the memory store that backfills it all.
 *
 * 1. Memory per indexed run: heap used after the backfill − before it (`gc()` before each reading),
 *    ÷ runs held. Baseline: the UTF-8 bytes of the indexed runs' JSON (what the store has to keep at
 *    the least), so the ratio says how much the store adds; also printed: what the same JSON strings
 *    cost on the V8 heap held in a plain array.
 * 2. A keyset page read: 50 items through the store after a random boundary, read and opened as
 *    IndexReader does (`range` in batches of 16, 32, 64 …, `JSON.parse` of each item handed out),
 *    mean µs over many reads. Baseline: slicing 50 JSON strings from a plain array at a random
 *    position and `JSON.parse`-ing them.
 * 3. HTTP: `GET /v1/runs?limit=50&cursor=…` at a cursor 90 % down the index vs `GET /healthz`
 *    (sequential, from the load generator).
 * 4. When `redis-server` is on the PATH: Redis memory per run (INFO used_memory delta ÷ runs) with a
 *    RedisIndexStore filled directly with the same items, and its keyset page read, labelled.
 * The issue names no number for these: the VERDICT bounds (memory ≤ 2× the JSON bytes, page read ≤ 2×
 * the array baseline, deep page ≤ 10× /healthz) are this benchmark's own, to catch regressions.
 * Run: node --expose-gc --import tsx bench/index-size.ts
 */
import { Redis } from 'ioredis';
import type { Key } from '../src/core/cursor.js';
import { CursorCodec } from '../src/core/cursor.js';
import { silentLogger } from '../src/core/log.js';
import type { IndexedItem, IndexStore } from '../src/index/types.js';
import { RedisIndexStore } from '../src/node/redis-index.js';
import { startGateway } from '../src/server.js';
import { client, untilReady } from '../test/helpers.js';
import { f, header, loadgen, mean, median, startRedis, startSimHost, verdict } from './lib.js';

const KEY = 'bench-size-key';
const COUNT = 100_000;
const SECRET = 'bench-index-size-cursor-secret';
const READS = 20_000;
const ROUNDS = 4;
const HTTP_N = 200;

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

/** Items of one source in keyset order, as a reader would see them (all of them). */
async function all(store: IndexStore, key: string): Promise<IndexedItem[]> {
  const out: IndexedItem[] = [];
  let after: Key | null = null;
  for (;;) {
    const batch = await store.range(key, after, 5000);
    out.push(...batch);
    if (batch.length < 5000) return out;
    after = [batch.at(-1)!.t, batch.at(-1)!.id];
  }
}

/** One page of 50 read as IndexReader reads it: batches of 16, 32, 64 … (at most 256), each item opened when handed out. */
async function readerPage(store: IndexStore, key: string, boundary: Key): Promise<number> {
  let pos: Key = boundary;
  let size = 16;
  let opened = 0;
  let sum = 0;
  while (opened < 50) {
    const batch = await store.range(key, pos, size);
    for (const item of batch) {
      if (opened >= 50) break;
      const run = JSON.parse(item.json) as { started_at: string };
      sum += run.started_at.length;
      opened += 1;
      pos = [item.t, item.id];
    }
    if (batch.length < size) break;
    size = Math.min(256, size * 2);
  }
  return sum;
}

function arrayPage(json: string[], at: number): number {
  let sum = 0;
  for (const s of json.slice(at, at + 50)) sum += (JSON.parse(s) as { started_at: string }).started_at.length;
  return sum;
}

interface Pick {
  key: string;
  i: number;
}

async function timeReads(label: string, store: IndexStore, sources: Array<{ key: string; items: IndexedItem[]; json: string[] }>, reads: number): Promise<{ store: number; array: number }> {
  const us: { store: number[]; array: number[] } = { store: [], array: [] };
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // the same random positions for both: a source (by its size) and an item in it, at least 50 from its end
    const picks: Pick[] = [];
    const total = sources.reduce((n, s) => n + s.items.length, 0);
    for (let k = 0; k < reads; k++) {
      let r = Math.floor(Math.random() * total);
      const s = sources.find((x) => (r -= x.items.length) < 0) ?? sources[0]!;
      picks.push({ key: s.key, i: Math.floor(Math.random() * Math.max(1, s.items.length - 51)) });
    }
    const byKey = new Map(sources.map((s) => [s.key, s]));
    for (const which of round % 2 ? (['array', 'store'] as const) : (['store', 'array'] as const)) {
      const t0 = performance.now();
      if (which === 'store') {
        for (const p of picks) {
          const it = byKey.get(p.key)!.items[p.i]!;
          sink += await readerPage(store, p.key, [it.t, it.id]);
        }
      } else {
        for (const p of picks) sink += arrayPage(byKey.get(p.key)!.json, p.i + 1);
      }
      us[which].push(((performance.now() - t0) * 1000) / reads);
    }
  }
  if (sink === 42) console.log('');
  console.log(`${label}: page of 50 after a random boundary, mean over ${ROUNDS}×${reads} reads: store ${us.store.map((x) => f(x, 1)).join('/')} µs, array+JSON.parse ${us.array.map((x) => f(x, 1)).join('/')} µs`);
  return { store: mean(us.store), array: mean(us.array) };
}

async function main(): Promise<void> {
  header('index-size: the run index at 100,000 runs (memory per run, keyset page read)', 420);
  if (!gc) throw new Error('run with: node --expose-gc --import tsx bench/index-size.ts');
  const t0 = Date.now();
  const sims = await startSimHost({ counts: { pathsim: COUNT }, limits: { perWindow: 10_000_000, concurrency: 200 } });
  console.log(`simulator host up with ${COUNT} PathSim sessions in ${f((Date.now() - t0) / 1000, 1)} s`);
  const gw = await startGateway({
    config: {
      tenants: { bench: { keys: [{ key: KEY, scopes: ['runs:read'] }], providers: { pathsim: sims.providers.pathsim! } } },
      providers: { pathsim: sims.tuning.pathsim! },
      cursorSecret: SECRET,
    },
    log: silentLogger,
  });
  const index = gw.gateway.index!;
  const store = index.store;

  // ---- memory: heap before, the backfill, heap after ----
  const before = heapUsed();
  const tb = Date.now();
  index.warm({ bench: ['pathsim'] });
  await untilReady(client(gw.url, KEY, { cache: true }), 300_000);
  const backfillS = (Date.now() - tb) / 1000;
  const pi = (await index.provider('bench', 'pathsim', 'runs'))!;
  const keys = pi.known.map((s) => s.d.key);
  const after = heapUsed();
  const sources: Array<{ key: string; items: IndexedItem[]; json: string[] }> = [];
  for (const key of keys) {
    const items = await all(store, key);
    sources.push({ key, items, json: [] });
  }
  const runs = sources.reduce((n, s) => n + s.items.length, 0);
  let utf8 = 0;
  let twoByte = 0;
  for (const s of sources) {
    for (const it of s.items) {
      utf8 += Buffer.byteLength(it.json);
      // eslint-disable-next-line no-control-regex
      if (/[^\u0000-\u00ff]/.test(it.json)) twoByte += 1;
    }
  }
  const perRun = (after - before) / runs;
  console.log(
    `backfill: ${runs} runs in ${sources.length} sources (simulator ${COUNT}) in ${f(backfillS, 1)} s; heap ${f(before / 2 ** 20, 1)} → ${f(after / 2 ** 20, 1)} MiB: ` +
      `${f(perRun, 0)} B per indexed run; its JSON ${f(utf8 / runs, 0)} B (UTF-8) per run; ${twoByte} runs' JSON hold characters beyond Latin-1 (V8 stores those strings as UTF-16)`,
  );
  // the JSON strings alone on the heap (fresh copies in a plain array)
  const h0 = heapUsed();
  for (const s of sources) s.json = s.items.map((it) => Buffer.from(it.json, 'utf8').toString('utf8'));
  const h1 = heapUsed();
  const stringsPerRun = (h1 - h0) / runs;
  console.log(`the same JSON strings in a plain array: ${f(stringsPerRun, 0)} B per run on the heap; the store adds ${f(perRun - stringsPerRun, 0)} B per run over them (ids, keys, facets, maps, the sorted array)`);

  // ---- keyset page read ----
  const mem = await timeReads('memory store', store, sources, READS);

  // ---- HTTP: a deep cursor vs /healthz ----
  const auth = { authorization: `Bearer ${KEY}` };
  const firstRes = await fetch(`${gw.url}/v1/runs?limit=50`, { headers: auth });
  const first = (await firstRes.json()) as { next_cursor: string; data: Array<{ id: string; started_at: string }> };
  if (firstRes.status !== 200 || !first.next_cursor) throw new Error(`first page: ${firstRes.status}`);
  // the merged order over every source: take the run 90 % down it as the boundary
  const merged = sources.flatMap((s) => s.items).sort((a, b) => b.t - a.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const deep = merged[Math.floor(merged.length * 0.9)]!;
  const state = JSON.parse(Buffer.from(first.next_cursor.split('.')[1]!, 'base64url').toString('utf8')) as { b: Key };
  state.b = [deep.t, deep.id];
  const cursor = await new CursorCodec(SECRET).encode(state as Parameters<CursorCodec['encode']>[0]);
  const deepUrl = `${gw.url}/v1/runs?limit=50&cursor=${encodeURIComponent(cursor)}`;
  const check = (await (await fetch(deepUrl, { headers: auth })).json()) as { data: Array<{ id: string }> };
  const expect = merged.slice(Math.floor(merged.length * 0.9) + 1, Math.floor(merged.length * 0.9) + 51).map((i) => i.id);
  const same = check.data.length === 50 && check.data.every((r, i) => r.id === expect[i]);
  const seq = await loadgen({
    mode: 'seq',
    requests: Array.from({ length: HTTP_N * 2 }, (_, i) => (i % 2 ? { url: `${gw.url}/healthz` } : { url: deepUrl, headers: auth })),
  });
  const deepMs = seq.filter((_, i) => i % 2 === 0);
  const healthMs = seq.filter((_, i) => i % 2 === 1);
  const non200 = seq.filter((x) => x.status !== 200).length;
  const [dMed, hMed] = [median(deepMs.map((x) => x.ms)), median(healthMs.map((x) => x.ms))];
  console.log(
    `HTTP (${HTTP_N} each, interleaved): GET /v1/runs?limit=50 at a cursor 90 % down (${Math.floor(merged.length * 0.9)} runs in) median ${f(dMed, 2)} ms, GET /healthz ${f(hMed, 2)} ms` +
      `; the page holds the 50 runs after that boundary: ${same ? 'yes' : 'NO'}${non200 ? `; ${non200} NON-200` : ''}`,
  );

  // ---- Redis, when there is one ----
  let redisLine: { perRun: number; read: { store: number; array: number } } | null = null;
  const redis = await startRedis();
  if (redis) {
    const r = new Redis(redis.url);
    const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await r.info('memory'))?.[1]);
    const rs = new RedisIndexStore(r);
    const m0 = await used();
    for (const s of sources) for (let i = 0; i < s.items.length; i += 1000) await rs.put(s.key, s.items.slice(i, i + 1000));
    const m1 = await used();
    const rsSources = sources.map((s) => ({ ...s }));
    const read = await timeReads('redis store (filled directly, loopback)', rs, rsSources, Math.floor(READS / 10));
    redisLine = { perRun: (m1 - m0) / runs, read };
    console.log(`redis: used_memory ${f(m0 / 2 ** 20, 1)} → ${f(m1 / 2 ** 20, 1)} MiB = ${f(redisLine.perRun, 0)} B per run (its JSON ${f(utf8 / runs, 0)} B; ${f(redisLine.perRun / (utf8 / runs), 2)}×)`);
    r.disconnect();
    redis.proc.kill('SIGTERM');
  } else console.log('redis-server is not on the PATH: the Redis store is not measured');

  verdict(
    {
      bench: 'index-size/memory',
      metric: 'heap per indexed run/its JSON bytes',
      value: perRun / (utf8 / runs),
      target: '≤ 2× (this bench\'s bound)',
      note: `${f(perRun, 0)} B vs ${f(utf8 / runs, 0)} B per run (${runs} runs, ${f((after - before) / 2 ** 20, 0)} MiB); JSON strings alone ${f(stringsPerRun, 0)} B on the heap`,
    },
    '<=',
    runs === COUNT ? 2 : Number.NEGATIVE_INFINITY,
  );
  verdict(
    {
      bench: 'index-size/page-read',
      metric: 'store page read/array slice+parse',
      value: mem.store / mem.array,
      target: '≤ 2× (this bench\'s bound)',
      note: `${f(mem.store, 1)} vs ${f(mem.array, 1)} µs per page of 50`,
    },
    '<=',
    2,
  );
  verdict(
    {
      bench: 'index-size/http-deep',
      metric: 'deep-cursor page/healthz median',
      value: dMed / hMed,
      target: '≤ 10× (this bench\'s bound)',
      note: `${f(dMed, 2)} vs ${f(hMed, 2)} ms${same ? '' : '; WRONG PAGE'}`,
    },
    '<=',
    same && !non200 ? 10 : Number.NEGATIVE_INFINITY,
  );
  if (redisLine) {
    console.log(
      `redis (not a target): ${f(redisLine.perRun, 0)} B per run in used_memory; page read ${f(redisLine.read.store, 1)} µs vs ${f(redisLine.read.array, 1)} µs from an array (${f(redisLine.read.store / redisLine.read.array, 1)}×)`,
    );
  }
  await gw.close(100);
  await sims.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
