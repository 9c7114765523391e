/** `npm run dev:edge` as a newcomer runs it: wrangler dev (local workerd) with the SimgateState object, in front of the demo's simulators; the README's curl answers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listening } from '../redis/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let child: ChildProcess;
let url: string;
const lines: string[] = [];

/** A free loopback port (wrangler dev takes a fixed one). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  child = spawn('npm', ['run', 'dev:edge'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, PORT: String(port) } });
  url = await listening(child, lines, 90_000, /curl -H 'Authorization: Bearer demo' (http:\/\/\S+)\/v1\/runs/);
}, 100_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
});

describe('npm run dev:edge', () => {
  it("serves the demo tenant from workerd, every simulator's runs, its index in the Durable Object", async () => {
    expect(lines.join('\n')).toMatch(/env\.STATE \(SimgateState\)\s+Durable Object\s+local/);
    const res = await fetch(`${url}/v1/runs?limit=100`, { headers: { authorization: 'Bearer demo' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ provider: string }>; partial: boolean };
    expect(body.partial).toBe(false);
    expect(new Set(body.data.map((r) => r.provider))).toEqual(new Set(['pathsim', 'synthflow', 'saleslab', 'sigmamind', 'cekura']));
    const providers = (await (await fetch(`${url}/v1/providers`, { headers: { authorization: 'Bearer demo' } })).json()) as { data: Array<{ index: { runs: number } }> };
    expect(providers.data).toHaveLength(5);
    expect(providers.data.every((p) => p.index.runs > 0)).toBe(true);
  }, 60_000);
});
