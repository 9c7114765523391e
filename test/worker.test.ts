/**
 * The Cloudflare Workers build: the bundle `wrangler deploy --dry-run` makes, run inside workerd (Miniflare),
 * in front of the PathSim simulator on loopback. Proves the Worker serves the same app as Node.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import { startPathsimSimulator, type PathsimSimulator, type PathsimSession } from '../adapters/pathsim/simulator.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TENANT_KEY = 'worker-tenant-key';
const SECRET_IN_BAD_CONFIG = 'super-secret-value-123';
type Json = Record<string, any>;

let outDir: string;
let bundle: string;
let sim: PathsimSimulator;
let mf: Miniflare;

/** A request to one of the Workers (the first, `simgate`, unless named). */
async function get(p: string, o: { key?: string; worker?: string } = {}): Promise<{ status: number; headers: Headers; body: Json; text: string }> {
  const headers: Record<string, string> = o.key ? { Authorization: `Bearer ${o.key}` } : {};
  const url = `http://simgate.test${p}`;
  const res = o.worker ? await (await mf.getWorker(o.worker)).fetch(url, { headers }) : await mf.dispatchFetch(url, { headers });
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers as unknown as Headers, body, text };
}

function expectEnvelope(body: Json, code: string, status: number): void {
  expect(body.error).toMatchObject({ code, status, retryable: expect.any(Boolean), request_id: expect.any(String) });
  expect(typeof body.error.message).toBe('string');
}

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'simgate-worker-'));
  // the [assets] directory must exist before wrangler bundles
  await run(process.execPath, [path.join(ROOT, 'scripts/copy-docs-assets.mjs')], { cwd: ROOT });
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' };
  const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outDir], { cwd: ROOT, env });
  expect(stdout).toMatch(/--dry-run: exiting now/);
  bundle = path.join(outDir, 'worker.js');
  const wranglerToml = await readFile(path.join(ROOT, 'wrangler.toml'), 'utf8');
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(wranglerToml)?.[1];
  expect(compatibilityDate).toBeDefined();

  sim = await startPathsimSimulator({ limits: { perWindow: 100_000, concurrency: 100 } });
  const config = {
    tenants: {
      acme: {
        keys: [{ key: TENANT_KEY, scopes: ['runs:read', 'reports:read'] }],
        // `${PATHSIM_API_KEY}` is read from another binding of the Worker
        providers: { pathsim: { apiKey: '${PATHSIM_API_KEY}', baseUrl: sim.baseUrl } },
      },
    },
    providers: { pathsim: { rateLimit: { perMinute: 10_000, concurrency: 10 } } },
  };
  const common = { modules: true, scriptPath: bundle, modulesRoot: outDir, compatibilityDate: compatibilityDate! };
  mf = new Miniflare({
    workers: [
      {
        ...common,
        name: 'simgate',
        bindings: { SIMGATE_CONFIG: JSON.stringify(config), PATHSIM_API_KEY: sim.apiKey },
        assets: {
          directory: path.join(ROOT, 'dist/docs-assets'),
          binding: 'ASSETS',
          routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
        },
      },
      { ...common, name: 'bad-json', bindings: { SIMGATE_CONFIG: `{"tenants": {"acme": {"keys": [{"key": "${SECRET_IN_BAD_CONFIG}" ` } },
      {
        ...common,
        name: 'bad-schema',
        bindings: { SIMGATE_CONFIG: JSON.stringify({ tenants: { acme: { keys: [{ key: SECRET_IN_BAD_CONFIG, scopes: ['runs:read'] }], providers: { pathsim: {} } } } }) },
      },
      { ...common, name: 'no-config', bindings: {} },
    ],
  });
  await mf.ready;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await sim?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('the wrangler bundle', () => {
  it('imports no node:* module and stays small', async () => {
    const code = await readFile(bundle);
    expect(code.toString('utf8')).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
    // Workers limits: 3 MiB gzipped (free plan)
    expect(gzipSync(code).length).toBeLessThan(3 * 1024 * 1024);
  });
});

