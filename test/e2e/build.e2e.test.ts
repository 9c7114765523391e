/** The production path the image runs: `npm run build`, then `node dist/src/node.js` with a config file; assets from the compiled layout; SIGTERM drains and exits 0. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import { parseConfig, type Config } from '../../src/config.js';
import { listening } from '../redis/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// inside the repo, so that the compiled files find node_modules and package.json ("type": "module") as in the image;
// not dist/ itself, so that a build here never pulls the files from under another run of the suite
const OUT = path.join(ROOT, 'dist', `e2e-build-${process.pid}`);
const KEY = 'build-e2e-key-0001';

let sims: SimulatorSet;
let configFile: string;

/** Runs a command to its end; resolves with its exit code and everything it printed. */
function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

interface Gateway {
  child: ChildProcess;
  url: string;
  lines: string[];
  exited: Promise<number | null>;
}

/** `node <out>/src/node.js` as the image's CMD runs it, with SIMGATE_CONFIG; resolves once it logs "listening". */
async function startBuilt(env: Record<string, string>): Promise<Gateway> {
  const base = { ...(process.env as Record<string, string>) };
  delete base['REDIS_URL'];
  const child = spawn(process.execPath, [path.relative(ROOT, path.join(OUT, 'src', 'node.js'))], {
    cwd: ROOT,
    env: { ...base, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await listening(child, lines, 20_000);
  return { child, url, lines, exited };
}

beforeAll(async () => {
  const [build, set] = await Promise.all([run('npm', ['run', 'build', '--', '--out-dir', path.relative(ROOT, OUT)]), startSimulators({ limits: { perWindow: 6000, concurrency: 20 } })]);
  sims = set;
  expect(build.code, build.out).toBe(0);
  const config: Config = {
    // the key through a ${NAME} placeholder, as deploy/simgate.config.example.json has them
    tenants: { t: { keys: [{ key: '${SIMGATE_E2E_KEY}', scopes: ['runs:read', 'reports:read'] }], providers: sims.providers } },
    providers: sims.tuning,
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'simgate-build-'));
  configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
}, 180_000);

afterAll(async () => {
  await sims?.close();
  rmSync(OUT, { recursive: true, force: true });
});

describe('production build', () => {
  it('emits the entry, the modules it imports and the dashboard files, and nothing of the tests, client or scripts', () => {
    for (const f of ['src/node.js', 'src/server.js', 'adapters/index.js', 'schemas/run.js', 'src/dashboard/index.html', 'src/dashboard/dashboard.js']) {
      expect(existsSync(path.join(OUT, f)), f).toBe(true);
    }
    for (const d of ['test', 'bench', 'scripts', 'client', 'src/worker.js']) expect(existsSync(path.join(OUT, d)), d).toBe(false);
  });

  it('node dist/src/node.js serves the config, the dashboard and /docs from the compiled layout; SIGTERM drains a request in flight, logs "stopped" last and exits 0', async () => {
    const gw = await startBuilt({ SIMGATE_CONFIG: configFile, SIMGATE_E2E_KEY: KEY });
    try {
      expect(JSON.parse(gw.lines.find((l) => l.includes('"listening"'))!)).toMatchObject({ mode: 'config', shared_state: 'memory' });
      const health = await fetch(`${gw.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ data: { status: 'ok' } });

      const auth = { authorization: `Bearer ${KEY}` };
      const list = await fetch(`${gw.url}/v1/runs?limit=5&provider=pathsim`, { headers: auth });
      expect(list.status).toBe(200);
      const body = (await list.json()) as { data: Array<{ id: string; native_id: string }> };
      expect(body.data).toHaveLength(5);
      expect((await fetch(`${gw.url}/v1/runs?limit=1`)).status).toBe(401);

      const page = await fetch(`${gw.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('Gateway key');
      for (const [asset, type] of [
        ['/dashboard/assets/dashboard.js', /^text\/javascript/], // dist/src/dashboard (copied by the build)
        ['/dashboard/assets/uPlot.iife.min.js', /^text\/javascript/], // node_modules/uplot
        ['/docs', /^text\/html/],
        ['/docs/assets/swagger-ui-bundle.js', /^text\/javascript/], // node_modules/swagger-ui-dist
      ] as const) {
        const res = await fetch(gw.url + asset);
        expect(res.status, asset).toBe(200);
        expect(res.headers.get('content-type'), asset).toMatch(type);
        expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
      }

      // a run detail the vendor answers slowly is in flight when SIGTERM arrives: it is answered, then the process ends
      const run = body.data[0]!;
      sims.sims.pathsim.server.injectFault({ match: `/sessions/${run.native_id}`, delayMs: 1500, times: 1 });
      const started = Date.now();
      const inFlight = fetch(`${gw.url}/v1/runs/${encodeURIComponent(run.id)}`, { headers: { ...auth, 'cache-control': 'no-cache' } });
      await new Promise((r) => setTimeout(r, 400));
      gw.child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: { id: string } }).data.id).toBe(run.id);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(await gw.exited).toBe(0);
      const last = JSON.parse(gw.lines.filter((l) => l.trim()).at(-1)!) as Record<string, unknown>;
      expect(last).toMatchObject({ level: 'info', msg: 'stopped', signal: 'SIGTERM', exit_code: 0 });
      // the kept-alive connection of the answered request is closed at once: no waiting out its keep-alive timeout (5 s)
      expect(last['ms']).toBeLessThan(4500);
      expect(gw.lines.some((l) => l.includes('"msg":"shutting down"'))).toBe(true);
    } finally {
      if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
    }
  }, 45_000);

  it('deploy/simgate.config.example.json is a valid config once its ${ENV} placeholders are set', () => {
    const text = readFileSync(path.join(ROOT, 'deploy', 'simgate.config.example.json'), 'utf8');
    const names = [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!))];
    expect(names.length).toBeGreaterThan(0);
    const env = Object.fromEntries(names.map((n) => [n, n.endsWith('_URL') ? 'https://vendor.example' : `${n.toLowerCase()}-value-0123456789`]));
    const config = parseConfig(text, env);
    expect(Object.keys(config.tenants)).toEqual(['acme']);
    // every placeholder is one compose.yaml passes to the gateways
    const compose = readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8');
    for (const n of names) expect(compose, n).toMatch(new RegExp(`^\\s+- ${n}$`, 'm'));
  });
});
