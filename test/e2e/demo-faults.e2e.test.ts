/** Demo mode with SIMGATE_DEMO_FAULTS: a simulator that is down or slow makes lists partial, with that provider in error; a bad value exits 2. */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import type { RunList } from '../../schemas/run.js';

const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => stop(c)));
});

/** SIGTERM, and the exit code once it exited (null when it already had). */
function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.kill('SIGTERM');
  });
}

/** `npm start` without SIMGATE_CONFIG, with these fault settings, on a free port. */
function spawnDemo(faults: string): { child: ChildProcess; output: () => string } {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', SIMGATE_DEMO_FAULTS: faults };
  delete env['SIMGATE_CONFIG'];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** The demo's URL, once it printed its start-up lines (the faults line is the last of them). */
function demoUrl(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no start-up lines: ${output()}`)), 30_000);
    const check = (): void => {
      const m = /curl -H 'Authorization: Bearer demo' (http:\/\/[0-9.:]+)\/v1\/runs/.exec(output());
      if (m && /\n {2}faults/.test(output())) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (c) => reject(new Error(`exited with ${c}: ${output()}`)));
  });
}

const runs = async (url: string): Promise<RunList> => {
  const res = await fetch(`${url}/v1/runs?limit=20`, { headers: { authorization: 'Bearer demo' } });
  expect(res.status).toBe(200);
  return (await res.json()) as RunList;
};

const OTHERS = ['pathsim', 'saleslab', 'sigmamind', 'cekura'];

describe('SIMGATE_DEMO_FAULTS', () => {
  it('synthflow:down: the start-up lines say so, and GET /v1/runs is partial with synthflow in error and the others ok', async () => {
    const { child, output } = spawnDemo('synthflow:down');
    const url = await demoUrl(child, output);
    expect(output()).toContain('faults (SIMGATE_DEMO_FAULTS): synthflow down');
    expect(output()).toMatch(/data: pathsim \d+, synthflow \d+, saleslab \d+, sigmamind \d+, cekura \d+ runs/);
    expect(output()).toMatch(/limits: each simulator allows \d+ requests a minute and \d+ at once/);
    const body = await runs(url);
    expect(body.partial).toBe(true);
    const sf = body.providers['synthflow']!;
    expect(sf.status).toBe('error');
    expect(['provider_error', 'provider_unavailable']).toContain(sf.error?.code);
    for (const p of OTHERS) expect(body.providers[p]?.status, p).toBe('ok');
    expect(body.data).toHaveLength(20);
    expect(body.data.some((r) => r.provider === 'synthflow')).toBe(false);
    expect(await stop(child)).toBe(0);
  });

  it('synthflow:slow: the simulator answers after the deadline, so synthflow carries provider_timeout and the list still answers', async () => {
    const { child, output } = spawnDemo('synthflow:slow');
    const url = await demoUrl(child, output);
    expect(output()).toContain('faults (SIMGATE_DEMO_FAULTS): synthflow slow');
    const t0 = Date.now();
    const body = await runs(url);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(body.partial).toBe(true);
    expect(body.providers['synthflow']).toMatchObject({ status: 'error', error: { code: 'provider_timeout', retryable: true } });
    for (const p of OTHERS) expect(body.providers[p]?.status, p).toBe('ok');
  }, 60_000);

  it('without faults the lines say how to turn them on', async () => {
    const { child, output } = spawnDemo('');
    await demoUrl(child, output);
    expect(output()).toContain('faults: none. SIMGATE_DEMO_FAULTS=synthflow:down');
  });

  it.each([
    ['synthflow:dead', "unknown fault 'dead'"],
    ['nosuch:down', "unknown provider 'nosuch'"],
    ['synthflow', 'is not <provider>:<fault>'],
    ['synthflow:down,synthflow:slow', 'synthflow is given twice'],
  ])('%s stops start-up with a clear message and exit code 2', async (value, message) => {
    const { child, output } = spawnDemo(value);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(output()).toContain(`simgate: SIMGATE_DEMO_FAULTS: '`);
    expect(output()).toContain(message);
    expect(output()).not.toContain('curl -H');
  });
});
