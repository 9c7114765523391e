/**
 * The Worker bundle without the OpenAPI generator: its size, and what src/worker/openapi-lite.ts (the bundle's
 * @hono/zod-openapi, wrangler.toml [alias]) answers, next to what Node answers with the real one: GET /openapi.json
 * (prebuilt by scripts/copy-docs-assets.mjs into the static assets) byte for byte, with and without GET /metrics,
 * and the validation errors of the routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import { assetsBinding, bundleWorker, workerBundle } from './worker-harness.js';
import type { Config } from '../src/config.js';
import { silentLogger } from '../src/core/log.js';
import { startGateway, type RunningGateway } from '../src/server.js';

/** The budget of the gzipped Worker bundle (gzip's default level, as `gzip -c dist/worker/worker.js | wc -c`). */
const MAX_GZIP_BYTES = 100 * 1024;
const KEY = 'worker-openapi-key';

/** No vendor is called: every request here is answered before one would be (or by no route of a vendor). */
const config = (metrics: boolean): Config => ({
  tenants: { acme: { keys: [{ key: KEY, scopes: ['runs:read', 'reports:read'] }], providers: { pathsim: { apiKey: 'unused', baseUrl: 'http://127.0.0.1:9' } } } },
  ...(metrics ? {} : { metrics: { enabled: false } }),
});

let code: Buffer;
let meta: { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
let mf: Miniflare;
const node: Record<'metrics' | 'noMetrics', RunningGateway | undefined> = { metrics: undefined, noMetrics: undefined };

async function viaWorker(worker: string, p: string, key?: string): Promise<Response> {
  const res = await (await mf.getWorker(worker)).fetch(`http://simgate.test${p}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  return res as unknown as Response;
}

async function viaNode(gw: RunningGateway, p: string, key?: string): Promise<Response> {
  return fetch(`${gw.url}${p}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
}

/** The bundle's input files, largest first, with their bytes in it. */
function inputs(): Array<[string, number]> {
  const out = Object.entries(meta.outputs).find(([k]) => k.endsWith('worker.js'))![1];
  return Object.entries(out.inputs)
    .map(([f, v]) => [f.replace(/^.*node_modules\//, ''), v.bytesInOutput] as [string, number])
    .sort((a, b) => b[1] - a[1]);
}

beforeAll(async () => {
  const built = workerBundle();
  code = await readFile(built.bundle);
  meta = JSON.parse(await readFile(built.metafile, 'utf8')) as typeof meta;
  const common = bundleWorker();
  const assets = assetsBinding;
  mf = new Miniflare({
    workers: [
      { ...common, name: 'metrics', bindings: { SIMGATE_CONFIG: JSON.stringify(config(true)) }, assets },
      { ...common, name: 'no-metrics', bindings: { SIMGATE_CONFIG: JSON.stringify(config(false)) }, assets },
      { ...common, name: 'no-assets', bindings: { SIMGATE_CONFIG: JSON.stringify(config(true)) } },
    ],
  });
  await mf.ready;
  node.metrics = await startGateway({ config: config(true), port: 0, log: silentLogger });
  node.noMetrics = await startGateway({ config: config(false), port: 0, log: silentLogger });
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  await node.metrics?.close(100);
  await node.noMetrics?.close(100);
});

describe('the Worker bundle', () => {
  it(`is at most ${MAX_GZIP_BYTES} bytes gzipped`, () => {
    const size = gzipSync(code).length;
    const top = inputs()
      .slice(0, 15)
      .map(([f, b]) => `${b} ${f}`)
      .join('\n');
    expect(size, `gzip ${size} bytes; largest inputs (minified bytes):\n${top}`).toBeLessThanOrEqual(MAX_GZIP_BYTES);
  });

  it('has neither the OpenAPI generator nor zod as a whole namespace (its locales but English)', () => {
    const files = inputs().map(([f]) => f);
    expect(files.filter((f) => /^@asteasolutions\/zod-to-openapi\/|^@hono\/zod-openapi\//.test(f))).toEqual([]);
    expect(files.filter((f) => /^zod\/v4\/locales\/(?!en\.js$)/.test(f))).toEqual([]);
    expect(files).toContain('src/worker/openapi-lite.ts');
  });
});

describe('GET /openapi.json in the Worker', () => {
  for (const [worker, variant] of [
    ['metrics', 'metrics'],
    ['no-metrics', 'noMetrics'],
  ] as const) {
    it(`is what Node answers for the same app, byte for byte (${worker})`, async () => {
      const [w, n] = await Promise.all([viaWorker(worker, '/openapi.json'), viaNode(node[variant]!, '/openapi.json')]);
      expect(w.status).toBe(200);
      expect(n.status).toBe(200);
      expect(w.headers.get('content-type')).toBe(n.headers.get('content-type'));
      const [wt, nt] = await Promise.all([w.text(), n.text()]);
      expect(wt).toBe(nt);
      const doc = JSON.parse(wt) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths).includes('/metrics')).toBe(variant === 'metrics');
      expect(doc.paths).toHaveProperty('/v1/runs');
    });
  }

  it('is the 500 envelope, saying why, when the ASSETS binding is missing', async () => {
    const r = await viaWorker('no-assets', '/openapi.json');
    expect(r.status).toBe(500);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.message).toMatch(/OpenAPI document .* not in the Worker's static assets \(no ASSETS binding\)/);
  });
});

describe('the routes of the Worker shim', () => {
  const cases: Array<[string, string | undefined]> = [
    ['/v1/runs?limit=0', KEY],
    ['/v1/runs?limit=5&limit=6', KEY],
    ['/v1/runs?provider=nope&bogus=1', KEY],
    ['/v1/runs/x/recording?include=raw', KEY],
    ['/v1/reports/summary?group_by=nope', KEY],
    ['/v1/groups?q=', KEY],
    ['/v1/runs', undefined],
    ['/healthz', undefined],
    ['/readyz', undefined],
  ];
  for (const [p, key] of cases) {
    it(`validate and answer as Node does: ${p}${key ? '' : ' (no key)'}`, async () => {
      const [w, n] = await Promise.all([viaWorker('metrics', p, key), viaNode(node.metrics!, p, key)]);
      expect(w.status).toBe(n.status);
      const strip = (b: Record<string, { request_id?: string }>) => {
        if (b.error) delete b.error.request_id;
        return b;
      };
      expect(strip((await w.json()) as never)).toEqual(strip((await n.json()) as never));
    });
  }
});