describe('the Worker in workerd', () => {
  it('answers /healthz with 200 and a request id', async () => {
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: { status: 'ok' } });
    expect(r.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves PathSim runs in the unified model, matching the simulator ground truth, and walks every page once', async () => {
    const truth = new Map<string, PathsimSession>(sim.sessions().map((s) => [s.row._id, s]));
    const seen: string[] = [];
    let cursor: string | null = null;
    let lastStart = Infinity;
    let pages = 0;
    do {
      const r = await get(`/v1/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: TENANT_KEY });
      expect(r.status, r.text).toBe(200);
      expect(r.body.partial).toBe(false);
      expect(r.body.providers.pathsim.status).toBe('ok');
      expect(r.headers.get('server-timing')).toMatch(/gateway;dur=\d+.*pathsim;dur=\d+/);
      const runs = r.body.data as Json[];
      expect(runs.length).toBeGreaterThan(0);
      for (const x of runs) {
        const s = truth.get(x.native_id);
        expect(s, `unknown run ${x.id}`).toBeDefined();
        const row = s!.row;
        expect(x).toMatchObject({
          id: `pathsim:${row._id}`,
          provider: 'pathsim',
          channel: row['Test Type'] === 'Voice' ? 'voice' : 'web',
          target: row.Target,
          scenario: { name: row['Virtual Customer'] },
          source: row.Source === 'Campaign' ? 'campaign' : 'ad_hoc',
          status_raw: `${row.Connected}/${row.Objective}`,
        });
        const started = Date.parse(x.started_at);
        expect(started).toBe(x.started_at_precision === 'ms' ? s!.createdAt : s!.createdAt - (s!.createdAt % 60_000));
        if (row.Connected === 'Connected' && row.Objective === 'Achieved') expect([x.status, x.outcome]).toEqual(['completed', 'passed']);
        if (row.Connected === 'Failed') expect([x.status, x.outcome]).toEqual(['failed', 'none']);
        // lists leave the heavy fields out
        expect(x).not.toHaveProperty('transcript');
        expect(x).not.toHaveProperty('raw');
        // newest first, also across the page boundary
        expect(started).toBeLessThanOrEqual(lastStart);
        lastStart = started;
        seen.push(x.id);
      }
      if (pages === 0) expect(r.body.next_cursor).toEqual(expect.any(String));
      cursor = r.body.next_cursor as string | null;
      pages += 1;
    } while (cursor && pages < 20);
    expect(cursor).toBeNull();
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size).toBe(seen.length); // no repeats
    expect(new Set(seen)).toEqual(new Set([...truth.keys()].map((id) => `pathsim:${id}`))); // none skipped
  });

  it('answers without a key with the 401 envelope', async () => {
    const r = await get('/v1/runs');
    expect(r.status).toBe(401);
    expectEnvelope(r.body, 'unauthorized', 401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers an unknown route with the 404 envelope', async () => {
    const r = await get('/v1/nope', { key: TENANT_KEY });
    expect(r.status).toBe(404);
    expectEnvelope(r.body, 'not_found', 404);
  });

  it('serves an OpenAPI 3.1 document', async () => {
    const r = await get('/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\.1\./);
    expect(r.body.paths).toHaveProperty('/v1/runs');
  });

  it('serves the docs page and its swagger-ui assets through the ASSETS binding', async () => {
    const page = await get('/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    const css = await get('/docs/assets/swagger-ui.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.text.length).toBeGreaterThan(1000);
    const missing = await get('/docs/assets/nope.js');
    expect(missing.status).toBe(404);
    expectEnvelope(missing.body, 'not_found', 404);
  });

  it('answers every request with the 500 envelope when SIMGATE_CONFIG is not JSON, without echoing it', async () => {
    for (const p of ['/healthz', '/v1/runs']) {
      const r = await get(p, { worker: 'bad-json' });
      expect(r.status).toBe(500);
      expectEnvelope(r.body, 'internal', 500);
      expect(r.body.error.message).toMatch(/SIMGATE_CONFIG.*not valid JSON/);
      expect(r.text).not.toContain(SECRET_IN_BAD_CONFIG);
    }
  });

  it('answers with the 500 envelope naming the invalid config path, without the config content', async () => {
    const r = await get('/healthz', { worker: 'bad-schema' });
    expect(r.status).toBe(500);
    expectEnvelope(r.body, 'internal', 500);
    expect(r.body.error.message).toContain('tenants.acme.providers.pathsim.apiKey: required');
    expect(r.text).not.toContain(SECRET_IN_BAD_CONFIG);
  });

  it('answers with the 500 envelope when SIMGATE_CONFIG is not set', async () => {
    const r = await get('/healthz', { worker: 'no-config' });
    expect(r.status).toBe(500);
    expectEnvelope(r.body, 'internal', 500);
    expect(r.body.error.message).toMatch(/SIMGATE_CONFIG is not set/);
  });
});
