/**
 * Upstream calls of one full walk (`GET /v1/runs?limit=50`, following next_cursor to the end, through
 * the cache like any client) over all five simulators, against the minimum: the number of distinct
 * upstream URLs (path + sorted query) the walk needed, each of which must be fetched at least once.
 * Every request in each simulator's `server.log` counts (20 ms latency, so that concurrent reads
 * overlap). Target: total ≤ 1.05× distinct.
 * Run: npx tsx bench/upstream-calls.ts
 */
import { startSimulators } from '../adapters/simulators.js';
import type { ProviderId } from '../schemas/run.js';
import { silentLogger } from '../src/core/log.js';
import { startGateway } from '../src/server.js';
import { client, walk } from '../test/helpers.js';
import { f, header, verdict } from './lib.js';

const KEY = 'bench-calls-key';

/** path + sorted query: the identity of one upstream answer. */
function norm(path: string, query: string): string {
  const q = new URLSearchParams(query);
  q.sort();
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function main(): Promise<void> {
  header('upstream-calls: one full walk, limit=50, five simulators');
  const set = await startSimulators({ latencyMs: 20, limits: { perWindow: 1_000_000, concurrency: 200 } });
  const gw = await startGateway({
    config: { tenants: { bench: { keys: [{ key: KEY, scopes: ['runs:read'], perMinute: 1_000_000 }], providers: set.providers } }, providers: set.tuning },
    log: silentLogger,
  });
  const sims = set.sims as unknown as Record<ProviderId, { server: { log: Array<{ path: string; query: string; status: number }> }; runs(): unknown[] }>;
  const providers = Object.keys(sims) as ProviderId[];
  for (const p of providers) sims[p].server.log.length = 0;

  const t0 = performance.now();
  const { runs, pages } = await walk(client(gw.url, KEY, { cache: true }), 'limit=50');
  const ms = performance.now() - t0;
  const expected = providers.reduce((n, p) => n + sims[p].runs().length, 0);
  console.log(`walk: ${pages} pages, ${runs.length} runs (simulators hold ${expected}) in ${f(ms / 1000, 2)} s`);

  let total = 0;
  let distinct = 0;
  const worst: string[] = [];
  console.log('provider     total  distinct  ratio  non-200  most repeated');
  for (const p of providers) {
    const log = sims[p].server.log;
    const counts = new Map<string, number>();
    for (const l of log) counts.set(norm(l.path, l.query), (counts.get(norm(l.path, l.query)) ?? 0) + 1);
    const rep = [...counts].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1]);
    const non200 = log.filter((l) => l.status !== 200).length;
    total += log.length;
    distinct += counts.size;
    const byPath = new Map<string, number>();
    for (const [u, n] of rep) byPath.set(u.split('?')[0]!.replace(/\/[0-9a-f-]{16,}$/i, '/{id}'), (byPath.get(u.split('?')[0]!.replace(/\/[0-9a-f-]{16,}$/i, '/{id}')) ?? 0) + n - 1);
    console.log(
      `${p.padEnd(10)} ${String(log.length).padStart(7)} ${String(counts.size).padStart(9)}  ${f(log.length / counts.size, 2).padStart(5)}  ${String(non200).padStart(7)}  ` +
        (rep.length ? rep.slice(0, 2).map(([u, n]) => `${n}× ${u}`).join('; ') : '-'),
    );
    if (rep.length) worst.push(`${p}: ${[...byPath].map(([path, extra]) => `${extra} extra on ${path}`).join(', ')}`);
  }
  console.log(`all: ${total} upstream requests for ${distinct} distinct URLs`);
  if (ms > 15_000) console.log('note: the walk took longer than the list pages stay fresh (15 s): stale pages were refreshed behind');
  verdict(
    {
      bench: 'upstream-calls',
      metric: 'upstream requests/distinct URLs',
      value: total / distinct,
      target: '≤ 1.05×',
      note: `${total} vs ${distinct}${runs.length === expected ? '' : `; WALK RETURNED ${runs.length} of ${expected} runs`}${worst.length ? `; repeats: ${worst.join('; ')}` : ''}`,
    },
    '<=',
    runs.length === expected ? 1.05 : Number.NEGATIVE_INFINITY,
  );
  await gw.close(100);
  await set.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
