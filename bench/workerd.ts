/**
 * Cache-hit `GET /v1/runs/{id}` inside workerd (Miniflare, the Workers runtime), the bundle `npm run build:worker`
 * makes with its SimgateState object and the Cache API, against a bare Worker in the same runtime answering the same
 * bytes (body and header set, captured from simgate). Same load on both (8 keep-alive connections, 2 s warm-up, 6 s
 * measured), order simgate, bare, bare, simgate; the ratio of req/s is the figure. Also prints the bundle's size.
 * Run: npx tsx bench/workerd.ts
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import { startPathsimSimulator } from '../adapters/pathsim/simulator.js';
import { ROOT, f, header, loadgen, mean, verdict, type LoadResult } from './lib.js';

const run = promisify(execFile);
const KEY = 'bench-workerd-key';
const IDS = 20;

async function main(): Promise<void> {
  header('workerd: cache-hit GET /v1/runs/{id} in the Worker vs a bare Worker with the same bytes');
  const out = await mkdtemp(path.join(tmpdir(), 'simgate-bench-workerd-'));
  await run(process.execPath, [path.join(ROOT, 'scripts/copy-docs-assets.mjs')], { cwd: ROOT });
  await run(path.join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' } });
  const code = await readFile(path.join(out, 'worker.js'));
  console.log(`bundle: ${f(code.length / 1024, 1)} KiB, ${f(gzipSync(code).length / 1024, 1)} KiB gzip (${gzipSync(code).length} bytes)`);
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(await readFile(path.join(ROOT, 'wrangler.toml'), 'utf8'))![1]!;

  const sim = await startPathsimSimulator({ limits: { perWindow: 100_000, concurrency: 100 } });
  const config = {
    tenants: { bench: { keys: [{ key: KEY, scopes: ['runs:read'] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
    providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 100 } } },
  };
  const simgate = new Miniflare({
    modules: true,
    scriptPath: path.join(out, 'worker.js'),
    modulesRoot: out,
    compatibilityDate,
    bindings: { SIMGATE_CONFIG: JSON.stringify(config) },
    durableObjects: { STATE: { className: 'SimgateState', useSQLite: true } },
    port: 0,
  });
  const gwUrl = (await simgate.ready).toString().replace(/\/$/, '');
  const auth = { authorization: `Bearer ${KEY}` };
  const list = (await (await fetch(`${gwUrl}/v1/runs?status=completed&limit=${IDS}`, { headers: auth })).json()) as { data: Array<{ id: string }> };
  const paths = list.data.map((r) => `/v1/runs/${r.id}`);
  const captured: Record<string, { body: string; headers: Record<string, string> }> = {};
  for (const p of paths) {
    await (await fetch(gwUrl + p, { headers: auth })).arrayBuffer(); // miss: fills the cache
    const res = await fetch(gwUrl + p, { headers: auth });
    if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'date') headers[k] = v;
    });
    captured[p] = { body: await res.text(), headers };
  }
  // the bare Worker: a map lookup and a Response of the captured bytes
  const bareScript = `const C = ${JSON.stringify(captured)};
export default { fetch(req) { const c = C[new URL(req.url).pathname]; return new Response(c.body, { headers: c.headers }); } };`;
  const bare = new Miniflare({ modules: true, script: bareScript, compatibilityDate, port: 0 });
  const bareUrl = (await bare.ready).toString().replace(/\/$/, '');
  console.log(`warmed ${paths.length} finished PathSim runs; one answer ${captured[paths[0]!]!.body.length} B`);

  const results: Record<'simgate' | 'bare', LoadResult[]> = { simgate: [], bare: [] };
  const calls0 = sim.server.stats.requests;
  for (const which of ['simgate', 'bare', 'bare', 'simgate'] as const) {
    const base = which === 'simgate' ? gwUrl : bareUrl;
    const r = await loadgen({ mode: 'load', targets: paths.map((p) => base + p), headers: auth, connections: 8, warmupMs: 2000, durationMs: 6000 });
    results[which].push(r);
    const non200 = Object.entries(r.statuses).filter(([s]) => s !== '200');
    console.log(`${which.padEnd(7)} ${f(r.rps, 0).padStart(6)} req/s  p50 ${f(r.p50, 2)} ms  p90 ${f(r.p90, 2)} ms  p99 ${f(r.p99, 2)} ms  ${r.requests} answers${non200.length ? ` NON-200 ${JSON.stringify(Object.fromEntries(non200))}` : ''}`);
  }
  const upstream = sim.server.stats.requests - calls0;
  const ok = [...results.simgate, ...results.bare].every((r) => r.errors === 0 && Object.keys(r.statuses).every((s) => s === '200'));
  const g = mean(results.simgate.map((r) => r.rps));
  const b = mean(results.bare.map((r) => r.rps));
  console.log(`simgate ${f(g, 0)} req/s, bare ${f(b, 0)} req/s (means of 2 runs each); ${upstream} vendor calls during the runs`);
  verdict(
    { bench: 'workerd', metric: 'simgate/bare req/s (cache hit, workerd)', value: g / b, target: 'reported', note: `${f(g, 0)} vs ${f(b, 0)} req/s${ok ? ', all 200' : ', NOT ALL 200'}, ${upstream} vendor calls; bundle ${gzipSync(code).length} B gzip` },
    '>=',
    ok ? 0 : Number.POSITIVE_INFINITY,
  );
  await Promise.all([simgate.dispose(), bare.dispose()]);
  await sim.close();
  await rm(out, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
