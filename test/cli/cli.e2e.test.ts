/** The `simgate` command as a process (node bin/simgate.mjs) against a gateway over the five simulators: walks, tables, reports, config check, errors, help. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import type { Scope } from '../../src/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { CSV_COLUMNS } from '../../src/cli/runs.js';
import type { Regressions, Summary } from '../../client/index.js';
import { client, untilReady, walk, type Client } from '../helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = 'cli-e2e-key-0001';
const DAY = 86_400_000;
const date = (t: number): string => new Date(t).toISOString().slice(0, 10);
/** A period that holds every simulator run, with whole days so that it cannot move while the test runs. */
const FROM = date(Date.now() - 120 * DAY);
const TO = date(Date.now() + 2 * DAY);
/** The regressions' current period (its baseline: the gateway's default, the same length before). */
const WEEK = date(Date.now() - 7 * DAY);

let set: SimulatorSet;
let gw: RunningGateway;
let api: Client;
let dir: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/simgate.mjs ...args` with SIMGATE_URL / SIMGATE_KEY pointing at the test gateway (overridable). */
function simgate(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const base: Record<string, string | undefined> = { ...process.env, SIMGATE_URL: gw.url, SIMGATE_KEY: KEY, ...env };
  for (const [k, v] of Object.entries(base)) if (v === undefined) delete base[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/simgate.mjs'), ...args], { cwd: ROOT, env: base, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

beforeAll(async () => {
  set = await startSimulators({ seed: 21, limits: { perWindow: 100_000, concurrency: 50 } });
  const scopes: Scope[] = ['runs:read', 'reports:read'];
  gw = await startGateway({ config: { tenants: { cli: { keys: [{ key: KEY, scopes }], providers: set.providers } }, providers: set.tuning }, port: 0, log: silentLogger, warm: true });
  api = client(gw.url, KEY, { cache: true });
  await untilReady(api);
  dir = await mkdtemp(path.join(tmpdir(), 'simgate-cli-'));
});
afterAll(async () => {
  await gw?.close(100);
  await set?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('simgate runs', () => {
  it('--format csv walks every run exactly once (the ids of a walk through the API), flat columns, progress on stderr', async () => {
    const r = await simgate(['runs', '--format', 'csv', '--limit', '37']);
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(r.stdout.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    const { runs } = await walk(api, 'limit=100');
    expect(rows.map((x) => x['id'])).toEqual(runs.map((x) => x.id));
    expect(new Set(rows.map((x) => x['id'])).size).toBe(rows.length);
    const byId = new Map(runs.map((x) => [x.id, x]));
    for (const row of rows.slice(0, 50)) {
      const run = byId.get(row['id']!)!;
      expect(row).toMatchObject({ provider: run.provider, native_id: run.native_id, status: run.status, outcome: run.outcome, started_at: run.started_at });
      expect(row['score']).toBe(run.score ? String(run.score.value) : '');
      expect(row['agent_name']).toBe(run.agent.name ?? '');
    }
    expect(r.stderr).toMatch(/^simgate runs: 37 runs so far, \d+ runs\/s$/m);
    expect(r.stderr).toMatch(new RegExp(`^simgate runs: ${rows.length} runs in [0-9.]+ s, \\d+ runs/s, ${Math.ceil(rows.length / 37)} pages$`, 'm'));
  });

  it('writes NDJSON by default: every line parses, filters pass through, --quiet keeps stderr empty', async () => {
    const r = await simgate(['runs', '--provider', 'cekura,sigmamind', '--outcome', 'failed', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as { id: string; provider: string; outcome: string });
    const { runs } = await walk(api, 'provider=cekura,sigmamind&outcome=failed&limit=100');
    expect(parsed.map((x) => x.id)).toEqual(runs.map((x) => x.id));
    expect(new Set(parsed.map((x) => x.provider))).toEqual(new Set(['cekura', 'sigmamind']));
    expect(parsed.every((x) => x.outcome === 'failed')).toBe(true);
  });

  it('a filter value the gateway refuses is a usage error (exit 2) with the envelope message; a bad page size never reaches it', async () => {
    const [bad, limit] = await Promise.all([simgate(['runs', '--status', 'bogus']), simgate(['runs', '--limit', '0'])]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("simgate: unknown status 'bogus'");
    expect(bad.stderr).toContain('(invalid_request, HTTP 400)');
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('page size must be an integer from 1 to 100');
  });
});

describe('simgate providers', () => {
  it('prints a table of the five providers: id, name, health, breaker, index, runs, fresh_as_of', async () => {
    const [r, j] = await Promise.all([simgate(['providers']), simgate(['providers', '--format', 'json'])]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['id', 'name', 'health', 'breaker', 'index', 'runs', 'fresh_as_of']);
    const body = (await api.json<{ data: Array<{ id: string; index: { runs: number } }> }>('/v1/providers')).body;
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(body.data.map((p) => p.id));
    expect(body.data.map((p) => p.id).sort()).toEqual(['cekura', 'pathsim', 'saleslab', 'sigmamind', 'synthflow']);
    for (const p of body.data) expect(lines.find((l) => l.startsWith(`${p.id} `))).toMatch(new RegExp(` ok +closed +ready +${p.index.runs} +\\d{4}-`));
    expect((JSON.parse(j.stdout) as typeof body).data.map((p) => p.id)).toEqual(body.data.map((p) => p.id));
  });
});

describe('simgate report and regressions', () => {
  it('report --format json is GET /v1/reports/summary, figure for figure', async () => {
    const r = await simgate(['report', '--group-by', 'provider,week', '--from', FROM, '--to', TO, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const cli = JSON.parse(r.stdout) as Summary;
    const res = await api.json<Summary>(`/v1/reports/summary?group_by=provider,week&from=${FROM}&to=${TO}`);
    expect(res.status).toBe(200);
    expect(cli.data).toEqual(res.body.data);
    expect(cli.data.totals.runs).toBeGreaterThan(0);
    expect(cli.partial).toBe(false);
  });

  it('report and regressions --format csv are the gateway\'s own CSV, byte for byte', async () => {
    const [rep, reg] = await Promise.all([
      simgate(['report', '--group-by', 'agent', '--from', FROM, '--to', TO, '--format', 'csv']),
      simgate(['regressions', '--provider', 'cekura,synthflow', '--from', WEEK, '--to', TO, '--format', 'csv']),
    ]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(reg.code, reg.stderr).toBe(0);
    expect(rep.stdout).toBe(await (await api.get(`/v1/reports/summary?group_by=agent&from=${FROM}&to=${TO}&format=csv`)).text());
    expect(reg.stdout).toBe(await (await api.get(`/v1/reports/regressions?provider=cekura,synthflow&from=${WEEK}&to=${TO}&format=csv`)).text());
    expect(rep.stdout.split('\r\n')[0]).toMatch(/^agent_id,agent_name,runs,passed,failed,/);
  });

  it('report prints a table per group with the pass rate and its denominator, a total, the period and partial', async () => {
    const r = await simgate(['report', '--group-by', 'provider', '--from', FROM, '--to', TO]);
    expect(r.code, r.stderr).toBe(0);
    const s = (await api.json<Summary>(`/v1/reports/summary?group_by=provider&from=${FROM}&to=${TO}`)).body;
    const lines = r.stdout.split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['provider', 'runs', 'passed', 'failed', 'errored', 'pending', 'pass rate', 'avg score', 'p50 dur', 'p90 dur']);
    for (const g of s.data.groups) {
      const t = g.totals;
      const rate = t.pass_rate === null ? '-' : `${(t.pass_rate * 100).toFixed(1)}%`;
      expect(lines.find((l) => l.startsWith(`${g.key.provider} `))).toMatch(
        new RegExp(`^${g.key.provider} +${t.runs} +${t.passed} +${t.failed} +${t.errored} +${t.pending} +${rate.replace('.', '\\.')} of ${t.passed + t.failed} `),
      );
    }
    expect(lines.find((l) => l.startsWith('total '))).toMatch(new RegExp(`^total +${s.data.totals.runs} +${s.data.totals.passed} `));
    expect(r.stdout).toContain(`period    ${s.data.from} .. ${s.data.to}`);
    expect(r.stdout).toContain('partial   false');
  });

  it('regressions --format json is the API\'s answer; the table lists each item with its verdict and counts', async () => {
    const period = ['--from', WEEK, '--to', TO];
    const [j, t] = await Promise.all([simgate(['regressions', ...period, '--format', 'json']), simgate(['regressions', ...period])]);
    expect(j.code, j.stderr).toBe(0);
    expect(t.code, t.stderr).toBe(0);
    const body = (await api.json<Regressions>(`/v1/reports/regressions?from=${WEEK}&to=${TO}`)).body;
    expect((JSON.parse(j.stdout) as Regressions).data).toEqual(body.data);
    expect(body.data.items.length).toBeGreaterThan(0);
    const lines = t.stdout.split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['verdict', 'provider', 'agent', 'scenario', 'baseline p/f', 'current p/f', 'last failed run']);
    const rows = lines.slice(2, 2 + body.data.items.length);
    body.data.items.forEach((i, n) => {
      expect(rows[n]).toMatch(new RegExp(`^${i.verdict} +${i.key.provider} .* ${i.baseline.passed}/${i.baseline.failed} +${i.current.passed}/${i.current.failed} +${i.last_failed_run_id ?? '-'}$`));
    });
    expect(t.stdout).toContain(`baseline  ${body.data.baseline_from} .. ${body.data.baseline_to}`);
  });
});

describe('simgate config check', () => {
  it('exits 0 and prints ok for a good file (${ENV} from the environment); exit 2 and one problem per line with its JSON path for a bad one', async () => {
    const good = path.join(dir, 'good.json');
    const bad = path.join(dir, 'bad.json');
    await writeFile(good, JSON.stringify({ tenants: { acme: { keys: [{ key: '${CLI_TEST_KEY}', scopes: ['runs:read'] }], providers: { pathsim: { apiKey: 'ps-key' } } } } }));
    await writeFile(bad, JSON.stringify({ tenants: { acme: { keys: [{ key: 'k', scopes: ['runs:read'] }], providers: { pathsim: {}, cekura: { apiKey: '${CLI_TEST_MISSING}' } } } }, extra: 1 }));
    const [ok, problems, missing] = await Promise.all([
      simgate(['config', 'check', good], { CLI_TEST_KEY: 'secret-1' }),
      simgate(['config', 'check', bad], { CLI_TEST_MISSING: undefined }),
      simgate(['config', 'check', path.join(dir, 'nope.json')]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('ok\n');
    expect(problems.code).toBe(2);
    expect(problems.stdout.trimEnd().split('\n').sort()).toEqual([
      '(root): unknown field "extra"; allowed: tenants, providers, metrics, cors, index, requestTimeoutMs, cursorSecret',
      'tenants.acme.providers.cekura.apiKey: environment variable CLI_TEST_MISSING is not set',
      'tenants.acme.providers.pathsim.apiKey: required',
    ]);
    expect(problems.stderr).toContain('3 problems');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});

describe('errors and help', () => {
  it('an unknown key exits 1 with the envelope message and code; a refused connection names the URL it tried', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const [unknown, none, refused] = await Promise.all([
      simgate(['providers'], { SIMGATE_KEY: 'not-a-key' }),
      simgate(['report', '--url', gw.url], { SIMGATE_KEY: undefined }),
      simgate(['runs'], { SIMGATE_URL: `http://127.0.0.1:${port}` }),
    ]);
    const envelope = (await api.json<{ error: { message: string } }>('/v1/providers', 'not-a-key')).body.error;
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`simgate: ${envelope.message} (unauthorized, HTTP 401)`);
    expect(unknown.stdout).toBe('');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('pass --key or set SIMGATE_KEY');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cannot reach simgate at http://127.0.0.1:${port}: connection refused`);
  });

  it('--help of the program and of each command exits 0 and names its flags', async () => {
    const cases: Array<[string[], string[]]> = [
      [['--help'], ['--url', '--key', 'SIMGATE_URL', 'SIMGATE_KEY', 'report', 'regressions', 'runs', 'providers', 'config']],
      [['report', '--help'], ['--group-by', '--from', '--to', '--provider', '--agent-id', '--channel', '--q', '--format']],
      [['regressions', '--help'], ['--from', '--to', '--baseline-from', '--baseline-to', '--provider', '--agent-id', '--format']],
      [['runs', '--help'], ['--provider', '--status', '--outcome', '--channel', '--agent-id', '--group-id', '--q', '--from', '--to', '--limit', '--include', '--format', '--quiet']],
      [['providers', '--help'], ['--format']],
      [['config', 'check', '--help'], ['<file>']],
    ];
    const results = await Promise.all(cases.map(([args]) => simgate(args)));
    results.forEach((r, i) => {
      const [args, flags] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: simgate ${args.slice(0, -1).join(' ')}`.trimEnd());
      for (const f of flags) expect(r.stdout, `${args.join(' ')}: ${f}`).toContain(f);
    });
    const unknown = await simgate(['runs', '--nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--nope'");
  });
});
